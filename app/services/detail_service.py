"""Everything the intervention screen shows, loaded in a few indexed queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN

from app.errors import NotFoundError
from app.models import (
    ChecklistAnswer,
    ChecklistItem,
    Contact,
    Contract,
    Customer,
    Equipment,
    Intervention,
    InterventionType,
    Meter,
    MeterReading,
    Part,
    PlannedPart,
    ProcedureStep,
    Site,
    Technician,
    User,
)
from app.services.auth_service import CurrentUser
from app.services.guards import load_intervention

# Why an intervention open on the device is no longer the technician's to work on.
CANCELLED, REASSIGNED, REMOVED = "cancelled", "reassigned", "removed"


@dataclass(frozen=True)
class HistoryLine:
    id: str
    reference: str
    scheduled_start: datetime
    type_label: str
    technician_name: str
    status: str
    summary: str


@dataclass
class InterventionDetail:
    intervention: Intervention
    customer: Customer
    site: Site
    type_label: str
    equipment: Equipment | None
    contract: Contract | None
    contact: Contact | None = None  # who to call on site (the site's, else the customer's)
    meters: list[tuple[Meter, float | None]] = field(default_factory=list)
    steps: list[tuple[ProcedureStep, list[ChecklistItem]]] = field(default_factory=list)
    answers: dict[str, ChecklistAnswer] = field(default_factory=dict)
    planned_parts: list[tuple[Part, float]] = field(default_factory=list)
    site_history: list[HistoryLine] = field(default_factory=list)
    site_history_total: int = 0


def load_detail(
    intervention_id: str, *, who: CurrentUser | None = None, history_limit: int = 50
) -> InterventionDetail:
    """Everything the screen shows; with ``who``, only if they may see it (``NotFoundError``,
    ``PermissionDeniedError``: a technician opening another technician's intervention)."""
    if who is not None:
        load_intervention(intervention_id, who)
    row = (
        Intervention.select(Intervention, Customer, Site, InterventionType, Equipment, Contract)
        .join_from(Intervention, Customer)
        .join_from(Intervention, Site)
        .join_from(Intervention, InterventionType)
        .join_from(Intervention, Equipment, JOIN.LEFT_OUTER)
        .join_from(Intervention, Contract, JOIN.LEFT_OUTER)
        .where((Intervention.id == intervention_id) & (Intervention.deleted == False))
        .first()
    )
    if row is None:
        raise NotFoundError(f"Intervention {intervention_id} not found.")
    detail = InterventionDetail(
        intervention=row,
        customer=row.customer,
        site=row.site,
        type_label=row.intervention_type.label,
        equipment=row.equipment if row.equipment_id else None,
        contract=row.contract if row.contract_id else None,
    )
    detail.contact = site_contact(row.site_id, row.customer_id)
    if detail.equipment is not None:
        last = (
            MeterReading.select(MeterReading.value)
            .where((MeterReading.meter == Meter.id) & (MeterReading.deleted == False))
            .order_by(MeterReading.read_at.desc())
            .limit(1)
        )
        detail.meters = [
            (m, m.last_value)
            for m in Meter.live()
            .select(Meter, last.alias("last_value"))
            .where(Meter.equipment == detail.equipment)
            .order_by(Meter.name)
        ]
    if row.procedure_id:
        steps = list(
            ProcedureStep.live()
            .where(ProcedureStep.procedure == row.procedure_id)
            .order_by(ProcedureStep.position)
        )
        items = (
            ChecklistItem.live()
            .where(ChecklistItem.step.in_([s.id for s in steps]))
            .order_by(ChecklistItem.position)
        )
        by_step: dict[str, list[ChecklistItem]] = {s.id: [] for s in steps}
        for item in items:
            by_step[item.step_id].append(item)
        detail.steps = [(s, by_step[s.id]) for s in steps]
        detail.answers = {
            a.item_id: a
            for a in ChecklistAnswer.live().where(ChecklistAnswer.intervention == row.id)
        }
    detail.planned_parts = [
        (p.part, p.quantity)
        for p in PlannedPart.live()
        .select(PlannedPart, Part)
        .join(Part)
        .where(PlannedPart.intervention == row.id)
    ]
    past = Intervention.live().where(
        (Intervention.site == row.site_id) & (Intervention.scheduled_start < row.scheduled_start)
    )
    detail.site_history_total = past.count()
    detail.site_history = [
        HistoryLine(
            id=h.id,
            reference=h.reference,
            scheduled_start=h.scheduled_start,
            type_label=h.intervention_type.label,
            technician_name=h.technician.user.display_name if h.technician_id else "",
            status=h.status,
            summary=h.summary,
        )
        for h in past.select(Intervention, InterventionType, Technician, User)
        .join_from(Intervention, InterventionType)
        .join_from(Intervention, Technician, JOIN.LEFT_OUTER)
        .join_from(Technician, User, JOIN.LEFT_OUTER)
        .order_by(Intervention.scheduled_start.desc())
        .limit(history_limit)
    ]
    return detail


def site_contact(site_id: str, customer_id: str) -> Contact | None:
    """The site's own contact, else one of the customer's; one with a phone first."""
    return (
        Contact.live()
        .where(
            (Contact.customer == customer_id) & ((Contact.site == site_id) | Contact.site.is_null())
        )
        .order_by(Contact.site.is_null(), Contact.phone == "", Contact.last_name)
        .first()
    )


@dataclass(frozen=True)
class Withdrawal:
    """Head office took the intervention away from the technician (a sync brought it)."""

    reason: str  # CANCELLED, REASSIGNED, or REMOVED (no longer on this device)
    reference: str


def withdrawal(intervention_id: str, who: CurrentUser, *, reference: str = "") -> Withdrawal | None:
    """None while ``who`` may still work on the intervention; else why not. A sync removes an
    intervention that left the technician's scope (reassigned to another technician, taken
    off the planning) from the device, once its pending changes were pushed: the refused ones
    stay on the sync screen (``SyncRejection``)."""
    row = Intervention.get_or_none(Intervention.id == intervention_id)
    if row is None or row.deleted:
        return Withdrawal(REMOVED, reference)
    if not who.is_technician:  # the office plans and cancels: nothing is taken from it
        return None
    if row.technician_id != who.technician_id:
        return Withdrawal(REASSIGNED, row.reference)
    if row.status == "cancelled":
        return Withdrawal(CANCELLED, row.reference)
    return None
