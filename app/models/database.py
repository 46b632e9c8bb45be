"""Open, check and upgrade a database. The one place that binds ``db`` to a real database.

``open_sqlite(path)`` never modifies a file it refuses: it reads the header and the schema
versions through a read-only connection first, and only then opens for writing and migrates
(after copying the file aside as ``<name>.bak-v<old>``).
"""

from __future__ import annotations

import functools
import logging
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from peewee import CharField, Database, DateTimeField, IntegerField, Model, SqliteDatabase
from playhouse.migrate import SchemaMigrator

from app.errors import CorruptDatabaseError, DatabaseError, SchemaTooNewError
from app.models import ALL_MODELS, db, utcnow
from app.models.migrations import LATEST_VERSION, MIGRATIONS, Schema

log = logging.getLogger(__name__)

DOMAIN_SCHEMA = Schema("domain", "schema_migrations", ALL_MODELS, MIGRATIONS)

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_PRAGMAS = {
    # 16 KiB pages for a new file (before WAL fixes the size; an existing file keeps its own):
    # a first sync loads and indexes ~25 % faster than with 4 KiB (docs/performance.md).
    "page_size": 16384,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 10000,
    "cache_size": -16000,
}


class TerrainSqliteDatabase(SqliteDatabase):
    """SQLite whose transactions take the write lock up front (``BEGIN IMMEDIATE``).

    Services read then write inside ``db.atomic()``; with deferred transactions two such
    writers on separate connections (UI worker threads, the sync job) fail at once with
    "database is locked" when the second upgrades its read lock. Immediate transactions wait
    for each other instead (``busy_timeout``).
    """

    def begin(self, lock_type=None):
        return super().begin(lock_type or "IMMEDIATE")


@functools.cache
def version_model(table: str) -> type[Model]:
    """The model of a schema's version table (one row per applied migration)."""

    class Meta:
        database = db
        table_name = table

    attrs = {
        "version": IntegerField(primary_key=True),
        "name": CharField(),
        "applied_at": DateTimeField(default=utcnow),
        "Meta": Meta,
        "__module__": __name__,
    }
    return type(f"Version_{table}", (Model,), attrs)


def read_schema_version(path: Path, version_table: str = "schema_migrations") -> int | None:
    """The schema version of an existing SQLite file, read without modifying it.

    Returns None for a missing or empty file (a new database). Raises CorruptDatabaseError
    for anything that is not a Terrain database.
    """
    versions = read_versions(path, [version_table])
    return None if versions is None else versions[version_table]


def read_versions(path: Path, version_tables: Sequence[str]) -> dict[str, int | None] | None:
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise CorruptDatabaseError(f"{path} is not a SQLite database (bad header).")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                return None
            if version_tables[0] not in tables:
                raise CorruptDatabaseError(f"{path} is a SQLite file but not a Terrain database.")
            versions: dict[str, int | None] = {}
            for table in version_tables:
                versions[table] = (
                    con.execute(f'SELECT MAX(version) FROM "{table}"').fetchone()[0]
                    if table in tables
                    else None
                )
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(f"{path} is damaged: {exc}.") from exc
    if versions[version_tables[0]] is None:
        raise CorruptDatabaseError(f"{path} has no recorded schema version.")
    return versions


def check_version(version: int | None, schema: Schema, where: str) -> None:
    if version is not None and version > schema.latest:
        raise SchemaTooNewError(
            f"{where} has {schema.name} schema version {version}; "
            f"this app supports up to {schema.latest}."
        )


def open_sqlite(
    path: Path | str, schemas: Sequence[Schema] = (DOMAIN_SCHEMA,), *, backup: bool = True
) -> SqliteDatabase:
    """Check, open, bind and upgrade the SQLite database at ``path``."""
    path = Path(path)
    versions = read_versions(path, [s.version_table for s in schemas])
    if versions is not None:
        for schema in schemas:
            check_version(versions[schema.version_table], schema, str(path))
        old = versions[schemas[0].version_table]
        outdated = any((versions[s.version_table] or 0) < s.latest for s in schemas)
        if backup and outdated:
            shutil.copy2(path, path.with_name(f"{path.name}.bak-v{old}"))
    database = TerrainSqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    bind(database, schemas)
    return database


def bind(database: Database, schemas: Sequence[Schema] = (DOMAIN_SCHEMA,)) -> None:
    """Bind the models to ``database`` and bring its schemas to their latest versions."""
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        for schema in schemas:
            upgrade(database, schema)
    except DatabaseError:
        raise
    except Exception as exc:  # peewee/driver errors: never a traceback for the user
        raise DatabaseError(
            f"Cannot prepare the database: {exc}",
            hint="Check that the file or server is reachable and not used by an older version.",
        ) from exc


def current_version(database: Database, schema: Schema = DOMAIN_SCHEMA) -> int | None:
    if not database.table_exists(schema.version_table):
        return None
    model = version_model(schema.version_table)
    return model.select(model.version).order_by(model.version.desc()).scalar()


def upgrade(database: Database, schema: Schema = DOMAIN_SCHEMA) -> int:
    """Create a new schema, or run its pending migrations. Returns the final version."""
    version = current_version(database, schema)
    check_version(version, schema, "The database")
    model = version_model(schema.version_table)
    if version is None:
        with database.atomic():
            database.create_tables([model, *schema.models])
            model.insert_many(
                [{"version": m.version, "name": m.name} for m in schema.migrations]
            ).execute()
        log.info("created %s schema version %s", schema.name, schema.latest)
        return schema.latest
    migrator = SchemaMigrator.from_database(database)
    for migration in schema.migrations:
        if migration.version <= version:
            continue
        log.info("migrating %s to %s (%s)", schema.name, migration.version, migration.name)
        with database.atomic():
            migration.apply(database, migrator)
            model.create(version=migration.version, name=migration.name)
    return schema.latest


__all__ = [
    "DOMAIN_SCHEMA",
    "LATEST_VERSION",
    "bind",
    "current_version",
    "open_sqlite",
    "read_schema_version",
    "upgrade",
]
