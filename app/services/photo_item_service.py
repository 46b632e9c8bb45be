"""Photo items of the procedure: a photo is their answer.

The photo (from the camera or a picked file) goes through the Médias section's import
(``media_service.import_picked``: the ingest pipeline, blobs then the row) as an attachment
of the intervention, in the phase the item implies ("… après …": after, "… avant …":
before, else other), captioned with the item's label; the item's answer then names it
(``ChecklistAnswer.value_text`` = the attachment's id, checked by ``app.domain.
photo_answer`` on the device and at head office). Removing the photo clears the answer;
the attachment stays in Médias.
"""

from __future__ import annotations

import re
from datetime import datetime

from app.errors import NotFoundError, ValidationError
from app.media.blob_store import BlobStore
from app.models import ChecklistAnswer, ChecklistItem
from app.models.enums import ItemKind, MediaKind, MediaPhase, MediaSource
from app.services import checklist_service, media_service
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention

_AFTER = re.compile(r"\b(après|apres|after)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(avant|before)\b", re.IGNORECASE)


def implied_phase(label: str) -> MediaPhase:
    """The phase an item's label implies: "Échangeur après nettoyage" is an after photo."""
    if _AFTER.search(label or ""):
        return MediaPhase.AFTER
    if _BEFORE.search(label or ""):
        return MediaPhase.BEFORE
    return MediaPhase.OTHER


def attach(
    intervention_id: str,
    item_id: str,
    picked: tuple[str, bytes],
    who: CurrentUser,
    now: datetime,
    *,
    store: BlobStore,
    source: str = MediaSource.GALLERY,
) -> ChecklistAnswer:
    """Import ``picked`` (name, bytes) as the photo answering the item, replacing the photo it
    had (which stays in Médias). A refused file (not a photo, a video, damaged) raises its
    ``MediaError`` and changes nothing."""
    item = _photo_item(intervention_id, item_id, who)
    [result] = media_service.import_picked(
        intervention_id, [picked], who, store=store, phase=implied_phase(item.label),
        source=source,
    )  # fmt: skip
    if not result.ok:
        raise result.error
    row = result.attachment
    if row.kind != MediaKind.PHOTO:  # a video picked by mistake: kept in Médias, not an answer
        raise ValidationError(
            "A photo item is answered with a photo, not a video.",
            key="error.photo_item.video", label=item.label,
        )  # fmt: skip
    media_service.update(row.id, who, caption=item.label[: media_service.MAX_CAPTION])
    return checklist_service.answer(intervention_id, item_id, row.id, who, now)


def remove(intervention_id: str, item_id: str, who: CurrentUser, now: datetime) -> ChecklistAnswer:
    """Clear the item's photo answer; the attachment stays in Médias."""
    _photo_item(intervention_id, item_id, who)
    return checklist_service.answer(intervention_id, item_id, "", who, now)


def thumbnails(
    intervention_id: str, who: CurrentUser, store: BlobStore, session=None
) -> dict[str, bytes | None]:
    """item id -> the thumbnail (drawings included) of the photo answering it, for the photo
    items that have one; None when this device does not hold it yet (downloaded first when
    a ``session`` is given)."""
    states = [
        s for step in checklist_service.checklist(intervention_id, who).steps for s in step.items
    ]
    photos = {s.item.id: s.photo for s in states if s.photo is not None}
    pictures = media_service.grid_pictures(store, list(photos.values()), session)
    return dict(zip(photos, pictures, strict=True))


def _photo_item(intervention_id: str, item_id: str, who: CurrentUser) -> ChecklistItem:
    intervention = editable_intervention(intervention_id, who)
    item = ChecklistItem.live().where(ChecklistItem.id == item_id).first()
    if item is None or item.step.procedure_id != intervention.procedure_id:
        raise NotFoundError("This checklist item is not part of the intervention's procedure.")
    if item.kind != ItemKind.PHOTO:
        raise ValidationError(
            f"{item.label} is not a photo item.", key="error.photo_item.not_photo_item",
            label=item.label,
        )  # fmt: skip
    return item
