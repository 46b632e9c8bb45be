"""Reports of the demo's past visits: signed, submitted, validated and delivered versions of
the visit report and the intervention slip, with the client's signature evidence, so the
history and the office's queue hold real documents.

The content is the real one (``report_service.build_content`` of the visit's records, then
``final_content``), for the visits of the last ``RECENT_DAYS`` days and every visit still
waiting for the office (signed or submitted), ``MAX_VISITS`` at most: building a content
costs tens of milliseconds, and ``serve --demo`` must start fast. About one visit in six was
not signed (the client was absent): its versions have no ``Signature`` and an internal note says why
(the device's refusal record, designed with the signing flow, will replace the note).
No PDF is made here: head office draws and seals each one on first request.
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

from app.demo.french import FIRST_NAMES, LAST_NAMES
from app.demo.records import Writer
from app.models import Comment, Intervention, ReportVersion, Signature, User
from app.models.enums import DocumentKind, DocumentStatus, Role, Visibility
from app.models.enums import InterventionStatus as S
from app.reports.canonical import content_sha256
from app.reports.signature import PAD, stroke_stats, validate_strokes

RECENT_DAYS = 21
MAX_VISITS = 60  # the large demo's 30 technicians: the most recent ones only
_STATUS = {
    S.SIGNED: DocumentStatus.SIGNED,
    S.SUBMITTED: DocumentStatus.SUBMITTED,
    S.VALIDATED: DocumentStatus.VALIDATED,
    S.DELIVERED: DocumentStatus.DELIVERED,
}
_ROLES = ("Gérant·e", "Responsable technique", "Propriétaire", "Gardien·ne", "Locataire")
UNSIGNED_NOTE = (
    "Client absent à la fin de l'intervention : bon non signé, remis en boîte aux lettres."
)


def build(w: Writer, today) -> int:
    """Queue the report versions and signatures of the recent past visits; returns how many
    visits got documents. The visits' own rows must be in the database already."""
    from app.services.auth_service import CurrentUser
    from app.services.report_service import build_content, final_content

    office = User.get(User.role == Role.OFFICE)
    who = CurrentUser(
        id=office.id, username=office.username, display_name=office.display_name,
        role=Role.OFFICE, technician_id=None,
    )  # fmt: skip
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), time.min)
    visits = list(
        Intervention.select()
        .where(
            Intervention.status.in_(list(_STATUS))
            & (
                (Intervention.scheduled_start >= since)
                | Intervention.status.in_([S.SIGNED, S.SUBMITTED])
            )
            & Intervention.technician.is_null(False)
        )
        .order_by(Intervention.scheduled_start.desc(), Intervention.id)
        .limit(MAX_VISITS)
    )[::-1]
    rng = w.rng
    # the office's queue always shows an unsigned slip (the oldest) and signed ones
    waiting = [v.id for v in visits if v.status == S.SUBMITTED]
    for visit in visits:
        finished = visit.finished_at or visit.started_at or visit.scheduled_start
        signed = visit.status == S.SIGNED or rng.random() >= 1 / 6
        if visit.id in waiting:  # the queue: the oldest slip unsigned, the others signed
            signed = visit.id != waiting[0]
        if not signed:  # the note is a record: written before the content is built
            Comment.insert(
                id=w.new_id(), intervention=visit.id, author=visit.technician.user_id,
                visibility=Visibility.INTERNAL, body=UNSIGNED_NOTE,
                created_at=finished, updated_at=finished,
            ).execute()  # fmt: skip
        report = final_content(build_content(visit.id, who))
        strokes = _strokes(rng)
        signer = (f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", rng.choice(_ROLES))
        # one document per visit, as the device makes it: the visit report the client signs
        # (head office draws the slip, the bon d'intervention, from the same content)
        for kind in (DocumentKind.VISIT_REPORT,):
            content = dict(report, kind=str(kind))
            digest = content_sha256(content)
            status = _STATUS[S(visit.status)]
            office_done = status in (DocumentStatus.VALIDATED, DocumentStatus.DELIVERED)
            w.add(
                ReportVersion, finished, finished + timedelta(days=1) if office_done else None,
                intervention=visit.id, kind=kind, version=1, status=status, content=content,
                content_sha256=digest, pdf_blob_sha256=None, created_by=visit.technician.user_id,
                validated_by=office.id if office_done else None,
                validated_at=finished + timedelta(days=1) if office_done else None,
            )  # fmt: skip
            if signed:
                fields = _signature(visit, kind, digest, signer, strokes, report["schema"])
                w.add(Signature, finished, **fields)
            else:  # the technician's record of the missing signature (docs/reports.md)
                w.add(
                    Signature, finished, intervention=visit.id, document_kind=str(kind),
                    signer_name="", signer_role="", signed_at=finished, content_sha256=digest,
                    image_blob_sha256=None, strokes=None, outcome="absent",
                    reason=UNSIGNED_NOTE, device_id=f"demo-tablet-{visit.technician_id[:8]}",
                    audit={"reference": visit.reference, "content_sha256": digest},
                )  # fmt: skip
    return len(visits)


def _strokes(rng) -> list[list[list[float]]]:
    """A cursive-looking signature on the pad: a looping line and an underline, in time."""
    width, height = PAD
    x0, y0 = rng.uniform(60, 140), rng.uniform(80, 110)
    loops, span = rng.randint(3, 6), rng.uniform(260, 380)
    line = [
        [x0 + span * k / 60 + 18 * math.sin(k * loops / 9), y0 + 32 * math.cos(k * loops / 9),
         12.0 * k]
        for k in range(61)
    ]  # fmt: skip
    start = line[-1][2] + rng.uniform(150, 400)
    under = [[x0 + 8 * k, min(height - 10, y0 + 60 + (k % 3)), start + 10 * k] for k in range(25)]
    strokes = [[[round(x, 1), round(y, 1), round(t)] for x, y, t in s] for s in (line, under)]
    validate_strokes(strokes)  # what the pad would accept
    assert max(p[0] for s in strokes for p in s) < width
    return strokes


def _signature(visit, kind, digest: str, signer: tuple[str, str], strokes, schema: str) -> dict:
    """The ``Signature`` row of ``kind`` of ``visit`` (as ``build_evidence`` records it). No
    image blob: head office draws it from the strokes (same strokes, same PNG)."""
    local = (visit.finished_at or visit.scheduled_start).replace(microsecond=0)
    signed_at = local - timedelta(hours=1)  # the demo's audit time, naive UTC (winter time)
    stats = stroke_stats([[tuple(p) for p in s] for s in strokes])
    device = f"demo-tablet-{visit.technician_id[:8]}"
    return {
        "intervention": visit.id,
        "document_kind": str(kind),
        "signer_name": signer[0],
        "signer_role": signer[1],
        "signed_at": signed_at,
        "content_sha256": digest,
        "image_blob_sha256": None,
        "strokes": strokes,
        "device_id": device,
        "audit": {
            "content_sha256": digest,
            "content_schema": schema,
            "reference": visit.reference,
            "language": "fr",
            "signed_at_utc": signed_at.isoformat(),
            "signed_at_local": local.isoformat(),
            "device_id": device,
            "technician_id": visit.technician_id,
            "technician_name": visit.technician.user.display_name,
            "user_id": visit.technician.user_id,
            "pad": {"width": PAD[0], "height": PAD[1]},
            "strokes": stats.strokes,
            "points": stats.points,
            "path_length": round(stats.path_length, 1),
            "duration_ms": round(stats.duration_ms),
            "events": [{"at": signed_at.isoformat(), "event": "signed"}],
            "demo": True,
        },
    }
