"""The device's sync bookkeeping tables: outbox, state, rejections and conflict notices.

They belong to the device only (head office has its own, in ``headoffice/``), and are
versioned as their own schema (``DEVICE_SCHEMA``), created with the domain tables by
``open_device_db``.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.migrate import migrate

from app.models import JSONField, db, utcnow
from app.models.database import DOMAIN_SCHEMA, open_sqlite
from app.models.migrations import Migration, Schema, baseline

log = logging.getLogger(__name__)


class _DeviceModel(Model):
    class Meta:
        database = db


class SyncOutbox(_DeviceModel):
    """A row with local changes not yet acknowledged: ``fields`` maps column -> revision."""

    table_name = CharField()
    row_id = CharField()
    fields = JSONField(default=dict)
    revision = IntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sync_outbox"
        primary_key = CompositeKey("table_name", "row_id")


class SyncState(_DeviceModel):
    """Small key/value store: device id, cursor, token, pending batch, last success..."""

    key = CharField(primary_key=True)
    value = JSONField(null=True)

    class Meta:
        table_name = "sync_state"


class SyncRejection(_DeviceModel):
    """A local change head office refused (rule 6): kept here and shown to the user."""

    id = AutoField()
    table_name = CharField()
    row_id = CharField()
    fields = JSONField(default=dict)  # the refused values, wire form
    reason = TextField()  # head office's English text
    code = CharField(null=True)  # the refusal's code (``app.domain.reasons``), if it sent one
    params = JSONField(null=True)  # the code's parameters
    created_at = DateTimeField(default=utcnow)
    dismissed = BooleanField(default=False)

    class Meta:
        table_name = "sync_rejections"


class SyncConflictNotice(_DeviceModel):
    """A conflict head office resolved on one of this device's pushes (rule 4)."""

    id = AutoField()
    table_name = CharField()
    row_id = CharField()
    field = CharField()
    winner = CharField()
    kept = JSONField(null=True)
    lost = JSONField(null=True)
    created_at = DateTimeField(default=utcnow)
    dismissed = BooleanField(default=False)

    class Meta:
        table_name = "sync_conflict_notices"


class MediaBlob(_DeviceModel):
    """What this device knows of a file of its blob store (``app.sync.blob_ledger``): where
    it came from, whether head office confirmed it holds it, when it was last shown. Never
    synced: head office keeps its own ``blobs`` table."""

    sha256 = CharField(primary_key=True, max_length=64)
    origin = CharField(default="own")  # "own": made here; "cache": downloaded from head office
    confirmed_at = DateTimeField(null=True)  # head office answered that it holds the file
    accessed_at = DateTimeField(null=True)  # last shown (the download cache evicts by it)

    class Meta:
        table_name = "media_blobs"


def _v2_media_blobs(database, migrator) -> None:
    """The blob ledger: upload confirmations and the download cache (issue 11)."""
    MediaBlob.create_table(safe=True)


def _v3_rejection_codes(database, migrator) -> None:
    """A refused change keeps the refusal's code and params, to show it in the user's
    language (docs/sync-protocol.md, rule 6); rows stored before have none (their text shows)."""
    migrate(
        migrator.add_column("sync_rejections", "code", CharField(null=True)),
        migrator.add_column("sync_rejections", "params", JSONField(null=True)),
    )


DEVICE_MODELS = [SyncOutbox, SyncState, SyncRejection, SyncConflictNotice, MediaBlob]
DEVICE_SCHEMA = Schema(
    "device sync",
    "device_schema_migrations",
    DEVICE_MODELS,
    [
        Migration(1, "outbox, state, rejections, conflict notices", baseline),
        Migration(2, "media blob ledger", _v2_media_blobs),
        Migration(3, "refusal codes of rejections", _v3_rejection_codes),
    ],
)
DEVICE_SCHEMAS = (DOMAIN_SCHEMA, DEVICE_SCHEMA)


def open_device_db(path: Path | str) -> SqliteDatabase:
    """Open the device database: the domain tables plus the sync bookkeeping.

    Indexes left dropped by a first sync that was killed halfway are rebuilt here."""
    database = open_sqlite(path, DEVICE_SCHEMAS)
    restore_indexes()
    return database


# Plain SQL: every sync cycle reads and writes a few of these, and peewee's query building
# cost more than SQLite itself here (noop_sync, docs/performance.md).
_GET = "SELECT value FROM sync_state WHERE key = ?"
_SET = (
    "INSERT INTO sync_state (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def get_state(key: str, default=None):
    row = db.execute_sql(_GET, (key,)).fetchone()
    return default if row is None else SyncState.value.python_value(row[0])


def set_state(key: str, value) -> None:
    db.execute_sql(_SET, (key, SyncState.value.db_value(value)))


DEVICE_ID = "device_id"
DROPPED = "dropped_indexes"  # SQL of the indexes a first sync dropped (``app.sync.bulk``)


def restore_indexes() -> int:
    """Build the indexes a bulk load dropped (if any); returns how many."""
    statements = get_state(DROPPED) or []
    if not statements:
        return 0
    with db.atomic():
        for sql in statements:
            db.execute_sql(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        set_state(DROPPED, None)
    log.info("rebuilt %d indexes after the first sync", len(statements))
    return len(statements)


def ensure_device_id() -> str:
    """This installation's id (a UUID made on first use), sent with logins and pushes."""
    device_id = get_state(DEVICE_ID)
    if not device_id:
        device_id = str(uuid.uuid4())
        set_state(DEVICE_ID, device_id)
    return device_id
