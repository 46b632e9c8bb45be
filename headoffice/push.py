"""Apply a push batch (sync rules 3 to 6; docs/sync-protocol.md).

The batch runs in one transaction that also stores its answer under (user, batch_id), so a
retried batch gets the same answer and applies nothing twice. Each row runs in a savepoint:
a row that breaks a rule or a constraint is rejected with a reason, the others apply. A row
is planned (the merge: what it would change, rule 4), decided (``headoffice.permissions``,
rule 6), then written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from peewee import DataError, IntegrityError

from app.domain.policy import DEVICE, conflict_winner, shared_tables
from app.errors import PermissionDeniedError
from app.models import db
from app.sync import schema
from app.sync.bounds import encodable
from app.sync.push_request import Conflict, PushChange, PushRequest, PushResult, Rejection
from app.sync.schema import MODELS
from app.sync.wire import COLUMNS, columns_at, row_to_wire, to_wire
from headoffice.database import lock_rows, write_transaction
from headoffice.models import Device, DeviceRow, PushBatch, RowMeta, SyncConflict
from headoffice.permissions import Refused, decide, decision_order, stamp_authorship
from headoffice.pull import redact, select_by_column
from headoffice.scope import Principal, scope_queries
from headoffice.versions import lock_versions, take_version

log = logging.getLogger(__name__)

DELETED = "_deleted"

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
        lock_versions()  # before any row lock: concurrent pushes cannot deadlock
        done = PushBatch.get_or_none(
            (PushBatch.user_id == who.user_id) & (PushBatch.batch_id == request.batch_id)
        )
        if done is not None:
            return done.response
        result = PushResult()
        for change in decision_order(request.changes, technician=not who.sees_everything):
            _apply(who, device_id, change, result)
        _attach_server_rows(who, result.rejected, today, request.schema)
        _make_encodable(result)
        if not who.sees_everything:
            _hold(device_id, result.applied)
        answer = result.to_json()
        PushBatch.create(
            user_id=who.user_id, batch_id=request.batch_id, device_id=device_id, response=answer
        )
    return answer


def _apply(who: Principal, device_id: str, change: PushChange, result: PushResult) -> None:
    model = MODELS[change.table]
    try:
        with db.atomic():
            current = lock_rows(model.select().where(model.id == change.id)).dicts().first()
            if current is not None:
                current = _by_column(model, current)
            else:
                stamp_authorship(who, change.table, change.fields)
            plan = _plan(device_id, change, current)
            effective = change.fields if current is None else plan.updates
            deleted = change.deleted if current is None else "deleted" in plan.updates
            decide(who, change.table, change.id, current, effective, deleted=deleted)
            version, conflicts = _write(model, device_id, change, current, plan)
            for c in conflicts:
                _record_conflict(c, device_id, who.user_id)
    except Refused as exc:
        result.rejected.append(Rejection(change.table, change.id, exc.reason))
        return
    except (IntegrityError, DataError) as exc:  # a constraint, or a value the column cannot hold
        # the database's text names its tables and constraints: logged, never sent
        log.info("push: %s %s rejected by the database: %s", change.table, change.id, exc)
        column = _offending_column(change.table, exc)
        where = f" (field {column})" if column else ""
        reason = (
            f"The row breaks a rule of head office's database{where}: a required value is "
            "missing, a reference points to no row, a value must be unique or is out of "
            "range; correct it and save again."
        )
        result.rejected.append(Rejection(change.table, change.id, reason))
        return
    result.applied.append({"table": change.table, "id": change.id, "version": version})
    result.conflicts.extend(conflicts)


def _hold(device_id: str, applied: list[dict]) -> None:
    """A row a technician's device pushed is held by that device, as if a pull had sent it:
    if it later leaves his scope before any pull sent it back, the pull must evict it (rule 1).
    It is recorded with an acknowledged page, so no rollback of lost pages forgets it."""
    if not applied:
        return
    seq = Device.select(Device.last_pull_seq).where(Device.id == device_id).scalar() or 0
    shared = shared_tables()
    rows = [
        {"device_id": device_id, "table_name": a["table"], "row_id": a["id"], "page_seq": seq}
        for a in applied
        if a["table"] not in shared
    ]
    for start in range(0, len(rows), 500):
        DeviceRow.insert_many(rows[start : start + 500]).on_conflict_ignore().execute()


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


def _by_column(model, row: dict) -> dict:
    """peewee dict rows are keyed by field name; the wire uses column names."""
    fields = model._meta.fields
    return {fields[name].column_name if name in fields else name: v for name, v in row.items()}


@dataclass
class _Plan:
    """What a change would write: ``updates`` (column -> value, ``deleted`` included) and
    the ``conflicts``, from the per-field metadata ``written`` (rule 4)."""

    updates: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    written: dict = field(default_factory=dict)
    meta_exists: bool = False


def _plan(device_id: str, change: PushChange, current: dict | None) -> _Plan:
    table = change.table
    meta = RowMeta.get_or_none((RowMeta.table_name == table) & (RowMeta.row_id == change.id))
    plan = _Plan(written=dict(meta.fields) if meta else {}, meta_exists=meta is not None)
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


def _write(model, device_id: str, change: PushChange, current: dict | None, plan: _Plan):
    """Write the planned change; returns (version, conflicts)."""
    table = change.table
    to_field = {c: model._meta.columns[c].name for c in change.fields}
    written = plan.written
    if current is None:
        version = take_version()
        values = {to_field[c]: v for c, v in change.fields.items()}
        model.insert(id=change.id, deleted=change.deleted, sync_version=version, **values).execute()
        written = {c: [version, device_id] for c in change.fields}
        if change.deleted:
            written[DELETED] = [version, device_id]
        _save_meta(table, change.id, written, exists=plan.meta_exists)
        return version, []
    updates, conflicts = plan.updates, plan.conflicts
    if not updates and not conflicts:
        return current["sync_version"], []
    version = take_version()
    values = {(to_field.get(c) or c): v for c, v in updates.items()}
    model.update(sync_version=version, **values).where(model.id == change.id).execute()
    for column in updates:
        written[DELETED if column == "deleted" else column] = [version, device_id]
    _save_meta(table, change.id, written, exists=plan.meta_exists)
    for c in conflicts:
        c.version = version
    return version, conflicts


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is not None and new is not None and float(old) == float(new)
    return old == new


def _save_meta(table: str, row_id: str, written: dict, *, exists: bool) -> None:
    if exists:
        RowMeta.update(fields=written).where(
            (RowMeta.table_name == table) & (RowMeta.row_id == row_id)
        ).execute()
    else:
        RowMeta.create(table_name=table, row_id=row_id, fields=written)


def _record_conflict(c: Conflict, device_id: str, user_id: str) -> None:
    kind = COLUMNS[c.table][c.field].kind if c.field in COLUMNS[c.table] else "bool"
    SyncConflict.create(
        table_name=c.table,
        row_id=c.id,
        field=c.field,
        winner=c.winner,
        kept=to_wire(kind, c.kept),
        lost=to_wire(kind, c.lost),
        version=c.version,
        device_id=device_id,
        user_id=user_id,
    )
