"""Head office turns each follow-up (*suite à donner*) into what it means, once.

- new visit (``new_visit``): a planned, unassigned intervention at the same site and
  equipment, on the proposed date (else the due date, else in 14 days), with the
  follow-up's urgency as its priority;
- next preventive visit (``next_preventive``): the same, of a preventive type;
- parts to order (``parts_order``): a parts-to-order line per line naming a part (for the
  intervention's technician, on its intervention); lines without a part, or none: a note;
- quote needed (``quote``): a note on the customer ("Devis à établir");
- other, with a text: a note on the customer; none: nothing.

Every write goes through head office's push path (a version each, so devices receive them:
the technician sees the planned visits and parts on the site's history). Ids are derived
from the follow-up's (``uuid5``), and ``CustomerRecord.converted`` records what each
follow-up became: converting again changes nothing.

The follow-up's ``urgency``, ``proposed_date`` and ``lines`` are read when the model has
them (the device's follow-up screen adds them); without them, ``kind``, ``description`` and
``due_date`` are enough.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from app import clock
from app.domain import follow_up as follow_up_rule
from app.models import (
    Customer,
    FollowUp,
    Intervention,
    InterventionType,
    Part,
    PartsToOrderLine,
)
from app.models.enums import InterventionStatus, Priority
from app.sync.push_request import PushChange, PushRequest
from headoffice.models import CustomerRecord
from headoffice.push import push
from headoffice.scope import Principal
from headoffice.services.interventions import HEADOFFICE_DEVICE

NAMESPACE = uuid.UUID("5b0c8a4e-3f8e-4d55-9c61-8f0c2d7a1e10")
# Head office's own writes (no user of the company): the office's rules apply to them.
HEADOFFICE = Principal(user_id="headoffice", role="admin", technician_id=None, name="Head office")

NEW_VISIT = frozenset({"new_visit", "new_intervention"})
PREVENTIVE = frozenset({"next_preventive", "preventive", "next_visit"})
PARTS = frozenset({"parts_order", "parts_to_order"})
QUOTE = frozenset({"quote", "quote_needed"})
DEFAULT_DELAY = timedelta(days=14)
VISIT_START = time(8, 0)


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def convert(intervention: Intervention, record: CustomerRecord) -> list[str]:
    """Convert the intervention's follow-ups not converted yet; returns what was made."""
    converted = dict(record.converted or {})
    made: list[str] = []
    rows = FollowUp.live().where(FollowUp.intervention == intervention.id)
    for index, follow_up in enumerate(rows.order_by(FollowUp.created_at, FollowUp.id), 1):
        if follow_up.id in converted:
            continue
        outcome = _convert_one(intervention, follow_up, index)
        converted[follow_up.id] = outcome
        made.append(outcome)
    if made:
        record.converted = converted
        record.updated_at = clock.utcnow()
        record.save()
    return made


def _convert_one(intervention: Intervention, follow_up: FollowUp, index: int) -> str:
    kind = str(follow_up.kind or "")
    text = (follow_up.description or "").strip()
    if kind in NEW_VISIT or kind in PREVENTIVE:
        return _planned_visit(intervention, follow_up, index, preventive=kind in PREVENTIVE)
    if kind in PARTS:
        return _parts(intervention, follow_up, text)
    if kind in QUOTE:
        return _note(intervention, follow_up, f"Devis à établir{_dash(text)}")
    if kind == "none" or not text:
        return "nothing"
    return _note(intervention, follow_up, text)


def _dash(text: str) -> str:
    return f" — {text}" if text else ""


def _planned_visit(intervention: Intervention, follow_up: FollowUp, index: int, *, preventive):
    new_id = derived_id("follow-up", follow_up.id, "intervention")
    if Intervention.get_or_none(Intervention.id == new_id) is not None:
        return f"intervention:{new_id}"
    day = _date(getattr(follow_up, "proposed_date", None)) or _date(follow_up.due_date)
    day = day or (clock.today() + DEFAULT_DELAY)
    kind = _visit_type(intervention, preventive)
    start = datetime.combine(day, VISIT_START)
    minutes = max(30, kind.default_duration_min or 60)
    reference = _free_reference(f"{intervention.reference}-S{index}")
    origin = "Visite préventive" if preventive else "Nouvelle intervention"
    fields: dict[str, Any] = {
        "reference": reference,
        "customer_id": intervention.customer_id,
        "site_id": intervention.site_id,
        "equipment_id": intervention.equipment_id,
        "intervention_type_id": kind.id,
        "contract_id": intervention.contract_id,
        "status": InterventionStatus.PLANNED,
        "priority": _priority(getattr(follow_up, "urgency", None)),
        "scheduled_start": start,
        "scheduled_end": start + timedelta(minutes=minutes),
        "requested_by": f"Suite à {intervention.reference}",
        "problem_reported": f"{origin} (suite à {intervention.reference})"
        f"{_dash((follow_up.description or '').strip())}",
    }
    _write([PushChange("interventions", new_id, 0, fields)])
    return f"intervention:{new_id}"


def _visit_type(intervention: Intervention, preventive: bool) -> InterventionType:
    own = InterventionType.get_by_id(intervention.intervention_type_id)
    if not preventive or own.preventive:
        return own
    return InterventionType.live().where(InterventionType.preventive == True).first() or own


def _parts(intervention: Intervention, follow_up: FollowUp, text: str) -> str:
    lines = getattr(follow_up, "lines", None) or []
    changes, loose = [], []
    for number, line in enumerate(lines if isinstance(lines, list) else [], 1):
        line = line if isinstance(line, dict) else {"description": str(line)}
        part_id, quantity = line.get("part_id"), _quantity(line.get("quantity"))
        label = str(line.get("description") or line.get("label") or line.get("name") or "")
        if part_id and quantity and Part.get_or_none(Part.id == part_id) is not None:
            fields = {
                "part_id": part_id,
                "technician_id": intervention.technician_id,
                "intervention_id": intervention.id,
                "quantity": quantity,
                "reason": f"Suite à {intervention.reference}{_dash(label or text)}",
            }
            line_id = derived_id("follow-up", follow_up.id, "part", str(number))
            if PartsToOrderLine.get_or_none(PartsToOrderLine.id == line_id) is None:
                changes.append(PushChange("parts_to_order_lines", line_id, 0, fields))
        else:
            loose.append(f"{label} × {line.get('quantity')}" if line.get("quantity") else label)
    if changes:
        _write(changes)
    if loose or not changes:
        items = ", ".join(x for x in loose if x)
        _note(intervention, follow_up, f"Pièces à commander{_dash(items or text)}")
    return f"parts:{len(changes)}"


def _note(intervention: Intervention, follow_up: FollowUp, text: str) -> str:
    customer = Customer.get_by_id(intervention.customer_id)
    line = f"• {clock.today().isoformat()} — {intervention.reference} : {text}"
    notes = customer.notes or ""
    if line not in notes:
        notes = f"{notes.rstrip()}\n{line}".strip()
        _write([PushChange("customers", customer.id, customer.sync_version, {"notes": notes})])
    return "note"


def _write(changes: list[PushChange]) -> None:
    request = PushRequest(str(uuid.uuid4()), HEADOFFICE_DEVICE, changes)
    answer = push(HEADOFFICE, HEADOFFICE_DEVICE, request, clock.today())
    if answer["rejected"]:
        raise RuntimeError(f"head office refused its own follow-up rows: {answer['rejected']}")


def _free_reference(wanted: str) -> str:
    reference, n = wanted, 1
    while Intervention.select().where(Intervention.reference == reference).exists():
        n += 1
        reference = f"{wanted}-{n}"
    return reference


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _priority(value: Any) -> str:
    try:
        return str(Priority(value))
    except ValueError:
        return {"high_urgency": Priority.HIGH, "emergency": Priority.URGENT}.get(
            value, Priority.NORMAL
        )


def _quantity(value: Any) -> float | None:
    """The line's quantity when the shared rule accepts it (``app.domain.follow_up``)."""
    return float(value) if follow_up_rule.quantity_refusal(value) is None else None
