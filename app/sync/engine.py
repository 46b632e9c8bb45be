"""``synchronize(transport)``: one sync cycle (docs/sync-protocol.md, "Device sync cycle").

Under the sync lock: blobs (upload the files of pending attachments, signatures and report
versions that head office lacks; rows whose file is missing are held back, ``app.sync.blobs``)
-> push (a batch left by an interrupted cycle first, then the outbox in batches, without the
held rows; each answer is recorded and marked synced right away) -> pull pages until
``has_more`` is false, each applied with its cursor in one transaction. Push runs before
pull so evictions never drop unsent work and the pull brings the merged server state.

One sync at a time (rule 7): a call made while another is running does not wait and does not
sync; it returns a report with ``skipped=True`` (the scheduler and "sync now" just drop the
extra run). Any failure stops the cycle and propagates (``app.errors`` types); what was
committed stays committed and the next cycle resumes from there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.media.blob_store import BlobStore
from app.models import utcnow
from app.sync.blobs import BlobMissingError, BlobOutcome, default_blob_dir, held_error, upload_blobs
from app.sync.cursor import DEFAULT_PULL_LIMIT
from app.sync.pull import PullOutcome, pull_changes
from app.sync.push import PushOutcome, push_changes
from app.sync.push_request import PUSH_BATCH_ROWS
from app.sync.remote import Transport
from app.sync.store import ensure_device_id, set_state
from app.sync.uploads import UploadBoard

log = logging.getLogger(__name__)
LAST_SUCCESS = "last_success_at"

_lock = threading.Lock()


@dataclass
class SyncReport:
    skipped: bool = False  # another sync was running: nothing done
    started_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    step: str = ""  # "blobs", "push", "pull" or "done"
    blobs: BlobOutcome = field(default_factory=BlobOutcome)
    push: PushOutcome = field(default_factory=PushOutcome)
    pull: PullOutcome = field(default_factory=PullOutcome)

    @property
    def blobs_sent(self) -> int:
        return self.blobs.sent

    @property
    def held_back(self) -> BlobMissingError | None:
        """Rows not sent because their file could not be uploaded (they stay pending)."""
        return held_error(self.blobs)

    @property
    def rows_pushed(self) -> int:
        return self.push.rows

    @property
    def rows_applied(self) -> int:
        return self.pull.rows

    @property
    def pages_pulled(self) -> int:
        return self.pull.pages


Progress = Callable[[SyncReport], None]


def is_running() -> bool:
    return _lock.locked()


def synchronize(
    transport: Transport,
    *,
    progress: Progress | None = None,
    pull_limit: int = DEFAULT_PULL_LIMIT,
    batch_rows: int = PUSH_BATCH_ROWS,
    blob_dir: Path | str | None = None,
    uploads: UploadBoard | None = None,
) -> SyncReport:
    """Run one sync cycle against ``transport``; see the module docstring.

    ``blob_dir``: the device's blob store (default: ``blobs`` next to the database file);
    ``uploads``: the board told each file's upload state (``app.sync.uploads``).
    """
    if not _lock.acquire(blocking=False):
        log.info("sync already running: this run is skipped")
        return SyncReport(skipped=True, finished_at=utcnow())
    try:
        root = Path(blob_dir) if blob_dir is not None else default_blob_dir()
        store = BlobStore(root) if root is not None else None
        return _cycle(transport, progress, pull_limit, batch_rows, store, uploads)
    finally:
        _lock.release()


def _cycle(
    transport: Transport,
    progress,
    pull_limit: int,
    batch_rows: int,
    store: BlobStore | None,
    uploads: UploadBoard | None,
) -> SyncReport:
    report = SyncReport()

    def notify(step: str, outcome: BlobOutcome | PushOutcome | PullOutcome | None = None) -> None:
        report.step = step
        if isinstance(outcome, BlobOutcome):
            report.blobs = outcome
        elif isinstance(outcome, PushOutcome):
            report.push = outcome
        elif isinstance(outcome, PullOutcome):
            report.pull = outcome
        if progress is not None:
            progress(report)

    device_id = ensure_device_id()
    notify("blobs")
    report.blobs = upload_blobs(
        transport, store, on_blob=lambda o: notify("blobs", o), board=uploads
    )
    notify("push")
    report.push = push_changes(
        transport,
        device_id,
        batch_rows=batch_rows,
        on_batch=lambda o: notify("push", o),
        hold=report.blobs.held_keys,
    )
    notify("pull")
    report.pull = pull_changes(transport, limit=pull_limit, on_page=lambda o: notify("pull", o))
    report.finished_at = utcnow()
    set_state(LAST_SUCCESS, report.finished_at.isoformat())
    notify("done")
    log.info(
        "sync done: %s blobs sent, %s rows pushed (%s held back), %s pages / %s rows pulled",
        report.blobs.sent, report.push.rows, len(report.blobs.held), report.pull.pages,
        report.pull.rows,
    )  # fmt: skip
    return report
