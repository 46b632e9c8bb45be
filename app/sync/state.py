"""Observable sync status for the UI (no Flet here): what is pending, running, done, failed.

The scheduler changes it through its methods from its background thread; listeners are
called on that thread, so a UI listener must hand the update to its own loop (e.g. Flet's
``page.update()`` is safe to call from another thread).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from app.errors import AuthError, TerrainError, TransportError
from app.models import utcnow
from app.observable import Observable


@dataclass
class SyncProgress:
    pages_pulled: int = 0
    rows_applied: int = 0
    rows_pushed: int = 0
    blobs_sent: int = 0


@dataclass
class SyncStatus(Observable):
    pending: int = 0  # outbox rows not yet acknowledged
    running: bool = False
    online: bool | None = None  # None: not tried yet
    signed_in: bool = True
    last_success_at: datetime | None = None
    # User-facing text of the last failure; None after a success, unless rows were held back
    # (a success that left some rows unsent: their file is missing, ``app.sync.blobs``).
    last_error: str | None = None
    error: Exception | None = None  # the failure itself (for i18n: Translator.error(err))
    step: str = ""
    progress: SyncProgress = field(default_factory=SyncProgress)

    def _describe(self) -> str:
        return "sync status"

    # --- changes --------------------------------------------------------------------------

    def set_pending(self, count: int) -> None:
        if count != self.pending:
            self.pending = count
            self._changed()

    def started(self) -> None:
        self.running = True
        self.step = "start"
        self.progress = SyncProgress()
        self._changed()

    def advanced(self, step: str, progress: SyncProgress) -> None:
        self.step = step
        self.progress = replace(progress)
        self._changed()

    def succeeded(
        self,
        at: datetime | None = None,
        pending: int | None = None,
        warning: TerrainError | None = None,
    ) -> None:
        """The cycle ran to its end; ``warning``: what it had to leave unsent, if anything."""
        self.running = False
        self.online = True
        self.signed_in = True
        self.last_success_at = at or utcnow()
        self.last_error = user_text(warning) if warning is not None else None
        self.error = warning
        self.step = "done"
        if pending is not None:
            self.pending = pending
        self._changed()

    def failed(self, error: Exception, pending: int | None = None) -> None:
        self.running = False
        self.online = not isinstance(error, TransportError)
        if isinstance(error, AuthError):
            self.signed_in = False
        self.error = error
        self.last_error = user_text(error)
        self.step = "failed"
        if pending is not None:
            self.pending = pending
        self._changed()

    def skipped(self) -> None:
        """A run found another one in progress: nothing changes but listeners may refresh."""
        self._changed()


def user_text(error: Exception) -> str:
    """What went wrong and what to do, in one line each (English; the UI may translate)."""
    if isinstance(error, TerrainError):
        return f"{error.message} {error.hint}".strip()
    return (
        "Sync failed because of an unexpected problem. Your work is saved on this device; "
        "sync will try again. If it keeps failing, contact support."
    )
