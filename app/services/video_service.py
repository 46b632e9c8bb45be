"""Videos of an intervention: annotate a chosen frame, time-stamped notes, an annotated clip.

``still_at`` extracts the frame shown at a time of a video (one OpenCV seek, never every frame
before it) and stores it as a photo attachment linked to the video and that time
(``source_attachment_id``, ``source_time_ms``, app.domain.video); the photo editor then
annotates it like any photo (``media_service.annotate``). ``set_notes`` keeps a video's notes
[(time, text)], bounded by the shared rule head office applies too. ``export_clip`` is a
background job (``app.jobs``): from a start time, up to ``clip_seconds()`` (hard maximum
``MAX_CLIP_S``), the still's annotation layer burned into every frame, written as VP8
WebM (it plays in browsers) with a new thumbnail and stored as a new video of the source's
phase, captioned "Extrait annoté", linked to the video and the start time. Never on the UI loop.

Media may be added until the intervention is cancelled (as ``media_service.import_files``);
notes change only while it is editable.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PIL import Image

from app import clock
from app.domain import video as rules
from app.errors import NotFoundError, ValidationError
from app.jobs import JobHandle
from app.media import video as frames
from app.media.blob_store import BlobStore
from app.media.ingest import IngestSettings
from app.models import Attachment, db
from app.models.enums import MediaKind
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, intervention_for_media, load_intervention

log = logging.getLogger(__name__)

CLIP_CAPTION = "Extrait annoté"
CLIP_SECONDS_ENV = "TERRAIN_CLIP_SECONDS"
MAX_CLIP_S = frames.MAX_CLIP_S


def clip_seconds() -> float:
    """How long an exported clip is at most: ``TERRAIN_CLIP_SECONDS`` (default 10 s), never
    more than ``MAX_CLIP_S`` (30 s) nor less than 1 s."""
    raw = os.environ.get(CLIP_SECONDS_ENV, "")
    try:
        value = float(raw) if raw.strip() else frames.DEFAULT_CLIP_S
    except ValueError:
        log.warning("%s=%r is not a number of seconds: 10 s", CLIP_SECONDS_ENV, raw)
        value = frames.DEFAULT_CLIP_S
    return min(max(value, 1.0), MAX_CLIP_S)


def video_file(store: BlobStore, row: Attachment, session=None) -> Path | None:
    """The video's file on this device (downloaded from head office first when missing and
    a session is given); None when it cannot be had now."""
    from app.services import media_service

    if row.kind != MediaKind.VIDEO:
        return None
    media_service.fetch(store, row.blob_sha256, session)
    return store.locate(row.blob_sha256)


def still_at(video_id: str, t_ms: int, who: CurrentUser, *, store: BlobStore) -> Attachment:
    """Store the frame shown ``t_ms`` into the video as a photo linked to it; returns it."""
    video = _video(video_id, who)
    intervention_for_media(video.intervention_id, who)
    reason = rules.time_refusal(t_ms, video.duration_s)
    if reason:
        raise ValidationError(reason, field="time", key="error.video.time",
                              hint="Choose a time with the slider.")  # fmt: skip
    path = _on_device(store, video)
    image = frames.frame_at(path, t_ms, name=_name(video))
    limit = IngestSettings().max_px
    if max(image.size) > limit:
        image.thumbnail((limit, limit), Image.Resampling.HAMMING)
    photo = store.put_bytes(frames.jpeg(image))
    thumb = store.put_bytes(frames.jpeg_thumbnail(image, IngestSettings().thumb_px))
    with db.atomic():
        return Attachment.create(
            intervention=video.intervention_id,
            kind=MediaKind.PHOTO,
            phase=video.phase,
            source=video.source,
            blob_sha256=photo,
            thumb_sha256=thumb,
            mime_type="image/jpeg",
            size_bytes=store.locate(photo).stat().st_size,
            width=image.width,
            height=image.height,
            caption=f"Image à {clock_text(t_ms)}",
            taken_at=clock.now().replace(microsecond=0),
            created_by=who.id,
            source_attachment_id=video.id,
            source_time_ms=t_ms,
        )


def stills_of(video_id: str, who: CurrentUser) -> list[Attachment]:
    """The live stills and clips made from the video, in time order."""
    video = _video(video_id, who)
    rows = Attachment.live().where(
        (Attachment.source_attachment_id == video.id)
        & (Attachment.intervention == video.intervention_id)
    )
    return sorted(rows, key=lambda a: (a.source_time_ms or 0, a.created_at, a.id))


def set_notes(video_id: str, who: CurrentUser, notes: object) -> Attachment:
    """Replace the video's time-stamped notes [{"t_ms", "text"}] (an empty list removes them)."""
    video = _video(video_id, who)
    editable_intervention(video.intervention_id, who)
    clean = rules.validate_notes(notes, video.duration_s)
    video.video_notes = clean or None
    video.save()
    return video


def add_note(video_id: str, who: CurrentUser, t_ms: int, text: str) -> Attachment:
    """One more note at ``t_ms``."""
    video = _video(video_id, who)
    return set_notes(video_id, who, [*(video.video_notes or []), {"t_ms": t_ms, "text": text}])


def remove_note(video_id: str, who: CurrentUser, index: int) -> Attachment:
    video = _video(video_id, who)
    notes = list(video.video_notes or [])
    if 0 <= index < len(notes):
        notes.pop(index)
    return set_notes(video_id, who, notes)


def export_clip(
    handle: JobHandle,
    video_id: str,
    who: CurrentUser,
    *,
    store: BlobStore,
    start_ms: int,
    still_id: str | None = None,
    seconds: float | None = None,
) -> Attachment:
    """The job: write the annotated clip and store it as a new video (see the module
    docstring). ``still_id``: the annotated still whose layer is burned in (a still of this
    video); None: a plain extract. Cancelled (``handle``) at the next frame: nothing stored."""
    video = _video(video_id, who)
    intervention_for_media(video.intervention_id, who)
    layer = None
    if still_id is not None:
        still = Attachment.live().where(Attachment.id == still_id).first()
        if still is None or still.source_attachment_id != video.id:
            raise NotFoundError(f"Still {still_id} of this video not found.",
                                key="error.NotFoundError")  # fmt: skip
        layer = still.annotations
    reason = rules.time_refusal(start_ms, video.duration_s)
    limit = rules.duration_ms(video.duration_s)
    if reason or (limit is not None and start_ms >= limit):
        raise frames.ClipRangeError(
            f"A clip cannot start at {start_ms / 1000:.1f} s: the video lasts "
            f"{(limit or 0) / 1000:.1f} s.",
            key="error.video.clip_start", start=f"{start_ms / 1000:.1f}",
            duration=f"{(limit or 0) / 1000:.1f}",
        )  # fmt: skip
    source = _on_device(store, video)
    handle.progress(0.0)
    with store.temp_file() as tmp:
        target = tmp.with_suffix(frames.CLIP_SUFFIX)
        try:
            clip = frames.export_clip(
                source, target, start_ms, seconds or clip_seconds(), layer,
                name=_name(video), on_progress=lambda f: handle.progress(0.95 * f),
            )  # fmt: skip
            handle.check()  # a cancel after the last frame: nothing stored
            main = store.put_file(target)
            size = target.stat().st_size
        finally:
            target.unlink(missing_ok=True)
    thumb = store.put_bytes(clip.thumbnail)
    with db.atomic():
        row = Attachment.create(
            intervention=video.intervention_id,
            kind=MediaKind.VIDEO,
            phase=video.phase,
            source=video.source,
            blob_sha256=main,
            thumb_sha256=thumb,
            mime_type=frames.CLIP_MIME,
            size_bytes=size,
            width=clip.width,
            height=clip.height,
            duration_s=clip.duration_s,
            caption=CLIP_CAPTION,
            taken_at=clock.now().replace(microsecond=0),
            created_by=who.id,
            source_attachment_id=video.id,
            source_time_ms=start_ms,
        )
    handle.progress(1.0)
    return row


def clock_text(t_ms: int) -> str:
    """0:07, 1:05 — a time in a video as the viewer shows it."""
    seconds = max(0, int(t_ms)) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def _video(video_id: str, who: CurrentUser) -> Attachment:
    row = Attachment.live().where(Attachment.id == video_id).first()
    if row is None or row.intervention_id is None:
        raise NotFoundError(f"Media {video_id} not found.", key="error.NotFoundError")
    load_intervention(row.intervention_id, who)  # a technician's own interventions only
    if row.kind != MediaKind.VIDEO:
        raise ValidationError("This media is not a video.", key="error.video.not_video")
    return row


def _on_device(store: BlobStore, video: Attachment) -> Path:
    path = store.locate(video.blob_sha256)
    if path is None:
        raise ValidationError(
            "This video is not on this device yet.", key="error.video.not_here",
            hint="Open it once with the network on (it downloads), then try again.",
        )  # fmt: skip
    return path


def _name(video: Attachment) -> str:
    return video.caption or "video"


def play_source(store: BlobStore, row: Attachment, session=None, *, web: bool) -> str | None:
    """What the player loads: in the browser a short-lived link served by the app
    (``app.media.video_links``), elsewhere the file's path; None when the video is not on
    this device and cannot be downloaded now."""
    from app.media.video_links import LINKS

    path = video_file(store, row, session)
    if path is None:
        return None
    if not web:
        return str(path)
    suffix = {"video/webm": ".webm", "video/quicktime": ".mov", "video/x-msvideo": ".avi",
              "video/x-matroska": ".mkv"}.get(row.mime_type, ".mp4")  # fmt: skip
    return LINKS.publish(path, row.mime_type or "video/mp4", name=f"{row.id}{suffix}")
