"""Mark synced (rule 7): a column leaves the outbox only if unchanged since it was sent.

``sent`` lists, per acknowledged row, the revision of each column in the pushed batch. A
column whose outbox revision moved on (edited again while the push was in flight) stays
pending and goes with the next push. Outbox rows left without columns are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.models import utcnow
from app.sync.store import SyncOutbox

# (table, row id, {column: revision sent})
Sent = tuple[str, str, dict[str, int]]


def mark_synced(sent: Iterable[Sent]) -> int:
    """Remove the acknowledged columns; returns how many rows left the outbox entirely.

    Call inside the transaction that records the push answer.
    """
    cleared = 0
    for table, row_id, revisions in sent:
        where = (SyncOutbox.table_name == table) & (SyncOutbox.row_id == row_id)
        entry = SyncOutbox.get_or_none(where)
        if entry is None:
            continue
        left = {c: r for c, r in entry.fields.items() if revisions.get(c) != r}
        if not left:
            SyncOutbox.delete().where(where).execute()
            cleared += 1
        elif left != entry.fields:
            SyncOutbox.update(fields=left, updated_at=utcnow()).where(where).execute()
    return cleared
