"""Blob upload, the step before push (sync rule 8; docs/sync-protocol.md, "Device sync cycle").

Every pending (outbox) row of ``attachments``, ``signatures`` and ``report_versions`` that
references a blob gets that blob uploaded first, when head office does not have it yet, so
head office never holds a row whose file it cannot serve. Each blob is checked once per cycle
(``has_blob``), whatever the number of rows referencing it. Large files go up in chunks that
resume from head office's offset after a dropped connection (``HttpTransport.put_blob``).

A blob missing from this device's store (or refused by head office: damaged, too large)
holds its rows back: they stay in the outbox, unsent, and the cycle goes on with the others;
the report carries them (``BlobOutcome.held``) and ``BlobMissingError`` says what to do.

Each file's state goes to the ``UploadBoard`` when one is given (``app.sync.uploads``: waiting,
uploading with its bytes sent, sent, failed with the error), and every file head office
says it holds is recorded in the device's ledger (``app.sync.blob_ledger.confirm``): only
those may later be deleted from this device.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain import policy
from app.errors import NotFoundError, RemoteError, SyncError
from app.media.blob_store import BlobStore, default_blob_dir  # noqa: F401  (re-exported)
from app.models import db
from app.sync import blob_ledger
from app.sync.remote import Transport
from app.sync.uploads import FileState, FileUpload, UploadBoard

log = logging.getLogger(__name__)

MISSING = "missing"  # HeldRow.reason: the file is not on this device


@dataclass(frozen=True)
class HeldRow:
    table: str
    id: str
    sha256: str
    reason: str  # MISSING, or head office's error code (hash_mismatch, payload_too_large)


@dataclass
class BlobOutcome:
    checked: int = 0  # distinct blobs referenced by pending rows
    sent: int = 0  # uploaded in this cycle
    present: int = 0  # already at head office (not sent)
    bytes_sent: int = 0
    held: list[HeldRow] = field(default_factory=list)

    @property
    def held_keys(self) -> set[tuple[str, str]]:
        return {(h.table, h.id) for h in self.held}


class BlobMissingError(SyncError):
    """Rows held back because their file could not be uploaded (the rest was synced)."""

    hint = (
        "They stay on this device, unsent: take the photo or signature again, or delete "
        "the item; sync sends the rest."
    )


def held_error(outcome: BlobOutcome) -> BlobMissingError | None:
    if not outcome.held:
        return None
    missing = sum(1 for h in outcome.held if h.reason == MISSING)
    refused = len(outcome.held) - missing
    parts = []
    if missing:
        parts.append(f"{missing} item(s) whose file is missing on this device")
    if refused:
        parts.append(f"{refused} item(s) whose file head office refused")
    return BlobMissingError(
        f"Not sent: {' and '.join(parts)}.",
        key="sync.blob_missing",
        held=len(outcome.held),
        missing=missing,
    )


def pending_blob_refs() -> list[tuple[str, str, str]]:
    """(table, row id, sha256) of pending, not deleted rows that reference a blob."""
    return [(table, row_id, sha) for table, _column, row_id, sha in pending_blob_columns()]


def pending_blob_columns() -> list[tuple[str, str, str, str]]:
    """(table, column, row id, sha256) of pending, not deleted rows that reference a blob, in
    upload order (the policy's columns: thumbnails before photos before originals)."""
    refs: list[tuple[str, str, str, str]] = []
    for table, column in policy.blob_columns():  # the tables whose rows reference blobs
        cursor = db.execute_sql(
            f'SELECT t.id, t."{column}" FROM sync_outbox o JOIN "{table}" t ON t.id = o.row_id '
            f'WHERE o.table_name = ? AND t."{column}" IS NOT NULL AND t."{column}" != \'\' '
            "AND NOT t.deleted ORDER BY t.id",
            (table,),
        )
        refs.extend((table, column, row_id, sha) for row_id, sha in cursor.fetchall())
    return refs


def planned_files(store: BlobStore | None) -> list[FileUpload]:
    """One waiting ``FileUpload`` per distinct file pending rows reference, in upload order."""
    files: dict[str, FileUpload] = {}
    for table, column, row_id, sha256 in pending_blob_columns():
        sha256 = sha256.lower()
        known = files.get(sha256)
        if known is not None:
            files[sha256] = FileUpload(sha256, known.column, (*known.rows, (table, row_id)),
                                       known.size)  # fmt: skip
            continue
        path = store.locate(sha256) if store is not None else None
        size = path.stat().st_size if path is not None else 0
        files[sha256] = FileUpload(sha256, column, ((table, row_id),), size)
    return list(files.values())


def upload_blobs(
    transport: Transport,
    store: BlobStore | None,
    *,
    on_blob: Callable[[BlobOutcome], None] | None = None,
    board: UploadBoard | None = None,
) -> BlobOutcome:
    """Upload the blobs of pending rows that head office lacks; see the module docstring."""
    outcome = BlobOutcome()
    board = board if board is not None else UploadBoard()
    planned = planned_files(store)
    board.plan(planned)
    for file in planned:
        sha256, rows = file.sha256, file.rows
        outcome.checked += 1
        try:
            _upload_one(transport, store, board, outcome, sha256, rows)
        except Exception as exc:  # the cycle stops here (no network...): say which file
            board.failed(sha256, exc)
            raise
        if on_blob is not None and board.get(sha256).state == FileState.SENT:
            on_blob(outcome)
    return outcome


def _upload_one(transport, store, board, outcome, sha256: str, rows) -> None:
    if transport.has_blob(sha256):
        outcome.present += 1
        blob_ledger.confirm([sha256])
        board.sent(sha256)
        return
    path = store.locate(sha256) if store is not None else None
    if path is None:
        log.warning("blob %s missing on this device: %d row(s) held back", sha256, len(rows))
        outcome.held.extend(HeldRow(t, i, sha256, MISSING) for t, i in rows)
        board.failed(sha256, NotFoundError(
            f"The file {sha256[:12]}… is missing on this device.", key="uploads.missing",
            hint="Take the photo again, or delete the item.",
        ))  # fmt: skip
        return
    size = path.stat().st_size
    board.uploading(sha256, 0, size)

    def progress(sent: int, total: int) -> None:
        board.uploading(sha256, sent, total)

    try:
        transport.put_blob(sha256, path, progress)
    except RemoteError as exc:
        if exc.status not in (413, 422):  # anything but "this file is refused": stop
            raise
        log.warning("head office refused blob %s (%s): rows held back", sha256, exc.code)
        outcome.held.extend(HeldRow(t, i, sha256, exc.code or MISSING) for t, i in rows)
        board.failed(sha256, exc)
        return
    blob_ledger.confirm([sha256])
    board.sent(sha256)
    outcome.sent += 1
    outcome.bytes_sent += size
