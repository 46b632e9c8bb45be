"""The customer's and the equipment's past: earlier interventions, parts used, trends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, fn

from app import clock
from app.models import (
    Customer,
    Intervention,
    InterventionType,
    Measurement,
    Part,
    PartsToOrderLine,
    PartUsage,
    Technician,
    User,
)
from app.models.enums import InterventionStatus, OrderStatus, UsageKind
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


@dataclass(frozen=True)
class PlannedVisit:
    id: str
    reference: str
    date: datetime
    type_label: str
    status: str
    priority: str
    problem: str


@dataclass(frozen=True)
class CustomerRecordView:
    """What head office keeps up to date from the reports (issue 10, item 8), as synced: the
    last visit, the next planned interventions (follow-ups included), the parts to order and
    the office's notes on the customer."""

    last_visit: datetime | None
    last_reference: str
    planned: list[PlannedVisit]
    parts_to_order: list[tuple[str, float, str, str]]  # (name, quantity, unit, status)
    notes: str


VISITED = (InterventionStatus.SUBMITTED, InterventionStatus.VALIDATED, InterventionStatus.DELIVERED)
UPCOMING = (InterventionStatus.PLANNED, InterventionStatus.ASSIGNED)
OPEN_ORDERS = (OrderStatus.NEW, OrderStatus.ORDERED)


def customer_record(intervention_id: str, who: CurrentUser, limit: int = 10) -> CustomerRecordView:
    current = load_intervention(intervention_id, who)
    customer = Customer.get_or_none(Customer.id == current.customer_id)
    of_customer = Intervention.customer == current.customer_id
    last = (
        Intervention.live()
        .where(of_customer & Intervention.status.in_(VISITED))
        .order_by(fn.COALESCE(Intervention.finished_at, Intervention.scheduled_start).desc())
        .first()
    )
    planned = (
        Intervention.live()
        .select(Intervention, InterventionType)
        .join(InterventionType)
        .where(
            of_customer
            & Intervention.status.in_(UPCOMING)
            & (Intervention.id != current.id)
            & (Intervention.scheduled_start >= clock.now().replace(hour=0, minute=0, second=0))
        )
        .order_by(Intervention.scheduled_start)
        .limit(limit)
    )
    orders = (
        PartsToOrderLine.live()
        .select(PartsToOrderLine.quantity, PartsToOrderLine.status, Part.name, Part.unit)
        .join_from(PartsToOrderLine, Part)
        .join_from(PartsToOrderLine, Intervention)
        .where(of_customer & PartsToOrderLine.status.in_(OPEN_ORDERS))
        .order_by(PartsToOrderLine.created_at)
        .limit(limit)
        .tuples()
    )
    return CustomerRecordView(
        last_visit=(last.finished_at or last.scheduled_start) if last else None,
        last_reference=last.reference if last else "",
        planned=[_planned(r) for r in planned],
        parts_to_order=[(name, q, unit, status) for q, status, name, unit in orders],
        notes=(customer.notes if customer else "").strip(),
    )


def _planned(row: Intervention) -> PlannedVisit:
    return PlannedVisit(
        id=row.id,
        reference=row.reference,
        date=row.scheduled_start,
        type_label=row.intervention_type.label,
        status=row.status,
        priority=row.priority,
        problem=row.problem_reported,
    )


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
