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

import copy
from typing import Any

from app.domain.reasons import Reason
from app.models.enums import DocumentStatus

# The statuses in which a version's content may still change.
CONTENT_EDITABLE = frozenset({DocumentStatus.DRAFT, DocumentStatus.CORRECTED})
# The statuses of a version the office has validated.
VALIDATED = frozenset({DocumentStatus.VALIDATED, DocumentStatus.DELIVERED})
MAX_REASON = 500
MAX_VALUE = 20_000
CONTENT_COLUMNS = ("content", "content_sha256")
# The fields the office may correct: ``intervention:<name>``, ``work:<name>``, and each
# comment by its line id (``comment:<id>``).
INTERVENTION_FIELDS = ("problem_reported", "requested_by")
WORK_FIELDS = ("diagnosis", "operations", "summary")


def field_value(content: dict, field_id: str) -> Any:
    """The value of a correctable field in a report content (None: not there)."""
    kind, _, name = field_id.partition(":")
    if kind == "intervention":
        return (content.get("intervention") or {}).get(name)
    if kind == "work":
        line = next((w for w in content.get("work") or [] if w.get("id") == field_id), None)
        return line.get("text") if line else None
    if kind == "comment":
        line = next((c for c in content.get("comments") or [] if c.get("id") == field_id), None)
        return line.get("body") if line else None
    return None


def set_field(content: dict, field_id: str, value: str) -> None:
    """Write a correctable field (``is_correctable`` first)."""
    kind, _, name = field_id.partition(":")
    if kind == "intervention":
        content.setdefault("intervention", {})[name] = value
    elif kind == "work":
        lines = content.setdefault("work", [])
        line = next((w for w in lines if w.get("id") == field_id), None)
        if line is None:
            lines.append({"id": field_id, "field": name, "text": value})
        else:
            line["text"] = value
    elif kind == "comment":
        line = next((c for c in content.get("comments") or [] if c.get("id") == field_id), None)
        if line is not None:
            line["body"] = value


def is_correctable(content: dict, field_id: str) -> bool:
    kind, _, name = field_id.partition(":")
    if kind == "intervention":
        return name in INTERVENTION_FIELDS
    if kind == "work":
        return name in WORK_FIELDS
    if kind == "comment":
        return any(c.get("id") == field_id for c in content.get("comments") or [])
    return False


def derivation_refusal(base: dict, base_version: int, base_sha256: str, after: Any) -> str | None:
    """Why ``after`` is not the content of a correction of ``base`` (None: it is).

    A corrected version is the signed one with, for each listed correction in order, the
    field's value going from ``before`` to ``after``, and nothing else: anything the list
    does not name would otherwise reach the client's final PDF under the client's signature.
    ``base``: the content of the version it names in ``based_on`` (frozen, hash checked by
    the caller)."""
    if not isinstance(after, dict):
        return Reason(
            "correction.content", "A corrected report version's content must be an object."
        )
    if after.get("based_on") != {"version": base_version, "content_sha256": base_sha256}:
        return Reason(
            "correction.based_on",
            "A corrected report version must name the signed version it corrects.",
        )
    corrections = after.get("corrections")
    if not isinstance(corrections, list):
        return Reason("correction.list", "A corrected report version lists its corrections.")
    expected = copy.deepcopy(base)
    for correction in corrections:
        if reason := correction_refusal(correction):
            return reason
        field_id = correction["field"]
        if not is_correctable(expected, field_id):
            return Reason(
                "correction.field_unknown",
                f"The slip has no field {field_id!r} the office may correct.",
                field=field_id,
            )
        value, before = correction.get("after"), field_value(expected, field_id)
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            return Reason(
                "correction.value",
                f"A corrected value is a text of at most {MAX_VALUE} characters.",
                limit=MAX_VALUE,
            )
        if correction.get("before") != str(before or ""):
            return Reason(
                "correction.before",
                f"The correction of {field_id!r} does not start from the signed value.",
                field=field_id,
            )
        set_field(expected, field_id, value)
    expected["corrections"], expected["based_on"] = corrections, after["based_on"]
    if expected != after:
        return Reason(
            "correction.unlisted_change",
            "A corrected report version may change only the fields its corrections list; "
            "correct each field with its reason.",
        )
    return None


def correction_refusal(correction: Any) -> str | None:
    """Why one entry of a ``corrections`` list is not acceptable (None: it is)."""
    if not isinstance(correction, dict):
        return Reason(
            "correction.entry", "A correction must name its field, its new value and its reason."
        )
    if not isinstance(correction.get("field"), str) or not correction["field"]:
        return Reason("correction.entry_field", "A correction must name the field it corrects.")
    reason = correction.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        return Reason(
            "correction.no_reason", "Each correction needs a reason: say why the value was changed."
        )
    if len(reason) > MAX_REASON:
        return Reason(
            "correction.reason_too_long",
            f"A correction's reason is at most {MAX_REASON} characters.",
            limit=MAX_REASON,
        )
    return None


def office_version_refusal(current: dict | None, after: dict[str, Any]) -> str | None:
    """Why the office may not write this report version (None: it may). ``current``: head
    office's row (wire column names; None for a new one); ``after``: as the change leaves it."""
    if current is not None and current.get("status") not in CONTENT_EDITABLE:
        for column in CONTENT_COLUMNS:
            if column in after and after[column] != current.get(column):
                return Reason(
                    "report_version.frozen",
                    f"This report version is {current.get('status')}: its content is evidence "
                    "and never changes; correct it in a new version.",
                    status=current.get("status"),
                )
    content = after.get("content")
    corrections = content.get("corrections") if isinstance(content, dict) else None
    if corrections is not None:
        if not isinstance(corrections, list):
            return Reason("correction.not_list", "A report version's corrections must be a list.")
        for correction in corrections:
            if reason := correction_refusal(correction):
                return reason
    status = after.get("status")
    if (after.get("validated_by_id") or after.get("validated_at")) and status not in VALIDATED:
        return Reason(
            "report_version.validation_unexpected",
            "Only a validated report version carries who validated it and when.",
        )
    if status in VALIDATED and not (after.get("validated_by_id") and after.get("validated_at")):
        return Reason(
            "report_version.validation_missing",
            "A validated report version needs who validated it and when.",
        )
    return None
