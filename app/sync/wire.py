"""The wire encoding of rows, the one definition both sides use (docs/sync-protocol.md).

A value has a *kind* (text, int, float, bool, date, datetime, json) given by its model field.
``TO_WIRE`` turns a database value into its JSON wire form (head office's pull pages, the
device's pushes); ``from_wire`` validates a pushed value (head office); ``STORED`` /
``STORED_SQL`` turn a wire value back into what a device's SQLite stores (the apply).
``rows_encoder`` builds, once per table and shape, the fast converter head office uses for
pull pages from raw database tuples. No I/O here.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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

from app.errors import ValidationError
from app.models import JSONField
from app.sync import schema
from app.sync.bounds import check_json
from app.sync.schema import MODELS

try:  # a fast JSON codec where available (head office, desktop); stdlib json elsewhere
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the platform
    _orjson = None

MAX_TEXT_CHARS = 100_000
INT_RANGE = (-(2**63), 2**63 - 1)

# Value kinds on the wire.
K_TEXT, K_INT, K_FLOAT, K_BOOL, K_DATE, K_DATETIME, K_JSON = (
    "text", "int", "float", "bool", "date", "datetime", "json",
)  # fmt: skip


class ProtocolError(ValidationError):
    """A request that does not follow the protocol (answered with HTTP 400)."""

    hint = "Fix the request so that it follows docs/sync-protocol.md."


def kind_of(f: Field) -> str:
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


def _columns(table: str) -> dict[str, Column]:
    fields = MODELS[table]._meta.columns
    return {
        name: Column(name, kind_of(fields[name]), bool(fields[name].null))
        for name in schema.model_columns(table)
    }


# Wire columns of each table today (without id / _version / _deleted).
COLUMNS: dict[str, dict[str, Column]] = {t: _columns(t) for t in MODELS}


def columns_at(version: int) -> dict[str, dict[str, Column]]:
    """The wire columns of each table at schema ``version`` (only those it knows)."""
    shape = schema.current().columns(version)
    return {t: {c: COLUMNS[t][c] for c in names} for t, names in shape.items()}


# --- values -------------------------------------------------------------------------------


def _wire_datetime(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace(" ", "T", 1)  # as SQLite stores it


def _wire_date(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _wire_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # stored as text


# A non-null database (or Python) value as its wire form, by kind; other kinds travel as is.
TO_WIRE: dict[str, Callable[[Any], Any]] = {
    K_DATETIME: _wire_datetime, K_DATE: _wire_date, K_BOOL: bool, K_JSON: _wire_json,
}  # fmt: skip


def stored_json(value: Any) -> str:
    """A JSON wire value as the text a JSON column stores (``app.models.JSONField``)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# A non-null wire value as a device's SQLite stores it, by kind: a Python step (STORED) or a
# placeholder that finishes the conversion inside the statement (STORED_SQL: date-times get
# a space instead of the 'T'); other kinds bind as they are (booleans as 0/1).
STORED: dict[str, Callable[[Any], Any]] = {K_JSON: stored_json}
STORED_SQL: dict[str, str] = {K_DATETIME: "replace(?, 'T', ' ')"}


def to_wire(kind: str, value: Any) -> Any:
    """A Python/DB value as its JSON wire form."""
    if value is None:
        return None
    encode = TO_WIRE.get(kind)
    return value if encode is None else encode(value)


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


# --- rows ---------------------------------------------------------------------------------


def row_to_wire(
    table: str, row: Mapping[str, Any], columns: Mapping[str, Column] | None = None
) -> dict[str, Any]:
    """A DB row (dict by column name, with id/sync_version/deleted) as a pulled wire row,
    with ``columns`` (default: today's columns of ``table``)."""
    out = {"id": row["id"]}
    for name, column in (COLUMNS[table] if columns is None else columns).items():
        out[name] = to_wire(column.kind, row.get(name))
    out["_version"] = row["sync_version"]
    out["_deleted"] = bool(row["deleted"])
    return out


@functools.cache
def rows_encoder(
    table: str, selected: tuple[str, ...], wire_columns: tuple[str, ...]
) -> Callable[[Sequence[Sequence[Any]]], list[dict]]:
    """A function making wire rows (as ``row_to_wire`` does) from raw DB tuples whose values
    are the columns ``selected``, in that order, sending only ``wire_columns``: built once
    per table and shape, it converts only the values whose kind needs it."""
    keys: list[str | None] = []
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for i, name in enumerate(selected):
        if name == "sync_version":
            keys.append("_version")
        elif name == "deleted":
            keys.append("_deleted")
            convert.append((i, bool))
        elif name == "id" or name in wire_columns:
            keys.append(name)
            encode = TO_WIRE.get(COLUMNS[table][name].kind) if name != "id" else None
            if encode is not None:
                convert.append((i, encode))
        else:  # not in this shape, or server-only (users.password_hash): never sent
            keys.append(None)
    dropped = None in keys

    def encode_rows(rows: Sequence[Sequence[Any]]) -> list[dict]:
        out = []
        for raw in rows:
            values = list(raw)
            for i, fn in convert:
                if values[i] is not None:
                    values[i] = fn(values[i])
            row = dict(zip(keys, values, strict=True))
            if dropped:
                del row[None]
            out.append(row)
        return out

    return encode_rows


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
