"""A push request and its answer (docs/sync-protocol.md, rules 3 to 6): parsing, limits.

``parse_push`` validates a decoded push body against the columns of the device's schema
version (rule 9): a field that version does not know is refused like any unknown field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.reasons import code_of
from app.errors import PayloadTooLargeError
from app.sync import schema
from app.sync.schema import TABLE_INDEX, TABLES
from app.sync.wire import COLUMNS, K_BOOL, Column, ProtocolError, columns_at, from_wire, to_wire

MAX_BODY_BYTES = 16 * 1024 * 1024  # one push request
MAX_PUSH_ROWS = 5000  # rows in one push request
PUSH_BATCH_ROWS = 500  # rows the device puts in one batch


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
    schema: int | None = None  # the device's schema version (rule 9); None: this code's


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
    reason: str  # English text (every device shows it when it knows no better)
    row: dict | None = None  # head office's state of the row (wire form), if the user may see it

    def to_json(self) -> dict:
        """The wire form (rule 6): ``code`` and ``params`` only when the rule gave a code
        (``app.domain.reasons.Reason``); devices that predate them ignore them."""
        out = {"table": self.table, "id": self.id, "reason": str(self.reason), "row": self.row}
        code, params = code_of(self.reason)
        if code is not None:
            out["code"], out["params"] = code, params
        return out


@dataclass
class PushResult:
    applied: list[dict] = field(default_factory=list)  # {"table", "id", "version"}
    conflicts: list[Conflict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "applied": self.applied,
            "conflicts": [_wire_conflict(c) for c in self.conflicts],
            "rejected": [r.to_json() for r in self.rejected],
        }


def _wire_conflict(c: Conflict) -> dict:
    kind = COLUMNS[c.table][c.field].kind if c.field in COLUMNS[c.table] else K_BOOL
    return {
        "table": c.table,
        "id": c.id,
        "field": c.field,
        "winner": c.winner,
        "kept": to_wire(kind, c.kept),
        "lost": to_wire(kind, c.lost),
        "version": c.version,
    }


def _is_uuid_like(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 64 and value.isprintable()


def parse_push(body: Any, version: int | None = None) -> PushRequest:
    """Validate a decoded push body from a device of schema ``version`` (default: this
    code's). Raises ProtocolError with the first problem found."""
    history = schema.current()
    version = history.check(history.version if version is None else version)
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
    shape = columns_at(version)
    parsed: list[PushChange] = []
    for table in sorted(changes, key=TABLE_INDEX.__getitem__):
        rows = changes[table]
        if not isinstance(rows, list):
            raise ProtocolError(f"changes.{table} must be a list.", field=table)
        seen: set[str] = set()
        for raw in rows:
            change = _parse_change(table, shape[table], raw)
            if change.id in seen:
                raise ProtocolError(f"{table} row {change.id} appears twice in the batch.")
            seen.add(change.id)
            parsed.append(change)
    return PushRequest(batch_id=batch_id, device_id=device_id, changes=parsed, schema=version)


def _parse_change(table: str, columns: dict[str, Column], raw: Any) -> PushChange:
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
    unknown = sorted(set(fields) - set(columns))
    if unknown:
        raise ProtocolError(f"Unknown field(s) of {table}: {', '.join(unknown)}.", field=table)
    values = {name: from_wire(table, columns[name], v) for name, v in fields.items()}
    return PushChange(table, row_id, base, values, deleted)
