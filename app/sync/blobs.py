"""Blob upload, the step before push (sync rule 8; docs/sync-protocol.md, "Device sync cycle").

Every pending (outbox) row of ``attachments``, ``signatures`` and ``report_versions`` that
references a blob gets that blob uploaded first, when head office does not have it yet, so
head office never holds a row whose file it cannot serve. Each blob is checked once per cycle
(``has_blob``), whatever the number of rows referencing it. Large files go up in chunks that
resume from head office's offset after a dropped connection (``HttpTransport.put_blob``).

A blob missing from this device's store (or refused by head office: damaged, too large)
holds its rows back: they stay in the outbox, unsent, and the cycle goes on with the others;
the report carries them (``BlobOutcome.held``) and ``BlobMissingError`` says what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain import policy
from app.errors import RemoteError, SyncError
from app.media.blob_store import BlobStore, default_blob_dir  # noqa: F401  (re-exported)
from app.models import db
from app.sync.remote import Transport

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
    refs: list[tuple[str, str, str]] = []
    for table, column in policy.blob_columns():  # the tables whose rows reference blobs
        cursor = db.execute_sql(
            f'SELECT t.id, t."{column}" FROM sync_outbox o JOIN "{table}" t ON t.id = o.row_id '
            f'WHERE o.table_name = ? AND t."{column}" IS NOT NULL AND t."{column}" != \'\' '
            "AND NOT t.deleted ORDER BY t.id",
            (table,),
        )
        refs.extend((table, row_id, sha) for row_id, sha in cursor.fetchall())
    return refs


def upload_blobs(
    transport: Transport,
    store: BlobStore | None,
    *,
    on_blob: Callable[[BlobOutcome], None] | None = None,
) -> BlobOutcome:
    """Upload the blobs of pending rows that head office lacks; see the module docstring."""
    outcome = BlobOutcome()
    by_sha: dict[str, list[tuple[str, str]]] = {}
    for table, row_id, sha256 in pending_blob_refs():
        by_sha.setdefault(sha256.lower(), []).append((table, row_id))
    for sha256, rows in by_sha.items():
        outcome.checked += 1
        if transport.has_blob(sha256):
            outcome.present += 1
            continue
        path = store.locate(sha256) if store is not None else None
        if path is None:
            log.warning("blob %s missing on this device: %d row(s) held back", sha256, len(rows))
            outcome.held.extend(HeldRow(t, i, sha256, MISSING) for t, i in rows)
            continue
        try:
            transport.put_blob(sha256, path)
        except RemoteError as exc:
            if exc.status not in (413, 422):  # anything but "this file is refused": stop
                raise
            log.warning("head office refused blob %s (%s): rows held back", sha256, exc.code)
            outcome.held.extend(HeldRow(t, i, sha256, exc.code or MISSING) for t, i in rows)
            continue
        outcome.sent += 1
        outcome.bytes_sent += path.stat().st_size
        if on_blob is not None:
            on_blob(outcome)
    return outcome
