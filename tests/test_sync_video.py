"""Sync schema 3 (videos): a still, a clip and a video's notes travel with their links through
a real head office on loopback (SQLite and PostgreSQL), blobs included; a schema-2 device is
served attachments without the new columns, and once upgraded gets the attachments table
whole with them (MUST 9), nothing else re-sent."""

# ruff: noqa: F811  (pytest fixtures imported from test_sync_rules)
from __future__ import annotations

import uuid
from datetime import datetime, time

from field_support import as_user
from test_sync_rules import new_device, on, rows_of, session_as  # noqa: F401
from video_support import counter_video, frame_index, read_frames

from app.jobs import Job, JobHandle
from app.media.blob_store import BlobStore, default_blob_dir
from app.models import Attachment, Intervention
from app.services import media_service, video_service
from app.sync import schema
from app.sync.schema import SCHEMA_HEADER

NEW = ("source_attachment_id", "source_time_ms", "video_notes")
LAYER = {"version": 1, "shapes": [
    {"kind": "rect", "from": [0.1, 0.6], "to": [0.5, 0.9], "color": "#e53935", "width": 0.03},
]}  # fmt: skip


def _open_job(who) -> str:
    return (
        Intervention.select(Intervention.id)
        .where(
            (Intervention.technician == who.technician_id)
            & Intervention.status.in_(["planned", "assigned"])
            & (Intervention.scheduled_start >= datetime.combine(datetime.now().date(), time.min))
        )
        .order_by(Intervention.scheduled_start.desc())
        .first()
        .id
    )


def test_schema_3_holds_the_new_columns_and_only_attachments_changed():
    history = schema.current()
    assert history.version >= 3
    assert not set(NEW) & set(history.columns(2)["attachments"])
    assert set(NEW) <= set(history.columns(3)["attachments"])
    assert history.changed_tables(2, 3) == {"attachments"}
    assert {t: c for t, c in history.columns(2).items() if t != "attachments"} == {
        t: c for t, c in history.columns(3).items() if t != "attachments"
    }


def test_a_still_a_clip_and_notes_travel_with_their_links(demo_server, new_device, tmp_path):
    tech1 = new_device(demo_server)
    with tech1.active():
        who = as_user("tech1")
        job = _open_job(who)
        store = BlobStore(default_blob_dir())
        path = counter_video(tmp_path / "pompe.mp4", frames=80, fps=20.0)  # 4 s
        [done] = media_service.import_files(job, [path], who, store=store, phase="before")
        video = done.attachment
        still = video_service.still_at(video.id, 1500, who, store=store)
        media_service.annotate(still.id, who, LAYER)
        video_service.add_note(video.id, who, 700, "Vanne fermée")
        handle = JobHandle(Job(id=1, name="clip"))  # the job's function, run here
        clip = video_service.export_clip(handle, video.id, who, store=store, start_ms=1000,
                                         still_id=still.id, seconds=2)  # fmt: skip
    report = tech1.sync()
    assert report.push.rejected == 0
    with tech1.active():
        assert (
            not Attachment.select()
            .where(Attachment.intervention == job)
            .where(Attachment.id.in_([video.id, still.id, clip.id]))
            .where(Attachment.sync_version == 0)
            .exists()
        )  # all three accepted and versioned

    with on(demo_server):
        stored = {a.id: a for a in Attachment.select().where(Attachment.intervention == job)}
        assert stored[still.id].source_attachment_id == video.id
        assert stored[still.id].source_time_ms == 1500
        assert stored[still.id].annotations["shapes"][0]["kind"] == "rect"
        assert stored[clip.id].source_attachment_id == video.id
        assert stored[clip.id].source_time_ms == 1000
        assert stored[clip.id].caption == "Extrait annoté"
        assert stored[video.id].video_notes == [{"t_ms": 700, "text": "Vanne fermée"}]
    server_blobs = BlobStore(demo_server.config.blob_dir)
    for row in (video, still, clip):
        assert server_blobs.has(row.blob_sha256) and server_blobs.has(row.thumb_sha256)
    frames = read_frames(server_blobs.locate(clip.blob_sha256))
    assert [frame_index(f) for f in frames] == list(range(20, 60))

    other = new_device(demo_server)  # tech1's second device: the rows arrive with their links
    with other.active():
        got = {a.id: a for a in Attachment.select().where(Attachment.intervention == job)}
        assert (got[still.id].source_attachment_id, got[still.id].source_time_ms) == (
            video.id, 1500,
        )  # fmt: skip
        assert got[video.id].video_notes == [{"t_ms": 700, "text": "Vanne fermée"}]
        made = [s.id for s in video_service.stills_of(video.id, as_user("tech1"))]
        assert made == [clip.id, still.id]  # by time: the clip starts at 1 s, the still 1.5 s


def test_a_schema_2_device_is_served_attachments_without_the_new_columns_then_upgraded(
    demo_server, new_device
):
    tech1 = demo_server.login("tech1")
    with on(demo_server):
        job = _open_job(as_user("tech1"))
    video_id = str(uuid.uuid4())
    body = {"batch_id": str(uuid.uuid4()), "device_id": tech1.device_id, "changes": {
        "attachments": [{"id": video_id, "fields": {
            "intervention_id": job, "kind": "video", "phase": "other", "source": "camera",
            "blob_sha256": "a" * 64, "mime_type": "video/mp4", "size_bytes": 10,
            "duration_s": 5.0, "video_notes": [{"t_ms": 100, "text": "Compteur"}],
        }}]}}  # fmt: skip
    pushed = tech1.post("/sync/push", json=body, headers={SCHEMA_HEADER: "3"})
    assert pushed.status_code == 200 and len(pushed.json()["applied"]) == 1, pushed.text

    old = rows_of(session_as(demo_server.login("tech1"), 2)[0])
    attachments = [r for (t, _), r in old.items() if t == "attachments"]
    assert attachments and all(not set(NEW) & set(r) for r in attachments)
    assert all("thumb_sha256" in r for r in attachments)  # schema 2's own columns travel
    new = rows_of(session_as(demo_server.login("tech1"), 3)[0])
    assert new[("attachments", video_id)]["video_notes"] == [{"t_ms": 100, "text": "Compteur"}]

    device = new_device(demo_server, first_sync=False)
    device.transport.inner.schema_version = 2  # the app before the upgrade
    assert device.sync().pull.full
    with device.active():
        assert Attachment.get_by_id(video_id).video_notes is None  # version 2 never carried it
        held = Attachment.select().count()
    device.transport.inner.schema_version = None  # the upgraded app speaks version 3
    report = device.sync()
    changed = {t for page in device.transport.pages[-report.pull.pages :] for t in page["changes"]}
    assert changed == {"attachments"} and report.pull.rows == held  # nothing else re-sent
    with device.active():
        assert Attachment.get_by_id(video_id).video_notes == [{"t_ms": 100, "text": "Compteur"}]
    again = device.sync()
    assert again.pull.rows == 0
