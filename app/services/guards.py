"""Checks every write service shares: who may touch an intervention, and when."""

from __future__ import annotations

import math

from app.domain.lifecycle import CLOSED, LOCKED, S
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models import Intervention
from app.services.auth_service import CurrentUser

# Once signed (LOCKED) or cancelled (CLOSED), an intervention's records no longer change on the
# field: the sets are app.domain.lifecycle's, the ones head office decides pushes from.
__all__ = ["CLOSED", "LOCKED", "editable_intervention", "intervention_for_media",
           "load_intervention", "parse_number"]  # fmt: skip


def load_intervention(intervention_id: str, who: CurrentUser) -> Intervention:
    """The intervention, if ``who`` may see it (technicians: their own)."""
    row = Intervention.live().where(Intervention.id == intervention_id).first()
    if row is None:
        raise NotFoundError(f"Intervention {intervention_id} not found.", key="error.NotFoundError")
    if who.is_technician and row.technician_id != who.technician_id:
        raise PermissionDeniedError(
            "This intervention is assigned to another technician.",
            key="error.intervention.not_yours",
        )
    return row


def editable_intervention(intervention_id: str, who: CurrentUser) -> Intervention:
    """The intervention, if its field records may still change (not signed, not cancelled)."""
    row = load_intervention(intervention_id, who)
    if row.status in CLOSED:
        raise ValidationError(
            f"Intervention {row.reference} is {row.status}: its records can no longer change.",
            key="error.intervention.locked",
            hint="Ask the office to reopen it if something must be corrected.",
            status=row.status,
        )
    return row


def intervention_for_media(intervention_id: str, who: CurrentUser) -> Intervention:
    """The intervention, if media may be added to it: any but a cancelled one (a signed
    intervention still takes photos and videos, and stills and clips of them)."""
    row = load_intervention(intervention_id, who)
    if row.status == S.CANCELLED:
        raise ValidationError(
            f"Intervention {row.reference} is cancelled: no media can be added.",
            key="error.media.cancelled", reference=row.reference,
            hint="Nothing was added; ask the office if the job must go on.",
        )  # fmt: skip
    return row


def parse_number(raw: object, *, field: str, label: str = "") -> float:
    """A number typed on a phone: accepts '1,5' and '1.5'; refuses text, NaN and infinities."""
    if isinstance(raw, bool):
        raise _not_a_number(raw, field, label)
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw or "").strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            raise _not_a_number(raw, field, label) from None
    if not math.isfinite(value) or abs(value) > 1e9:
        raise _not_a_number(raw, field, label)
    return value


def _not_a_number(raw: object, field: str, label: str) -> ValidationError:
    return ValidationError(
        f"{label or field}: {raw!r} is not a number.",
        field=field,
        key="error.number.invalid",
        hint="Type digits only, with a comma or a point for decimals.",
        label=label or field,
        value=str(raw),
    )
