"""The technician's day: today's and upcoming interventions, read from the local store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.models import Customer, Intervention, InterventionType, Site
from app.models.enums import InterventionStatus, Priority

# Statuses a technician still has to act on, or just finished today.
OPEN_STATUSES = (
    InterventionStatus.PLANNED,
    InterventionStatus.ASSIGNED,
    InterventionStatus.EN_ROUTE,
    InterventionStatus.IN_PROGRESS,
    InterventionStatus.WORK_DONE,
)


@dataclass(frozen=True)
class DayItem:
    """One line of "Ma journée"."""

    id: str
    reference: str
    scheduled_start: datetime
    scheduled_end: datetime
    customer_name: str
    site_name: str
    address: str
    type_label: str
    status: InterventionStatus
    priority: Priority


@dataclass(frozen=True)
class MyDay:
    day: date
    today: list[DayItem]
    upcoming: list[DayItem]


def my_day(
    technician_id: str,
    day: date,
    *,
    upcoming_days: int = 7,
    search: str = "",
    statuses: tuple[str, ...] | None = None,
) -> MyDay:
    """Interventions of ``technician_id`` on ``day`` (any status) and the open ones after it.

    ``search`` matches the customer, site name, city or reference (case-insensitive);
    ``statuses`` keeps only those statuses.
    """
    start = datetime.combine(day, time.min)
    tomorrow = start + timedelta(days=1)
    horizon = start + timedelta(days=upcoming_days + 1)
    query = (
        Intervention.select(
            Intervention.id,
            Intervention.reference,
            Intervention.scheduled_start,
            Intervention.scheduled_end,
            Intervention.status,
            Intervention.priority,
            Customer.name,
            Site.name,
            Site.address_line,
            Site.postal_code,
            Site.city,
            InterventionType.label,
        )
        .join_from(Intervention, Customer)
        .join_from(Intervention, Site)
        .join_from(Intervention, InterventionType)
        .where(
            (Intervention.technician == technician_id)
            & (Intervention.deleted == False)
            & (Intervention.scheduled_start >= start)
            & (Intervention.scheduled_start < horizon)
        )
        .order_by(Intervention.scheduled_start)
        .tuples()
    )
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(
            (Customer.name**like)
            | (Site.name**like)
            | (Site.city**like)
            | (Intervention.reference**like)
        )
    if statuses:
        query = query.where(Intervention.status.in_(list(statuses)))
    today: list[DayItem] = []
    upcoming: list[DayItem] = []
    for row in query:
        (iid, ref, s, e, status, prio, cust, site, line, postal, city, type_label) = row
        item = DayItem(
            id=iid,
            reference=ref,
            scheduled_start=s,
            scheduled_end=e,
            customer_name=cust,
            site_name=site,
            address=f"{line}, {postal} {city}",
            type_label=type_label,
            status=InterventionStatus(status),
            priority=Priority(prio),
        )
        if s < tomorrow:
            today.append(item)
        elif item.status in OPEN_STATUSES:
            upcoming.append(item)
    return MyDay(day=day, today=today, upcoming=upcoming)
