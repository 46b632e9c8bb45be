"""Serve a pull page (sync rules 1 and 2; docs/sync-protocol.md).

A pull *session* walks the tables in dependency order, each ordered by version, from the
cursor's position. For office users a row is sent when its version is above ``v0``; for a
technician, when it is in his scope and its version is above ``v0`` or the device does not
hold it yet; rows the device holds that left his scope are evicted at the end of the
session. What was sent is recorded per device with the page sequence number, and a cursor
from an older page rolls that record back (the device did not get the later pages).

Rows go out in the shape of the device's schema version (rule 9), which the cursor records
(``sv``): when a device comes back with another version, a new session opens in its shape and
sends whole the tables whose columns changed (``r``), so rows it already holds get the new
columns' values.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import date

from peewee import JOIN

from app.errors import PermissionDeniedError
from app.models import db
from app.sync import schema
from app.sync.cursor import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, Cursor
from app.sync.schema import FIRST_SCHEMA, MODELS, TABLE_INDEX, TABLES
from app.sync.wire import ProtocolError, dumps, rows_encoder
from headoffice.database import lock_rows, write_transaction
from headoffice.models import Device, DeviceRow
from headoffice.rows import select_by_column
from headoffice.scope import SHARED_TABLES, Principal, scope_queries
from headoffice.versions import VERSION, committed_version

log = logging.getLogger(__name__)

# A page stops taking rows past this many encoded bytes (a row larger than that goes alone on
# its page), so three 10 MB values are three pages, not one of 30 MB.
MAX_PAGE_BYTES = 4 * 1024 * 1024
# Errors a stored value may raise while it is made into a wire row or encoded.
_UNENCODABLE = (ValueError, TypeError, RecursionError, OverflowError)


class CursorInvalidError(ProtocolError):
    """The cursor was not issued to this device (answered with 409)."""

    hint = "Forget the cursor and pull from the beginning."


@dataclass
class PullPage:
    changes: dict[str, list[dict]]
    evicted: dict[str, list[str]]
    cursor: str
    has_more: bool
    skipped: dict[str, list[str]] = field(default_factory=dict)  # rows that cannot be encoded
    # The rows of each table of ``changes`` as JSON (``row,row,...``), encoded once when the
    # page was filled (the size check needs them): ``to_bytes`` does not encode them again.
    encoded: dict[str, bytearray] | None = None

    def to_json(self) -> dict:
        answer = {
            "changes": self.changes,
            "evicted": self.evicted,
            "cursor": self.cursor,
            "has_more": self.has_more,
        }
        if self.skipped:
            answer["skipped"] = self.skipped
        return answer

    def to_bytes(self) -> bytes:
        """The answer as JSON bytes: the same document as ``dumps(self.to_json())``."""
        if self.encoded is None:
            return dumps(self.to_json())
        tables = b",".join(
            dumps(table) + b":[" + rows + b"]" for table, rows in self.encoded.items()
        )
        tail = {"evicted": self.evicted, "cursor": self.cursor, "has_more": self.has_more}
        if self.skipped:
            tail["skipped"] = self.skipped
        return b'{"changes":{' + tables + b"}," + dumps(tail)[1:]


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
    who: Principal,
    device_id: str,
    cursor_text: str | None,
    limit: int,
    today: date,
    *,
    schema_version: int | None = None,
) -> PullPage:
    """A pull page for a device of ``schema_version`` (None: this code's version)."""
    history = schema.current()
    version = history.check(history.version if schema_version is None else schema_version)
    cursor = Cursor.decode(cursor_text)
    reshaped = (cursor.sv or FIRST_SCHEMA) != version  # rows the device holds lack columns
    if not reshaped and _idle(who, device_id, cursor, today):  # nothing changed: one read
        return PullPage({}, {}, cursor.encode(), False)
    with write_transaction(db.obj):
        device = lock_rows(Device.select().where(Device.id == device_id)).first()
        if device is None or device.user_id != who.user_id:
            raise PermissionDeniedError("This device is not registered for this user.")
        if cursor.s > device.last_pull_seq:
            raise CursorInvalidError("The cursor was not issued to this device.", field="cursor")
        high = committed_version()
        idle = not cursor.o and cursor.v0 == high and cursor.d == today.isoformat()
        if idle and not reshaped and cursor.s == device.last_pull_seq:  # one round trip
            return PullPage({}, {}, cursor.encode(), False)
        scoped = not who.sees_everything
        lost_pages = cursor.s < device.last_pull_seq
        if scoped:
            _acknowledge(device_id, cursor.s)
        latest = table_versions()
        scope = scope_queries(who, today)
        fingerprint = scope.fingerprint if scope is not None else ""
        if not cursor.o or reshaped:  # open a session up to the committed high water
            # A full session also looks for in-scope rows the device does not hold (first
            # sync, scope changed, pages lost); otherwise only versions above v0 are read.
            # A device with another schema version gets the tables whose columns changed
            # whole (a session it left open is started again, in its new shape).
            full = (cursor.o and cursor.f) or cursor.v0 == 0 or lost_pages
            full = full or device.scope_fp != fingerprint
            changed = history.changed_tables(cursor.sv or FIRST_SCHEMA, version)
            resend = cursor.r | _mask(changed) if cursor.v0 else 0
            cursor = Cursor(
                s=cursor.s, v0=cursor.v0, v1=high, o=1, f=int(full), fp=fingerprint,
                sv=version, r=resend,
            )  # fmt: skip
        seq = device.last_pull_seq + 1
        Device.update(last_pull_seq=seq).where(Device.id == device_id).execute()
        shape = history.columns(version)
        page = _collect(cursor, scope, device_id if scoped else None, limit, latest, shape, who)
        if scoped:
            _record(device_id, seq, page)
        t, lv = page.position
        done = t >= len(TABLES) and not page.more_evictions
        if done and scoped:  # the next session may skip the full look if the scope holds
            settled = fingerprint if fingerprint == cursor.fp else None
            Device.update(scope_fp=settled).where(Device.id == device_id).execute()
    if done:
        next_cursor = Cursor(s=seq, v0=cursor.v1, d=today.isoformat(), sv=version)
    else:
        next_cursor = Cursor(
            s=seq, v0=cursor.v0, v1=cursor.v1, o=1, f=cursor.f, fp=cursor.fp, t=t, lv=lv,
            d=today.isoformat(), sv=version, r=cursor.r,
        )  # fmt: skip
    return PullPage(
        page.changes, page.evicted, next_cursor.encode(), not done, page.skipped, page.encoded
    )


def _idle(who: Principal, device_id: str, cursor: Cursor, today: date) -> bool:
    """True when the cursor is up to date: no session open, nothing committed since, same
    day, and it is the device's last cursor. Read without locks: a change committed right
    after this read is served by the next pull (its version is above ``v0``)."""
    if cursor.o or cursor.d != today.isoformat() or not cursor.s:
        return False
    row = db.execute_sql(_IDLE_SQL.format(p=db.param), (VERSION, device_id)).fetchone()
    if row is None or row[0] != who.user_id:
        return False  # the locked path answers (and refuses) it
    return cursor.s == row[1] and cursor.v0 == (row[2] or 0)


# The usual pull of a device that is up to date: one plain query, no ORM building.
_IDLE_SQL = (
    "SELECT d.user_id, d.last_pull_seq, (SELECT c.value FROM sync_counters c WHERE c.name = {p})"
    " FROM sync_devices d WHERE d.id = {p}"
)


def _mask(tables: set[str]) -> int:
    """The cursor's ``r``: bit i set for TABLES[i]."""
    return sum(1 << TABLE_INDEX[t] for t in tables)


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
    bytes: int = 0  # encoded size of the rows taken
    skipped: dict[str, list[str]] = field(default_factory=dict)
    encoded: dict[str, bytearray] = field(default_factory=dict)  # the rows' JSON, per table

    @property
    def size(self) -> int:
        return sum(map(len, self.changes.values())) + sum(map(len, self.evicted.values()))


@functools.cache
def _selected(table: str) -> tuple[tuple[str, ...], int]:
    """The columns ``select_by_column`` reads, in order, and the position of sync_version."""
    names = tuple(f.column_name for f in MODELS[table]._meta.sorted_fields)
    return names, names.index("sync_version")


def table_versions() -> dict[str, int]:
    """The highest version of each synced table, in one round trip (index-only reads)."""
    sql = " UNION ALL ".join(f"SELECT '{t}', MAX(sync_version) FROM \"{t}\"" for t in TABLES)
    return {table: version or 0 for table, version in db.execute_sql(sql).fetchall()}


def _collect(
    cursor: Cursor, scope, device_id: str | None, limit: int, latest, shape, who: Principal
) -> _Page:
    page = _Page({}, {}, (cursor.t, cursor.lv))
    t, lv = cursor.t, cursor.lv
    while t < len(TABLES):
        table = TABLES[t]
        model = MODELS[table]
        whole = bool(cursor.r >> t & 1)  # its columns changed: the device's rows lack some
        since = 0 if whole else cursor.v0
        tracked = device_id is not None and table not in SHARED_TABLES and bool(cursor.f)
        tracked = tracked and not whole
        if not tracked and latest[table] <= max(since, lv):
            t, lv = t + 1, 0  # nothing in this table changed since the cursor
            continue
        # only versions up to the session's high water: every one of them was committed when
        # the session opened (rule 2); later ones belong to the next session
        query = select_by_column(model).where(
            (model.sync_version > lv) & (model.sync_version <= cursor.v1)
        )
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
        elif since:
            query = query.where(model.sync_version > since)
        room = limit - page.size
        sql, params = query.order_by(model.sync_version).limit(room).sql()
        rows = db.execute_sql(sql, params).fetchall()  # raw tuples, in _selected order
        selected, version_at = _selected(table)
        taken = _take(table, rows, page, who, rows_encoder(table, selected, shape[table]))
        if taken < len(rows):  # the page is full (bytes): the next one starts after the last
            page.position = (t, rows[taken - 1][version_at] if taken else lv)
            return page
        if len(rows) == room:
            page.position = (t, rows[-1][version_at])
            return page
        t, lv = t + 1, 0
    page.position = (t, 0)
    if device_id is not None and scope is not None:
        page.more_evictions = _evict(device_id, scope, page, limit, cursor, latest)
    return page


# What a technician receives of other people (MUST 1: users and technicians by names and
# roles only): these columns blanked. The user name becomes the row id (unique on the
# device, and nobody's sign-in name). His own rows come whole.
PRIVATE_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"email": "", "locale": ""},
    "technicians": {"phone": "", "skills": ""},
}


def redact(who: Principal, table: str, row: dict) -> dict:
    """``row`` (wire form) as ``who`` may receive it: other people's contact details and
    sign-in names are blanked for technicians."""
    private = PRIVATE_COLUMNS.get(table)
    if private is None or who.sees_everything:
        return row
    own = who.user_id if table == "users" else who.technician_id
    if row["id"] == own:
        return row
    row.update(private)
    if table == "users":
        row["username"] = row["id"]
    return row


def _take(table: str, rows: list[tuple], page: _Page, who: Principal, encode) -> int:
    """Add ``rows`` (in version order) to the page while it stays under MAX_PAGE_BYTES;
    returns how many were taken or skipped. A row that cannot be encoded is logged, listed
    in ``skipped`` (the office sees it in its pull answer) and passed over: it never fails
    a pull."""
    id_at = _selected(table)[0].index("id")
    out = page.changes.get(table, [])
    blobs = page.encoded.get(table) or bytearray()
    taken = len(rows)
    for n, raw in enumerate(rows):
        try:
            row = encode((raw,))[0]
            if table in PRIVATE_COLUMNS:
                row = redact(who, table, row)
            blob = dumps(row)  # encoded once: the page joins these bytes (PullPage.to_bytes)
            size = len(blob) + 1
        except _UNENCODABLE as exc:
            row_id = raw[id_at]
            log.error("pull: %s %s cannot be encoded, skipped: %s", table, row_id, exc)
            page.skipped.setdefault(table, []).append(row_id)
            continue
        if page.bytes and page.bytes + size > MAX_PAGE_BYTES:
            taken = n
            break
        page.bytes += size
        out.append(row)
        if blobs:
            blobs += b","
        blobs += blob
    if out:
        page.changes[table] = out
        page.encoded[table] = blobs
    return taken


def _evict(device_id: str, scope, page: _Page, limit: int, cursor: Cursor, latest) -> bool:
    """List rows the device holds that left the scope; True if more remain.

    A full session checks every held row; otherwise the scope's key sets did not change, so
    only rows whose own version changed in this session (v0, v1] can have left it."""
    for table in reversed(TABLES):  # children before parents
        if table in SHARED_TABLES or table not in scope:
            continue
        if not cursor.f and latest[table] <= cursor.v0:
            continue  # no row of this table changed in the session: none can have left
        room = limit - page.size
        held = (
            (DeviceRow.device_id == device_id)
            & (DeviceRow.table_name == table)
            & DeviceRow.evicted_page.is_null()
            & DeviceRow.row_id.not_in(scope[table])
        )
        query = DeviceRow.select(DeviceRow.row_id)
        if not cursor.f:
            model = MODELS[table]
            query = query.join(model, on=(model.id == DeviceRow.row_id)).where(
                (model.sync_version > cursor.v0) & (model.sync_version <= cursor.v1)
            )
        gone = query.where(held).limit(room + 1).tuples()
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
    # A row already recorded keeps the page that first sent it: if this page is lost, the
    # device still holds the earlier copy, and head office must not forget it (it would never
    # evict it). Its new state is sent again anyway: its version is above the cursor's v0.
    for start in range(0, len(rows), 500):
        DeviceRow.insert_many(rows[start : start + 500]).on_conflict(
            conflict_target=[DeviceRow.device_id, DeviceRow.table_name, DeviceRow.row_id],
            update={DeviceRow.evicted_page: None},
        ).execute()
    for table, ids in page.evicted.items():
        for start in range(0, len(ids), 500):
            DeviceRow.update(evicted_page=seq).where(
                (DeviceRow.device_id == device_id)
                & (DeviceRow.table_name == table)
                & DeviceRow.row_id.in_(ids[start : start + 500])
            ).execute()
