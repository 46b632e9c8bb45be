"""The office's operations on interventions: assign, cancel, validate, deliver.

Each goes through the shared lifecycle (``app.domain.lifecycle``, the office's moves), and is
written as a head office change (``headoffice.push``: a version, the per-field merge
metadata), so it reaches the devices like any other change. The office's pushes from its
desktops get the same decision (``app.domain.lifecycle.office_refusal``).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from app import clock
from app.domain import lifecycle
from app.domain.lifecycle import S
from app.errors import NotFoundError, PermissionDeniedError, TransitionError
from app.models import Intervention, Technician
from app.sync.push_request import PushChange, PushRequest
from headoffice.push import push
from headoffice.scope import Principal

# The device id head office's own changes are recorded under (sync_row_meta, sync_conflicts).
HEADOFFICE_DEVICE = "headoffice"


def assign(who: Principal, intervention_id: str, technician_id: str, today: date | None = None):
    """Give the intervention to ``technician_id`` (planned -> assigned, or a reassignment)."""
    _require_office(who)
    if Technician.get_or_none(Technician.id == technician_id) is None:
        raise NotFoundError(f"Technician {technician_id} not found.")
    row = _load(intervention_id)
    fields: dict[str, Any] = {"technician_id": technician_id}
    if row.status == S.PLANNED:
        fields["status"] = S.ASSIGNED
    return _write(who, row, fields, today)


def cancel(who: Principal, intervention_id: str, today: date | None = None):
    return transition(who, intervention_id, S.CANCELLED, today)


def validate(who: Principal, intervention_id: str, today: date | None = None):
    return transition(who, intervention_id, S.VALIDATED, today)


def deliver(who: Principal, intervention_id: str, today: date | None = None):
    return transition(who, intervention_id, S.DELIVERED, today)


def transition(who: Principal, intervention_id: str, to: S, today: date | None = None):
    """Move the intervention to ``to`` if the lifecycle lets the office make that move."""
    _require_office(who)
    row = _load(intervention_id)
    if not lifecycle.may_move(row.status, to, lifecycle.OFFICE):
        raise TransitionError(
            f"{row.reference}: the office cannot go from {row.status} to {to}.",
            key="error.transition.refused",
            frm=row.status,
            to=to,
        )
    return _write(who, row, {"status": S(to)}, today)


def _require_office(who: Principal) -> None:
    if not who.sees_everything:
        raise PermissionDeniedError("Only the office plans, cancels and validates interventions.")


def _load(intervention_id: str) -> Intervention:
    row = Intervention.get_or_none(Intervention.id == intervention_id)
    if row is None or row.deleted:
        raise NotFoundError(f"Intervention {intervention_id} not found.")
    return row


def _write(who: Principal, row: Intervention, fields: dict[str, Any], today: date | None):
    """Apply ``fields`` as a head office change; returns the stored intervention."""
    change = PushChange("interventions", row.id, row.sync_version, fields)
    request = PushRequest(str(uuid.uuid4()), HEADOFFICE_DEVICE, [change])
    answer = push(who, HEADOFFICE_DEVICE, request, today or clock.today())
    if answer["rejected"]:
        raise TransitionError(answer["rejected"][0]["reason"])
    return Intervention.get_by_id(row.id)
