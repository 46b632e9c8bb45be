"""The global version counter (sync rule 2).

``take_version()`` increments the counter row inside the caller's transaction. The row lock it
takes is held until that transaction ends, so transactions commit in version order: when a
reader sees counter value *n*, every version <= *n* is committed.
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
    """Take the counter row's lock now, before any other row lock (PostgreSQL; SQLite's
    write transaction already holds the whole file).

    A push locks the rows it changes and the counter (``take_version``): taking the counter
    first gives every writer the same lock order, so two pushes touching the same rows in a
    different order wait for each other instead of deadlocking (which failed one of them with
    a 500), and a batch retried while its first copy is still running waits for it and gets
    its stored answer."""
    if getattr(db.obj, "for_update", False):
        sql = f"SELECT value FROM sync_counters WHERE name = {db.param} FOR UPDATE"
        db.execute_sql(sql, (VERSION,))


def take_version() -> int:
    """Allocate the next version; call inside the writing transaction."""
    return _increment(1)


class VersionBlock:
    """The versions of one push, handed out in memory and taken from the counter in one
    statement when the push ends (``close``). Only under the counter's lock (``lock_versions``
    at the start of the push; SQLite's write transaction): nobody else can move the counter
    until the push commits, so the versions it hands out are the counter's next ones."""

    def __init__(self) -> None:
        self.first = committed_version() + 1
        self.used = 0

    @property
    def next(self) -> int:
        """The version the next written row gets (``take`` marks it used)."""
        return self.first + self.used

    def take(self, n: int) -> None:
        self.used += n

    def close(self) -> None:
        """Move the counter past every version handed out (before the commit)."""
        if not self.used:
            return
        last = _increment(self.used)
        if last != self.first + self.used - 1:  # the lock did not hold: never commit that
            raise RuntimeError(f"the version counter moved during a push ({last})")


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
