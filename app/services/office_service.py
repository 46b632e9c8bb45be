"""Figures for the office home page."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Customer, Intervention, Technician


@dataclass(frozen=True)
class OfficeOverview:
    interventions: int
    customers: int
    technicians: int


def overview() -> OfficeOverview:
    return OfficeOverview(
        interventions=Intervention.live().count(),
        customers=Customer.live().count(),
        technicians=Technician.live().count(),
    )
