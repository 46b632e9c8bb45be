"""Schema migrations: an ordered list in code (a built app ships .pyc only, no files to glob).

Version 1 is the baseline schema. A new database is created from the current models and
stamped with the latest version; an older one runs every migration above its version, in
order, each in its own transaction. Each migration must work on SQLite and PostgreSQL
(use ``playhouse.migrate``), and the test suite checks that an upgraded database has the
same schema as a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from peewee import Database
from playhouse.migrate import SchemaMigrator, migrate


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database, SchemaMigrator], None]


def _baseline(database: Database, migrator: SchemaMigrator) -> None:
    raise AssertionError("version 1 is the baseline; it is created, never migrated to")


def _v2_schedule_indexes(database: Database, migrator: SchemaMigrator) -> None:
    """Indexes behind "my day" and the site/equipment history (see docs/performance.md)."""
    migrate(
        migrator.add_index("interventions", ("technician_id", "scheduled_start")),
        migrator.add_index("interventions", ("site_id", "scheduled_start")),
        migrator.add_index("interventions", ("equipment_id", "scheduled_start")),
    )


MIGRATIONS: list[Migration] = [
    Migration(1, "baseline schema", _baseline),
    Migration(2, "indexes for my day and history", _v2_schedule_indexes),
]

LATEST_VERSION = MIGRATIONS[-1].version
