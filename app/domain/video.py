"""Videos: time-stamped notes, and media made from a video (an annotated still, a clip).

Checked the same way on the device (``app.services.video_service``) and at head office
(``headoffice.permissions``, through ``app.domain.policy``), which treats devices as hostile.

Notes (``Attachment.video_notes`` of a video, plain JSON that syncs with the row)::

    [{"t_ms": 4200, "text": "Fuite au raccord"}, ...]     # sorted by time

at most ``MAX_NOTES``, each 1 to ``MAX_NOTE_TEXT`` characters, at a time within the video.

A media made from a video names it (``source_attachment_id``) and the time it was taken at
(``source_time_ms``: the frame of a still, the start of a clip). The source must be a video
of the same intervention, and the time within ``[0, duration]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.domain.reasons import Reason, wrapped
from app.errors import ValidationError

MAX_NOTES = 50
MAX_NOTE_TEXT = 200
# Frame times are read from the container; a last frame may start a few ms past the probed
# duration (frames / fps rounded): that much is still "within the video".
TIME_SLACK_MS = 50
ATTACHMENTS = "attachments"


class VideoNoteError(ValidationError):
    hint = "Shorten or remove a note, then save again."


def duration_ms(duration_s: object) -> int | None:
    """A probed duration (seconds) in milliseconds; None when unknown."""
    number = isinstance(duration_s, (int, float)) and not isinstance(duration_s, bool)
    return round(duration_s * 1000) if number and duration_s > 0 else None


def time_refusal(t_ms: object, duration_s: object) -> str | None:
    """Why ``t_ms`` is no time of a video lasting ``duration_s`` (None: it is one). A video
    whose duration is unknown accepts any time from 0."""
    if not isinstance(t_ms, int) or isinstance(t_ms, bool) or t_ms < 0:
        return Reason(
            "video.time_invalid", "A time in a video is a whole number of milliseconds from 0."
        )
    limit = duration_ms(duration_s)
    if limit is not None and t_ms > limit + TIME_SLACK_MS:
        return Reason(
            "video.time_past_end",
            f"{t_ms} ms is past the end of the video ({limit} ms).",
            t_ms=t_ms,
            limit=limit,
        )
    return None


def validate_notes(raw: object, duration_s: object) -> list[dict]:
    """The notes in their normal form (sorted by time, text stripped), or ``VideoNoteError``."""
    if not isinstance(raw, list):
        raise _bad("a list of notes")
    if len(raw) > MAX_NOTES:
        raise VideoNoteError(
            f"At most {MAX_NOTES} notes on one video.", key="error.video.too_many_notes",
            limit=MAX_NOTES,
        )  # fmt: skip
    clean = []
    for note in raw:
        if not isinstance(note, dict) or set(note) - {"t_ms", "text"}:
            raise _bad("notes {t_ms, text}")
        text = note.get("text")
        if not isinstance(text, str) or not text.strip() or len(text.strip()) > MAX_NOTE_TEXT:
            raise VideoNoteError(
                f"A note on a video has 1 to {MAX_NOTE_TEXT} characters.",
                key="error.video.note_text", limit=MAX_NOTE_TEXT,
            )  # fmt: skip
        reason = time_refusal(note.get("t_ms"), duration_s)
        if reason:
            raise VideoNoteError(reason, key="error.video.note_time")
        clean.append({"t_ms": note["t_ms"], "text": text.strip()})
    return sorted(clean, key=lambda n: n["t_ms"])


def _bad(expected: str) -> VideoNoteError:
    return VideoNoteError(
        f"The video notes are not readable (expected {expected}).", key="error.video.malformed"
    )


Reader = Callable[[str, str], "dict[str, Any] | None"]


def attachment_refusal(row: dict[str, Any], read: Reader | None) -> str | None:
    """Why an attachment row (wire column names, as it would be stored) is refused, reading
    the row it was made from with ``read(table, id)`` (None: no rows to read, only the row's
    own values are checked); None when it is acceptable. The table's ``row_rule``."""
    notes = row.get("video_notes")
    if notes is not None:
        if row.get("kind") != "video":
            return Reason("video.notes_not_video", "Only a video has time-stamped notes.")
        try:
            validate_notes(notes, row.get("duration_s"))
        except VideoNoteError as err:
            return wrapped(
                "video.notes_invalid", f"The notes of this video cannot be kept: {err.message}", err
            )
    source_id, t_ms = row.get("source_attachment_id"), row.get("source_time_ms")
    if source_id is None:
        if t_ms is None:
            return None
        return Reason(
            "video.time_without_video", "A time in a video needs the video it belongs to."
        )
    if source_id == row.get("id"):
        return Reason("video.source_self", "A media cannot be made from itself.")
    if read is None:
        if t_ms is not None:
            return None
        return Reason(
            "video.source_time_missing", "A still or a clip names the time it was taken at."
        )
    source = read(ATTACHMENTS, source_id)
    if source is None or source.get("kind") != "video":
        return Reason(
            "video.source_other",
            "A still or a clip must come from a video of this intervention.",
        )
    if source.get("intervention_id") != row.get("intervention_id"):
        return Reason(
            "video.source_other",
            "A still or a clip must come from a video of this intervention.",
        )
    if t_ms is None:
        return Reason(
            "video.source_time_missing",
            "A still or a clip names the time it was taken at in its video.",
        )
    return time_refusal(t_ms, source.get("duration_s"))
