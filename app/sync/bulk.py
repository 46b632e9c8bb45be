"""First sync into an empty device: load without secondary indexes, then build them once.

Maintaining ~130 secondary indexes row by row costs more than the inserts themselves; SQLite
builds an index from scratch much faster. Unique indexes stay (they enforce rules). The SQL
of the dropped indexes is saved in the same transaction as the drop, so a first sync killed
halfway gets its indexes back when the device database is opened again
(``app.sync.store.open_device_db`` runs ``restore_indexes``, which lives there for that reason).

During that load the sync connection also skips the fsyncs (``PRAGMA synchronous = OFF``,
``loading``): with WAL, a committed page is then safe when the app is killed or crashes (it is
in the operating system's cache), and only an operating-system crash or a power cut could lose
or damage it — before the device holds anything but a copy of head office's rows. The end of
the load puts back the usual setting and checkpoints the WAL with it, so from then on the
database is as durable as always (docs/performance.md, "First sync").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from app.models import db
from app.models.database import SQLITE_PRAGMAS
from app.sync.schema import TABLES
from app.sync.store import DROPPED, get_state, restore_indexes, set_state

__all__ = ["device_is_empty", "drop_secondary_indexes", "loading", "restore_indexes"]
log = logging.getLogger(__name__)


def device_is_empty() -> bool:
    return not any(
        db.execute_sql(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
        for table in ("parts", "interventions", "checklist_answers", "users")
    )


def drop_secondary_indexes() -> int:
    """Drop the non-unique indexes of the synced tables; returns how many."""
    placeholders = ", ".join("?" for _ in TABLES)
    rows = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({placeholders})",
        TABLES,
    ).fetchall()
    with db.atomic():
        set_state(DROPPED, [sql for _, sql in rows] + (get_state(DROPPED) or []))
        for name, _ in rows:
            db.execute_sql(f'DROP INDEX "{name}"')
    return len(rows)


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """The first sync's load: secondary indexes dropped and no fsync on this connection
    inside; on the way out (also on failure) the indexes are built, the usual ``synchronous``
    is put back and the WAL is checkpointed under it (then the load is on disk)."""
    drop_secondary_indexes()
    db.execute_sql("PRAGMA synchronous = OFF")
    try:
        yield
    finally:
        try:
            restore_indexes()
        finally:
            db.execute_sql(f"PRAGMA synchronous = {SQLITE_PRAGMAS['synchronous']}")
            db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
