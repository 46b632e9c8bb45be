"""Videos: the frame at a time (one seek), stills linked to their video, notes, and the
annotated clip exported as a job — on videos the tests write with OpenCV, each frame
carrying its own number."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from field_support import a_job, as_user
from PIL import Image
from video_support import counter_video, frame_index, read_frames

from app.domain import video as rules
from app.errors import ValidationError
from app.jobs import JobCancelledError, JobRunner, JobState
from app.media import video as frames
from app.media.blob_store import BlobStore
from app.media.ingest import UnsupportedVideoError
from app.models import Attachment
from app.models.enums import InterventionStatus, MediaKind
from app.services import media_service, video_service

ARROW = {
    "version": 1,
    "shapes": [
        {"kind": "rect", "from": [0.1, 0.6], "to": [0.5, 0.9], "color": "#e53935", "width": 0.03},
    ],
}  # fmt: skip — in the grey bottom half, away from the counter blocks
RED_EDGE = (0.1, 0.75)  # on the rectangle's left side (fractions of the frame)


def _imported(tmp_path: Path, who, job, **video) -> tuple[Attachment, BlobStore]:
    store = BlobStore(tmp_path / "blobs")
    path = counter_video(tmp_path / "counter.mp4", **video)
    [result] = media_service.import_files(job.id, [path], who, store=store, phase="after")
    assert result.ok, result.error
    return result.attachment, store


# --- the frame at a time --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t_ms", "index"),
    [(0, 0), (49, 0), (50, 1), (99, 1), (1000, 20), (1234, 24), (1250, 25), (2960, 59)],
)
def test_the_frame_at_a_time_is_the_one_shown_then(tmp_path, t_ms, index):
    """20 fps: frame i is shown from 50 i ms to 50 (i + 1) ms."""
    path = counter_video(tmp_path / "c.mp4", frames=60, fps=20.0)
    assert frame_index(frames.frame_at(path, t_ms)) == index


def test_the_frame_at_the_end_or_past_it_is_the_last_frame(tmp_path):
    path = counter_video(tmp_path / "c.avi", frames=30, fps=10.0, fourcc="MJPG")
    assert frame_index(frames.frame_at(path, 3000)) == 29
    assert frame_index(frames.frame_at(path, 60_000)) == 29


def test_a_frame_is_found_by_seeking_not_by_decoding_every_frame(tmp_path, monkeypatch):
    """The extraction asks OpenCV for one position (CAP_PROP_POS_MSEC) and reads one frame."""
    import cv2

    path = counter_video(tmp_path / "c.mp4", frames=200, fps=20.0)
    calls = {"read": 0, "set": []}
    real = cv2.VideoCapture

    class Counting:
        def __init__(self, *args):
            self.inner = real(*args)

        def read(self):
            calls["read"] += 1
            return self.inner.read()

        def set(self, prop, value):
            calls["set"].append(prop)
            return self.inner.set(prop, value)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(cv2, "VideoCapture", Counting)
    assert frame_index(frames.frame_at(path, 9000)) == 180
    assert calls == {"read": 1, "set": [cv2.CAP_PROP_POS_MSEC]}


def test_an_unreadable_video_is_refused_clearly(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 400)  # a header, no stream
    with pytest.raises(UnsupportedVideoError) as err:
        frames.frame_at(fake, 0)
    assert err.value.key == "error.media.codec" and "MP4" in err.value.hint
    with pytest.raises(UnsupportedVideoError):
        frames.export_clip(fake, tmp_path / "out.mp4", 0, 5)
    assert not (tmp_path / "out.mp4").exists()


# --- stills linked to their video -----------------------------------------------------------


def test_a_still_is_a_photo_of_the_frame_linked_to_the_video_and_its_time(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, store = _imported(tmp_path, who, job)
    still = video_service.still_at(clip.id, 1500, who, store=store)
    assert still.kind == MediaKind.PHOTO and still.phase == "after"
    assert (still.source_attachment_id, still.source_time_ms) == (clip.id, 1500)
    assert (still.width, still.height) == (320, 240) and still.caption == "Image à 0:01"
    with Image.open(store.locate(still.blob_sha256)) as photo:
        assert frame_index(photo.convert("RGB")) == 30  # 1.5 s at 20 fps
    assert store.has(still.thumb_sha256)
    assert [s.id for s in video_service.stills_of(clip.id, who)] == [still.id]
    # annotated like any photo, then shown with its drawing
    still = media_service.annotate(still.id, who, ARROW)
    drawn = Image.open(io.BytesIO(media_service.picture(store, still, full=True)))
    x, y = RED_EDGE
    r, g, b = drawn.convert("RGB").getpixel((round(x * 320), round(y * 240)))
    assert r > 180 and g < 90 and b < 90


def test_a_still_outside_the_video_or_of_a_photo_is_refused(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, store = _imported(tmp_path, who, job)  # 3 s
    with pytest.raises(ValidationError) as err:
        video_service.still_at(clip.id, 4000, who, store=store)
    assert err.value.key == "error.video.time"
    with pytest.raises(ValidationError):
        video_service.still_at(clip.id, -1, who, store=store)
    still = video_service.still_at(clip.id, 0, who, store=store)
    with pytest.raises(ValidationError) as err:
        video_service.still_at(still.id, 0, who, store=store)
    assert err.value.key == "error.video.not_video"
    count = Attachment.select().where(Attachment.intervention == job.id).count()
    assert count == 2  # the video and the one good still: nothing stored for the refusals


def test_another_technicians_video_is_not_reachable(demo_db, tmp_path):
    who = as_user("tech1")
    clip, store = _imported(tmp_path, who, a_job(who))
    with pytest.raises(Exception) as err:
        video_service.still_at(clip.id, 0, as_user("tech2"), store=store)
    assert "another technician" in str(err.value)


# --- notes ----------------------------------------------------------------------------------


def test_notes_are_kept_sorted_and_bounded_by_the_shared_rule(demo_db, tmp_path):
    who = as_user("tech1")
    clip, _ = _imported(tmp_path, who, a_job(who))
    video_service.add_note(clip.id, who, 2500, "  Raccord qui fuit ")
    row = video_service.add_note(clip.id, who, 500, "Vanne fermée")
    assert row.video_notes == [
        {"t_ms": 500, "text": "Vanne fermée"}, {"t_ms": 2500, "text": "Raccord qui fuit"},
    ]  # fmt: skip
    assert Attachment.get_by_id(clip.id).video_notes == row.video_notes
    for bad, key in [
        ({"t_ms": 9000, "text": "après la fin"}, "error.video.note_time"),
        ({"t_ms": 100, "text": ""}, "error.video.note_text"),
        ({"t_ms": 100, "text": "x" * 201}, "error.video.note_text"),
        ({"t_ms": 1.5, "text": "pas entier"}, "error.video.note_time"),
        ({"t_ms": 100, "text": "ok", "extra": 1}, "error.video.malformed"),
    ]:
        with pytest.raises(rules.VideoNoteError) as err:
            video_service.set_notes(clip.id, who, [bad])
        assert err.value.key == key, bad
    with pytest.raises(rules.VideoNoteError) as err:
        video_service.set_notes(clip.id, who, [{"t_ms": i, "text": "n"} for i in range(51)])
    assert err.value.key == "error.video.too_many_notes"
    assert video_service.remove_note(clip.id, who, 0).video_notes == [
        {"t_ms": 2500, "text": "Raccord qui fuit"}
    ]
    assert video_service.set_notes(clip.id, who, []).video_notes is None


def test_notes_freeze_with_the_intervention(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, _ = _imported(tmp_path, who, job)
    job.status = InterventionStatus.SIGNED
    job.save()
    with pytest.raises(ValidationError) as err:
        video_service.add_note(clip.id, who, 100, "trop tard")
    assert err.value.key == "error.intervention.locked"


# --- the annotated clip ---------------------------------------------------------------------


def _run(runner: JobRunner, fn, *args, **kwargs):
    job = runner.submit(fn, *args, **kwargs)
    with contextlib.suppress(Exception):  # the job's state and error are asserted
        job.future.result(timeout=120)
    return job


def test_the_clip_has_its_frames_from_the_start_with_the_drawing_burned_in(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, store = _imported(tmp_path, who, job, frames=80, fps=20.0)  # 4 s
    still = video_service.still_at(clip.id, 1000, who, store=store)
    media_service.annotate(still.id, who, ARROW)
    runner = JobRunner(max_workers=1)
    seen = []
    try:
        done = runner.submit(
            video_service.export_clip, clip.id, who, store=store, start_ms=1000,
            still_id=still.id, seconds=2,
        )  # fmt: skip
        done.subscribe(lambda j: seen.append(j.progress))
        made = done.future.result(timeout=120)
    finally:
        runner.shutdown()
    assert done.state == JobState.DONE
    assert made.kind == MediaKind.VIDEO and made.caption == "Extrait annoté"
    assert (made.phase, made.source_attachment_id, made.source_time_ms) == ("after", clip.id, 1000)
    assert made.mime_type == "video/webm" and made.duration_s == 2.0
    assert store.locate(made.blob_sha256).read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: WebM
    assert (made.width, made.height) == (320, 240)
    assert [p for p in seen if p is not None] == sorted(p for p in seen if p is not None)
    written = read_frames(store.locate(made.blob_sha256))
    assert [frame_index(f) for f in written] == list(range(20, 60))  # 2 s from 1 s, each once
    x, y = RED_EDGE
    for frame in (written[0], written[-1]):
        b, g, r = frame[round(y * 240), round(x * 320)]
        assert r > 180 and g < 90 and b < 90  # the drawing, burned in (BGR)
        assert abs(int(frame[200, 300].mean()) - 128) < 12  # the rest untouched (grey)
    with Image.open(store.locate(made.thumb_sha256)) as thumb:
        assert thumb.size == (320, 240)
        assert frame_index(thumb.convert("RGB")) in range(39, 42)  # the clip's middle frame
    # the clip is one more media of the intervention, a video like the others
    listed = media_service.for_intervention(job.id, who)
    assert made.id in [a.id for a in listed]


def test_a_clip_stops_at_the_end_and_never_exceeds_the_hard_maximum(demo_db, tmp_path, monkeypatch):
    who = as_user("tech1")
    clip, store = _imported(tmp_path, who, a_job(who), frames=60, fps=20.0)  # 3 s
    runner = JobRunner(max_workers=1)
    try:
        done = _run(runner, video_service.export_clip, clip.id, who, store=store, start_ms=2000)
        assert done.state == JobState.DONE
        assert [frame_index(f) for f in read_frames(store.locate(done.result.blob_sha256))] == (
            list(range(40, 60))
        )  # 1 s left of the video, not the 10 s asked for
    finally:
        runner.shutdown()
    monkeypatch.setenv(video_service.CLIP_SECONDS_ENV, "600")
    assert video_service.clip_seconds() == frames.MAX_CLIP_S == 30
    monkeypatch.setenv(video_service.CLIP_SECONDS_ENV, "dix")
    assert video_service.clip_seconds() == 10
    monkeypatch.delenv(video_service.CLIP_SECONDS_ENV)
    assert video_service.clip_seconds() == 10


def test_a_clip_starting_past_the_end_is_refused_and_stores_nothing(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, store = _imported(tmp_path, who, job)  # 3 s
    runner = JobRunner(max_workers=1)
    try:
        done = _run(runner, video_service.export_clip, clip.id, who, store=store, start_ms=3000)
    finally:
        runner.shutdown()
    assert done.state == JobState.FAILED
    assert isinstance(done.error, frames.ClipRangeError)
    assert done.error.key == "error.video.clip_start" and done.error.params["duration"] == "3.0"
    assert Attachment.select().where(Attachment.intervention == job.id).count() == 1


def test_a_cancelled_clip_stores_nothing_and_leaves_no_file(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    clip, store = _imported(tmp_path, who, job, frames=200, fps=20.0)
    blobs_before = {p for p in (tmp_path / "blobs").rglob("*") if p.is_file()}
    runner = JobRunner(max_workers=1)
    try:
        started = runner.submit(
            video_service.export_clip, clip.id, who, store=store, start_ms=0, seconds=9
        )
        started.subscribe(lambda j: j.cancel() if (j.progress or 0) > 0.2 else None)
        with pytest.raises(JobCancelledError):
            started.future.result(timeout=120)
    finally:
        runner.shutdown()
    assert started.state == JobState.CANCELLED
    assert Attachment.select().where(Attachment.intervention == job.id).count() == 1
    assert {p for p in (tmp_path / "blobs").rglob("*") if p.is_file()} == blobs_before


def test_the_overlay_is_the_layer_drawn_once_with_its_alpha():
    rgba = frames.overlay_for(ARROW, (320, 240))
    assert rgba.shape == (240, 320, 4)
    x, y = RED_EDGE
    assert tuple(rgba[round(y * 240), round(x * 320)]) == (0x35, 0x39, 0xE5, 255)  # BGR, A
    assert rgba[20, 20, 3] == 0 and rgba[120, 160, 3] == 0  # outside and inside the box
    assert frames.overlay_for({"version": 1, "shapes": []}, (10, 10)) is None
    frame = np.full((240, 320, 3), 128, np.uint8)
    frames._Burn.of(rgba).into(frame)
    assert tuple(frame[round(y * 240), round(x * 320)]) == (0x35, 0x39, 0xE5)
    assert tuple(frame[120, 160]) == (128, 128, 128)
