"""Head office's own tables (besides the shared domain model): sync bookkeeping and auth."""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.migrate import migrate

from app.models import JSONField, User, db, utcnow
from app.models.database import DOMAIN_SCHEMA
from app.models.migrations import Migration, Schema, baseline


class _ServerModel(Model):
    class Meta:
        database = db


class SyncCounter(_ServerModel):
    """One row per counter; ``version`` orders every committed change (rule 2)."""

    name = CharField(primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "sync_counters"


class RowMeta(_ServerModel):
    """Per row: which version and device last wrote each field (rule 4)."""

    table_name = CharField()
    row_id = CharField()
    fields = JSONField(default=dict)  # column -> [version, device_id]

    class Meta:
        table_name = "sync_row_meta"
        primary_key = CompositeKey("table_name", "row_id")


class Device(_ServerModel):
    id = CharField(primary_key=True)  # device_id chosen by the device
    user = ForeignKeyField(User, backref="devices")
    last_pull_seq = IntegerField(default=0)
    # Fingerprint of the scope at the end of the last complete pull session (see pull.py).
    scope_fp = CharField(null=True)
    last_seen_at = DateTimeField(default=utcnow)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sync_devices"


class DeviceRow(_ServerModel):
    """A row head office sent to a device and the pull page that carried it (rule 1)."""

    device_id = CharField()
    table_name = CharField()
    row_id = CharField()
    page_seq = IntegerField()
    evicted_page = IntegerField(null=True)

    class Meta:
        table_name = "sync_device_rows"
        primary_key = CompositeKey("device_id", "table_name", "row_id")


class PushBatch(_ServerModel):
    """The stored answer of every applied push batch (rule 3: idempotency)."""

    user_id = CharField()
    batch_id = CharField()
    device_id = CharField()
    response = JSONField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sync_push_batches"
        primary_key = CompositeKey("user_id", "batch_id")


class SyncConflict(_ServerModel):
    """A concurrent edit head office resolved; the office sees and may restore it."""

    id = AutoField()
    table_name = CharField()
    row_id = CharField(index=True)
    field = CharField()
    winner = CharField()
    kept = JSONField(null=True)
    lost = JSONField(null=True)
    version = BigIntegerField()
    device_id = CharField()
    user_id = CharField()
    created_at = DateTimeField(default=utcnow)
    resolved = BooleanField(default=False)

    class Meta:
        table_name = "sync_conflicts"


class DeviceToken(_ServerModel):
    """A bearer token, stored as its SHA-256 only; revocable and expiring."""

    id = AutoField()
    user = ForeignKeyField(User, backref="tokens")
    device_id = CharField()
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)

    class Meta:
        table_name = "auth_tokens"


class LoginFailure(_ServerModel):
    id = AutoField()
    username = CharField(index=True)
    remote_addr = CharField(default="")
    at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "auth_login_failures"


class Blob(_ServerModel):
    sha256 = CharField(primary_key=True, max_length=64)
    size = BigIntegerField()
    uploaded_by = CharField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "blobs"


class BlobUpload(_ServerModel):
    """A partial (resumable) upload in progress."""

    sha256 = CharField(max_length=64)
    user_id = CharField()
    total = BigIntegerField()
    received = BigIntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)
    note = TextField(default="")

    class Meta:
        table_name = "blob_uploads"
        primary_key = CompositeKey("sha256", "user_id")


class EmailDelivery(_ServerModel):
    """The e-mail of one validated report version to the customer's contact
    (``headoffice.mail``): one row per version, so parallel retries of a push queue it once.

    ``state``: pending (waiting for its next attempt), sent, failed (the last attempt's SMTP
    error in ``last_error``; retried at ``next_attempt_at`` until ``attempts`` reaches the
    limit) or no_recipient (neither the site's contact nor the customer has an e-mail)."""

    report_version_id = CharField(primary_key=True)
    intervention_id = CharField(index=True)
    recipient = CharField(default="")
    state = CharField(default="pending", index=True)
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    next_attempt_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "email_deliveries"


class CustomerRecord(_ServerModel):
    """What head office keeps up to date about a customer from the reports it receives
    (``headoffice.services.customer_record``): the last visit, and which follow-ups it has
    already turned into planned interventions, parts to order or notes (``converted``:
    follow-up id -> what it became), so doing it again changes nothing."""

    customer_id = CharField(primary_key=True)
    last_visit_at = DateTimeField(null=True)
    last_intervention_id = CharField(null=True)
    converted = JSONField(default=dict)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "customer_records"


class SealedPdf(_ServerModel):
    """The sealed PDF head office hands out for a report version, in one language: made from
    the signed PDF a device uploaded (``source = device``) or drawn here (``headoffice``),
    kept as a blob. ``content_sha256``: the content it shows (a draft's changes)."""

    report_version_id = CharField(max_length=64)
    language = CharField(max_length=8)
    blob_sha256 = CharField(max_length=64)
    content_sha256 = CharField(max_length=64)
    source = CharField(max_length=16)
    source_blob_sha256 = CharField(max_length=64, null=True)  # the device's PDF it sealed
    sealed_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "report_pdfs"
        primary_key = CompositeKey("report_version_id", "language")


class HeldAsidePdf(_ServerModel):
    """A PDF received for a report version that does not match its record (or a record that
    does not match itself): refused for the version, kept (its blob stays), listed for the
    office (``headoffice.documents.held_aside()``)."""

    id = AutoField()
    report_version_id = CharField(max_length=64, index=True)
    blob_sha256 = CharField(max_length=64, null=True)
    reason = TextField()  # English
    code = CharField(null=True)  # ``app.domain.reasons`` code the office screen translates
    params = JSONField(null=True)
    detected_at = DateTimeField(default=utcnow)
    resolved = BooleanField(default=False)

    class Meta:
        table_name = "report_pdfs_held_aside"


# The rows a device was told to evict, until its next pull acknowledges the page: the pull
# deletes them first thing (``headoffice.pull._acknowledge``), and without this index that
# reads every row the device holds. Nearly always empty, so nearly free to keep.
EVICTED_INDEX = DeviceRow.index(
    DeviceRow.device_id,
    DeviceRow.evicted_page,
    name="sync_device_rows_evicted",
    where=DeviceRow.evicted_page.is_null(False),
)
DeviceRow.add_index(EVICTED_INDEX)


def _v6_evicted_index(database, migrator) -> None:
    database.execute(EVICTED_INDEX.safe(True))


def _v4_report_pdfs(database, migrator) -> None:
    database.create_tables([SealedPdf, HeldAsidePdf])


def _v2_scope_fingerprint(database, migrator) -> None:
    migrate(migrator.add_column("sync_devices", "scope_fp", CharField(null=True)))


def _v3_deliveries_and_customer_records(database, migrator) -> None:
    database.create_tables([EmailDelivery, CustomerRecord], safe=True)


def _v5_held_aside_codes(database, migrator) -> None:
    """A PDF held aside keeps the code and params of its reason (the office screen shows
    it in French); rows held before keep their English text only."""
    have = {c.name for c in database.get_columns("report_pdfs_held_aside")}
    wanted = [("code", CharField(null=True)), ("params", JSONField(null=True))]
    operations = [
        migrator.add_column("report_pdfs_held_aside", name, field)
        for name, field in wanted
        if name not in have  # version 4 creates the table from this model
    ]
    if operations:
        migrate(*operations)


SERVER_MODELS = [
    SyncCounter, RowMeta, Device, DeviceRow, PushBatch, SyncConflict,
    DeviceToken, LoginFailure, Blob, BlobUpload, EmailDelivery, CustomerRecord, SealedPdf,
    HeldAsidePdf,
]  # fmt: skip
SERVER_SCHEMA = Schema(
    "head office",
    "headoffice_schema_migrations",
    SERVER_MODELS,
    [
        Migration(1, "sync bookkeeping, tokens, blobs", baseline),
        Migration(2, "scope fingerprint of devices", _v2_scope_fingerprint),
        Migration(3, "e-mail deliveries and customer records", _v3_deliveries_and_customer_records),
        Migration(4, "sealed report PDFs, PDFs held aside", _v4_report_pdfs),
        Migration(5, "reason codes of PDFs held aside", _v5_held_aside_codes),
        Migration(6, "index of the rows devices were told to evict", _v6_evicted_index),
    ],
)
SERVER_SCHEMAS = (DOMAIN_SCHEMA, SERVER_SCHEMA)
