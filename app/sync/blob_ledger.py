"""The device's ledger of its blobs (table ``media_blobs``, device only, never synced).

- ``confirm``: head office answered that it holds a file (the blob step's ``has_blob`` or a
  finished upload, a download from it). Only a confirmed file may ever be deleted from this
  device (freeing originals, evicting the download cache): nothing is lost.
- ``record_download``: a file came from head office on demand (another device's media): it
  belongs to the bounded download cache, evicted least recently shown first.
- ``touch``: files just shown (the cache's order).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.models import db, utcnow
from app.sync.store import MediaBlob

OWN = "own"
CACHE = "cache"
_BATCH = 500  # SQLite's bound parameters per statement stay well under its limit


def available() -> bool:
    """Whether this database keeps the ledger (a device's; not a bare domain database, where
    every read answers "nothing known" and writes are skipped: nothing is then deleted)."""
    return MediaBlob.table_exists()


def _batches(shas: Iterable[str]) -> Iterable[list[str]]:
    items = sorted({s for s in shas if s})
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def confirm(shas: Iterable[str]) -> None:
    """Head office holds these files (it said so just now)."""
    if not available():
        return
    now = utcnow()
    with db.atomic():
        for batch in _batches(shas):
            rows = [{"sha256": s, "origin": OWN, "confirmed_at": now} for s in batch]
            (
                MediaBlob.insert_many(rows)
                .on_conflict(
                    conflict_target=[MediaBlob.sha256], update={MediaBlob.confirmed_at: now}
                )
                .execute()
            )


def record_download(sha256: str) -> None:
    """``sha256`` was downloaded from head office: confirmed, in the cache, shown now."""
    if not available():
        return
    now = utcnow()
    (
        MediaBlob.insert(sha256=sha256, origin=CACHE, confirmed_at=now, accessed_at=now)
        .on_conflict(
            conflict_target=[MediaBlob.sha256],
            update={MediaBlob.confirmed_at: now, MediaBlob.accessed_at: now},
        )
        .execute()
    )


def touch(shas: Iterable[str]) -> None:
    """These cached files were shown now (own files are not in the cache: not recorded)."""
    if not available():
        return
    now = utcnow()
    for batch in _batches(shas):
        MediaBlob.update(accessed_at=now).where(
            MediaBlob.sha256.in_(batch) & (MediaBlob.origin == CACHE)
        ).execute()


def confirmed(shas: Iterable[str]) -> set[str]:
    """Those of ``shas`` head office confirmed holding."""
    found: set[str] = set()
    if not available():
        return found
    for batch in _batches(shas):
        query = MediaBlob.select(MediaBlob.sha256).where(
            MediaBlob.sha256.in_(batch) & MediaBlob.confirmed_at.is_null(False)
        )
        found.update(r.sha256 for r in query)
    return found


def cached() -> list[MediaBlob]:
    """The download cache's files, least recently shown first."""
    if not available():
        return []
    return list(
        MediaBlob.select()
        .where((MediaBlob.origin == CACHE) & MediaBlob.confirmed_at.is_null(False))
        .order_by(MediaBlob.accessed_at.asc(nulls="first"), MediaBlob.sha256)
    )


def forget(shas: Iterable[str]) -> None:
    """These cached files were evicted (downloaded again when needed)."""
    if not available():
        return
    for batch in _batches(shas):
        MediaBlob.delete().where(
            MediaBlob.sha256.in_(batch) & (MediaBlob.origin == CACHE)
        ).execute()
