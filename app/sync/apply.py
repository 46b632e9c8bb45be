"""Apply one pull page: bulk upserts and evictions, in one transaction with the new cursor.

Speed matters (a first sync brings tens of thousands of rows), so this step bypasses the
models: it works on the raw ``sqlite3`` connection with one ``executemany`` upsert per
table (``INSERT ... ON CONFLICT(id) DO UPDATE``). Wire values are stored as the models
store them, by the wire module's definition (``wire.STORED`` / ``wire.STORED_SQL``: date-times
get a space instead of the 'T' inside the statement, JSON columns are serialised, booleans
bind as 0/1). Nothing here goes through ``save``, so pulled
rows are not tracked as local changes.

Foreign keys are not enforced on this connection during the apply: a page may reference rows
of a later page, and a kept row (pending local changes) may reference an evicted one. SQLite
only changes ``PRAGMA foreign_keys`` outside a transaction: it is switched off before BEGIN
and restored after COMMIT/ROLLBACK. Other connections (the UI's) keep enforcing them.

Rule 7: columns pending in the outbox are not overwritten, and the row's ``sync_version``
does not move while any are pending; evicted rows with pending changes are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from app.models import db
from app.sync.schema import TABLES
from app.sync.store import SyncOutbox, get_state, set_state
from app.sync.wire import COLUMNS, STORED, STORED_SQL

CURSOR = "cursor"
# Rows evicted while they had unsent changes: kept until those are pushed, then removed.
EVICT_AFTER_PUSH = "evict_after_push"
# Device columns the wire never fills (server-only): value for a new row.
LOCAL_DEFAULTS: dict[str, dict[str, str]] = {"users": {"password_hash": ""}}


@dataclass
class ApplyResult:
    rows: int = 0  # rows upserted
    kept: int = 0  # of them, rows with pending local columns (merged, not overwritten)
    evicted: int = 0
    kept_evicted: int = 0  # evictions skipped: pending local changes


@dataclass(frozen=True)
class _TablePlan:
    columns: list[str]  # device columns in statement order
    wire_keys: list[str]  # matching keys of a wire row
    converts: list[tuple[int, Callable[[Any], Any]]]  # positions stored after a Python step
    marks: dict[str, str]  # column -> its placeholder in a statement
    upsert_sql: str

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        try:
            values = list(itemgetter(*self.wire_keys)(row))
        except KeyError:  # a column missing from the row: store NULL (the server sends all)
            values = [row.get(k) for k in self.wire_keys]
        for i, store in self.converts:
            if values[i] is not None:
                values[i] = store(values[i])
        return values

    def upsert(self, conn, rows: list[Mapping[str, Any]]) -> None:
        """Upsert ``rows``. A table whose columns all bind as they come (most, and the big
        ones) feeds ``executemany`` straight from ``itemgetter`` (no Python call per row: a
        first sync's 100k interventions); a row missing a column, or a table with columns
        to convert, goes through ``values``. Upserts are idempotent, so starting the table
        again after a missing column is safe."""
        if not self.converts:
            try:
                conn.executemany(self.upsert_sql, map(itemgetter(*self.wire_keys), rows))
                return
            except KeyError:
                pass
        conn.executemany(self.upsert_sql, [self.values(r) for r in rows])


def _plan(table: str) -> _TablePlan:
    wire = COLUMNS[table]
    columns = ["id", *wire, "deleted", "sync_version"]
    wire_keys = ["id", *wire, "_deleted", "_version"]
    kinds = {name: c.kind for name, c in wire.items()}
    marks = {c: STORED_SQL.get(kinds.get(c), "?") for c in columns}
    defaults = LOCAL_DEFAULTS.get(table, {})
    names = ", ".join(f'"{c}"' for c in [*columns, *defaults])
    literals = ["'" + v.replace("'", "''") + "'" for v in defaults.values()]
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != "id")
    sql = (
        f'INSERT INTO "{table}" ({names}) VALUES ({", ".join([*marks.values(), *literals])}) '
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    converts = [(i, STORED[kinds[c]]) for i, c in enumerate(columns) if kinds.get(c) in STORED]
    return _TablePlan(columns, wire_keys, converts, marks, sql)


PLANS: dict[str, _TablePlan] = {t: _plan(t) for t in TABLES}


def apply_page(page: Mapping[str, Any], *, state: Mapping[str, Any] | None = None) -> ApplyResult:
    """Apply ``page`` (a decoded pull answer) and save its cursor (and ``state``) atomically.

    Must be called outside a transaction (foreign keys are switched per connection).
    """
    conn = db.connection()
    if conn.in_transaction:
        raise RuntimeError("apply_page must run outside a transaction")
    fk = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic("IMMEDIATE"):
            result = _apply(conn, page)
            set_state(CURSOR, page["cursor"])
            for key, value in (state or {}).items():
                set_state(key, value)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {int(fk)}")
    return result


def _apply(conn, page: Mapping[str, Any]) -> ApplyResult:
    result = ApplyResult()
    changes: Mapping[str, list] = page.get("changes") or {}
    evicted: Mapping[str, list] = page.get("evicted") or {}
    pending = _pending(set(changes) | set(evicted))
    for table in TABLES:
        rows = changes.get(table)
        if not rows:
            continue
        plan, held = PLANS[table], pending.get(table, {})
        clean = [r for r in rows if r["id"] not in held] if held else rows
        plan.upsert(conn, clean)
        for row in rows if held else ():
            if row["id"] in held:
                _merge(conn, table, plan, row, held[row["id"]])
                result.kept += 1
        result.rows += len(rows)
    for table in reversed(TABLES):  # children before parents
        ids = evicted.get(table)
        if not ids or table not in PLANS:
            continue
        held = pending.get(table, {})
        gone = [(i,) for i in ids if i not in held]
        conn.executemany(f'DELETE FROM "{table}" WHERE id = ?', gone)
        result.evicted += len(gone)
        kept = [[table, i] for i in ids if i in held]
        result.kept_evicted += len(kept)
        if kept:  # head office now thinks they are gone: remove them once pushed (push.py)
            set_state(EVICT_AFTER_PUSH, (get_state(EVICT_AFTER_PUSH) or []) + kept)
    return result


def take_server_rows(refusals: list[Mapping[str, Any]]) -> None:
    """Rejected changes (rule 6): put back head office's state of each row, carried by the
    push answer. Columns still pending (changed again after the push) are kept. Runs inside
    the caller's transaction."""
    changes: dict[str, list] = {}
    for refusal in refusals:
        changes.setdefault(refusal["table"], []).append(refusal["row"])
    _apply(db.connection(), {"changes": changes})


def _pending(tables: set[str]) -> dict[str, dict[str, set[str]]]:
    """table -> row id -> columns pending in the outbox, for the tables of the page."""
    pending: dict[str, dict[str, set[str]]] = {}
    if not tables:
        return pending
    query = SyncOutbox.select().where(SyncOutbox.table_name.in_(sorted(tables)))
    for entry in query:
        pending.setdefault(entry.table_name, {})[entry.row_id] = set(entry.fields)
    return pending


def _merge(conn, table: str, plan: _TablePlan, row: Mapping[str, Any], held: set[str]) -> None:
    """A pulled row with pending local columns: take the server's other columns only."""
    exists = conn.execute(f'SELECT 1 FROM "{table}" WHERE id = ?', (row["id"],)).fetchone()
    if not exists:  # pending but absent locally (should not happen): take the server's row
        conn.execute(plan.upsert_sql, plan.values(row))
        return
    values = dict(zip(plan.columns, plan.values(row), strict=True))
    take = [c for c in plan.columns if c not in held and c not in ("id", "sync_version")]
    if not take:
        return
    sets = ", ".join(f'"{c}" = {plan.marks[c]}' for c in take)
    conn.execute(
        f'UPDATE "{table}" SET {sets} WHERE id = ?', [*(values[c] for c in take), row["id"]]
    )
