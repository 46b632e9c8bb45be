"""Schema migrations: ordered lists in code (a built app ships .pyc only, no files to glob).

A database holds one or more *schemas*: the domain model (every database), the device's sync
bookkeeping (devices) or head office's (server). Each schema has its own version table and
ordered list of migrations. Version 1 is each schema's baseline. A new database is created
from the current models and stamped with the latest version; an older one runs every
migration above its version, in order, each in its own transaction. Migrations must work on
SQLite and PostgreSQL (use ``playhouse.migrate``); the test suite checks that an upgraded
database has the same schema as a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from peewee import SQL, BigIntegerField, CharField, Database, Model
from playhouse.migrate import SchemaMigrator, migrate


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database, SchemaMigrator], None]


@dataclass(frozen=True)
class Schema:
    """A set of tables versioned together."""

    name: str
    version_table: str
    models: Sequence[type[Model]]
    migrations: Sequence[Migration]

    @property
    def latest(self) -> int:
        return self.migrations[-1].version


def baseline(database: Database, migrator: SchemaMigrator) -> None:
    raise AssertionError("version 1 is the baseline; it is created, never migrated to")


def _v2_schedule_indexes(database: Database, migrator: SchemaMigrator) -> None:
    """Indexes behind "my day" and the site/equipment history (see docs/performance.md)."""
    migrate(
        migrator.add_index("interventions", ("technician_id", "scheduled_start")),
        migrator.add_index("interventions", ("site_id", "scheduled_start")),
        migrator.add_index("interventions", ("equipment_id", "scheduled_start")),
    )


def _v3_sync_version(database: Database, migrator: SchemaMigrator) -> None:
    """Every synced table gets the head-office version of its rows (sync protocol)."""
    from app.models import ALL_MODELS

    operations = []
    for model in ALL_MODELS:
        table = model._meta.table_name
        field = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])
        operations.append(migrator.add_column(table, "sync_version", field))
        operations.append(migrator.add_index(table, ("sync_version",)))
    migrate(*operations)


def _v4_attachment_thumbnails(database: Database, migrator: SchemaMigrator) -> None:
    """Attachments reference their thumbnail and, when kept, their original (issue 11)."""
    migrate(
        migrator.add_column("attachments", "thumb_sha256", CharField(max_length=64, null=True)),
        migrator.add_column("attachments", "original_sha256", CharField(max_length=64, null=True)),
    )


def _v5_signing_and_follow_ups(database: Database, migrator: SchemaMigrator) -> None:
    """The signing flow (docs/reports.md): a signature row records its ``outcome`` (signed,
    refused, absent) and the ``reason`` of a missing signature; a follow-up gets its
    ``urgency``, its parts ``lines`` and the kind ``next_preventive``."""
    from peewee import SQL, CharField, PostgresqlDatabase, TextField

    from app.models import FollowUp
    from app.models.base import JSONField, choice_check
    from app.models.enums import FollowUpKind

    migrate(
        migrator.add_column(
            "signatures",
            "outcome",
            CharField(default="signed", constraints=[SQL("DEFAULT 'signed'")]),
        ),
        migrator.add_column(
            "signatures", "reason", TextField(default="", constraints=[SQL("DEFAULT ''")])
        ),
        migrator.add_column("follow_ups", "urgency", CharField(null=True)),
        migrator.add_column("follow_ups", "lines", JSONField(null=True)),
    )
    check = choice_check("kind", FollowUpKind)
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql(
            "ALTER TABLE follow_ups DROP CONSTRAINT IF EXISTS follow_ups_kind_check"
        )
        database.execute_sql(
            f"ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_kind_check CHECK ({check})"
        )
        outcome = choice_check("outcome", ("signed", "refused", "absent"))
        database.execute_sql(
            f"ALTER TABLE signatures ADD CONSTRAINT signatures_outcome_check CHECK ({outcome})"
        )
        return
    # SQLite cannot change a CHECK constraint: the table is rebuilt (nothing references it).
    columns = ", ".join(f'"{f.column_name}"' for f in FollowUp._meta.sorted_fields)
    old_indexes = [
        name
        for _, name, *_ in database.execute_sql('PRAGMA index_list("follow_ups")').fetchall()
        if not name.startswith("sqlite_autoindex")
    ]
    for name in old_indexes:
        database.execute_sql(f'DROP INDEX "{name}"')
    database.execute_sql('ALTER TABLE "follow_ups" RENAME TO "_follow_ups_v3"')
    FollowUp.create_table(safe=False)
    database.execute_sql(
        f'INSERT INTO "follow_ups" ({columns}) SELECT {columns} FROM "_follow_ups_v3"'
    )
    database.execute_sql('DROP TABLE "_follow_ups_v3"')


def _v6_video_links_and_notes(database: Database, migrator: SchemaMigrator) -> None:
    """Media made from a video name it and the time in it; videos get time-stamped notes
    (issue 11, app.domain.video)."""
    from peewee import IntegerField

    from app.models.base import JSONField

    # Columns already there are left (a test rewinding an earlier migration runs this again).
    present = {c.name for c in database.get_columns("attachments")}
    wanted = {
        "source_attachment_id": CharField(max_length=36, null=True),
        "source_time_ms": IntegerField(null=True),
        "video_notes": JSONField(null=True),
    }
    migrate(
        *(
            migrator.add_column("attachments", name, field)
            for name, field in wanted.items()
            if name not in present
        )
    )


# Single-column foreign-key indexes that lead a composite index of the same table: the composite
# serves the same lookups (SQLite and PostgreSQL), so these cost writes and a first sync's index
# build (~0.3 s of 1.4 s on the large demo data) for nothing. Their fields say ``index=False``.
COVERED_INDEXES = (
    "intervention_technician_id",  # (technician_id, scheduled_start)
    "intervention_site_id",  # (site_id, scheduled_start)
    "intervention_equipment_id",  # (equipment_id, scheduled_start)
    "procedurestep_procedure_id",  # (procedure_id, position)
    "checklistitem_step_id",  # (step_id, position)
    "checklistanswer_intervention_id",  # (intervention_id, item_id)
    "contractequipment_contract_id",  # (contract_id, equipment_id)
    "contractinterventiontype_contract_id",  # (contract_id, intervention_type_id)
    "meter_equipment_id",  # (equipment_id, name)
    "meterreading_meter_id",  # (meter_id, read_at)
    "reportversion_intervention_id",  # (intervention_id, kind, version)
    "vanstockline_technician_id",  # (technician_id, part_id)
)


def _v7_drop_covered_indexes(database: Database, migrator: SchemaMigrator) -> None:
    """Drop the foreign-key indexes a composite index already covers (``COVERED_INDEXES``)."""
    for name in COVERED_INDEXES:
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


MIGRATIONS: list[Migration] = [
    Migration(1, "baseline schema", baseline),
    Migration(2, "indexes for my day and history", _v2_schedule_indexes),
    Migration(3, "sync_version on synced tables", _v3_sync_version),
    Migration(4, "attachment thumbnails and originals", _v4_attachment_thumbnails),
    Migration(
        5, "signature outcome and reason, follow-up urgency and lines", _v5_signing_and_follow_ups
    ),
    Migration(6, "video stills, clips and notes", _v6_video_links_and_notes),
    Migration(7, "drop indexes a composite index covers", _v7_drop_covered_indexes),
]

LATEST_VERSION = MIGRATIONS[-1].version
