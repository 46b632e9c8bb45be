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

from peewee import JOIN, fn

from app.errors import PermissionDeniedError
from app.models import db
from app.sync import schema
from app.sync.cursor import DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT, Cursor
from app.sync.schema import FIRST_SCHEMA, MODELS, TABLE_INDEX, TABLES
from app.sync.wire import ProtocolError, dumps, rows_encoder
from headoffice.database import lock_rows, run, run_query, write_transaction
from headoffice.models import Device, DeviceRow
from headoffice.rows import select_by_column
from headoffice.scope import SHARED_TABLES, Principal, scope_queries
from headoffice.versions import VERSION

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
    """A pull page for a device of ``schema_version`` (None: this code's version).

    The usual pull of a technician (no session open, his scope's key sets as at his last
    session, no page lost) is served by ``_incremental``: read without locks, written (if
    anything was sent) in one short transaction; the other pulls by ``_session``, which
    holds the device's row lock throughout."""
    history = schema.current()
    version = history.check(history.version if schema_version is None else schema_version)
    cursor = Cursor.decode(cursor_text)
    reshaped = (cursor.sv or FIRST_SCHEMA) != version  # rows the device holds lack columns
    if not reshaped:
        device = _device_state(device_id)
        usual = device is not None and device.user_id == who.user_id and not cursor.o
        usual = usual and cursor.s == device.last_pull_seq and cursor.d == today.isoformat()
        if usual and cursor.v0 == device.counter:  # nothing changed: one read
            return PullPage({}, {}, cursor.encode(), False)
        if usual and cursor.v0:
            page = _incremental(who, device_id, device, cursor, limit, today, version)
            if page is not None:
                return page
    return _session(who, device_id, cursor, limit, today, version, reshaped)


@dataclass(frozen=True)
class _DeviceState:
    user_id: str
    last_pull_seq: int
    scope_fp: str | None
    counter: int  # the committed version when it was read


def _device_state(device_id: str) -> _DeviceState | None:
    """The device's row and the committed version, in one plain query, without locks."""
    row = run(_DEVICE_SQL.format(p=db.param), (VERSION, device_id)).fetchone()
    return None if row is None else _DeviceState(row[0], row[1], row[2], row[3] or 0)


_DEVICE_SQL = (
    "SELECT d.user_id, d.last_pull_seq, d.scope_fp,"
    " (SELECT c.value FROM sync_counters c WHERE c.name = {p})"
    " FROM sync_devices d WHERE d.id = {p}"
)


class _Moved(Exception):
    """The device's row changed between the read and the write (another pull of it)."""


def _incremental(
    who: Principal,
    device_id: str,
    device: _DeviceState,
    cursor: Cursor,
    limit: int,
    today: date,
    version: int,
) -> PullPage | None:
    """A new incremental session read without locks, or None when the pull needs a full
    session (or the device's row moved meanwhile): ``_session`` serves it.

    Correct without the device's lock because nothing it reads can change under it but by
    another pull of the same device, which the write detects: the page is recorded only if
    ``last_pull_seq`` is still the cursor's ``s`` (the same check ``_session`` makes under
    the lock), else it is dropped and ``_session`` starts again. With ``s`` the device's
    last page nothing is to be rolled back, and the rows the last page evicted (the only
    ones the acknowledgement deletes) are ones this session neither reads (evictions look
    at rows not yet evicted) nor needs (it sends versions above ``v0``, held or not). Rule 2
    as in ``_session``: ``high`` and the table maxima are read in one snapshot, before the
    scope, so every version up to ``high`` is visible to every later read.

    A session with nothing to send (the usual pull where others' changes moved the counter
    but nothing in this scope changed) writes nothing: the cursor keeps the device's page
    number and moves ``v0`` to ``high``."""
    scoped = not who.sees_everything
    high, latest = _versions()
    scope = scope_queries(who, today)
    fingerprint = scope.fingerprint if scope is not None else ""
    full = device.scope_fp != fingerprint
    if scoped and full:
        return None  # the scope's key sets changed: a full session, under the lock
    session = Cursor(
        s=cursor.s, v0=cursor.v0, v1=high, o=1, f=int(full), fp=fingerprint, sv=version
    )
    shape = schema.current().columns(version)
    page = _collect(session, scope, device_id if scoped else None, limit, latest, shape, who)
    t, lv = page.position
    done = t >= len(TABLES) and not page.more_evictions
    if done and not page.size and not page.skipped:  # nothing for this device: no write
        return PullPage(
            {}, {}, Cursor(s=cursor.s, v0=high, d=today.isoformat(), sv=version).encode(), False
        )
    seq = cursor.s + 1
    try:
        with write_transaction(db.obj):
            moved = run_query(
                Device.update(last_pull_seq=seq).where(
                    (Device.id == device_id)
                    & (Device.user == who.user_id)
                    & (Device.last_pull_seq == cursor.s)
                )
            )  # takes the device's row lock, held to the commit
            if moved.rowcount != 1:
                raise _Moved
            if scoped:
                _acknowledge(device_id, cursor.s, lost=False)
                _record(device_id, seq, page)
    except _Moved:
        return None
    return _answer(page, session, seq, done, t, lv, today, version)


def _session(
    who: Principal,
    device_id: str,
    cursor: Cursor,
    limit: int,
    today: date,
    version: int,
    reshaped: bool,
) -> PullPage:
    """Any pull, under the device's row lock: a session opened or continued, a full one
    (first sync, scope changed, pages lost), or a device with another schema version."""
    history = schema.current()
    with write_transaction(db.obj):
        device = lock_rows(Device.select().where(Device.id == device_id)).first()
        if device is None or device.user_id != who.user_id:
            raise PermissionDeniedError("This device is not registered for this user.")
        if cursor.s > device.last_pull_seq:
            raise CursorInvalidError("The cursor was not issued to this device.", field="cursor")
        high, latest = _versions()
        idle = not cursor.o and cursor.v0 == high and cursor.d == today.isoformat()
        if idle and not reshaped and cursor.s == device.last_pull_seq:  # one round trip
            return PullPage({}, {}, cursor.encode(), False)
        scoped = not who.sees_everything
        lost_pages = cursor.s < device.last_pull_seq
        if scoped:
            _acknowledge(device_id, cursor.s, lost=lost_pages)
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
        shape = history.columns(version)
        page = _collect(cursor, scope, device_id if scoped else None, limit, latest, shape, who)
        if scoped:
            _record(device_id, seq, page)
        t, lv = page.position
        done = t >= len(TABLES) and not page.more_evictions
        changes = {Device.last_pull_seq: seq}
        if done and scoped:  # the next session may skip the full look if the scope holds
            changes[Device.scope_fp] = fingerprint if fingerprint == cursor.fp else None
        Device.update(changes).where(Device.id == device_id).execute()
    return _answer(page, cursor, seq, done, t, lv, today, version)


def _answer(
    page: _Page, cursor: Cursor, seq: int, done: bool, t: int, lv: int, today: date, version: int
) -> PullPage:
    """The page as sent, with the cursor that continues (or closes) ``cursor``'s session."""
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


def _versions() -> tuple[int, dict[str, int]]:
    """The committed version (the session's high water) and the highest version of each
    synced table, in one statement: one snapshot, so no table holds a committed version
    above the first that the maxima miss (rule 2; index-only reads)."""
    rows = run(_VERSIONS_SQL.format(p=db.param), (VERSION,)).fetchall()
    latest = {table: version or 0 for table, version in rows}
    return latest.pop(""), latest


_VERSIONS_SQL = (
    "SELECT '', value FROM sync_counters WHERE name = {p} UNION ALL "
    + " UNION ALL ".join(f"SELECT '{t}', MAX(sync_version) FROM \"{t}\"" for t in TABLES)
)


def _mask(tables: set[str]) -> int:
    """The cursor's ``r``: bit i set for TABLES[i]."""
    return sum(1 << TABLE_INDEX[t] for t in tables)


def _acknowledge(device_id: str, ack: int, *, lost: bool) -> None:
    """Apply what the cursor says the device received: the rows evicted on pages up to
    ``ack`` are gone from it; when pages after ``ack`` were ``lost``, their evictions did not
    happen and their rows did not arrive. (Without lost pages the first statement is all,
    and an index lookup on the rows waiting for the acknowledgement: usually none.)"""
    mine = DeviceRow.device_id == device_id
    run_query(DeviceRow.delete().where(mine & (DeviceRow.evicted_page <= ack)))
    if lost:
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
            query = query.where(scope.conditions[table])  # the rows of scope[table]
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
        # raw tuples, in _selected order (not prepared: the scope's keys are inlined, and
        # PostgreSQL hashes a constant list but scans a parameter array for every row)
        sql, params = query.order_by(model.sync_version).limit(room).sql()
        rows = db.execute_sql(sql, params).fetchall()
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
        )
        query = DeviceRow.select(DeviceRow.row_id)
        if cursor.f:
            held &= DeviceRow.row_id.not_in(scope[table])
        else:  # joined to its row: out of scope is "the scope's condition is not true"
            model = MODELS[table]
            query = query.join(model, on=(model.id == DeviceRow.row_id)).where(
                (model.sync_version > cursor.v0)
                & (model.sync_version <= cursor.v1)
                & ~fn.COALESCE(scope.conditions[table], False)
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
