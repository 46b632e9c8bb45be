"""The blob step of the device sync cycle (rule 8) against a real head office on loopback.

Before pushing rows, the engine uploads the blob of every pending attachment / signature /
report version that head office lacks: deduplicated, resumable in chunks, and a row whose
file is missing on the device is held back (stays pending) while the others go. Each file's
state (waiting, uploading n %, sent, failed with the reason) goes to the upload board; what
head office confirmed holding is recorded, and only that may leave the device (freeing
originals, the bounded cache of media downloaded from other devices). The head office
tests run with its blobs in its local directory and in an S3-compatible bucket.
"""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import os
import shutil
from datetime import timedelta

import pytest
import requests
import time_machine
from server_support import blob_bytes, make_bucket
from sync_support import open_device, server_template  # noqa: F401

from app.errors import TransportError
from app.media.blob_store import BlobStore
from app.models import Attachment, Intervention, Technician, db, utcnow
from app.services import media_service, storage_service
from app.sync import blob_ledger, tracking
from app.sync.engine import synchronize
from app.sync.scheduler import SyncScheduler
from app.sync.state import SyncStatus
from app.sync.store import MediaBlob, SyncOutbox, ensure_device_id
from app.sync.transport import HttpTransport
from app.sync.uploads import FileState, UploadBoard
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


# --- per-file state on the upload board (app.sync.uploads) ---------------------------------


class CutAfter(Recorder):
    """The network goes after ``cut_at`` PUTs: every later PUT fails before it leaves."""

    def __init__(self, transport: HttpTransport, cut_at: int) -> None:
        super().__init__(transport)
        self.cut_at = cut_at

    def request(self, method, url, **kwargs):
        if method == "PUT" and self.cut_at is not None and len(self.puts) >= self.cut_at:
            raise requests.ConnectionError("network gone (test)")
        return super().request(method, url, **kwargs)


def watch(board: UploadBoard) -> list[tuple[str, str, int]]:
    """Every (file, state, percent) the board showed, in order, without repeats."""
    seen: list[tuple[str, str, int]] = []

    def listener(b: UploadBoard) -> None:
        for f in b.snapshot():
            item = (f.sha256, str(f.state), f.percent)
            if item not in seen:
                seen.append(item)

    board.subscribe(listener)
    return seen


def attach_photo(job, user, store, *, thumb: bytes, photo: bytes, original: bytes | None = None):
    return Attachment.create(
        intervention=job.id, kind="photo", phase="before", source="camera",
        thumb_sha256=store.put_bytes(thumb), blob_sha256=store.put_bytes(photo),
        original_sha256=store.put_bytes(original) if original else None,
        mime_type="image/jpeg", size_bytes=len(photo), created_by=user["id"],
    )  # fmt: skip


def test_each_file_shows_waiting_then_its_progress_then_sent_thumbnails_first(device):
    _server, transport, store, job, user, _ = device
    chunk = transport.blob_chunk
    thumb, photo = os.urandom(3000), os.urandom(4 * chunk + 10)  # the photo goes in 5 chunks
    row = attach_photo(job, user, store, thumb=thumb, photo=photo)
    board = UploadBoard()
    seen = watch(board)
    report = synchronize(transport, uploads=board)
    assert report.blobs.sent == 2 and report.push.applied == 1
    thumb_sha, photo_sha = row.thumb_sha256, row.blob_sha256
    assert [f.sha256 for f in board.snapshot()] == [thumb_sha, photo_sha]
    assert all(f.state == FileState.SENT for f in board.snapshot())
    # the thumbnail was sent before the photo started
    assert seen.index((thumb_sha, "sent", 100)) < seen.index((photo_sha, "uploading", 0))
    photo_steps = [p for sha, state, p in seen if sha == photo_sha and state == "uploading"]
    # one step as each of the five chunks starts (from head office's offset)
    assert photo_steps == [100 * i * chunk // len(photo) for i in range(5)]
    assert (photo_sha, "waiting", 0) in seen
    assert [f.rows for f in board.snapshot()] == [(("attachments", row.id),)] * 2
    assert blob_ledger.confirmed([thumb_sha, photo_sha]) == {thumb_sha, photo_sha}


def test_an_upload_cut_half_way_fails_with_its_reason_and_resumes_where_it_stopped(device):
    server, transport, store, job, user, database = device
    chunk = transport.blob_chunk
    data = os.urandom(6 * chunk)
    row = attach(job, user, store.put_bytes(data), len(data))
    sha = row.blob_sha256
    board = UploadBoard()
    cut = CutAfter(transport, cut_at=3)  # three chunks reach head office, then no network
    scheduler = SyncScheduler(database, lambda: transport, SyncStatus(), uploads=board)
    assert scheduler.run_once() is None  # the cycle failed: nothing pushed
    failed = board.get(sha)
    assert failed.state == FileState.FAILED and isinstance(failed.error, TransportError)
    assert failed.percent == 50  # half of it went before the cut
    assert transport.upload_offset(sha) == 3 * chunk  # head office keeps the half it has
    assert not server_has_row(server, row.id) and server_blob(server, sha) is None
    assert scheduler.status.error is failed.error

    cut.cut_at = None  # the network is back; "Réessayer"
    assert board.retry(sha) and board.get(sha).state == FileState.WAITING
    assert not board.retry(sha)  # only a failed file is retried
    before = len(cut.puts)
    report = scheduler.run_once()
    assert report is not None and report.blobs.sent == 1 and report.push.applied == 1
    resumed = [h["Content-Range"] for h in cut.puts[before:]]
    assert resumed[0].startswith(f"bytes {3 * chunk}-")  # from head office's offset
    assert len(resumed) == 3  # only the missing half went up
    assert board.get(sha).state == FileState.SENT and board.get(sha).error is None
    assert server_blob(server, sha) == data and server_has_row(server, row.id)


def test_a_missing_or_refused_file_fails_with_its_reason_and_the_others_go(device):
    server, transport, store, job, user, _ = device
    good = attach(job, user, store.put_bytes(b"good photo" * 100), 1000)
    lost_sha = store.put_bytes(b"lost photo" * 100)
    store.path_for(lost_sha).unlink()
    lost = attach(job, user, lost_sha, 1000)
    damaged_sha = store.put_bytes(b"damaged photo" * 100)
    store.path_for(damaged_sha).write_bytes(b"other bytes under that name")
    damaged = attach(job, user, damaged_sha, 1000)
    board = UploadBoard()
    report = synchronize(transport, uploads=board)
    assert server_has_row(server, good.id) and report.push.applied == 1
    states = {f.rows[0][1]: f for f in board.snapshot()}
    assert states[good.id].state == FileState.SENT
    assert states[lost.id].state == FileState.FAILED
    assert states[lost.id].error.key == "uploads.missing"
    assert states[damaged.id].state == FileState.FAILED
    assert states[damaged.id].error.code == "hash_mismatch"
    assert not server_has_row(server, lost.id) and not server_has_row(server, damaged.id)
    # The next cycle tries them again by itself: still failed, still named.
    synchronize(transport, uploads=board)
    assert board.get(lost_sha).state == FileState.FAILED


# --- the device's storage against head office (app.services.storage_service) ---------------


def test_freeing_originals_deletes_only_those_head_office_holds(device):
    server, transport, store, job, user, _ = device
    sent = attach_photo(job, user, store, thumb=b"t1" * 500, photo=b"p1" * 5000,
                        original=os.urandom(20_000))  # fmt: skip
    synchronize(transport)
    unsent = attach_photo(job, user, store, thumb=b"t2" * 500, photo=b"p2" * 5000,
                          original=os.urandom(30_000))  # fmt: skip
    use = storage_service.usage(store)
    assert use.originals == storage_service.Use(50_000, 2)
    assert use.freeable == storage_service.Use(20_000, 1)  # only the one head office holds
    assert use.photos.files == 2 and use.thumbnails.files == 2

    freed = storage_service.free_originals(store)
    assert (freed.files, freed.bytes, freed.kept) == (1, 20_000, 1)
    assert not store.has(sent.original_sha256) and store.has(unsent.original_sha256)
    assert store.has(sent.blob_sha256) and store.has(sent.thumb_sha256)  # shown ones stay
    assert server_blob(server, sent.original_sha256) is not None  # still at head office
    # Nothing more to free until head office holds the second one.
    assert storage_service.free_originals(store, transport).files == 0
    assert store.has(unsent.original_sha256)


def test_freeing_asks_head_office_about_originals_not_confirmed_yet(device):
    _server, transport, store, job, user, _ = device
    row = attach_photo(job, user, store, thumb=b"t" * 900, photo=b"p" * 9000,
                       original=os.urandom(10_000))  # fmt: skip
    synchronize(transport)
    MediaBlob.delete().execute()  # e.g. sent before this device kept its ledger
    assert storage_service.usage(store).freeable.files == 0
    assert storage_service.free_originals(store).files == 0  # no confirmation: kept
    assert store.has(row.original_sha256)
    freed = storage_service.free_originals(store, transport)  # asks head office (HEAD)
    assert freed.files == 1 and not store.has(row.original_sha256)


def test_the_download_cache_evicts_least_recently_shown_and_never_own_unsent_files(device):
    _server, transport, store, job, user, _ = device
    own = attach_photo(job, user, store, thumb=b"own thumb" * 200, photo=b"own" * 3000)
    others = []
    for n in range(3):  # three media of another device, at head office only
        data = os.urandom(10_000 + n)
        sha = store.put_bytes(data)
        transport.put_blob(sha, store.path_for(sha))
        store.path_for(sha).unlink()
        others.append(sha)
    limit = 21_000  # room for two of them
    for sha in others[:2]:
        assert media_service.fetch(store, sha, transport)
    storage_service.shown([others[0]])  # the first one was shown again: the second is oldest
    with time_machine.travel(utcnow() + timedelta(seconds=5), tick=False):
        storage_service.shown([others[0]])
        assert media_service.fetch(store, others[2], transport)
        freed = storage_service.enforce_cache(store, limit=limit)
    assert freed.files == 1 and not store.has(others[1])
    assert store.has(others[0]) and store.has(others[2])
    assert store.has(own.blob_sha256) and store.has(own.thumb_sha256)  # own files: never
    assert storage_service.usage(store).cache.files == 2
    # An evicted file is downloaded again when shown.
    assert media_service.fetch(store, others[1], transport) and store.has(others[1])
