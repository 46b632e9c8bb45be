"""Serve a pull page (sync rules 1 and 2; docs/sync-protocol.md).

A pull *session* walks the tables in dependency order, each ordered by version, from the
cursor's position. For office users a row is sent when its version is above ``v0``; for a
technician, when it is in his scope and its version is above ``v0`` or the device does not
hold it yet; rows the device holds that left his scope are evicted at the end of the
session. What was sent is recorded per device with the page sequence number, and a cursor
from an older page rolls that record back (the device did not get the later pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from peewee import JOIN

from app.errors import PermissionDeniedError
from app.models import db
from app.sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MODELS,
    TABLES,
    Cursor,
    ProtocolError,
    row_to_wire,
)
from headoffice.database import lock_rows, write_transaction
from headoffice.models import Device, DeviceRow
from headoffice.scope import SHARED_TABLES, Principal, scope_queries
from headoffice.versions import committed_version


class CursorInvalidError(ProtocolError):
    """The cursor was not issued to this device (answered with 409)."""

    hint = "Forget the cursor and pull from the beginning."


@dataclass
class PullPage:
    changes: dict[str, list[dict]]
    evicted: dict[str, list[str]]
    cursor: str
    has_more: bool

    def to_json(self) -> dict:
        return {
            "changes": self.changes,
            "evicted": self.evicted,
            "cursor": self.cursor,
            "has_more": self.has_more,
        }


def parse_limit(value: str | int | None) -> int:
    if value in (None, ""):
        return DEFAULT_PULL_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError) as exc:
        raise ProtocolError("limit must be an integer.", field="limit") from exc
    if not 1 <= limit <= MAX_PULL_LIMIT:
        raise ProtocolError(f"limit must be between 1 and {MAX_PULL_LIMIT}.", field="limit")
    return limit


def pull(
    who: Principal, device_id: str, cursor_text: str | None, limit: int, today: date
) -> PullPage:
    cursor = Cursor.decode(cursor_text)
    with write_transaction(db.obj):
        device = lock_rows(Device.select().where(Device.id == device_id)).first()
        if device is None or device.user_id != who.user_id:
            raise PermissionDeniedError("This device is not registered for this user.")
        if cursor.s > device.last_pull_seq:
            raise CursorInvalidError("The cursor was not issued to this device.", field="cursor")
        high = committed_version()
        idle = not cursor.o and cursor.v0 == high and cursor.d == today.isoformat()
        if idle and cursor.s == device.last_pull_seq:  # nothing changed anywhere: one round trip
            return PullPage({}, {}, cursor.encode(), False)
        scoped = not who.sees_everything
        if scoped:
            _acknowledge(device_id, cursor.s)
        if not cursor.o:  # open a session up to the committed high water
            cursor = Cursor(s=cursor.s, v0=cursor.v0, v1=high, o=1)
        seq = device.last_pull_seq + 1
        Device.update(last_pull_seq=seq).where(Device.id == device_id).execute()
        scope = scope_queries(who, today)
        page = _collect(cursor, scope, device_id if scoped else None, limit)
        if scoped:
            _record(device_id, seq, page)
    t, lv = page.position
    done = t >= len(TABLES) and not page.more_evictions
    if done:
        next_cursor = Cursor(s=seq, v0=cursor.v1, d=today.isoformat())
    else:
        next_cursor = Cursor(
            s=seq, v0=cursor.v0, v1=cursor.v1, o=1, t=t, lv=lv, d=today.isoformat()
        )
    return PullPage(page.changes, page.evicted, next_cursor.encode(), not done)


def _acknowledge(device_id: str, ack: int) -> None:
    """Apply what the cursor says the device received: pages after ``ack`` were lost."""
    mine = DeviceRow.device_id == device_id
    DeviceRow.delete().where(mine & (DeviceRow.evicted_page <= ack)).execute()
    DeviceRow.update(evicted_page=None).where(mine & (DeviceRow.evicted_page > ack)).execute()
    DeviceRow.delete().where(mine & (DeviceRow.page_seq > ack)).execute()


@dataclass
class _Page:
    changes: dict[str, list[dict]]
    evicted: dict[str, list[str]]
    position: tuple[int, int]
    more_evictions: bool = False

    @property
    def size(self) -> int:
        return sum(map(len, self.changes.values())) + sum(map(len, self.evicted.values()))


def select_by_column(model):
    """Select every field under its column name (row_to_wire reads foreign keys as <x>_id)."""
    return model.select(*[f.alias(f.column_name) for f in model._meta.sorted_fields])


def _collect(cursor: Cursor, scope, device_id: str | None, limit: int) -> _Page:
    page = _Page({}, {}, (cursor.t, cursor.lv))
    t, lv = cursor.t, cursor.lv
    while t < len(TABLES):
        table = TABLES[t]
        model = MODELS[table]
        query = select_by_column(model).where(model.sync_version > lv)
        tracked = device_id is not None and table not in SHARED_TABLES
        if scope is not None and table in scope:
            query = query.where(model.id.in_(scope[table]))
        if tracked:
            held = DeviceRow.alias()
            query = query.join(
                held,
                JOIN.LEFT_OUTER,
                on=(
                    (held.device_id == device_id)
                    & (held.table_name == table)
                    & (held.row_id == model.id)
                ),
            ).where((model.sync_version > cursor.v0) | held.row_id.is_null())
        else:
            query = query.where(model.sync_version > cursor.v0)
        room = limit - page.size
        rows = list(query.order_by(model.sync_version).limit(room).dicts())
        if rows:
            page.changes[table] = [row_to_wire(table, r) for r in rows]
        if len(rows) == room:
            page.position = (t, rows[-1]["sync_version"])
            return page
        t, lv = t + 1, 0
    page.position = (t, 0)
    if device_id is not None and scope is not None:
        page.more_evictions = _evict(device_id, scope, page, limit)
    return page


def _evict(device_id: str, scope, page: _Page, limit: int) -> bool:
    """List rows the device holds that left the scope; True if more remain."""
    for table in reversed(TABLES):  # children before parents
        if table in SHARED_TABLES or table not in scope:
            continue
        room = limit - page.size
        gone = (
            DeviceRow.select(DeviceRow.row_id)
            .where(
                (DeviceRow.device_id == device_id)
                & (DeviceRow.table_name == table)
                & DeviceRow.evicted_page.is_null()
                & DeviceRow.row_id.not_in(scope[table])
            )
            .limit(room + 1)
            .tuples()
        )
        ids = [r[0] for r in gone]
        if len(ids) > room:
            if room:
                page.evicted[table] = ids[:room]
            return True
        if ids:
            page.evicted[table] = ids
    return False


def _record(device_id: str, seq: int, page: _Page) -> None:
    rows = [
        {"device_id": device_id, "table_name": t, "row_id": r["id"], "page_seq": seq}
        for t, rows in page.changes.items()
        if t not in SHARED_TABLES
        for r in rows
    ]
    for start in range(0, len(rows), 500):
        DeviceRow.insert_many(rows[start : start + 500]).on_conflict(
            conflict_target=[DeviceRow.device_id, DeviceRow.table_name, DeviceRow.row_id],
            update={DeviceRow.page_seq: seq, DeviceRow.evicted_page: None},
        ).execute()
    for table, ids in page.evicted.items():
        for start in range(0, len(ids), 500):
            DeviceRow.update(evicted_page=seq).where(
                (DeviceRow.device_id == device_id)
                & (DeviceRow.table_name == table)
                & DeviceRow.row_id.in_(ids[start : start + 500])
            ).execute()
