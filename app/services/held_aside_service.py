"""The signed PDFs head office held aside, for the office (docs/reports.md, "Held aside").

Head office checks each signed PDF a device uploads against its report version's record;
one that does not match is refused for the version, kept, and listed
(``headoffice.documents.held_aside``). The office sees that list through head office's
office API (``GET /office/held-aside``, as the e-mail delivery state), marks an item
resolved once looked at (``POST /office/held-aside/{id}/resolve``), and the slip screen says
when its signed PDF was held aside. ``transport``: the session's transport to head office;
None (or offline) gives ``None``: "not available now", never an empty list that would say
nothing is held aside.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.errors import PermissionDeniedError, SyncError
from app.services.auth_service import CurrentUser

log = logging.getLogger(__name__)

SHORT = 12  # characters of a SHA-256 shown


@dataclass(frozen=True)
class HeldAside:
    """One PDF held aside: which version of which intervention, its technician, when, the
    content hash the record expects, the SHA-256 of the file received, and why."""

    id: int
    report_version_id: str
    intervention_id: str | None
    reference: str
    technician: str
    version: int | None
    detected_at: datetime | None
    expected_sha256: str | None
    received_sha256: str | None
    reason: str  # head office's English text
    resolved: bool = False
    code: str | None = None  # the reason's code (``app.domain.reasons``), to translate
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def expected_short(self) -> str:
        return short(self.expected_sha256)

    @property
    def received_short(self) -> str:
        return short(self.received_sha256)


def short(sha256: str | None) -> str:
    return f"{sha256[:SHORT]}…" if sha256 else "—"


def _require_office(who: CurrentUser | None) -> None:
    if who is None or who.is_technician:
        raise PermissionDeniedError(
            "Only the office sees the PDFs held aside.", key="error.validation.office_only"
        )


def from_wire(item: dict[str, Any]) -> HeldAside:
    detected = item.get("detected_at")
    try:
        at = datetime.fromisoformat(detected) if isinstance(detected, str) else None
    except ValueError:
        at = None
    return HeldAside(
        id=int(item["id"]),
        report_version_id=str(item.get("report_version_id") or ""),
        intervention_id=item.get("intervention_id"),
        reference=str(item.get("reference") or ""),
        technician=str(item.get("technician") or ""),
        version=item.get("version"),
        detected_at=at,
        expected_sha256=item.get("expected_sha256"),
        received_sha256=item.get("blob_sha256"),
        reason=str(item.get("reason") or ""),
        resolved=bool(item.get("resolved")),
        code=item.get("code") if isinstance(item.get("code"), str) else None,
        params=item.get("params") if isinstance(item.get("params"), dict) else {},
    )


def held_aside(
    who: CurrentUser | None, transport: Any, *, include_resolved: bool = False
) -> list[HeldAside] | None:
    """The PDFs held aside, newest first; None when head office cannot be asked now."""
    _require_office(who)
    if transport is None or not hasattr(transport, "office_held_aside"):
        return None
    try:
        items = transport.office_held_aside(include_resolved=include_resolved)
    except SyncError as err:  # offline, head office down: "not available now"
        log.info("PDFs held aside not available: %s", err)
        return None
    return [from_wire(i) for i in items]


def count(who: CurrentUser | None, transport: Any) -> int | None:
    """How many PDFs are held aside, not resolved (None: not available now)."""
    items = held_aside(who, transport)
    return None if items is None else len(items)


def for_intervention(items: list[HeldAside] | None, intervention_id: str) -> list[HeldAside]:
    """The items of one intervention (the slip screen's warning)."""
    return [i for i in items or [] if i.intervention_id == intervention_id]


def resolve(held_id: int, who: CurrentUser | None, transport: Any) -> None:
    """Mark the item looked at: head office may make the version's PDF again from its
    record. ``TerrainError`` (typed) when head office cannot be reached or refuses."""
    _require_office(who)
    if transport is None or not hasattr(transport, "resolve_held_aside"):
        raise SyncError(
            "Head office cannot be reached: the PDF held aside stays to resolve.",
            key="error.held_aside.offline",
        )
    transport.resolve_held_aside(held_id)
    log.info("PDF held aside %s marked resolved by %s", held_id, who.id)
