"""The sync protocol's wire types and shared rules (see docs/sync-protocol.md).

Both sides import this module: head office (``headoffice/``) and the device engine
(``app/sync/``). It holds no I/O: encoding and decoding of rows, validation of pushed
changes, the cursor, the merge rules and the technicians' write permissions.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from peewee import (
    BigIntegerField,
    BooleanField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKeyField,
    IntegerField,
)

from app.errors import PayloadTooLargeError, ValidationError
from app.models import ALL_MODELS, JSONField
from app.sync.bounds import check_json

try:  # a fast JSON codec where available (head office, desktop); stdlib json elsewhere
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the platform
    _orjson = None

PROTOCOL_VERSION = 1
TABLES: list[str] = [m._meta.table_name for m in ALL_MODELS]
TABLE_INDEX: dict[str, int] = {name: i for i, name in enumerate(TABLES)}
MODELS = {m._meta.table_name: m for m in ALL_MODELS}

MAX_BODY_BYTES = 16 * 1024 * 1024  # one push request
MAX_PUSH_ROWS = 5000  # rows in one push request
PUSH_BATCH_ROWS = 500  # rows the device puts in one batch
DEFAULT_PULL_LIMIT = 2000
MAX_PULL_LIMIT = 10000
MAX_TEXT_CHARS = 100_000
INT_RANGE = (-(2**63), 2**63 - 1)

# Columns that exist in the models but never travel: bookkeeping, or secrets.
BOOKKEEPING = {"id", "sync_version", "deleted"}
SERVER_ONLY: dict[str, set[str]] = {"users": {"password_hash"}}

# Value kinds on the wire.
K_TEXT, K_INT, K_FLOAT, K_BOOL, K_DATE, K_DATETIME, K_JSON = (
    "text", "int", "float", "bool", "date", "datetime", "json",
)  # fmt: skip


class ProtocolError(ValidationError):
    """A request that does not follow the protocol (answered with HTTP 400)."""

    hint = "Fix the request so that it follows docs/sync-protocol.md."


def _kind(f: Field) -> str:
    if isinstance(f, ForeignKeyField):
        return K_TEXT
    if isinstance(f, BooleanField):
        return K_BOOL
    if isinstance(f, (IntegerField, BigIntegerField)):
        return K_INT
    if isinstance(f, FloatField):
        return K_FLOAT
    if isinstance(f, DateTimeField):
        return K_DATETIME
    if isinstance(f, DateField):
        return K_DATE
    if isinstance(f, JSONField):
        return K_JSON
    return K_TEXT


@dataclass(frozen=True)
class Column:
    name: str  # column name (foreign keys end in _id)
    kind: str
    null: bool


def _columns(model) -> dict[str, Column]:
    table = model._meta.table_name
    hidden = BOOKKEEPING | SERVER_ONLY.get(table, set())
    return {
        f.column_name: Column(f.column_name, _kind(f), bool(f.null))
        for f in model._meta.sorted_fields
        if f.column_name not in hidden
    }


# Wire columns of each table (without id / _version / _deleted).
COLUMNS: dict[str, dict[str, Column]] = {t: _columns(m) for t, m in MODELS.items()}


# --- values -------------------------------------------------------------------------------


def to_wire(kind: str, value: Any) -> Any:
    """A Python/DB value as its JSON wire form."""
    if value is None:
        return None
    if kind == K_DATETIME:
        if isinstance(value, datetime):
            return value.isoformat()
        return str(value).replace(" ", "T", 1)
    if kind == K_DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == K_BOOL:
        return bool(value)
    if kind == K_JSON and isinstance(value, str):
        return json.loads(value)
    return value


def from_wire(table: str, column: Column, value: Any) -> Any:
    """Validate a wire value and return the Python value to store. Raises ProtocolError."""
    where = f"{table}.{column.name}"
    if value is None:
        if not column.null:
            raise ProtocolError(f"{where} may not be null.", field=where)
        return None
    kind = column.kind
    if kind == K_TEXT:
        if not isinstance(value, str):
            raise ProtocolError(f"{where} must be a string.", field=where)
        if len(value) > MAX_TEXT_CHARS:
            raise ProtocolError(f"{where} is longer than {MAX_TEXT_CHARS} characters.", field=where)
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise ProtocolError(f"{where} may not contain NUL characters.", field=where)
        return value
    if kind == K_BOOL:
        if not isinstance(value, bool):
            raise ProtocolError(f"{where} must be true or false.", field=where)
        return value
    if kind == K_INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{where} must be an integer.", field=where)
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise ProtocolError(f"{where} is out of range.", field=where)
        return value
    if kind == K_FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtocolError(f"{where} must be a number.", field=where)
        if not math.isfinite(value) or abs(value) > 1e15:
            raise ProtocolError(f"{where} is out of range.", field=where)
        return float(value)
    if kind == K_DATETIME:
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is not None:
            raise ProtocolError(
                f"{where} must be a date-time 'YYYY-MM-DDTHH:MM:SS' (no offset).", field=where
            )
        return parsed
    if kind == K_DATE:
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _bad_date(where)
        except ValueError:
            return _bad_date(where)
    if kind == K_JSON:
        return check_json(value, where)  # bounded depth and size (docs/security.md)
    raise AssertionError(kind)


def _bad_date(where: str):
    raise ProtocolError(f"{where} must be a date 'YYYY-MM-DD'.", field=where)


def row_to_wire(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A DB row (dict by column name, with id/sync_version/deleted) as a pulled wire row."""
    out = {"id": row["id"]}
    for name, column in COLUMNS[table].items():
        out[name] = to_wire(column.kind, row.get(name))
    out["_version"] = row["sync_version"]
    out["_deleted"] = bool(row["deleted"])
    return out


# --- push ---------------------------------------------------------------------------------


@dataclass
class PushChange:
    table: str
    id: str
    base_version: int
    fields: dict[str, Any]  # validated Python values, by column name
    deleted: bool = False


@dataclass
class PushRequest:
    batch_id: str
    device_id: str
    changes: list[PushChange]  # in table order


@dataclass
class Conflict:
    table: str
    id: str
    field: str
    winner: str  # "server" | "device"
    kept: Any
    lost: Any
    version: int


@dataclass
class Rejection:
    table: str
    id: str
    reason: str
    row: dict | None = None  # head office's state of the row (wire form), if the user may see it


@dataclass
class PushResult:
    applied: list[dict] = field(default_factory=list)  # {"table", "id", "version"}
    conflicts: list[Conflict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "applied": self.applied,
            "conflicts": [_wire_conflict(c) for c in self.conflicts],
            "rejected": [asdict(r) for r in self.rejected],
        }


def _wire_conflict(c: Conflict) -> dict:
    kind = COLUMNS[c.table][c.field].kind if c.field in COLUMNS[c.table] else K_BOOL
    return {**asdict(c), "kept": to_wire(kind, c.kept), "lost": to_wire(kind, c.lost)}


def _is_uuid_like(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 64 and value.isprintable()


def parse_push(body: Any) -> PushRequest:
    """Validate a decoded push body. Raises ProtocolError with the first problem found."""
    if not isinstance(body, dict):
        raise ProtocolError("The push body must be a JSON object.")
    batch_id, device_id, changes = body.get("batch_id"), body.get("device_id"), body.get("changes")
    if not _is_uuid_like(batch_id):
        raise ProtocolError("batch_id must be a non-empty string.", field="batch_id")
    if not _is_uuid_like(device_id):
        raise ProtocolError("device_id must be a non-empty string.", field="device_id")
    if not isinstance(changes, dict):
        raise ProtocolError("changes must be an object {table: [change, ...]}.", field="changes")
    unknown = sorted(set(changes) - set(TABLES))
    if unknown:
        raise ProtocolError(f"Unknown table(s): {', '.join(unknown)}.", field="changes")
    total = sum(len(v) if isinstance(v, list) else 0 for v in changes.values())
    if total > MAX_PUSH_ROWS:
        raise PayloadTooLargeError(
            f"A push may carry at most {MAX_PUSH_ROWS} rows ({total} sent).",
            field="changes",
            hint=f"Split the changes into batches of at most {MAX_PUSH_ROWS} rows.",
        )
    parsed: list[PushChange] = []
    for table in sorted(changes, key=TABLE_INDEX.__getitem__):
        rows = changes[table]
        if not isinstance(rows, list):
            raise ProtocolError(f"changes.{table} must be a list.", field=table)
        seen: set[str] = set()
        for raw in rows:
            change = _parse_change(table, raw)
            if change.id in seen:
                raise ProtocolError(f"{table} row {change.id} appears twice in the batch.")
            seen.add(change.id)
            parsed.append(change)
    return PushRequest(batch_id=batch_id, device_id=device_id, changes=parsed)


def _parse_change(table: str, raw: Any) -> PushChange:
    if not isinstance(raw, dict):
        raise ProtocolError(f"Each change of {table} must be an object.", field=table)
    extra = set(raw) - {"id", "base_version", "fields", "deleted"}
    if extra:
        raise ProtocolError(f"Unknown keys in a {table} change: {', '.join(sorted(extra))}.")
    row_id, base, fields = raw.get("id"), raw.get("base_version", 0), raw.get("fields", {})
    deleted = raw.get("deleted", False)
    if not _is_uuid_like(row_id):
        raise ProtocolError(f"Each {table} change needs an id.", field=f"{table}.id")
    if isinstance(base, bool) or not isinstance(base, int) or base < 0:
        raise ProtocolError(f"{table}.base_version must be an integer >= 0.")
    if not isinstance(deleted, bool):
        raise ProtocolError(f"{table}.deleted must be true or false.")
    if not isinstance(fields, dict):
        raise ProtocolError(f"{table}.fields must be an object.")
    columns = COLUMNS[table]
    unknown = sorted(set(fields) - set(columns))
    if unknown:
        raise ProtocolError(f"Unknown field(s) of {table}: {', '.join(unknown)}.", field=table)
    values = {name: from_wire(table, columns[name], v) for name, v in fields.items()}
    return PushChange(table, row_id, base, values, deleted)


# --- merge rules and permissions ----------------------------------------------------------
# The rules live in app.domain (policy: one entry per table; lifecycle: statuses); these names
# are kept for the code that imports them from here. Head office decides from app.domain.

from app.domain import lifecycle as _lifecycle  # noqa: E402
from app.domain import policy as _policy  # noqa: E402

SERVER, DEVICE, conflict_winner = _policy.SERVER, _policy.DEVICE, _policy.conflict_winner
SERVER_WINS: dict[str, set[str]] = {
    p.table: set(p.server_wins) for p in _policy.POLICIES if p.server_wins
}
FINAL_STATUSES = set(_lifecycle.FINAL)
TECHNICIAN_WRITABLE = set(_policy.technician_writable())
TECHNICIAN_INTERVENTION_FIELDS = set(_policy.policy("interventions").technician_fields or ())
LOCKED_STATUSES = set(_lifecycle.LOCKED)


# --- cursor -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    s: int = 0  # pull sequence number of the device (acknowledges earlier pages)
    v0: int = 0  # every version <= v0 has been received (in scope)
    v1: int = 0  # high water of the current session
    o: int = 0  # 1 while a session is open (more pages to come)
    f: int = 0  # 1: this session also looks for in-scope rows the device does not hold
    fp: str = ""  # scope fingerprint when the session opened
    t: int = 0  # table index inside the session
    lv: int = 0  # last version sent in table t
    d: str = ""  # date the scope was evaluated on

    def encode(self) -> str:
        raw = json.dumps(asdict(self), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            cursor = cls(**data)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ProtocolError("The cursor is not valid.", field="cursor") from exc
        ints = (cursor.s, cursor.v0, cursor.v1, cursor.o, cursor.f, cursor.t, cursor.lv)
        if not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= INT_RANGE[1] for i in ints
        ):
            raise ProtocolError("The cursor is not valid.", field="cursor")
        if (
            not isinstance(cursor.d, str)
            or not isinstance(cursor.fp, str)
            or cursor.t > len(TABLES)
        ):
            raise ProtocolError("The cursor is not valid.", field="cursor")
        return cursor


# --- JSON ---------------------------------------------------------------------------------


def dumps(obj: Any) -> bytes:
    if _orjson is not None:
        return _orjson.dumps(obj)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises ProtocolError for malformed JSON or non-UTF-8 bytes."""
    try:
        if _orjson is not None:
            return _orjson.loads(data)
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"Malformed JSON: {exc}.") from exc
