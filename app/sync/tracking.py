"""Change tracking: every local write through the models lands in the outbox (rule 7).

``install()`` hooks ``SyncedModel.save`` (the device calls it once at startup; head office
never does). Each save records, in the same transaction, the columns it wrote with a new
per-row revision: ``SyncOutbox.fields`` maps column -> revision of its last change, so the
mark step can tell whether a column changed again while a push was in flight.

Not tracked: rows written by the pull-apply step (raw SQL, no ``save``), bulk queries
(``Model.update(...)``/``insert_many``) and hard deletes — the app soft-deletes
(``deleted = True``), which is recorded as the column ``deleted``.
"""

from __future__ import annotations

from app.models import SyncedModel, utcnow
from app.models.base import set_change_listener
from app.sync.store import SyncOutbox
from app.sync.wire import COLUMNS

DELETED = "deleted"


def record(row: SyncedModel, columns: list[str], inserted: bool) -> None:
    """Add ``columns`` of ``row`` to the outbox with the row's next revision."""
    table = row._meta.table_name
    wire = COLUMNS[table]
    changed = [c for c in columns if c in wire or c == DELETED]
    if inserted and not row.deleted:
        changed = [c for c in changed if c != DELETED]
    if not changed:
        return
    entry = SyncOutbox.get_or_none(
        (SyncOutbox.table_name == table) & (SyncOutbox.row_id == str(row.id))
    )
    if entry is None:
        entry = SyncOutbox(table_name=table, row_id=str(row.id), fields={}, revision=0)
        force_insert = True
    else:
        force_insert = False
    entry.revision += 1
    entry.fields = {**entry.fields, **dict.fromkeys(changed, entry.revision)}
    entry.updated_at = utcnow()
    entry.save(force_insert=force_insert)


def install() -> None:
    """Start tracking local writes (device only)."""
    set_change_listener(record)


def uninstall() -> None:
    set_change_listener(None)


def pending_count() -> int:
    """Rows waiting to be pushed."""
    return SyncOutbox.select().count()
