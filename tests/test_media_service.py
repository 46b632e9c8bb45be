"""Importing media into an intervention: a refused file stores nothing, the rest goes on; the
command line does the same from a device's data directory."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from field_support import a_job, as_user
from media_support import jpeg_with_orientation, png_bomb, video

from app.errors import PermissionDeniedError, ValidationError
from app.media.blob_store import BlobStore
from app.media.ingest import DecompressionBombError, NotMediaError
from app.models import Attachment, Intervention
from app.models.enums import InterventionStatus, MediaKind, MediaPhase, MediaSource
from app.services import media_service

ROOT = Path(__file__).resolve().parent.parent


def _files(tmp_path: Path) -> list[Path]:
    fake = tmp_path / "notes.jpg"
    fake.write_text("pas une photo")
    return [
        jpeg_with_orientation(tmp_path / "avant.jpg", 6),
        fake,
        png_bomb(tmp_path / "bomb.png"),
        video(tmp_path / "clip.avi"),
    ]


def _blob_files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


def test_a_selection_keeps_the_good_files_and_stores_nothing_of_the_refused(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    store = BlobStore(tmp_path / "blobs")
    seen = []
    results = media_service.import_files(
        job.id, _files(tmp_path), who, store=store, phase="before", source="camera",
        on_file=seen.append,
    )  # fmt: skip
    assert [r.name for r in results] == ["avant.jpg", "notes.jpg", "bomb.png", "clip.avi"]
    assert seen == results
    assert [r.ok for r in results] == [True, False, False, True]
    assert isinstance(results[1].error, NotMediaError)
    assert isinstance(results[2].error, DecompressionBombError)

    rows = Attachment.select().where(Attachment.intervention == job.id).order_by(Attachment.kind)
    assert [(a.kind, a.phase, a.source) for a in rows] == [
        (MediaKind.PHOTO, MediaPhase.BEFORE, MediaSource.CAMERA),
        (MediaKind.VIDEO, MediaPhase.BEFORE, MediaSource.CAMERA),
    ]
    photo, clip = rows
    assert (photo.width, photo.height) == (120, 80)  # turned upright
    assert photo.created_by_id == who.id and photo.mime_type == "image/jpeg"
    # exactly the blobs of the two accepted files: photo + thumbnail, video + thumbnail
    expected = {photo.blob_sha256, photo.thumb_sha256, clip.blob_sha256, clip.thumb_sha256}
    assert {p.name for p in _blob_files(tmp_path / "blobs")} >= expected
    assert len(_blob_files(tmp_path / "blobs")) == 4
    assert store.open(clip.blob_sha256).read() == (tmp_path / "clip.avi").read_bytes()
    assert clip.size_bytes == (tmp_path / "clip.avi").stat().st_size


def test_media_are_listed_by_phase_tagged_and_deleted_as_tombstones(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    store = BlobStore(tmp_path / "blobs")
    after = jpeg_with_orientation(tmp_path / "apres.jpg", 1)
    before = jpeg_with_orientation(tmp_path / "avant.jpg", 1)
    media_service.import_files(job.id, [after], who, store=store, phase="after")
    media_service.import_files(job.id, [before], who, store=store, phase="before")
    listed = media_service.for_intervention(job.id, who)
    assert [a.phase for a in listed] == ["before", "after"]
    media_service.update(listed[1].id, who, phase="other", caption="  Vanne remplacée ")
    assert Attachment.get_by_id(listed[1].id).caption == "Vanne remplacée"
    with pytest.raises(ValidationError):
        media_service.update(listed[1].id, who, phase="pendant")
    media_service.delete(listed[0].id, who)
    assert Attachment.get_by_id(listed[0].id).deleted
    assert [a.id for a in media_service.for_intervention(job.id, who)] == [listed[1].id]


def test_another_technicians_job_and_a_cancelled_job_take_no_media(demo_db, tmp_path):
    store = BlobStore(tmp_path / "blobs")
    photo = jpeg_with_orientation(tmp_path / "p.jpg", 1)
    job = a_job(as_user("tech1"))
    with pytest.raises(PermissionDeniedError):
        media_service.import_files(job.id, [photo], as_user("tech2"), store=store)
    Intervention.update(status=InterventionStatus.CANCELLED).where(
        Intervention.id == job.id
    ).execute()
    with pytest.raises(ValidationError) as caught:
        media_service.import_files(job.id, [photo], as_user("tech1"), store=store)
    assert caught.value.key == "error.media.cancelled"
    assert not (tmp_path / "blobs").exists() or not _blob_files(tmp_path / "blobs")
    assert not Attachment.select().where(Attachment.intervention == job.id).exists()


def test_a_signed_job_still_takes_photos_but_they_can_no_longer_be_retagged(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who, InterventionStatus.SIGNED)
    store = BlobStore(tmp_path / "blobs")
    [result] = media_service.import_files(
        job.id, [jpeg_with_orientation(tmp_path / "p.jpg", 1)], who, store=store
    )
    assert result.ok
    with pytest.raises(ValidationError):
        media_service.update(result.attachment.id, who, phase="after")


def test_import_media_command_adds_the_good_files_and_exits_1_for_a_refused_one(
    demo_template, tmp_path
):
    data = tmp_path / "device"
    data.mkdir()
    (data / "terrain.db").write_bytes(demo_template.read_bytes())
    with sqlite3.connect(data / "terrain.db") as conn:
        (ref,) = conn.execute(
            "SELECT reference FROM interventions "
            "WHERE technician_id IS NOT NULL AND status = 'assigned' LIMIT 1"
        ).fetchone()
    files = _files(tmp_path)
    done = subprocess.run(
        [sys.executable, "main.py", "import-media", "--data-dir", str(data),
         "--intervention", ref, "--phase", "after", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:4]] == ["ok", "refused", "refused", "ok"]
    assert "notes.jpg" in lines[1] and "bomb.png" in lines[2]
    assert lines[-1] == f"2 added, 2 refused, to {ref}"
    with sqlite3.connect(data / "terrain.db") as conn:
        rows = conn.execute(
            "SELECT a.id, a.phase, a.created_by_id, t.user_id FROM attachments a "
            "JOIN interventions i ON i.id = a.intervention_id "
            "JOIN technicians t ON t.id = i.technician_id WHERE i.reference = ?",
            (ref,),
        ).fetchall()
        outbox = {r[0] for r in conn.execute(
            "SELECT row_id FROM sync_outbox WHERE table_name = 'attachments'"
        )}  # fmt: skip
    assert len(rows) == 2 and all(phase == "after" for _, phase, _, _ in rows)
    assert all(author == user for _, _, author, user in rows)  # the job's technician
    assert outbox == {r[0] for r in rows}  # they go with the next sync


def test_import_media_command_names_an_unknown_reference(demo_template, tmp_path):
    data = tmp_path / "device"
    data.mkdir()
    (data / "terrain.db").write_bytes(demo_template.read_bytes())
    done = subprocess.run(
        [sys.executable, "main.py", "import-media", "--data-dir", str(data),
         "--intervention", "INT-0000-99999", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "INT-0000-99999" in done.stderr
    assert "Traceback" not in done.stderr


def test_media_of_another_device_are_fetched_on_demand_and_checked(demo_db, tmp_path):
    from app.errors import RemoteError

    remote = BlobStore(tmp_path / "headoffice")
    sha = remote.put_bytes(b"a thumbnail made on another device")
    local = BlobStore(tmp_path / "device")

    class Session:  # what media_service needs of the signed-in session: get_blob
        calls = 0
        damaged = False

        def get_blob(self, sha256, dest):
            self.calls += 1
            data = remote.open(sha256).read()
            if self.damaged:
                raise RemoteError("damaged", status=200, code="hash_mismatch")
            Path(dest).write_bytes(data)

    session = Session()
    assert not media_service.fetch(local, sha, None)  # no session: later
    assert media_service.fetch(local, sha, session) and local.has(sha)
    assert media_service.fetch(local, sha, session) and session.calls == 1  # kept, not again
    other = remote.put_bytes(b"another one")
    session.damaged = True
    assert not media_service.fetch(local, other, session) and not local.has(other)


def test_an_annotated_thumbnail_is_rendered_once_per_annotation_version(
    demo_db, tmp_path, monkeypatch
):
    from app.media import annotation

    who = as_user("tech1")
    job = a_job(who)
    store = BlobStore(tmp_path / "blobs")
    [result] = media_service.import_files(
        job.id, [jpeg_with_orientation(tmp_path / "avant.jpg", 1)], who, store=store
    )
    shape = {"kind": "arrow", "from": [0.1, 0.1], "to": [0.9, 0.9], "color": "#e53935"}
    arrow = {"shapes": [shape]}
    row = media_service.annotate(result.attachment.id, who, arrow)
    renders = []
    real_render = annotation.render
    monkeypatch.setattr(
        annotation, "render", lambda *a, **k: renders.append(1) or real_render(*a, **k)
    )

    def grid() -> bytes:
        rows = media_service.for_intervention(job.id, who)
        [picture] = media_service.grid_pictures(store, rows, None)
        return picture

    first = grid()
    assert len(renders) == 1 and first != store.open(row.thumb_sha256).read()  # drawn
    assert grid() == first and len(renders) == 1  # the second grid load renders nothing
    kept = list((tmp_path / "renders").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == first

    arrow["shapes"][0]["color"] = "#1e88e5"  # a new version of the drawing
    media_service.annotate(row.id, who, arrow)
    second = grid()
    assert len(renders) == 2 and second != first
    assert grid() == second and len(renders) == 2
    assert [p.read_bytes() for p in (tmp_path / "renders").iterdir()] == [second]  # old gone
