"""The global version counter (sync rule 2).

``take_version()`` and ``VersionBlock.close()`` increment the counter row inside the caller's
transaction. The row lock this takes is held until that transaction ends, so transactions
commit in version order: when a reader sees counter value *n*, every version <= *n* is
committed. A writer takes it last, right before its commit (docs/sync-protocol.md,
"Concurrent pushes"), so writers run in parallel and only their stamping and commit queue.
"""

from __future__ import annotations

from peewee import PostgresqlDatabase

from app.models import ALL_MODELS, db
from headoffice.models import SyncCounter

VERSION = "version"


def _increment(n: int) -> int:
    """Add ``n`` to the counter; returns the new value (the last version taken)."""
    sql = (
        f"UPDATE sync_counters SET value = value + {int(n)} WHERE name = {db.param} RETURNING value"
    )
    return int(db.execute_sql(sql, (VERSION,)).fetchone()[0])


def lock_versions() -> None:
    """Take the counter row's lock now (PostgreSQL; SQLite's write transaction already holds
    the whole file). Only for a writer that takes no other lock after it: the counter is the
    LAST lock a writing transaction takes (``VersionBlock.close``), so whoever holds it only
    stamps and commits, and never waits for a lock another writer holds."""
    if getattr(db.obj, "for_update", False):
        sql = f"SELECT value FROM sync_counters WHERE name = {db.param} FOR UPDATE"
        db.execute_sql(sql, (VERSION,))


def take_version() -> int:
    """Allocate the next version; call inside the writing transaction, after its other locks
    (the counter's lock is held until the transaction ends)."""
    return _increment(1)


class VersionBlock:
    """The versions of one push: provisional while it works, final right before it commits.

    The push writes its rows with provisional versions -1, -2, ... (``next``, ``take``), in
    the order it writes them, without touching the counter, so pushes run in parallel. At
    the end (``close``) it takes its n versions from the counter in one statement, which
    takes the counter's row lock (the last lock of the transaction), and the rows are
    stamped: provisional -k becomes ``base + k`` (``final``). The lock is held for the
    stamping and the commit only; transactions still commit in version order, so when a
    reader sees counter value *n*, every version <= *n* is committed (rule 2)."""

    def __init__(self) -> None:
        self.used = 0
        self.base: int | None = None

    @property
    def next(self) -> int:
        """The provisional version the next written row gets (``take`` marks it used)."""
        return -(self.used + 1)

    def take(self, n: int) -> None:
        self.used += n

    def close(self) -> int:
        """Take the versions from the counter; returns the base (final = base - provisional)."""
        if self.base is None:
            self.base = _increment(self.used) - self.used if self.used else 0
        return self.base

    def final(self, version: int) -> int:
        """The final version of a provisional one (a version >= 0 is already final)."""
        if version >= 0:
            return version
        assert self.base is not None, "close() first"
        return self.base - version


def stamp(table: str, ids: list[str], base: int, chunk: int = 500) -> None:
    """Give the rows of ``ids`` written with provisional versions their final ones."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        marks = ", ".join([db.param] * len(part))
        sql = (
            f'UPDATE "{table}" SET sync_version = {int(base)} - sync_version '
            f"WHERE sync_version < 0 AND id IN ({marks})"
        )
        db.execute_sql(sql, part)


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
    if stamped and isinstance(db.obj, PostgresqlDatabase):
        # after a bulk load the planner has no statistics and picks nested loops that make
        # a technician's pull take seconds: refresh them now rather than at autovacuum's pace
        db.execute_sql("ANALYZE")
    return stamped
