"""The intervention's life on the device: status changes and their effects (timers, times).

Which changes are allowed, and who may make them, is ``app.domain.lifecycle`` (head office
decides pushes from the same transitions):

planned -> assigned -> en route -> in progress -> work done -> signed -> submitted ->
validated -> delivered; cancelled from any state before work done; back to in progress
while not signed. "signed" is reached only through the signature of the visit report.
"""

from __future__ import annotations

from datetime import datetime

from app.domain import lifecycle
from app.errors import TransitionError, ValidationError
from app.models import Intervention, db
from app.models.enums import InterventionStatus as S
from app.models.enums import TimeKind
from app.services import checklist_service, time_service
from app.services.auth_service import CurrentUser
from app.services.guards import load_intervention


class IncompleteWorkError(ValidationError):
    """ "Work done" refused: ``missing`` lists what is still to fill in."""

    hint = "Complete the items listed, then declare the work done again."

    def __init__(self, missing: list[str]):
        super().__init__(
            "Required items are missing: " + "; ".join(missing),
            key="error.work_done.missing",
            count=len(missing),
        )
        self.missing = missing


def _role(who: CurrentUser) -> str:
    return lifecycle.acting_role(who.role)


def next_actions(intervention: Intervention, who: CurrentUser) -> list[S]:
    """The statuses ``who`` may move ``intervention`` to now, in lifecycle order."""
    return lifecycle.moves(S(intervention.status), _role(who))


def transition(intervention_id: str, to: S, who: CurrentUser, now: datetime) -> Intervention:
    """Move the intervention to ``to``, with its effects on timers and timestamps."""
    intervention = load_intervention(intervention_id, who)
    to, current = S(to), S(intervention.status)
    if (current, to) == lifecycle.VIA_SIGNATURE:
        raise TransitionError(
            "An intervention becomes signed only when the client signs the visit report.",
            key="error.transition.sign",
        )
    if not lifecycle.may_move(current, to, _role(who)):
        raise TransitionError(
            f"{intervention.reference}: cannot go from {current} to {to}.",
            key="error.transition.refused",
            frm=current, to=to,
        )  # fmt: skip
    if to == S.ASSIGNED and not intervention.technician_id:
        raise TransitionError(
            "Choose a technician before assigning.", key="error.transition.no_tech"
        )
    if to == S.WORK_DONE:
        missing = checklist_service.checklist(intervention_id, who).missing()
        if missing:
            raise IncompleteWorkError(missing)
    with db.atomic():
        _effects(intervention, current, to, who, now)
        intervention.status = to
        intervention.save()
    return intervention


def _effects(intervention: Intervention, current: S, to: S, who: CurrentUser, now: datetime):
    if not who.is_technician:
        return
    if to == S.EN_ROUTE:
        time_service.start(intervention.id, TimeKind.TRAVEL, who, now)
    elif to == S.IN_PROGRESS:
        if intervention.started_at is None:
            intervention.started_at = now
        time_service.start(intervention.id, TimeKind.WORK, who, now)
    elif to in (S.WORK_DONE, S.ASSIGNED):
        running = time_service.running_entry(who)
        if running is not None and running.intervention_id == intervention.id:
            time_service.stop_running(who, now)
        if to == S.WORK_DONE:
            intervention.finished_at = now


def by_record(
    intervention_id: str,
    to: S,
    who: CurrentUser,
    now: datetime,
    *,
    signed: bool = False,
    unsigned: bool = False,
) -> Intervention:
    """The moves only a record makes (``lifecycle.BY_RECORD``): to signed with the client's
    signature, to submitted with a refusal or absence record. Called by the signing service
    inside its transaction, once the record is stored."""
    intervention = load_intervention(intervention_id, who)
    current, to = S(intervention.status), S(to)
    if (current, to) not in lifecycle.BY_RECORD:
        raise TransitionError(
            f"{intervention.reference}: cannot go from {current} to {to} by a record.",
            key="error.transition.refused",
            frm=current, to=to,
        )  # fmt: skip
    reason = lifecycle.refusal(current, to, _role(who), signed=signed, unsigned=unsigned)
    if reason:
        raise TransitionError(reason, key="error.transition.refused", frm=current, to=to)
    intervention.status = to
    intervention.save()
    return intervention
