"""Apply a push batch (sync rules 3 to 6; docs/sync-protocol.md).

The batch runs in one transaction that also stores its answer under (user, batch_id), so a
retried batch gets the same answer and applies nothing twice. A row that breaks a rule or a
constraint is rejected with a reason, the others apply. Each row is planned (the merge: what
it would change, rule 4), decided (``headoffice.permissions``, rule 6), then written.

A push may carry 5,000 rows and must not hold SQLite's write lock for long, so it is applied
in batches (``_Batch``): table after table in the decision order, the table's rows and their
metadata are read in a few queries, every row is planned and decided in memory (the parents
the decisions read come from ``headoffice.rows.BatchRows``, read once), then the table's
writes go to the database as ``executemany`` in chunks, one savepoint per chunk. A chunk the
database refuses is halved until the refused rows are found (each then rejected alone), so a
bad row costs a few statements, not a savepoint for every row. Rows are written with
provisional versions in the order they are written; the counter is taken once, last, right
before the commit, and the rows stamped with their final versions
(``headoffice.versions.VersionBlock``): a batch's versions are contiguous. Before anything
else a push takes its batch's advisory lock and locks its rows and their parents in one
fixed order (``headoffice.rows.lock_family``), so pushes run in parallel without deadlocks
(docs/sync-protocol.md, "Concurrent pushes").
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from peewee import DataError, IntegrityError

from app.domain.policy import DEVICE, conflict_winner, policy, shared_tables
from app.domain.reasons import Reason
from app.errors import PermissionDeniedError
from app.models import db
from app.sync import schema
from app.sync.bounds import encodable
from app.sync.push_request import Conflict, PushChange, PushRequest, PushResult, Rejection
from app.sync.schema import MODELS
from app.sync.wire import COLUMNS, columns_at, dumps, loads, row_to_wire, to_wire
from headoffice.database import executemany, insert_rows, insert_values, write_transaction
from headoffice.models import Device, PushBatch, SyncConflict
from headoffice.permissions import (
    Refused,
    decide,
    decision_order,
    decision_stage,
    stamp_authorship,
)
from headoffice.pull import redact
from headoffice.rows import BatchRows, lock_family, select_by_column
from headoffice.scope import Principal, scope_queries
from headoffice.versions import VersionBlock, stamp

log = logging.getLogger(__name__)

DELETED = "_deleted"
CHUNK = 500  # rows written in one savepoint

# Called after each push batch commits (and for a replayed batch, with its stored answer):
# ``hook(who, answer)``. Head office's services register theirs (``headoffice.app``); a hook
# must be idempotent, and its failure is logged, never the push's.
AFTER_COMMIT: list[Callable[[Principal, dict], None]] = []


def add_after_commit(hook: Callable[[Principal, dict], None]) -> None:
    if hook not in AFTER_COMMIT:
        AFTER_COMMIT.append(hook)


def push(who: Principal, device_id: str, request: PushRequest, today: date) -> dict:
    """Apply ``request``; returns the JSON answer (the stored one for a known batch)."""
    answer = _push(who, device_id, request, today)
    if not db.obj.in_transaction():  # head office's own writes from a hook: no recursion
        for hook in AFTER_COMMIT:
            try:
                hook(who, answer)
            except Exception:
                log.exception("push: an after-commit step failed (the batch is committed)")
    return answer


def _push(who: Principal, device_id: str, request: PushRequest, today: date) -> dict:
    if request.device_id != device_id:
        raise PermissionDeniedError("device_id does not match the device of this token.")
    with write_transaction(db.obj):
        lock_batch(who.user_id, request.batch_id)  # a retried copy waits, then replays
        done = PushBatch.get_or_none(
            (PushBatch.user_id == who.user_id) & (PushBatch.batch_id == request.batch_id)
        )
        if done is not None:
            return done.response
        lock_family(request.changes)  # every row lock up front, in one order: no deadlock
        batch = _Batch(who, device_id)
        order = decision_order(request.changes, technician=not who.sees_everything)
        technician = not who.sees_everything

        def group(change) -> tuple[str, int]:
            return change.table, decision_stage(change, technician)

        for _, changes in itertools.groupby(order, key=group):
            batch.apply(list(changes))
        _attach_server_rows(who, batch.result.rejected, today, request.schema)
        if not who.sees_everything:
            _hold(device_id, batch.result.applied)
        result = batch.finish()  # the counter: the last lock, held for stamping and commit
        _make_encodable(result)
        answer = result.to_json()
        PushBatch.create(
            user_id=who.user_id, batch_id=request.batch_id, device_id=device_id, response=answer
        )
    return answer


def lock_batch(user_id: str, batch_id: str) -> None:
    """PostgreSQL: the batch's advisory lock (until the transaction ends), so a copy of the
    batch sent again while the first still runs waits for it and finds its stored answer.
    SQLite: nothing (one writer at a time)."""
    if db.obj.for_update:
        key = f"push:{user_id}:{batch_id}"
        db.execute_sql(f"SELECT pg_advisory_xact_lock(hashtextextended({db.param}, 0))", (key,))


@dataclass
class _Write:
    """One decided change: its plan, then (once written) its version, or the database's
    refusal. ``current`` None: an insert; ``kind`` None: nothing to write (applied as is)."""

    change: PushChange
    current: dict | None
    plan: _Plan
    kind: str | None  # "insert" | "update" | None
    version: int | None = None
    refusal: Rejection | None = None


class _Batch:
    """A push's changes, applied table after table (the decision order): the rows of a
    table and their metadata are read in a few queries, each change is decided and merged
    in memory, then the table's writes go to the database in chunks (``CHUNK`` rows, one
    statement per shape of row), before the next table is decided. A chunk the database
    refuses (a constraint) is split in halves until the offending rows are found: they are
    rejected, the others written. Versions are handed out in the order rows are written,
    so a batch's versions are contiguous whatever is refused."""

    def __init__(self, who: Principal, device_id: str):
        self.who, self.device_id = who, device_id
        self.rows = BatchRows()
        self.versions = VersionBlock()
        self.result = PushResult()
        self.written: dict[str, list[_Write]] = {}  # table -> its rows written, in order

    def apply(self, changes: list[PushChange]) -> None:
        table = changes[0].table
        ids = [c.id for c in changes]
        current = self.rows.load(table, ids)
        metas = _read_meta(table, ids)
        for link in policy(table).links:  # the parents the decisions read
            self.rows.prefetch(
                link.table,
                [c.fields.get(link.column) for c in changes]
                + [r.get(link.column) for r in current.values()],
            )
        outcomes = [self._decide(c, current.get(c.id), metas.get(c.id)) for c in changes]
        writes = [o for o in outcomes if isinstance(o, _Write) and o.kind is not None]
        for start in range(0, len(writes), CHUNK):
            self._write(table, writes[start : start + CHUNK])
        done = [w for w in writes if w.version is not None]
        self.written.setdefault(table, []).extend(done)
        self.rows.written(table, [w.change.id for w in done])
        for outcome in outcomes:
            if isinstance(outcome, Rejection):
                self.result.rejected.append(outcome)
            elif outcome.refusal is not None:
                self.result.rejected.append(outcome.refusal)
            else:
                version = outcome.version or outcome.current["sync_version"]
                applied = {"table": table, "id": outcome.change.id, "version": version}
                self.result.applied.append(applied)
                self.result.conflicts.extend(outcome.plan.conflicts)

    def finish(self) -> PushResult:
        """Take the versions from the counter (its lock, the last one), stamp the written
        rows with them, then write their metadata and the conflicts."""
        versions = self.versions
        base = versions.close()
        for table, writes in self.written.items():
            stamp(table, [w.change.id for w in writes], base)
            for w in writes:
                w.version = versions.final(w.version)
            _write_meta(table, writes, self.device_id)
        for applied in self.result.applied:
            applied["version"] = versions.final(applied["version"])
        for conflict in self.result.conflicts:
            conflict.version = versions.final(conflict.version)
        _record_conflicts(self.result.conflicts, self.device_id, self.who.user_id)
        return self.result

    def _decide(self, change: PushChange, current: dict | None, meta: dict | None):
        """The change merged (rule 4) and decided (rule 6): a ``_Write`` or a Rejection."""
        who, table = self.who, change.table
        if current is None:
            stamp_authorship(who, table, change.fields)
        plan = _plan(self.device_id, change, current, meta)
        effective = change.fields if current is None else plan.updates
        deleted = change.deleted if current is None else "deleted" in plan.updates
        try:
            decide(who, table, change.id, current, effective, deleted=deleted, rows=self.rows)
        except Refused as exc:
            return Rejection(table, change.id, exc.reason)
        if current is None:
            return _Write(change, None, plan, "insert")
        if not plan.updates and not plan.conflicts:
            return _Write(change, current, plan, None)
        return _Write(change, current, plan, "update")

    def _write(self, table: str, writes: list[_Write]) -> None:
        """Write ``writes`` in one savepoint; if the database refuses, halve and retry."""
        first = self.versions.next
        for i, w in enumerate(writes):
            w.version = first - i  # provisional: -1, -2, ... (``VersionBlock``)
        try:
            with db.atomic():
                _execute(MODELS[table], writes, self.device_id)
        except (IntegrityError, DataError) as exc:  # a constraint, or a value out of range
            for w in writes:
                w.version = None
            if len(writes) == 1:
                writes[0].refusal = _database_refusal(table, writes[0].change.id, exc)
                return
            half = len(writes) // 2
            self._write(table, writes[:half])
            self._write(table, writes[half:])
            return
        self.versions.take(len(writes))
        for w in writes:
            for c in w.plan.conflicts:
                c.version = w.version


def _database_refusal(table: str, row_id: str, exc: Exception) -> Rejection:
    # the database's text names its tables and constraints: logged, never sent
    log.info("push: %s %s rejected by the database: %s", table, row_id, exc)
    column = _offending_column(table, exc)
    where = f" (field {column})" if column else ""
    reason = Reason(
        "row.database",
        f"The row breaks a rule of head office's database{where}: a required value is "
        "missing, a reference points to no row, a value must be unique or is out of "
        "range; correct it and save again.",
        field=column,
    )
    return Rejection(table, row_id, reason)


def _hold(device_id: str, applied: list[dict]) -> None:
    """A row a technician's device pushed is held by that device, as if a pull had sent it:
    if it later leaves his scope before any pull sent it back, the pull must evict it (rule 1).
    It is recorded with an acknowledged page, so no rollback of lost pages forgets it."""
    if not applied:
        return
    seq = Device.select(Device.last_pull_seq).where(Device.id == device_id).scalar() or 0
    shared = shared_tables()
    insert_values(
        "sync_device_rows (device_id, table_name, row_id, page_seq)",
        [(device_id, a["table"], a["id"], seq) for a in applied if a["table"] not in shared],
        " ON CONFLICT DO NOTHING",
    )


def _attach_server_rows(
    who: Principal, rejected: list[Rejection], today: date, version: int | None
) -> None:
    """Give each rejection head office's state of the row, so the device can take it back
    (rule 6); None when the row does not exist here or the user may not see it."""
    if not rejected:
        return
    version = schema.current().version if version is None else version
    scope = scope_queries(who, today)
    for rejection in rejected:
        model = MODELS[rejection.table]
        if scope is not None and rejection.table not in shared_tables():
            visible = scope.get(rejection.table)
            if visible is None or not visible.where(model.id == rejection.id).exists():
                continue
        row = select_by_column(model).where(model.id == rejection.id).dicts().first()
        columns = columns_at(version)[rejection.table]  # in the device's shape (rule 9)
        rejection.row = (
            redact(who, rejection.table, row_to_wire(rejection.table, row, columns))
            if row
            else None
        )


def _make_encodable(result: PushResult) -> None:
    """A stored value that cannot be encoded (written before the bounds, or outside the API)
    must not make the answer fail: its batch commits and a retry gets the same answer. Such
    a value travels as null in the answer, and is logged."""
    for c in result.conflicts:
        kind = COLUMNS[c.table][c.field].kind if c.field in COLUMNS[c.table] else "bool"
        for side in ("kept", "lost"):
            if not encodable(to_wire(kind, getattr(c, side))):
                log.error("push: %s %s.%s %s value cannot be encoded", c.table, c.id, c.field, side)
                setattr(c, side, None)
    for rejection in result.rejected:
        for column, value in (rejection.row or {}).items():
            if not encodable(value):
                log.error("push: %s %s.%s cannot be encoded", rejection.table, rejection.id, column)
                rejection.row[column] = None


def _offending_column(table: str, exc: Exception) -> str | None:
    """The wire column a database error is about, when the error says (PostgreSQL's
    diagnostics; SQLite's "constraint failed: table.column")."""
    cause = getattr(exc, "orig", None) or exc.__cause__
    diag = getattr(cause, "diag", None)
    names = [getattr(diag, "column_name", None), getattr(diag, "constraint_name", None)]
    names += re.findall(r"failed: \w+\.(\w+)", str(exc))
    for name in filter(None, names):
        for column in COLUMNS[table]:
            if name == column or name.startswith((f"{table}_{column}_", f"{column}_")):
                return column
    return None


@dataclass
class _Plan:
    """What a change would write: ``updates`` (column -> value, ``deleted`` included) and
    the ``conflicts``, from the per-field metadata ``written`` (rule 4)."""

    updates: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    written: dict = field(default_factory=dict)


def _plan(device_id: str, change: PushChange, current: dict | None, meta: dict | None) -> _Plan:
    table = change.table
    plan = _Plan(written=dict(meta or {}))
    if current is None:
        return plan
    written = plan.written

    def changed_elsewhere(column: str) -> bool:
        last = written.get(column)
        return bool(last) and last[0] > change.base_version and last[1] != device_id

    updates, conflicts = plan.updates, plan.conflicts
    for column, new in change.fields.items():
        old = current[column]
        if _same(old, new):
            continue
        if changed_elsewhere(column):
            if conflict_winner(table, column, old) == DEVICE:
                updates[column] = new
                conflicts.append(Conflict(table, change.id, column, "device", new, old, 0))
            else:
                conflicts.append(Conflict(table, change.id, column, "server", old, new, 0))
        else:
            updates[column] = new
    if change.deleted and not current["deleted"]:
        updates["deleted"] = True
        if any(changed_elsewhere(c) for c in written if c != DELETED):
            conflicts.append(Conflict(table, change.id, DELETED, "device", True, False, 0))
    elif current["deleted"] and updates:
        conflicts.append(Conflict(table, change.id, DELETED, "server", True, False, 0))
    return plan


def _written(w: _Write, device_id: str) -> dict:
    """The row's per-field metadata once ``w`` is written at ``w.version``."""
    stamp = [w.version, device_id]
    if w.kind == "insert":
        written = {c: stamp for c in w.change.fields}
        if w.change.deleted:
            written[DELETED] = stamp
        return written
    written = dict(w.plan.written)
    for column in w.plan.updates:
        written[DELETED if column == "deleted" else column] = stamp
    return written


def _execute(model, writes: list[_Write], device_id: str) -> None:
    """The rows and their metadata, one ``executemany`` per shape of row."""
    columns = model._meta.columns
    inserts: list[dict] = []
    updates: dict[tuple[str, ...], list[list]] = {}
    for w in writes:
        if w.kind == "insert":
            row = {columns[c].name: v for c, v in w.change.fields.items()}
            row.update(id=w.change.id, deleted=w.change.deleted, sync_version=w.version)
            inserts.append(row)
        else:
            names = tuple(sorted(w.plan.updates))
            updates.setdefault(names, []).append(
                [*(w.plan.updates[c] for c in names), w.version, w.change.id]
            )
    insert_rows(model, inserts)
    for names, params in updates.items():
        fields = [columns[c] for c in (*names, "sync_version", "id")]
        sets = ", ".join(f'"{c}" = {db.param}' for c in (*names, "sync_version"))
        sql = f'UPDATE "{model._meta.table_name}" SET {sets} WHERE "id" = {db.param}'
        executemany(sql, [[f.db_value(v) for f, v in zip(fields, p, strict=True)] for p in params])


def _write_meta(table: str, writes: list[_Write], device_id: str) -> None:
    """The written rows' per-field metadata, once their versions are final."""
    insert_values(
        "sync_row_meta (table_name, row_id, fields)",
        [(table, w.change.id, dumps(_written(w, device_id)).decode()) for w in writes],
        " ON CONFLICT (table_name, row_id) DO UPDATE SET fields = excluded.fields",
    )


def _read_meta(table: str, ids: list[str]) -> dict[str, dict]:
    """Row id -> its per-field metadata (rule 4), for the rows of ``ids`` that have some.
    (``sync_row_meta.fields`` is JSON text: written and read here with the wire's codec, the
    ``RowMeta`` model reads it too.)"""
    found: dict[str, dict] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        marks = ", ".join([db.param] * len(chunk))
        sql = (
            "SELECT row_id, fields FROM sync_row_meta "
            f"WHERE table_name = {db.param} AND row_id IN ({marks})"
        )
        found.update((i, loads(f)) for i, f in db.execute_sql(sql, [table, *chunk]).fetchall())
    return found


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and float(old) == float(new)
    return old == new


def _record_conflicts(conflicts: list[Conflict], device_id: str, user_id: str) -> None:
    rows = []
    for c in conflicts:
        kind = COLUMNS[c.table][c.field].kind if c.field in COLUMNS[c.table] else "bool"
        rows.append(
            {
                "table_name": c.table,
                "row_id": c.id,
                "field": c.field,
                "winner": c.winner,
                "kept": to_wire(kind, c.kept),
                "lost": to_wire(kind, c.lost),
                "version": c.version,
                "device_id": device_id,
                "user_id": user_id,
            }
        )
    insert_rows(SyncConflict, rows)
