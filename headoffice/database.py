"""Open head office's database from a URL: ``sqlite:///path`` or ``postgresql://...``."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import peewee
from peewee import Database, OperationalError, SqliteDatabase
from playhouse.db_url import parse
from playhouse.pool import PooledPostgresqlDatabase

from app.errors import ConfigError, DatabaseError
from app.models.database import SQLITE_PRAGMAS, TerrainSqliteDatabase, bind, read_versions
from headoffice.models import SERVER_SCHEMAS, SyncCounter

LOCK_TIMEOUT = 10.0  # seconds a statement waits for a lock before the request answers 503


def open_database(
    url: str, *, max_connections: int = 32, lock_timeout: float = LOCK_TIMEOUT
) -> Database:
    """Open, check, bind and upgrade head office's database. A statement waits at most
    ``lock_timeout`` seconds for a lock (SQLite ``busy_timeout``, PostgreSQL
    ``lock_timeout``); then it fails and the request answers 503 (``headoffice.http``)."""
    wait_ms = max(1, int(lock_timeout * 1000))
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        read_versions(path, [s.version_table for s in SERVER_SCHEMAS])  # refuse foreign files
        pragmas = {**SQLITE_PRAGMAS, "busy_timeout": wait_ms}
        database = TerrainSqliteDatabase(str(path), pragmas=pragmas, check_same_thread=False)
    elif scheme in ("postgresql", "postgres"):
        params = parse(url)
        options = f"{params.pop('options', '')} -c lock_timeout={wait_ms}".strip()
        database = PooledPostgresqlDatabase(
            params.pop("database"),
            max_connections=max_connections,
            stale_timeout=300,
            options=options,
            connection_factory=preparing_connection(),
            **params,
        )
        try:
            database.connect()
        except OperationalError as exc:
            raise DatabaseError(
                f"Cannot connect to PostgreSQL at {url}: {str(exc).strip()}",
                hint="Start PostgreSQL or fix --db (postgresql://user@host:port/dbname).",
            ) from exc
    else:
        raise ConfigError(
            f"Unsupported database URL {url!r}.",
            hint="Use sqlite:///path/to/headoffice.db or postgresql://user@host:port/dbname.",
        )
    with migration_lock(database):  # several processes starting at once: one migrates
        bind(database, SERVER_SCHEMAS)
        SyncCounter.insert(name="version", value=0).on_conflict_ignore().execute()
    database.close()
    return database


# pg_advisory_lock key held while a process creates or migrates head office's schema
MIGRATION_LOCK_KEY = 0x5465727261696E  # "Terrain"


@contextmanager
def migration_lock(database: Database) -> Iterator[None]:
    """On PostgreSQL, hold a session advisory lock for the block: a second process opening
    the database meanwhile waits (however long the migration takes: ``lock_timeout`` is
    lifted for this wait), then finds the schema up to date. SQLite: nothing to do."""
    if isinstance(database, SqliteDatabase):
        yield
        return
    database.connect(reuse_if_open=True)
    database.execute_sql("SET lock_timeout = 0")
    database.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    database.execute_sql("RESET lock_timeout")  # back to the -c lock_timeout of the URL
    try:
        yield
    finally:
        database.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))


def close_database(database: Database) -> None:
    """Close ``database``'s connections: every pooled one on PostgreSQL (before a fork, so
    that no worker inherits a connection), the current thread's on SQLite."""
    close_all = getattr(database, "close_all", None)
    if close_all is not None:
        close_all()
    elif not database.is_closed():
        database.close()


def write_transaction(database: Database):
    """A transaction that takes the write lock up front (SQLite: BEGIN IMMEDIATE)."""
    if isinstance(database, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def lock_rows(query):
    """``SELECT ... FOR UPDATE`` where the database has it (SQLite locks the whole file)."""
    if not query.model._meta.database.for_update:
        return query
    # not FOR UPDATE: a foreign key check (FOR KEY SHARE) on the row must not wait for it
    return query.for_update("FOR NO KEY UPDATE")


def admin_sql(sql: str, **dsn) -> None:
    """Run one statement outside any transaction (``CREATE DATABASE``, ``DROP DATABASE``) on a
    PostgreSQL server, ``dsn`` being psycopg2's connection parameters (tests, benchmarks)."""
    import psycopg2

    con = psycopg2.connect(connect_timeout=5, **dsn)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


def executemany(sql: str, params: list) -> None:
    """Run ``sql`` (placeholders ``db.param``) once per parameter row in the current
    transaction: ``executemany`` on SQLite, pages of statements per round trip on PostgreSQL
    (psycopg2's ``executemany`` makes one round trip per row)."""
    from app.models import db

    if not params:
        return
    cursor = db.cursor()
    with peewee.__exception_wrapper__:  # the driver's errors as peewee's (IntegrityError, ...)
        if isinstance(db.obj, SqliteDatabase):
            cursor.executemany(sql, params)
            return
        from psycopg2.extras import execute_batch

        execute_batch(cursor, sql, params, page_size=250)


def insert_values(into: str, params: list, tail: str = "") -> None:
    """``INSERT INTO <into> VALUES (...) <tail>`` for every parameter row: ``executemany``
    on SQLite, multi-row ``VALUES`` statements of 500 rows on PostgreSQL (one statement per
    row costs it a parse and a round trip each)."""
    from app.models import db

    if not params:
        return
    marks = "(" + ", ".join([db.param] * len(params[0])) + ")"
    if isinstance(db.obj, SqliteDatabase):
        executemany(f"INSERT INTO {into} VALUES {marks}{tail}", params)
        return
    from psycopg2.extras import execute_values

    with peewee.__exception_wrapper__:
        sql = f"INSERT INTO {into} VALUES %s{tail}"
        execute_values(db.cursor(), sql, params, template=marks, page_size=500)


def insert_rows(model, rows: list[dict]) -> None:
    """Insert ``rows`` (field name -> Python value) as ``model.insert`` would, each missing
    field taking its default, with one ``insert_values`` per set of fields given."""
    defaults = model._meta.defaults
    shapes: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    for names, group in shapes.items():
        given = [model._meta.fields[n] for n in names]
        filled = [f for f in defaults if f.name not in names]
        fields = [*given, *filled]
        columns = ", ".join(f'"{f.column_name}"' for f in fields)
        params = []
        for row in group:
            values = [f.db_value(row[f.name]) for f in given]
            for f in filled:
                default = defaults[f]
                values.append(f.db_value(default() if callable(default) else default))
            params.append(values)
        insert_values(f'"{model._meta.table_name}" ({columns})', params)


# --- statements planned once per connection (PostgreSQL) ----------------------------------
# psycopg2 sends every statement as text with its parameters inlined, so PostgreSQL parses
# and plans each one again: for the pull's small row queries planning cost more than running
# them (docs/performance.md). ``run`` prepares a statement once per connection (``PREPARE``,
# keyed by its SQL text) and then sends ``EXECUTE name(params)``. SQLite: plain ``execute``.
# Only for statements whose text recurs and that take no list of keys: with the scope's
# keys as one array parameter (``= ANY($1)``) the generic plan scans the array for every
# row (PostgreSQL hashes constant lists only), and the evictions got 5x slower.

MAX_PREPARED = 400  # statements one connection keeps prepared; past that, plain execute


@functools.cache
def preparing_connection() -> type:
    """A psycopg2 connection class that remembers the statements ``run`` prepared on it (SQL
    text -> statement name). PREPARE is not undone by a ROLLBACK, and a new connection starts
    empty. Made on first use: psycopg2 comes with the ``server`` extra only, and a head office
    on SQLite (the device's embedded one) runs without it."""
    from psycopg2.extensions import connection

    class PreparingConnection(connection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.prepared: dict[str, str] = {}

    return PreparingConnection


def _numbered(sql: str) -> str:
    """``sql`` with psycopg2's placeholders (``%s``, ``%%``) as PostgreSQL's (``$1``, ``%``)."""
    parts = sql.split("%%")
    n = 0
    out = []
    for part in parts:
        pieces = part.split("%s")
        text = pieces[0]
        for piece in pieces[1:]:
            n += 1
            text += f"${n}" + piece
        out.append(text)
    return "%".join(out)


def run(sql: str, params: Sequence = ()):
    """Execute ``sql`` (placeholders ``db.param``) and return the cursor, as ``execute_sql``
    does; on a PostgreSQL connection of ``open_database``, as a statement prepared once per
    connection. Only for statements whose text recurs (no lists of values inlined)."""
    from app.models import db

    conn = db.connection()
    prepared = getattr(conn, "prepared", None)
    if prepared is None:
        return db.execute_sql(sql, params)
    name = prepared.get(sql)
    cursor = conn.cursor()
    with peewee.__exception_wrapper__:
        if name is None:
            if len(prepared) >= MAX_PREPARED:
                cursor.execute(sql, params)
                return cursor
            name = f"terrain_{len(prepared) + 1}"
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
            prepared[sql] = name
        if params:
            cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute(f"EXECUTE {name}")
    return cursor


def run_query(query):
    """``run`` for a peewee query: its cursor."""
    sql, params = query.sql()
    return run(sql, params)
