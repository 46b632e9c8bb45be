"""The office's corrections and validation of a report: one definition for every side.

A report version the client signed (or the technician submitted unsigned) is evidence: its
``content`` and ``content_sha256`` never change again, for anyone. The office corrects a
slip in a **new** version (``status = corrected``, the next version number) whose content is
the signed content with the corrected values and a ``corrections`` list, one entry per
correction::

    {"field": "work:diagnosis", "label": "Diagnostic", "before": "...", "after": "...",
     "reason": "...", "by": "<user id>", "at": "YYYY-MM-DDTHH:MM:SS"}

and ``based_on`` = ``{"version": 1, "content_sha256": "<the signed content's hash>"}``.
"Valider" gives the latest version (the corrected one, or the signed one when nothing was
corrected) ``status = validated`` with ``validated_by`` / ``validated_at`` (office-only
fields, ``app.domain.policy``), and the intervention ``validated`` (``app.domain.lifecycle``).

The office's device applies these rules before saving (``app.services.validation_service``)
and head office again on every pushed report version (``headoffice.permissions``).
"""

from __future__ import annotations

from typing import Any

from app.models.enums import DocumentStatus

# The statuses in which a version's content may still change.
CONTENT_EDITABLE = frozenset({DocumentStatus.DRAFT, DocumentStatus.CORRECTED})
# The statuses of a version the office has validated.
VALIDATED = frozenset({DocumentStatus.VALIDATED, DocumentStatus.DELIVERED})
MAX_REASON = 500
CONTENT_COLUMNS = ("content", "content_sha256")


def correction_refusal(correction: Any) -> str | None:
    """Why one entry of a ``corrections`` list is not acceptable (None: it is)."""
    if not isinstance(correction, dict):
        return "A correction must name its field, its new value and its reason."
    if not isinstance(correction.get("field"), str) or not correction["field"]:
        return "A correction must name the field it corrects."
    reason = correction.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return "Each correction needs a reason: say why the value was changed."
    if len(reason) > MAX_REASON:
        return f"A correction's reason is at most {MAX_REASON} characters."
    return None


def office_version_refusal(current: dict | None, after: dict[str, Any]) -> str | None:
    """Why the office may not write this report version (None: it may). ``current``: head
    office's row (wire column names; None for a new one); ``after``: as the change leaves it."""
    if current is not None and current.get("status") not in CONTENT_EDITABLE:
        for column in CONTENT_COLUMNS:
            if column in after and after[column] != current.get(column):
                return (
                    f"This report version is {current.get('status')}: its content is evidence "
                    "and never changes; correct it in a new version."
                )
    content = after.get("content")
    corrections = content.get("corrections") if isinstance(content, dict) else None
    if corrections is not None:
        if not isinstance(corrections, list):
            return "A report version's corrections must be a list."
        for correction in corrections:
            if reason := correction_refusal(correction):
                return reason
    status = after.get("status")
    if (after.get("validated_by_id") or after.get("validated_at")) and status not in VALIDATED:
        return "Only a validated report version carries who validated it and when."
    if status in VALIDATED and not (after.get("validated_by_id") and after.get("validated_at")):
        return "A validated report version needs who validated it and when."
    return None
