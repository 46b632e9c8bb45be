"""What the sync screen shows, read from the device's sync bookkeeping (no Flet here).

Pending changes (the outbox), the last successful sync, the changes head office refused
(rule 6, ``SyncRejection``) and the conflicts it resolved (rule 4, ``SyncConflictNotice``),
each with a readable label of the row it concerns; dismissing one hides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.sync.blobs import pending_blob_refs
from app.sync.engine import LAST_SUCCESS
from app.sync.schema import MODELS
from app.sync.store import SyncConflictNotice, SyncRejection, get_state
from app.sync.tracking import pending_count

# Columns that name a row for a person, tried in this order.
_LABEL_COLUMNS = ("reference", "name", "display_name", "label", "code", "username")


@dataclass(frozen=True)
class Rejection:
    id: int
    table: str
    row_id: str
    row_label: str
    reason: str  # head office's English text
    fields: dict[str, Any]
    created_at: datetime
    code: str | None = None  # the refusal's code (``app.domain.reasons``), to translate
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConflictNotice:
    id: int
    table: str
    row_id: str
    row_label: str
    field: str
    winner: str  # "server" or "device"
    kept: Any
    lost: Any
    created_at: datetime


@dataclass(frozen=True)
class SyncOverview:
    pending: int
    last_success_at: datetime | None
    rejections: list[Rejection] = field(default_factory=list)
    conflicts: list[ConflictNotice] = field(default_factory=list)


def row_label(table: str, row_id: str) -> str:
    """A short human name of a row (an intervention's reference...), else its id's start."""
    model = MODELS.get(table)
    if model is not None:
        fields = model._meta.fields
        for name in _LABEL_COLUMNS:
            if name in fields:
                value = (
                    model.select(fields[name]).where(model.id == row_id).scalar()
                    if row_id
                    else None
                )
                if value:
                    return str(value)
                break
    return row_id[:8]


def overview(limit: int = 50) -> SyncOverview:
    raw = get_state(LAST_SUCCESS)
    last = datetime.fromisoformat(raw) if raw else None
    rejections = [
        Rejection(
            id=r.id,
            table=r.table_name,
            row_id=r.row_id,
            row_label=row_label(r.table_name, r.row_id),
            reason=r.reason,
            fields=dict(r.fields or {}),
            created_at=r.created_at,
            code=r.code,
            params=dict(r.params or {}),
        )
        for r in SyncRejection.select()
        .where(SyncRejection.dismissed == False)
        .order_by(SyncRejection.id.desc())
        .limit(limit)
    ]
    conflicts = [
        ConflictNotice(
            id=c.id,
            table=c.table_name,
            row_id=c.row_id,
            row_label=row_label(c.table_name, c.row_id),
            field=c.field,
            winner=c.winner,
            kept=c.kept,
            lost=c.lost,
            created_at=c.created_at,
        )
        for c in SyncConflictNotice.select()
        .where(SyncConflictNotice.dismissed == False)
        .order_by(SyncConflictNotice.id.desc())
        .limit(limit)
    ]
    return SyncOverview(pending_count(), last, rejections, conflicts)


@dataclass(frozen=True)
class Unsent:
    """What this device holds that head office has not received yet."""

    rows: int  # changed rows waiting in the outbox
    files: int  # distinct files (photos, signatures, PDFs) those rows need sent

    @property
    def nothing(self) -> bool:
        return self.rows == 0 and self.files == 0


def unsent() -> Unsent:
    """Pending rows and files (signing out, changing head office's address warn with it)."""
    return Unsent(pending_count(), len({sha for _t, _i, sha in pending_blob_refs()}))


def refused_count() -> int:
    """Changes head office refused that the user has not dismissed yet."""
    return SyncRejection.select().where(SyncRejection.dismissed == False).count()


def dismiss_rejection(rejection_id: int) -> None:
    SyncRejection.update(dismissed=True).where(SyncRejection.id == rejection_id).execute()


def dismiss_conflict(notice_id: int) -> None:
    SyncConflictNotice.update(dismissed=True).where(SyncConflictNotice.id == notice_id).execute()


def local_time(utc: datetime | None) -> datetime | None:
    """A naive UTC audit time (as stored) in this device's local time, naive."""
    if utc is None:
        return None
    return utc.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


def file_labels(rows: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A readable name of each row a file to send belongs to: an attachment's intervention
    reference (and its caption), else ``row_label``."""
    from app.models import Attachment, Intervention

    labels: dict[tuple[str, str], str] = {}
    media_ids = [i for t, i in rows if t == "attachments"]
    if media_ids:
        query = (
            Attachment.select(Attachment.id, Attachment.caption, Intervention.reference)
            .join(Intervention, on=(Attachment.intervention == Intervention.id))
            .where(Attachment.id.in_(media_ids))
            .tuples()
        )
        for row_id, caption, reference in query:
            labels[("attachments", row_id)] = f"{reference} · {caption}" if caption else reference
    for table, row_id in rows:
        labels.setdefault((table, row_id), row_label(table, row_id))
    return labels
