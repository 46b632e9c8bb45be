"""Observable per-file upload state of the blob step (sync rule 8), for the media grid and the
sync screen. No Flet here.

One ``UploadBoard`` per device (the session service owns it, the sync engine changes it). Each
file a pending row needs sent is a ``FileUpload``: waiting, uploading (bytes sent of its
size), sent (head office holds it), or failed with the error (no network, refused by head
office, missing on this device). The board is changed only through its methods, from the
sync's thread; listeners are called on that thread (a UI listener hands the update to its
own loop). A failed file is tried again by the next sync ("Réessayer" asks for one at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from app.observable import Observable


class FileState(StrEnum):
    WAITING = "waiting"
    UPLOADING = "uploading"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class FileUpload:
    sha256: str
    column: str  # what the file is to its row: thumb_sha256, blob_sha256, original_sha256...
    rows: tuple[tuple[str, str], ...]  # (table, row id) of the pending rows that reference it
    size: int = 0  # bytes (0: not on this device)
    state: FileState = FileState.WAITING
    sent_bytes: int = 0
    error: Exception | None = None  # why it failed (translated by the UI)

    @property
    def percent(self) -> int:
        if self.state == FileState.SENT:
            return 100
        if not self.size:
            return 0
        return min(100, int(100 * self.sent_bytes / self.size))


@dataclass(eq=False)
class UploadBoard(Observable):
    files: dict[str, FileUpload] = field(default_factory=dict)

    def _describe(self) -> str:
        return "upload board"

    def _update(self, sha256: str, **changes) -> None:
        with self._guard:
            current = self.files.get(sha256)
            if current is None:
                return
            self.files[sha256] = replace(current, **changes)
        self._changed()

    # --- reading --------------------------------------------------------------------------

    def snapshot(self) -> list[FileUpload]:
        """Every file, in upload order (thumbnails first)."""
        with self._guard:
            return list(self.files.values())

    def get(self, sha256: str) -> FileUpload | None:
        with self._guard:
            return self.files.get(sha256)

    def for_row(self, table: str, row_id: str) -> list[FileUpload]:
        key = (table, row_id)
        with self._guard:
            return [f for f in self.files.values() if key in f.rows]

    # --- changes (the sync engine) --------------------------------------------------------

    def plan(self, files: Iterable[FileUpload]) -> None:
        """The files pending rows need sent, at the start of a blob step. A file failed or
        sent earlier keeps that state until it is tried again; files no longer needed go,
        except those sent in this session (the grid shows them sent)."""
        with self._guard:
            planned: dict[str, FileUpload] = {}
            for new in files:
                old = self.files.get(new.sha256)
                if old is not None and old.state in (FileState.FAILED, FileState.SENT):
                    new = replace(new, state=old.state, error=old.error,
                                  sent_bytes=old.sent_bytes)  # fmt: skip
                planned[new.sha256] = new
            for sha256, old in self.files.items():
                if sha256 not in planned and old.state == FileState.SENT:
                    planned[sha256] = old
            self.files = planned
        self._changed()

    def uploading(self, sha256: str, sent_bytes: int = 0, size: int | None = None) -> None:
        changes = {"state": FileState.UPLOADING, "sent_bytes": sent_bytes, "error": None}
        if size is not None:
            changes["size"] = size
        self._update(sha256, **changes)

    def sent(self, sha256: str) -> None:
        current = self.get(sha256)
        size = current.size if current is not None else 0
        self._update(sha256, state=FileState.SENT, sent_bytes=size, error=None)

    def failed(self, sha256: str, error: Exception) -> None:
        self._update(sha256, state=FileState.FAILED, error=error)

    def retry(self, sha256: str) -> bool:
        """ "Réessayer": the failed file waits for the next sync; False if it was not failed."""
        current = self.get(sha256)
        if current is None or current.state != FileState.FAILED:
            return False
        self._update(sha256, state=FileState.WAITING, error=None, sent_bytes=0)
        return True

    def interrupted(self, error: Exception) -> None:
        """The cycle stopped (no network...): a file being uploaded failed with ``error``."""
        with self._guard:
            busy = [f.sha256 for f in self.files.values() if f.state == FileState.UPLOADING]
        for sha256 in busy:
            self.failed(sha256, error)
