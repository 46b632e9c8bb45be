"""The blob step of the device sync cycle (rule 8) against a real head office on loopback.

Before pushing rows, the engine uploads the blob of every pending attachment / signature /
report version that head office lacks: deduplicated, resumable in chunks, and a row whose
file is missing on the device is held back (stays pending) while the others go. Each test
runs with head office's blobs in its local directory and in an S3-compatible bucket.
"""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import os
import shutil

import pytest
import requests
from server_support import blob_bytes, make_bucket
from sync_support import open_device, server_template  # noqa: F401

from app.media.blob_store import BlobStore
from app.models import Attachment, Intervention, Technician, db
from app.sync import tracking
from app.sync.engine import synchronize
from app.sync.scheduler import SyncScheduler
from app.sync.state import SyncStatus
from app.sync.store import SyncOutbox, ensure_device_id
from app.sync.transport import HttpTransport
from headoffice.models import Blob


class Recorder:
    """Wraps a transport's session: records requests; ``drop`` makes chosen ones fail."""

    def __init__(self, transport: HttpTransport) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.drop: dict[
            int, str
        ] = {}  # index of a PUT -> "before" (not sent) / "after" (answer lost)
        self._request = transport.session.request
        transport.session.request = self.request

    @property
    def puts(self) -> list[dict]:
        return [headers for method, _, headers in self.calls if method == "PUT"]

    def request(self, method, url, **kwargs):
        headers = dict(kwargs.get("headers") or {})
        mode = self.drop.pop(len(self.puts), None) if method == "PUT" else None
        if mode == "before":
            raise requests.ConnectionError("connection reset (test)")
        self.calls.append((method, url, headers))
        response = self._request(method, url, **kwargs)
        if mode == "after":
            raise requests.ConnectionError("connection reset after sending (test)")
        return response


@pytest.fixture
def device(tmp_path, server_template, make_server, blob_store, request):
    """tech1's device in ``<tmp>/device`` (blobs in its ``blobs`` folder), first sync done,
    against a live head office on loopback (its blobs in ``blob_store``)."""
    shutil.copy2(server_template, tmp_path / "headoffice.db")
    config = {}
    if blob_store == "s3":
        config["s3"] = make_bucket(request.getfixturevalue("s3_endpoint"))
    server = make_server(f"sqlite:///{tmp_path / 'headoffice.db'}", **config)
    (tmp_path / "device").mkdir()
    database = open_device(tmp_path / "device" / "terrain.db")
    tracking.install()
    transport = HttpTransport(server.base, backoff=0.01, blob_chunk=64 * 1024)
    user = transport.login("tech1", "demo", ensure_device_id())["user"]
    synchronize(transport)
    tech = Technician.get(Technician.user == user["id"])
    job = (
        Intervention.select()
        .where(
            (Intervention.technician == tech.id) & Intervention.status.in_(("planned", "assigned"))
        )
        .order_by(Intervention.scheduled_start)
        .first()
    )
    store = BlobStore(tmp_path / "device" / "blobs")
    yield server, transport, store, job, user, database
    transport.close()
    tracking.uninstall()
    database.close()
    db.initialize(None)


def attach(job, user, sha256: str, size: int) -> Attachment:
    return Attachment.create(
        intervention=job.id, kind="photo", phase="before", source="camera",
        blob_sha256=sha256, mime_type="image/jpeg", size_bytes=size, created_by=user["id"],
    )  # fmt: skip


def on_server(server, fn):
    with db.using(server.database):
        return fn()


def server_has_row(server, row_id: str) -> bool:
    return on_server(server, lambda: Attachment.get_or_none(Attachment.id == row_id) is not None)


def server_blob(server, sha256: str) -> bytes | None:
    if not on_server(server, lambda: Blob.get_or_none(Blob.sha256 == sha256)):
        return None
    return blob_bytes(server, sha256)


def test_blob_is_uploaded_before_its_row(device):
    server, transport, store, job, user, _ = device
    data = os.urandom(5000)
    sha = store.put_bytes(data)
    assert store.path_for(sha).read_bytes() == data
    row = attach(job, user, sha, len(data))
    seen = []
    report = synchronize(transport, progress=lambda r: seen.append((r.step, r.blobs_sent)))
    assert (report.blobs.sent, report.blobs.bytes_sent, report.push.applied) == (1, 5000, 1)
    assert report.held_back is None
    assert ("blobs", 1) in seen and seen.index(("blobs", 1)) < seen.index(("push", 1))
    assert server_blob(server, sha) == data
    assert server_has_row(server, row.id)
    assert SyncOutbox.select().count() == 0


def test_a_blob_head_office_has_is_not_sent_again(device):
    server, transport, store, job, user, _ = device
    there, new = os.urandom(4000), os.urandom(4000)
    there_sha, new_sha = store.put_bytes(there), store.put_bytes(new)
    transport.put_blob(there_sha, store.path_for(there_sha))  # e.g. sent by an earlier cycle
    rows = [attach(job, user, there_sha, 4000), attach(job, user, new_sha, 4000)]
    rows.append(attach(job, user, new_sha, 4000))  # the same photo twice: one upload
    recorder = Recorder(transport)
    report = synchronize(transport)
    assert (report.blobs.checked, report.blobs.present, report.blobs.sent) == (2, 1, 1)
    assert [h.get("Content-Range") for h in recorder.puts] == [None]
    assert [u for m, u, _ in recorder.calls if m == "PUT"] == [transport.api + f"/blobs/{new_sha}"]
    assert report.push.applied == 3 and all(server_has_row(server, r.id) for r in rows)
    assert server_blob(server, new_sha) == new


def test_a_large_blob_resumes_from_the_servers_offset(device):
    server, transport, store, job, user, _ = device
    chunk = transport.blob_chunk
    data = os.urandom(5 * chunk + 123)  # 6 chunks
    sha = store.put_bytes(data)
    row = attach(job, user, sha, len(data))
    recorder = Recorder(transport)
    recorder.drop = {1: "after", 3: "before"}  # chunk 2's answer is lost; chunk 4 never leaves
    report = synchronize(transport)
    assert report.blobs.sent == 1 and report.push.applied == 1
    ranges = [h["Content-Range"] for h in recorder.puts]
    starts = [int(r.split(" ")[1].split("-")[0]) for r in ranges]
    # Every chunk went up once: after the lost answer the device asked head office (HEAD) and
    # went on from its Upload-Offset instead of resending chunk 2 or starting again.
    assert starts == [i * chunk for i in range(6)]
    assert all(r.endswith(f"/{len(data)}") for r in ranges)
    heads = [m for m, _, _ in recorder.calls if m == "HEAD"]
    assert len(heads) == 2 + 2  # has_blob and the upload offset, then one per failure
    assert server_blob(server, sha) == data
    assert server_has_row(server, row.id)


def test_a_row_whose_file_is_missing_is_held_back(device):
    server, transport, store, job, user, database = device
    good = os.urandom(3000)
    kept = attach(job, user, store.put_bytes(good), 3000)
    lost_data = os.urandom(3000)
    lost_sha = store.put_bytes(lost_data)
    store.path_for(lost_sha).unlink()  # e.g. the photo was removed from the device
    lost = attach(job, user, lost_sha, 3000)
    status = SyncStatus()
    scheduler = SyncScheduler(database, lambda: transport, status)
    report = scheduler.run_once()
    assert report is not None and not report.skipped
    assert [(h.table, h.id, h.reason) for h in report.blobs.held] == [
        ("attachments", lost.id, "missing")
    ]
    assert report.blobs.sent == 1 and report.push.applied == 1
    assert server_has_row(server, kept.id) and not server_has_row(server, lost.id)
    assert [(o.table_name, o.row_id) for o in SyncOutbox.select()] == [("attachments", lost.id)]
    assert status.step == "done" and status.pending == 1 and status.progress.blobs_sent == 1
    assert "missing on this device" in status.last_error
    # Once the file is back, the next cycle sends the blob, then the row.
    store.put_bytes(lost_data)
    report = scheduler.run_once()
    assert report.blobs.sent == 1 and report.push.applied == 1 and not report.blobs.held
    assert server_has_row(server, lost.id) and status.last_error is None
    assert SyncOutbox.select().count() == 0
