"""Background sync: an APScheduler job every ``interval`` seconds, plus "sync now".

The job runs on the scheduler's thread pool, never on the UI loop, with ``max_instances=1``
and ``coalesce=True`` (a late or repeated trigger runs once); the engine's lock guards
against any other caller. Each run opens its own connection (``connection_context``) and
reports to the observable ``SyncStatus``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from peewee import Database

from app.sync.engine import SyncReport, is_running, synchronize
from app.sync.remote import Transport
from app.sync.state import SyncProgress, SyncStatus
from app.sync.tracking import pending_count
from app.sync.uploads import UploadBoard

log = logging.getLogger(__name__)
JOB_ID = "sync"
DEFAULT_INTERVAL = 60


class SyncScheduler:
    """Runs ``synchronize`` in the background. ``transport_factory`` returns the transport
    to use (None when nobody is signed in: the run is skipped)."""

    def __init__(
        self,
        database: Database,
        transport_factory: Callable[[], Transport | None],
        status: SyncStatus | None = None,
        *,
        interval: float = DEFAULT_INTERVAL,
        uploads: UploadBoard | None = None,
    ) -> None:
        self.database = database
        self.uploads = uploads  # each file's upload state (app.sync.uploads)
        self.transport_factory = transport_factory
        self.status = status or SyncStatus()
        self.interval = interval
        self._scheduler = BackgroundScheduler(daemon=True)

    def start(self, *, run_now: bool = True) -> None:
        self._scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self.interval,
            id=JOB_ID,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now().astimezone() if run_now else None,
        )
        self._scheduler.start()

    def sync_now(self) -> None:
        """Run the sync job as soon as possible (returns at once)."""
        self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now().astimezone())

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    def refresh_pending(self) -> None:
        """Recount the outbox (the UI may call it after a save)."""
        with self.database.connection_context():
            self.status.set_pending(pending_count())

    def run_once(self) -> SyncReport | None:
        """One sync run on the calling thread, reporting to ``status``. Never raises."""
        transport = self.transport_factory()
        if transport is None:
            log.info("not signed in: sync skipped")
            return None
        if is_running():  # another run holds the sync lock: do not disturb its status
            self.status.skipped()
            return None
        with self.database.connection_context():
            self.status.started()
            try:
                report = synchronize(transport, progress=self._progress, uploads=self.uploads)
            except Exception as exc:
                log.warning("sync failed: %s", exc, exc_info=not hasattr(exc, "hint"))
                self.status.failed(exc, pending=pending_count())
                return None
            if report.skipped:
                self.status.skipped()
            else:
                self.status.succeeded(
                    report.finished_at, pending=pending_count(), warning=report.held_back
                )
            return report

    def _progress(self, report: SyncReport) -> None:
        progress = SyncProgress(
            pages_pulled=report.pull.pages,
            rows_applied=report.pull.rows,
            rows_pushed=report.push.rows,
            blobs_sent=report.blobs.sent,
        )
        self.status.advanced(report.step, progress)
