"""Demo slips waiting for the office: a few submitted interventions get the version the
technician sent (the final report content, its hash) and, for most, the client's signature
evidence (strokes, signer, time, device; the picture is drawn from the strokes), one
unsigned. So the office's queue "Bons à valider" is real in the demo (issue 10, item 7).
"""

from __future__ import annotations

import math
from datetime import timedelta

from app.models import Intervention, ReportVersion, Signature, Technician, User
from app.models.enums import DocumentKind, DocumentStatus, InterventionStatus, Role
from app.reports.canonical import content_sha256
from app.reports.signature import build_evidence
from app.services import report_service
from app.services.auth_service import CurrentUser

DEMO_DEVICE = "demo-tablet"
SIGNERS = (("Mme Laurent", "Gérante"), ("M. Girard", "Responsable technique"),
           ("Mme Fabre", "Occupante"), ("M. Caron", "Gardien"))  # fmt: skip


def demo_strokes(seed: int) -> list[list[list[float]]]:
    """A signature-like pair of strokes across the pad (600 x 200), deterministic."""
    first = [
        [40 + 6 * i, 110 - 45 * math.sin(i / (4 + seed % 3)) + (i % 5), 12.0 * i] for i in range(60)
    ]
    second = [[420 + 4 * i, 140 - 1.2 * i, 900 + 15.0 * i] for i in range(30)]
    return [first, second]


def submitted_slip(intervention: Intervention, *, signed: bool = True, seed: int = 0):
    """Give ``intervention`` (submitted) the version its technician sent, signed or not."""
    office = User.get(User.role == Role.OFFICE)
    reader = CurrentUser(office.id, office.username, office.display_name, Role.OFFICE, None)
    content = report_service.build_content(intervention.id, reader, kind=DocumentKind.SLIP)
    final = report_service.final_content(content)
    tech = Technician.get_or_none(Technician.id == intervention.technician_id)
    tech_user = User.get_by_id(tech.user_id) if tech else None
    version = ReportVersion.create(
        intervention=intervention.id,
        kind=DocumentKind.SLIP,
        version=1,
        status=DocumentStatus.SUBMITTED,
        content=final,
        content_sha256=content_sha256(final),
        created_by=tech_user.id if tech_user else None,
    )
    sent_at = (intervention.finished_at or intervention.scheduled_end) + timedelta(minutes=5)
    ReportVersion.update(created_at=sent_at, updated_at=sent_at).where(
        ReportVersion.id == version.id
    ).execute()  # sent when the visit ended, not when the demo was made
    if signed:
        name, role = SIGNERS[seed % len(SIGNERS)]
        evidence = build_evidence(
            demo_strokes(seed),
            signer_name=name,
            signer_role=role,
            content=final,
            device_id=DEMO_DEVICE,
            technician_id=tech.id if tech else None,
            technician_name=tech_user.display_name if tech_user else "",
            user_id=tech_user.id if tech_user else None,
            document_kind=DocumentKind.SLIP,
        )
        fields = evidence.signature_fields()
        fields["image_blob_sha256"] = None  # no blob store here: drawn from the strokes
        fields["signed_at"] = (intervention.finished_at or intervention.scheduled_end) + timedelta(
            minutes=2
        )
        Signature.create(intervention=intervention.id, **fields)
    return version


def add_submitted_slips(count: int = 4) -> int:
    """The first ``count`` submitted interventions (by date) get their slip; one unsigned."""
    rows = list(
        Intervention.live()
        .where(Intervention.status == InterventionStatus.SUBMITTED)
        .order_by(Intervention.scheduled_start.desc(), Intervention.id)
        .limit(count)
    )
    made = 0
    for index, row in enumerate(rows):
        has = ReportVersion.select().where(ReportVersion.intervention == row.id).exists()
        if not has:
            unsigned = len(rows) > 1 and index == len(rows) - 1
            submitted_slip(row, signed=not unsigned, seed=index)
            made += 1
    return made
