"""Collect: outbox rows and their current values, as wire changes in table order.

A change carries only the pending columns (wire values read now from the row), the row's
``sync_version`` as ``base_version`` and the revisions sent, which the mark step compares
with the outbox after the answer (rule 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models import db
from app.sync.schema import TABLE_INDEX
from app.sync.store import SyncOutbox
from app.sync.tracking import DELETED
from app.sync.wire import COLUMNS, to_wire

_CHUNK = 500  # ids per SELECT (below SQLite's variable limit)


@dataclass
class OutgoingChange:
    table: str
    id: str
    base_version: int
    fields: dict[str, Any]  # wire values by column
    deleted: bool
    revisions: dict[str, int] = field(default_factory=dict)  # column -> revision sent

    def to_wire(self) -> dict:
        change = {"id": self.id, "base_version": self.base_version, "fields": self.fields}
        if self.deleted:
            change["deleted"] = True
        return change


def pending_keys() -> list[tuple[str, str]]:
    """(table, row id) of every outbox row, parents' tables first."""
    keys = SyncOutbox.select(SyncOutbox.table_name, SyncOutbox.row_id).tuples()
    return sorted(keys, key=lambda k: (TABLE_INDEX.get(k[0], len(TABLE_INDEX)), k[1]))


def collect(keys: list[tuple[str, str]]) -> list[OutgoingChange]:
    """The changes for ``keys`` (in that order). Outbox rows whose row is gone are dropped."""
    wanted = {(k[0], k[1]) for k in keys}
    outbox = (
        {
            (o.table_name, o.row_id): o.fields
            for o in SyncOutbox.select().where(SyncOutbox.row_id.in_([k[1] for k in keys]))
            if (o.table_name, o.row_id) in wanted
        }
        if keys
        else {}
    )
    rows = _read_rows(keys)
    changes: list[OutgoingChange] = []
    for key in keys:
        revisions, row = outbox.get(key), rows.get(key)
        if revisions is None:
            continue
        if row is None or key[0] not in COLUMNS:  # hard-deleted locally: nothing to send
            _forget(key)
            continue
        changes.append(_change(key[0], row, revisions))
    return changes


def _change(table: str, row: dict[str, Any], revisions: dict[str, int]) -> OutgoingChange:
    columns = COLUMNS[table]
    values = {c: to_wire(columns[c].kind, row[c]) for c in revisions if c in columns}
    return OutgoingChange(
        table=table,
        id=row["id"],
        base_version=int(row["sync_version"] or 0),
        fields=values,
        deleted=DELETED in revisions and bool(row[DELETED]),
        revisions=dict(revisions),
    )


def _read_rows(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    by_table: dict[str, list[str]] = {}
    for table, row_id in keys:
        if table in COLUMNS:
            by_table.setdefault(table, []).append(row_id)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for table, ids in by_table.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            cursor = db.execute_sql(f'SELECT * FROM "{table}" WHERE id IN ({marks})', chunk)
            names = [d[0] for d in cursor.description]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                rows[(table, row["id"])] = row
    return rows


def _forget(key: tuple[str, str]) -> None:
    SyncOutbox.delete().where(
        (SyncOutbox.table_name == key[0]) & (SyncOutbox.row_id == key[1])
    ).execute()
