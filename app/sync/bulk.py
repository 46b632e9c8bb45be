"""First sync into an empty device: load without secondary indexes, then build them once.

Maintaining ~180 secondary indexes row by row costs more than the inserts themselves; SQLite
builds an index from scratch much faster. Unique indexes stay (they enforce rules). The SQL
of the dropped indexes is saved in the same transaction as the drop, so a first sync killed
halfway gets its indexes back when the device database is opened again
(``app.sync.store.open_device_db`` runs ``restore_indexes``, which lives there for that reason).
"""

from __future__ import annotations

import logging

from app.models import db
from app.sync.schema import TABLES
from app.sync.store import DROPPED, get_state, restore_indexes, set_state

__all__ = ["device_is_empty", "drop_secondary_indexes", "restore_indexes"]
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
