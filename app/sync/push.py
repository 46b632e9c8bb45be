"""Push: send the outbox in batches and record each answer (rules 3, 4, 6 and 7).

Each batch gets a new ``batch_id`` and is saved in ``SyncState("pending_batch")`` *before* it
is sent. If the answer is lost (network cut, app killed), the next cycle resends the saved
batch unchanged, so head office answers from its stored copy and applies nothing twice.
The answer is recorded in one transaction: conflict notices, rejections (the refused values
and the reason), mark synced, and the pending batch cleared.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from peewee import IntegrityError

from app.models import db
from app.sync.apply import EVICT_AFTER_PUSH, take_server_rows
from app.sync.collect import OutgoingChange, collect, pending_keys
from app.sync.mark import mark_synced
from app.sync.push_request import PUSH_BATCH_ROWS
from app.sync.remote import Transport
from app.sync.schema import MODELS, TABLE_INDEX
from app.sync.store import (
    SyncConflictNotice,
    SyncOutbox,
    SyncRejection,
    get_state,
    set_state,
)

PENDING_BATCH = "pending_batch"
log = logging.getLogger(__name__)


@dataclass
class PushOutcome:
    batches: int = 0
    rows: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    replayed: bool = False  # a batch saved by an earlier, interrupted cycle was resent
    errors: list[str] = field(default_factory=list)


def push_changes(
    transport: Transport,
    device_id: str,
    *,
    batch_rows: int = PUSH_BATCH_ROWS,
    on_batch: Callable[[PushOutcome], None] | None = None,
    hold: Collection[tuple[str, str]] = (),
) -> PushOutcome:
    """Resend an interrupted batch if there is one, then push the outbox batch by batch.

    ``hold``: (table, row id) of outbox rows not to send this time (their blob is missing).
    """
    outcome = PushOutcome()
    saved = get_state(PENDING_BATCH)
    if saved:
        outcome.replayed = True
        _send(transport, saved, outcome, on_batch)
    keys = [k for k in pending_keys() if k not in hold] if hold else pending_keys()
    for start in range(0, len(keys), batch_rows):
        changes = collect(keys[start : start + batch_rows])
        if not changes:
            continue
        batch = _new_batch(device_id, changes)
        set_state(PENDING_BATCH, batch)
        _send(transport, batch, outcome, on_batch)
    return outcome


def _new_batch(device_id: str, changes: list[OutgoingChange]) -> dict:
    body: dict = {"batch_id": str(uuid.uuid4()), "device_id": device_id, "changes": {}}
    for change in changes:
        body["changes"].setdefault(change.table, []).append(change.to_wire())
    sent = [[c.table, c.id, c.revisions] for c in changes]
    return {"body": body, "sent": sent}


def _send(transport: Transport, batch: dict, outcome: PushOutcome, on_batch) -> None:
    answer = transport.push(batch["body"])
    record_answer(batch, answer, outcome)
    if on_batch is not None:
        on_batch(outcome)


def record_answer(batch: dict, answer: dict, outcome: PushOutcome) -> None:
    """Store conflicts and rejections, mark synced and clear the pending batch, atomically."""
    sent = {(t, i): revisions for t, i, revisions in batch["sent"]}
    values = {
        (table, change["id"]): change
        for table, changes in batch["body"]["changes"].items()
        for change in changes
    }
    refusals = answer.get("rejected", [])
    rejected = [(r["table"], r["id"], r.get("reason", ""), _code(r)) for r in refusals]
    applied = [(a["table"], a["id"]) for a in answer.get("applied", [])]
    with db.atomic("IMMEDIATE"):
        for c in answer.get("conflicts", []):
            SyncConflictNotice.create(
                table_name=c["table"],
                row_id=c["id"],
                field=c["field"],
                winner=c["winner"],
                kept=c.get("kept"),
                lost=c.get("lost"),
            )
        for table, row_id, reason, (code, params) in rejected:
            change = values.get((table, row_id), {})
            refused = dict(change.get("fields", {}))
            if change.get("deleted"):
                refused["deleted"] = True
            SyncRejection.create(
                table_name=table,
                row_id=row_id,
                fields=refused,
                reason=reason,
                code=code,
                params=params,
            )
        acknowledged = [*applied, *((t, i) for t, i, _r, _c in rejected)]
        mark_synced((t, i, sent[(t, i)]) for t, i in acknowledged if (t, i) in sent)
        _evict_pushed()
        if refusals:
            _take_back([r for r in refusals if r.get("row")])
            unknown = [(r["table"], r["id"]) for r in refusals if not r.get("row")]
            # A row changed again while the push was in flight keeps those changes (rule 6:
            # they stay pending): it is not dropped, the next push sends it again.
            pending = {(e.table_name, e.row_id) for e in SyncOutbox.select()} if unknown else set()
            _drop_unknown_rows([k for k in unknown if k not in pending])
        set_state(PENDING_BATCH, None)
    outcome.batches += 1
    outcome.rows += len(sent)
    outcome.applied += len(applied)
    outcome.conflicts += len(answer.get("conflicts", []))
    outcome.rejected += len(rejected)


def _code(refusal: dict) -> tuple[str | None, dict | None]:
    """The refusal's code and params (rule 6), if head office sent well-formed ones: an
    older head office sends none, and a malformed pair is dropped (its text still shows)."""
    code, params = refusal.get("code"), refusal.get("params")
    if not isinstance(code, str) or not code or len(code) > 100:
        return None, None
    return code, params if isinstance(params, dict) else {}


def _take_back(refusals: list[dict]) -> None:
    """Put back head office's state of refused rows; a row that cannot be stored yet (it
    references a row this device does not hold) is left for the next pull to fix."""
    try:
        with db.atomic():
            take_server_rows(refusals)
    except (IntegrityError, sqlite3.IntegrityError) as exc:
        log.warning("could not take back %d refused rows: %s", len(refusals), exc)


def _evict_pushed() -> None:
    """Rows head office evicted while they had unsent changes (rule 1): once nothing of them
    is pending any more, they leave this device as the eviction said."""
    waiting = get_state(EVICT_AFTER_PUSH) or []
    if not waiting:
        return
    pending = {(e.table_name, e.row_id) for e in SyncOutbox.select()}
    done = [(t, i) for t, i in waiting if (t, i) not in pending]
    _drop_unknown_rows(done)
    set_state(EVICT_AFTER_PUSH, [[t, i] for t, i in waiting if (t, i) in pending] or None)


def _drop_unknown_rows(rows: list[tuple[str, str]]) -> None:
    """Refused rows head office does not hold (or this user may not see): remove them here;
    their values stay in SyncRejection. A row that local rows still reference stays."""
    for table, row_id in sorted(rows, key=lambda k: -TABLE_INDEX[k[0]]):  # children first
        model = MODELS[table]
        try:
            with db.atomic():
                model.delete().where(model.id == row_id).execute()
        except IntegrityError:
            pass
