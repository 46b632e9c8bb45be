"""The intervention's life and the documents' statuses: one definition for every side.

planned -> assigned -> en route -> in progress -> work done -> signed -> submitted ->
validated -> delivered; cancelled (by the office) from any state before work done; back to
in progress while not signed. "signed" is reached only through the client's signature of the
visit report (or slip): a signature row of the intervention. A client who refuses to sign,
or is not there: the technician records it (a signature row whose outcome is ``refused`` or
``absent``, with a reason) and the slip goes from work done straight to submitted, unsigned
(``VIA_REFUSAL``).

The device's services (``app.services.lifecycle_service``, ``guards``) and head office
(``headoffice.permissions``, ``headoffice.services``) decide from these sets, never from
their own copies.

Three sets of statuses, three meanings:

- ``LOCKED`` (signed, submitted, validated, delivered): the client signed; the field records
  are evidence and no longer change (new follow-ups and attachments excepted);
- ``CLOSED`` = ``LOCKED`` + cancelled: nothing more is done on the field; the device and head
  office refuse the technician's edits of the intervention and of its records. This is the one
  "closed" set (the device's ``guards.CLOSED`` and head office's former ``scope.CLOSED``
  disagreed: the latter is in fact ``FINAL``);
- ``FINAL`` (cancelled, validated, delivered): the office is done with it. A technician's
  scope keeps an intervention that is not final whatever its date (a signed job stays on his
  device until validated), and a concurrent edit of the status of a final intervention is
  decided by head office.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from app.domain import signature
from app.domain.reasons import Reason
from app.models.enums import (
    DocumentKind,
    DocumentStatus,
    InterventionStatus,
    QuoteStatus,
    Role,
    SignatureOutcome,
)

S = InterventionStatus
TECHNICIAN, OFFICE = Role.TECHNICIAN, Role.OFFICE

# (from, to) -> the roles that may make the move (admins act as the office).
TRANSITIONS: dict[tuple[S, S], frozenset[Role]] = {
    (S.PLANNED, S.ASSIGNED): frozenset({OFFICE}),
    (S.ASSIGNED, S.EN_ROUTE): frozenset({TECHNICIAN}),
    (S.ASSIGNED, S.IN_PROGRESS): frozenset({TECHNICIAN}),
    (S.EN_ROUTE, S.IN_PROGRESS): frozenset({TECHNICIAN}),
    (S.EN_ROUTE, S.ASSIGNED): frozenset({TECHNICIAN}),
    (S.IN_PROGRESS, S.WORK_DONE): frozenset({TECHNICIAN}),
    (S.WORK_DONE, S.IN_PROGRESS): frozenset({TECHNICIAN}),
    (S.WORK_DONE, S.SIGNED): frozenset({TECHNICIAN}),  # only with a signature (VIA_SIGNATURE)
    # Unsigned (the client refused or was absent): only with that record (VIA_REFUSAL).
    (S.WORK_DONE, S.SUBMITTED): frozenset({TECHNICIAN}),
    (S.SIGNED, S.SUBMITTED): frozenset({TECHNICIAN}),
    (S.SUBMITTED, S.VALIDATED): frozenset({OFFICE}),
    (S.VALIDATED, S.DELIVERED): frozenset({OFFICE}),
    **{
        (s, S.CANCELLED): frozenset({OFFICE})
        for s in (S.PLANNED, S.ASSIGNED, S.EN_ROUTE, S.IN_PROGRESS)
    },
}
VIA_SIGNATURE = (S.WORK_DONE, S.SIGNED)
VIA_REFUSAL = (S.WORK_DONE, S.SUBMITTED)
# The moves only a record makes (never by hand): the signature, the refusal / absence record.
BY_RECORD = frozenset({VIA_SIGNATURE, VIA_REFUSAL})
# Signature rows: the outcome that signs, the ones that let the slip go unsigned.
SIGNED_OUTCOME = SignatureOutcome.SIGNED
UNSIGNED_OUTCOMES = frozenset({SignatureOutcome.REFUSED, SignatureOutcome.ABSENT})
# The documents whose signature signs the intervention.
SIGNING_DOCUMENTS = frozenset({DocumentKind.VISIT_REPORT, DocumentKind.SLIP})
# The statuses the office creates an intervention in.
INITIAL = frozenset({S.PLANNED, S.ASSIGNED})

LOCKED = frozenset({S.SIGNED, S.SUBMITTED, S.VALIDATED, S.DELIVERED})
CLOSED = LOCKED | {S.CANCELLED}
FINAL = frozenset({S.CANCELLED, S.VALIDATED, S.DELIVERED})


def acting_role(role: str) -> Role:
    """The role a user acts in on the lifecycle: admins act as the office."""
    return TECHNICIAN if role == TECHNICIAN else OFFICE


def moves(current: str, role: str) -> list[S]:
    """The statuses ``role`` may move an intervention to by hand from ``current``, in lifecycle
    order (never "signed": that is the signature's doing)."""
    return [to for (frm, to) in TRANSITIONS if frm == current and may_move(frm, to, role)]


def may_move(current: str, to: str, role: str) -> bool:
    """One step of the lifecycle, made by hand (the signature step and the unsigned
    submission are made by their records, never by hand)."""
    if (current, to) in BY_RECORD:
        return False
    return acting_role(role) in TRANSITIONS.get((S(current), S(to)), frozenset())


def reachable(
    current: str, to: str, role: str, *, signed: bool = False, unsigned: bool = False
) -> bool:
    """Can ``role`` bring the intervention from ``current`` to ``to`` in one or more steps?

    A device works offline and pushes only the status it ended on (assigned -> ... -> signed
    arrives as assigned -> signed): head office accepts any status the role could have walked
    to. ``signed``: a signature of the intervention exists, so the signature step counts;
    ``unsigned``: a refusal or absence record exists, so the unsigned submission counts.
    """
    if current == to:
        return True
    role = acting_role(role)
    seen, todo = {current}, deque([current])
    while todo:
        here = todo.popleft()
        for (frm, nxt), roles in TRANSITIONS.items():
            if frm != here or nxt in seen or role not in roles:
                continue
            if (frm, nxt) == VIA_SIGNATURE and not signed:
                continue
            if (frm, nxt) == VIA_REFUSAL and not unsigned:
                continue
            if nxt == to:
                return True
            seen.add(nxt)
            todo.append(nxt)
    return False


def refusal(
    current: str, to: str, role: str, *, signed: bool = False, unsigned: bool = False
) -> str | None:
    """Why ``role`` may not bring the intervention from ``current`` to ``to`` (None: it may),
    in words its user understands."""
    if reachable(current, to, role, signed=signed, unsigned=unsigned):
        return None
    if acting_role(role) == OFFICE:
        return Reason(
            "intervention.office_move",
            f"The office cannot move an intervention from {current} to {to}.",
            current=current,
            to=to,
        )
    if current == S.CANCELLED:
        return Reason(
            "intervention.cancelled",
            "The office cancelled this intervention: it can no longer be reopened or changed.",
        )
    if to == S.SIGNED and reachable(current, to, role, signed=True):
        return Reason(
            "intervention.needs_signature",
            "An intervention becomes signed only with the client's signature: "
            "have the client sign the visit report, then sync again.",
        )
    if to in LOCKED and reachable(current, to, role, signed=True, unsigned=True):
        return Reason(
            "intervention.needs_signature_or_record",
            "An intervention is submitted after the client signed the visit report, or with "
            "the record of why the client did not sign: record one, then sync again.",
        )
    if to in (S.CANCELLED, S.VALIDATED, S.DELIVERED):
        return Reason(
            "intervention.office_status", f"Only the office can mark an intervention {to}.", to=to
        )
    if to == S.ASSIGNED and current == S.PLANNED:
        return Reason(
            "intervention.not_assigned",
            "The office has not assigned this intervention yet: ask the office.",
        )
    return Reason(
        "intervention.move",
        f"An intervention cannot go from {current} to {to}.",
        current=current,
        to=to,
    )


def signature_record_refusal(row: dict[str, Any]) -> str | None:
    """Why a new signature row cannot be stored (None: it can), the device's signing service
    and head office alike: a refusal or absence record says why and holds no signature; a
    signed one holds a real signature and names its signer (``app.domain.signature``)."""
    outcome = row.get("outcome") or SIGNED_OUTCOME
    if not isinstance(outcome, str) or outcome not in set(SignatureOutcome):
        return Reason(
            "signature.outcome",
            f"A signature record is signed, refused or absent, not {outcome!r}.",
            outcome=outcome,
        )
    if outcome == SIGNED_OUTCOME:
        return signature.signed_record_refusal(row)
    if outcome in UNSIGNED_OUTCOMES:
        if len(" ".join(str(row.get("reason") or "").split())) < 3:
            return Reason(
                "signature.no_reason", "Say why the client did not sign (at least 3 characters)."
            )
        if row.get("strokes") not in (None, [], "", "null", "[]") or row.get("image_blob_sha256"):
            return Reason(
                "signature.unsigned_with_strokes",
                "A record of a missing signature holds no signature.",
            )
    return None


# --- documents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRules:
    """The statuses of a kind of document: while ``editable``, it may change; a technician
    may give it only ``technician_statuses`` (the others are the office's)."""

    name: str  # in messages: "report version", "quote"
    statuses: frozenset[str]
    editable: frozenset[str]
    technician_statuses: frozenset[str]

    def office_only(self) -> frozenset[str]:
        return self.statuses - self.technician_statuses


REPORT_VERSION = DocumentRules(
    name="report version",
    statuses=frozenset(DocumentStatus),
    editable=frozenset({DocumentStatus.DRAFT}),
    technician_statuses=frozenset(
        {DocumentStatus.DRAFT, DocumentStatus.SIGNED, DocumentStatus.SUBMITTED}
    ),
)
QUOTE = DocumentRules(
    name="quote",
    statuses=frozenset(QuoteStatus),
    editable=frozenset({QuoteStatus.DRAFT}),
    technician_statuses=frozenset({QuoteStatus.DRAFT, QuoteStatus.SIGNED, QuoteStatus.REFUSED}),
)


def office_refusal(current: dict | None, after: dict[str, Any]) -> str | None:
    """Why the office may not write this intervention (None: it may). ``current``: head
    office's row (None for a new one); ``after``: the row as the change would leave it."""
    status = after.get("status") or S.PLANNED
    before = current or {}
    if current is None and status not in INITIAL:
        return Reason("intervention.initial", "A new intervention starts planned or assigned.")
    if current is not None and status != current["status"]:
        reason = refusal(current["status"], status, OFFICE)
        if reason:
            return reason
    moved = status != before.get("status") or after.get("technician_id") != before.get(
        "technician_id"
    )
    if moved and status == S.ASSIGNED and not after.get("technician_id"):
        return Reason("intervention.no_technician", "Choose a technician before assigning.")
    return None
