"""The customer's and the equipment's past: earlier interventions, parts used, trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from app.models import (
    Intervention,
    InterventionType,
    Measurement,
    Part,
    PartUsage,
    Technician,
    User,
)
from app.models.enums import InterventionStatus, UsageKind
from app.services.auth_service import CurrentUser
from app.services.guards import load_intervention


@dataclass(frozen=True)
class PastVisit:
    id: str
    reference: str
    date: datetime
    type_label: str
    technician: str
    status: str
    summary: str
    parts: list[tuple[str, float, str]]  # (name, quantity, unit)


@dataclass(frozen=True)
class TrendPoint:
    date: datetime
    value: float
    unit: str
    min_value: float | None
    max_value: float | None
    out_of_tolerance: bool


def _past(current: Intervention, where, limit: int) -> list[PastVisit]:
    rows = list(
        Intervention.live()
        .select(Intervention, InterventionType, Technician, User)
        .join_from(Intervention, InterventionType)
        .join_from(Intervention, Technician, JOIN.LEFT_OUTER)
        .join_from(Technician, User, JOIN.LEFT_OUTER)
        .where(
            where
            & (Intervention.id != current.id)
            & (Intervention.scheduled_start < current.scheduled_start)
            & (Intervention.status != InterventionStatus.CANCELLED)
        )
        .order_by(Intervention.scheduled_start.desc())
        .limit(limit)
    )
    parts: dict[str, list[tuple[str, float, str]]] = {r.id: [] for r in rows}
    usages = (
        PartUsage.live()
        .select(PartUsage.intervention, PartUsage.quantity, Part.name, Part.unit)
        .join(Part)
        .where(PartUsage.intervention.in_(list(parts)) & (PartUsage.kind == UsageKind.USED))
        .tuples()
    )
    for intervention_id, quantity, name, unit in usages:
        parts[intervention_id].append((name, quantity, unit))
    return [
        PastVisit(
            id=r.id,
            reference=r.reference,
            date=r.scheduled_start,
            type_label=r.intervention_type.label,
            technician=r.technician.user.display_name if r.technician_id else "",
            status=r.status,
            summary=r.summary or r.diagnosis,
            parts=parts[r.id],
        )
        for r in rows
    ]


def site_history(intervention_id: str, who: CurrentUser, limit: int = 50) -> list[PastVisit]:
    current = load_intervention(intervention_id, who)
    return _past(current, Intervention.site == current.site_id, limit)


def equipment_history(intervention_id: str, who: CurrentUser, limit: int = 50) -> list[PastVisit]:
    current = load_intervention(intervention_id, who)
    if not current.equipment_id:
        return []
    return _past(current, Intervention.equipment == current.equipment_id, limit)


def measured_labels(intervention_id: str, who: CurrentUser) -> list[str]:
    """The measurements recorded on this equipment over time (to choose a trend)."""
    current = load_intervention(intervention_id, who)
    if not current.equipment_id:
        return []
    query = (
        Measurement.live()
        .select(Measurement.label)
        .where(Measurement.equipment == current.equipment_id)
        .distinct()
        .order_by(Measurement.label)
    )
    return [m.label for m in query]


def trend(intervention_id: str, label: str, who: CurrentUser, limit: int = 30) -> list[TrendPoint]:
    """One measurement of the equipment over past visits, oldest first."""
    current = load_intervention(intervention_id, who)
    if not current.equipment_id:
        return []
    rows = (
        Measurement.live()
        .where((Measurement.equipment == current.equipment_id) & (Measurement.label == label))
        .order_by(Measurement.measured_at.desc())
        .limit(limit)
    )
    return [
        TrendPoint(m.measured_at, m.value, m.unit, m.min_value, m.max_value, m.out_of_tolerance)
        for m in reversed(list(rows))
    ]
