"""Open, check and upgrade a database. The one place that binds ``db`` to a real database.

``open_sqlite(path)`` never modifies a file it refuses: it reads the header and the schema
version through a read-only connection first, and only then opens for writing and migrates
(after copying the file aside as ``<name>.bak-v<old>``).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

from peewee import CharField, Database, DateTimeField, IntegerField, Model, SqliteDatabase
from playhouse.migrate import SchemaMigrator

from app.errors import CorruptDatabaseError, DatabaseError, SchemaTooNewError
from app.models import ALL_MODELS, db, utcnow
from app.models.migrations import LATEST_VERSION, MIGRATIONS

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -16000,
}


class SchemaMigration(Model):
    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        database = db
        table_name = "schema_migrations"


def read_schema_version(path: Path) -> int | None:
    """The schema version of an existing SQLite file, read without modifying it.

    Returns None for a missing or empty file (a new database). Raises CorruptDatabaseError
    for anything that is not a Terrain database.
    """
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
            if "schema_migrations" not in tables:
                raise CorruptDatabaseError(f"{path} is a SQLite file but not a Terrain database.")
            row = con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(f"{path} is damaged: {exc}.") from exc
    if row[0] is None:
        raise CorruptDatabaseError(f"{path} has no recorded schema version.")
    return int(row[0])


def check_version(version: int | None, where: str) -> None:
    if version is not None and version > LATEST_VERSION:
        raise SchemaTooNewError(
            f"{where} has schema version {version}; this app supports up to {LATEST_VERSION}."
        )


def open_sqlite(path: Path | str, *, backup: bool = True) -> SqliteDatabase:
    """Check, open, bind and upgrade the SQLite database at ``path``."""
    path = Path(path)
    version = read_schema_version(path)
    check_version(version, str(path))
    if backup and version is not None and version < LATEST_VERSION:
        shutil.copy2(path, path.with_name(f"{path.name}.bak-v{version}"))
    database = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    bind(database)
    return database


def bind(database: Database) -> None:
    """Bind the models to ``database`` and bring its schema to the latest version."""
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        upgrade(database)
    except DatabaseError:
        raise
    except Exception as exc:  # peewee/driver errors: never a traceback for the user
        raise DatabaseError(
            f"Cannot prepare the database: {exc}",
            hint="Check that the file or server is reachable and not used by an older version.",
        ) from exc


def current_version(database: Database) -> int | None:
    if not database.table_exists("schema_migrations"):
        return None
    return (
        SchemaMigration.select(SchemaMigration.version)
        .order_by(SchemaMigration.version.desc())
        .scalar()
    )


def upgrade(database: Database) -> int:
    """Create a new schema, or run the pending migrations. Returns the final version."""
    version = current_version(database)
    check_version(version, "The database")
    if version is None:
        with database.atomic():
            database.create_tables([SchemaMigration, *ALL_MODELS])
            SchemaMigration.insert_many(
                [{"version": m.version, "name": m.name} for m in MIGRATIONS]
            ).execute()
        log.info("created schema version %s", LATEST_VERSION)
        return LATEST_VERSION
    migrator = SchemaMigrator.from_database(database)
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        log.info("migrating to %s (%s)", migration.version, migration.name)
        with database.atomic():
            migration.apply(database, migrator)
            SchemaMigration.create(version=migration.version, name=migration.name)
    return LATEST_VERSION
