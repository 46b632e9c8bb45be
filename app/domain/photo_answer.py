"""A photo checklist item is answered with a photo: the answer's ``value_text`` holds the id
of an attachment (no schema change; a photo item has no other value).

Checked the same way on the device (``app.services.checklist_service``) and at head office
(``headoffice.permissions``, the ``checklist_answers`` table policy's ``row_rule``), which
treats devices as hostile: the attachment must be a **photo** (not a video) of the **same
intervention**, and not deleted. Clearing the answer (no value) is always allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.domain.reasons import Reason

PHOTO_ITEM = "photo"  # ItemKind.PHOTO, spelled here so the domain imports no model
ITEMS = "checklist_items"
ATTACHMENTS = "attachments"

Reader = Callable[[str, str], "dict[str, Any] | None"]

NOT_OF_THIS_JOB = Reason(
    "photo_item.not_of_this_job", "The photo of a photo item must be a photo of this intervention."
)
NOT_A_PHOTO = Reason(
    "photo_item.not_a_photo", "A photo item is answered with a photo, not a video."
)
DELETED = Reason(
    "photo_item.deleted", "The photo of this item was deleted: take or choose another photo."
)
NO_NUMBER = Reason("photo_item.no_number", "A photo item is answered with a photo, not a number.")


def photo_refusal(intervention_id: object, attachment: dict[str, Any] | None) -> str | None:
    """Why ``attachment`` (wire column names, None: no such row) cannot answer a photo item of
    ``intervention_id``; None when it can."""
    if attachment is None or attachment.get("intervention_id") != intervention_id:
        return NOT_OF_THIS_JOB
    if attachment.get("deleted"):
        return DELETED
    if attachment.get("kind") != "photo":
        return NOT_A_PHOTO
    return None


def answer_refusal(row: dict[str, Any], read: Reader | None) -> str | None:
    """Why a checklist answer row (wire column names, as it would be stored) is refused; None
    when it is acceptable or is no photo item's answer. ``read(table, id)`` reads the item
    and the attachment (None: nothing can be read, nothing is checked)."""
    if read is None or not row.get("item_id"):
        return None
    item = read(ITEMS, row["item_id"])
    if item is None or item.get("kind") != PHOTO_ITEM:
        return None
    if row.get("value_number") is not None:
        return NO_NUMBER
    reference = row.get("value_text")
    if reference in (None, ""):
        return None
    if not isinstance(reference, str) or len(reference) > 64:
        return NOT_OF_THIS_JOB
    return photo_refusal(row.get("intervention_id"), read(ATTACHMENTS, reference))
