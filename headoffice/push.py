"""Apply a push batch (sync rules 3 to 6; docs/sync-protocol.md).

The batch runs in one transaction that also stores its answer under (user, batch_id), so a
retried batch gets the same answer and applies nothing twice. Each row runs in a savepoint:
a row that breaks a rule or a constraint is rejected with a reason, the others apply.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from peewee import DataError, IntegrityError

from app.errors import PermissionDeniedError
from app.models import db
from app.sync import schema
from app.sync.protocol import (
    DEVICE,
    LOCKED_STATUSES,
    TECHNICIAN_INTERVENTION_FIELDS,
    TECHNICIAN_WRITABLE,
    conflict_winner,
)
from app.sync.push_request import Conflict, PushChange, PushRequest, PushResult, Rejection
from app.sync.schema import MODELS
from app.sync.wire import COLUMNS, columns_at, row_to_wire, to_wire
from headoffice.database import lock_rows, write_transaction
from headoffice.models import Device, DeviceRow, PushBatch, RowMeta, SyncConflict
from headoffice.pull import select_by_column
from headoffice.scope import SHARED_TABLES, Principal, may_write, scope_queries
from headoffice.versions import lock_versions, take_version

DELETED = "_deleted"
# Child rows a technician may still add to a signed intervention.
AFTER_SIGNATURE = {"follow_ups", "attachments"}


class _Rejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def push(who: Principal, device_id: str, request: PushRequest, today: date) -> dict:
    """Apply ``request``; returns the JSON answer (the stored one for a known batch)."""
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
        for change in request.changes:
            _apply(who, device_id, change, result, today)
        _attach_server_rows(who, result.rejected, today, request.schema)
        if not who.sees_everything:
            _hold(device_id, result.applied)
        answer = result.to_json()
        PushBatch.create(
            user_id=who.user_id, batch_id=request.batch_id, device_id=device_id, response=answer
        )
    return answer


def _apply(who: Principal, device_id: str, change: PushChange, result: PushResult, today) -> None:
    model = MODELS[change.table]
    try:
        with db.atomic():
            current = lock_rows(model.select().where(model.id == change.id)).dicts().first()
            if current is not None:
                current = _by_column(model, current)
            if not who.sees_everything:
                _authorize(who, change, current, today)
            version, conflicts = _merge(model, device_id, change, current)
            if not who.sees_everything:
                after = model.select().where(model.id == change.id).dicts().first()
                if not may_write(who, change.table, _by_column(model, after)):
                    raise _Rejected("This row is outside your interventions.")
            for c in conflicts:
                _record_conflict(c, device_id, who.user_id)
    except _Rejected as exc:
        result.rejected.append(Rejection(change.table, change.id, exc.reason))
        return
    except (IntegrityError, DataError) as exc:  # a constraint, or a value the column cannot hold
        reason = f"The row breaks a database rule ({_first_line(exc)}); correct it and save again."
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
    rows = [
        {"device_id": device_id, "table_name": a["table"], "row_id": a["id"], "page_seq": seq}
        for a in applied
        if a["table"] not in SHARED_TABLES
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
        if scope is not None and rejection.table not in SHARED_TABLES:
            visible = scope.get(rejection.table)
            if visible is None or not visible.where(model.id == rejection.id).exists():
                continue
        row = select_by_column(model).where(model.id == rejection.id).dicts().first()
        columns = columns_at(version)[rejection.table]  # in the device's shape (rule 9)
        rejection.row = row_to_wire(rejection.table, row, columns) if row else None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _by_column(model, row: dict) -> dict:
    """peewee dict rows are keyed by field name; the wire uses column names."""
    fields = model._meta.fields
    return {fields[name].column_name if name in fields else name: v for name, v in row.items()}


def _merge(model, device_id: str, change: PushChange, current: dict | None):
    table = change.table
    to_field = {c: model._meta.columns[c].name for c in change.fields}
    meta = RowMeta.get_or_none((RowMeta.table_name == table) & (RowMeta.row_id == change.id))
    written = dict(meta.fields) if meta else {}
    if current is None:
        version = take_version()
        values = {to_field[c]: v for c, v in change.fields.items()}
        model.insert(id=change.id, deleted=change.deleted, sync_version=version, **values).execute()
        written = {c: [version, device_id] for c in change.fields}
        if change.deleted:
            written[DELETED] = [version, device_id]
        _save_meta(table, change.id, written, exists=meta is not None)
        return version, []

    def changed_elsewhere(column: str) -> bool:
        last = written.get(column)
        return bool(last) and last[0] > change.base_version and last[1] != device_id

    updates: dict[str, Any] = {}
    conflicts: list[Conflict] = []
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
    if not updates and not conflicts:
        return current["sync_version"], []
    version = take_version()
    values = {(to_field.get(c) or c): v for c, v in updates.items()}
    model.update(sync_version=version, **values).where(model.id == change.id).execute()
    for column in updates:
        written[DELETED if column == "deleted" else column] = [version, device_id]
    _save_meta(table, change.id, written, exists=meta is not None)
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


# --- technicians' permissions (rule 6) ------------------------------------------------------


def _authorize(who: Principal, change: PushChange, current: dict | None, today: date) -> None:
    table = change.table
    if table not in TECHNICIAN_WRITABLE:
        raise _Rejected(f"Technicians cannot change {table}; ask the office.")
    if current is not None and not may_write(who, table, current):
        raise _Rejected("This row is outside your interventions.")
    if table == "interventions":
        _authorize_intervention(change, current)
        return
    if table == "signatures" and current is not None:
        raise _Rejected("A signature cannot be changed once recorded.")
    if table == "report_versions" and current is not None and current["status"] != "draft":
        raise _Rejected("This report version is signed and can no longer change.")
    if table == "quotes" and current is not None and current["status"] != "draft":
        raise _Rejected("This quote is signed and can no longer change.")
    if table == "quote_lines":
        quote_id = change.fields.get("quote_id") or (current or {}).get("quote_id")
        status = _value("quotes", quote_id, "status")
        if status not in (None, "draft"):
            raise _Rejected("This quote is signed and can no longer change.")
    intervention_id = change.fields.get("intervention_id") or (current or {}).get("intervention_id")
    status = _value("interventions", intervention_id, "status") if intervention_id else None
    if status in LOCKED_STATUSES and not (table in AFTER_SIGNATURE and current is None):
        raise _Rejected("The intervention is signed: its records can no longer change.")


def _authorize_intervention(change: PushChange, current: dict | None) -> None:
    if current is None:
        raise _Rejected("Only the office creates interventions.")
    if change.deleted:
        raise _Rejected("Only the office cancels or deletes interventions.")
    planned = sorted(set(change.fields) - TECHNICIAN_INTERVENTION_FIELDS)
    if planned:
        raise _Rejected(f"Planning fields are set by the office: {', '.join(planned)}.")
    if current["status"] in LOCKED_STATUSES:
        submitting = (
            current["status"] == "signed"
            and change.fields.get("status") == "submitted"
            and set(change.fields) <= {"status", "updated_at"}
        )
        if not submitting:
            raise _Rejected("The intervention is signed: it can no longer change.")


def _value(table: str, row_id: str | None, column: str):
    if not row_id:
        return None
    model = MODELS[table]
    field = model._meta.columns[column]
    return model.select(field).where(model.id == row_id).scalar()
