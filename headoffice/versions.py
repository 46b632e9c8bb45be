"""The global version counter (sync rule 2).

``take_version()`` increments the counter row inside the caller's transaction. The row lock it
takes is held until that transaction ends, so transactions commit in version order: when a
reader sees counter value *n*, every version <= *n* is committed.
"""

from __future__ import annotations

from app.models import ALL_MODELS, db
from headoffice.models import SyncCounter

VERSION = "version"


def _increment(n: int) -> int:
    """Add ``n`` to the counter; returns the new value (the last version taken)."""
    sql = (
        f"UPDATE sync_counters SET value = value + {int(n)} WHERE name = {db.param} RETURNING value"
    )
    return int(db.execute_sql(sql, (VERSION,)).fetchone()[0])


def take_version() -> int:
    """Allocate the next version; call inside the writing transaction."""
    return _increment(1)


def committed_version() -> int:
    """The highest version whose transaction has committed (the pull high water)."""
    return SyncCounter.select(SyncCounter.value).where(SyncCounter.name == VERSION).scalar() or 0


def stamp_unversioned(batch: int = 1000) -> int:
    """Give a version to every row written outside a push (demo data, imports). Returns count."""
    stamped = 0
    with db.atomic():
        for model in ALL_MODELS:
            table = model._meta.table_name
            ids = [r[0] for r in model.select(model.id).where(model.sync_version == 0).tuples()]
            for start in range(0, len(ids), batch):
                chunk = ids[start : start + batch]
                first = _increment(len(chunk)) - len(chunk) + 1
                db.cursor().executemany(
                    f'UPDATE "{table}" SET sync_version = {db.param} WHERE id = {db.param}',
                    [(first + i, row_id) for i, row_id in enumerate(chunk)],
                )
                stamped += len(chunk)
    return stamped
