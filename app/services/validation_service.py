"""The office's validation of intervention slips on its device (issue 10, item 7).

The queue "Bons à valider" lists the submitted slips; a slip shows the final content of its
signed version, the signature evidence and the signed PDF; the office corrects fields, each
with a reason, in a new version (``app.domain.corrections``: the signed version stays as it
is), then validates. Everything is written to the local database and travels by sync like any
change: head office decides it again from the same rules, then makes the final PDF, e-mails
it and updates the customer record (``headoffice.services.validation``).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import fn

from app import clock
from app.domain import lifecycle
from app.domain.corrections import (
    CONTENT_EDITABLE,
    INTERVENTION_FIELDS,
    MAX_REASON,
    MAX_VALUE,
    WORK_FIELDS,
)
from app.domain.corrections import field_value as _get
from app.domain.corrections import set_field as _set
from app.errors import NotFoundError, PermissionDeniedError, TransitionError, ValidationError
from app.models import (
    Customer,
    Intervention,
    ReportVersion,
    Signature,
    Technician,
    db,
)
from app.models.enums import DocumentStatus, InterventionStatus, SignatureOutcome
from app.reports.canonical import content_sha256, plain
from app.services.auth_service import CurrentUser

S = InterventionStatus
SIGNING_KINDS = sorted(lifecycle.SIGNING_DOCUMENTS)
# The versions that reached the office: what the technician sent (signed or not).
SENT = (DocumentStatus.SIGNED, DocumentStatus.SUBMITTED)


class CorrectionError(ValidationError):
    hint = "Give the new value and say why it changed, then save the correction."


@dataclass(frozen=True)
class QueueItem:
    intervention_id: str
    reference: str
    customer: str
    technician: str
    submitted_at: datetime | None
    signed: bool
    age_days: int
    corrected: bool


@dataclass(frozen=True)
class CorrectableField:
    id: str  # "work:diagnosis", "intervention:problem_reported", "comment:<id>"
    label_key: str
    label: str  # e.g. the comment's author, for a comment
    value: str
    original: str  # the value in the signed version

    @property
    def corrected(self) -> bool:
        return self.value != self.original


@dataclass(frozen=True)
class Evidence:
    signer_name: str
    signer_role: str
    signed_at: datetime
    device_id: str
    content_sha256: str
    image_sha256: str | None
    technician: str
    matches: bool  # the signature's hash is the signed version's content hash
    strokes: list | None = None


@dataclass
class Slip:
    intervention: Intervention
    customer: str
    technician: str
    signed_version: ReportVersion | None  # version 1: what the client signed (or was sent)
    current: ReportVersion | None  # the corrected version if any, else the signed one
    evidence: Evidence | None
    corrections: list[dict] = field(default_factory=list)
    fields: list[CorrectableField] = field(default_factory=list)
    missing: tuple[str, str] | None = None  # (refused / absent, reason) the technician noted

    @property
    def content(self) -> dict:
        return (self.current.content if self.current else None) or {}

    @property
    def signed(self) -> bool:
        return self.evidence is not None

    @property
    def validated(self) -> bool:
        return self.intervention.status in lifecycle.FINAL - {S.CANCELLED}

    @property
    def can_validate(self) -> bool:
        return lifecycle.may_move(self.intervention.status, S.VALIDATED, lifecycle.OFFICE)

    @property
    def pdf_sha256(self) -> str | None:
        return self.signed_version.pdf_blob_sha256 if self.signed_version else None


def _require_office(who: CurrentUser) -> None:
    if who.is_technician:
        raise PermissionDeniedError(
            "Only the office corrects and validates slips.", key="error.validation.office_only"
        )


# --- the queue ------------------------------------------------------------------------------


def queue(who: CurrentUser) -> list[QueueItem]:
    """The submitted slips, oldest first: who, when, customer, signed or not, age."""
    _require_office(who)
    rows = list(
        Intervention.select(Intervention, Customer.name.alias("customer_name"))
        .join(Customer, on=(Intervention.customer == Customer.id))
        .where((Intervention.status == S.SUBMITTED) & (Intervention.deleted == False))
        .order_by(Intervention.finished_at, Intervention.scheduled_start)
        .objects()
    )
    ids = [r.id for r in rows]
    signed = _signed_ids(ids)
    sent, corrected = _versions(ids)
    names = Technician.display_names({r.technician_id for r in rows if r.technician_id})
    today = clock.today()
    items = []
    for row in rows:
        version = sent.get(row.id)
        at = (version.created_at if version else None) or row.finished_at
        day = (at or row.scheduled_start).date()
        items.append(
            QueueItem(
                intervention_id=row.id,
                reference=row.reference,
                customer=row.customer_name,
                technician=names.get(row.technician_id, ""),
                submitted_at=at,
                signed=row.id in signed,
                age_days=max(0, (today - day).days),
                corrected=row.id in corrected,
            )
        )
    return items


def queue_count(who: CurrentUser) -> int:
    _require_office(who)
    return Intervention.live().where(Intervention.status == S.SUBMITTED).count()


def _signed_ids(ids: list[str]) -> set[str]:
    if not ids:
        return set()
    query = Signature.select(Signature.intervention).where(
        Signature.intervention.in_(ids)
        & (Signature.deleted == False)
        & Signature.document_kind.in_(SIGNING_KINDS)
        & (Signature.outcome == SignatureOutcome.SIGNED)  # a refusal record is no signature
    )
    return {r.intervention_id for r in query}


def _versions(ids: list[str]) -> tuple[dict[str, ReportVersion], set[str]]:
    """Per intervention, the first version its technician sent (when it reached the office),
    and the interventions with a corrected version."""
    if not ids:
        return {}, set()
    rows = ReportVersion.live().where(
        ReportVersion.intervention.in_(ids)
        & ReportVersion.kind.in_(SIGNING_KINDS)
        & (ReportVersion.status != DocumentStatus.DRAFT)
    )
    sent: dict[str, ReportVersion] = {}
    corrected: set[str] = set()
    for row in rows.order_by(ReportVersion.version):
        if row.status == DocumentStatus.CORRECTED:
            corrected.add(row.intervention_id)
        else:
            sent.setdefault(row.intervention_id, row)
    return sent, corrected


# --- one slip -------------------------------------------------------------------------------


def slip(intervention_id: str, who: CurrentUser) -> Slip:
    """The slip of the intervention as the office sees it."""
    _require_office(who)
    intervention = Intervention.get_or_none(Intervention.id == intervention_id)
    if intervention is None or intervention.deleted:
        raise NotFoundError(
            f"Intervention {intervention_id} is not on this device.", key="error.not_found"
        )
    versions = list(
        ReportVersion.live()
        .where(
            (ReportVersion.intervention == intervention_id)
            & ReportVersion.kind.in_(SIGNING_KINDS)
            & (ReportVersion.status != DocumentStatus.DRAFT)
        )
        .order_by(ReportVersion.version)
    )
    signed = next((v for v in versions if v.status in SENT), None)
    if signed is None:
        signed = next((v for v in versions if v.status not in CONTENT_EDITABLE), None)
    current = versions[-1] if versions else None
    records = (
        Signature.live()
        .where(
            (Signature.intervention == intervention_id) & Signature.document_kind.in_(SIGNING_KINDS)
        )
        .order_by(Signature.signed_at.desc())
    )
    signature = next((r for r in records if r.outcome == SignatureOutcome.SIGNED), None)
    refusal = next((r for r in records if r.outcome != SignatureOutcome.SIGNED), None)
    technician = Technician.display_names({intervention.technician_id} - {None}).get(
        intervention.technician_id, ""
    )
    evidence = None
    if signature is not None:
        evidence = Evidence(
            signer_name=signature.signer_name,
            signer_role=signature.signer_role,
            signed_at=signature.signed_at,
            device_id=signature.device_id,
            content_sha256=signature.content_sha256,
            image_sha256=signature.image_blob_sha256,
            technician=((signature.audit or {}).get("technician_name") or technician),
            matches=bool(signed and signed.content_sha256 == signature.content_sha256),
            strokes=signature.strokes,
        )
    customer = Customer.get_or_none(Customer.id == intervention.customer_id)
    result = Slip(
        intervention=intervention,
        customer=customer.name if customer else "",
        technician=technician,
        signed_version=signed,
        current=current,
        evidence=evidence,
        missing=(str(refusal.outcome), refusal.reason) if refusal and not signature else None,
    )
    if current is not None:
        result.corrections = list((current.content or {}).get("corrections") or [])
        result.fields = correctable_fields(
            current.content or {}, (signed.content if signed else None) or {}
        )
    return result


def correctable_fields(content: dict, original: dict) -> list[CorrectableField]:
    """The fields of ``content`` the office may correct, with the signed value next to it."""
    out = []
    for name in INTERVENTION_FIELDS:
        out.append(
            CorrectableField(
                f"intervention:{name}",
                f"validation.field.{name}",
                "",
                str(_get(content, f"intervention:{name}") or ""),
                str(_get(original, f"intervention:{name}") or ""),
            )
        )
    for name in WORK_FIELDS:
        out.append(
            CorrectableField(
                f"work:{name}",
                f"validation.field.{name}",
                "",
                str(_get(content, f"work:{name}") or ""),
                str(_get(original, f"work:{name}") or ""),
            )
        )
    for comment in content.get("comments") or []:
        out.append(
            CorrectableField(
                comment["id"],
                "validation.field.comment",
                comment.get("author", ""),
                str(comment.get("body") or ""),
                str(_get(original, comment["id"]) or ""),
            )
        )
    return out


# --- correcting -----------------------------------------------------------------------------


def correct(intervention_id: str, field_id: str, value: str, reason: str, who: CurrentUser) -> Slip:
    """Correct one field with its reason, in the corrected version (made from the signed one
    the first time: version n + 1, status corrected). The signed version never changes."""
    _require_office(who)
    current = slip(intervention_id, who)
    if current.intervention.status != S.SUBMITTED:
        raise TransitionError(
            f"{current.intervention.reference} is {current.intervention.status}: only a "
            "submitted slip is corrected.",
            key="error.validation.not_submitted",
            status=current.intervention.status,
        )
    if current.signed_version is None:
        raise NotFoundError(
            "No version of this slip has reached this device yet.",
            key="error.validation.no_version",
            hint="Synchronise, then open the slip again.",
        )
    known = {f.id: f for f in current.fields}
    if field_id not in known:
        raise CorrectionError(
            f"The slip has no field {field_id!r} to correct.",
            field=field_id,
            key="error.validation.no_field",
        )
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionError(
            "Each correction needs a reason.", field="reason", key="error.validation.reason"
        )
    if len(reason) > MAX_REASON:
        raise CorrectionError(
            f"The reason is at most {MAX_REASON} characters.",
            field="reason",
            key="error.validation.reason_long",
            max=MAX_REASON,
        )
    value = (value or "").strip()
    if len(value) > MAX_VALUE:
        raise CorrectionError(
            f"At most {MAX_VALUE} characters.", field=field_id, key="error.text.too_long"
        )
    before = known[field_id].value
    if value == before:
        raise CorrectionError(
            "The value is unchanged: nothing to correct.",
            field=field_id,
            key="error.validation.unchanged",
        )
    with db.atomic():
        version = _corrected_version(current, who)
        content = copy.deepcopy(version.content)
        _set(content, field_id, value)
        content.setdefault("corrections", []).append(
            {
                "field": field_id,
                "label": known[field_id].label,
                "before": before,
                "after": value,
                "reason": reason,
                "by": who.id,
                "by_name": who.display_name,
                "at": clock.utcnow().replace(microsecond=0),
            }
        )
        content = plain(content)
        version.content = content
        version.content_sha256 = content_sha256(content)
        version.save()
    return slip(intervention_id, who)


def _corrected_version(current: Slip, who: CurrentUser) -> ReportVersion:
    if current.current is not None and current.current.status == DocumentStatus.CORRECTED:
        return current.current
    signed = current.signed_version
    highest = (
        ReportVersion.select(fn.MAX(ReportVersion.version))
        .where(
            (ReportVersion.intervention == signed.intervention_id)
            & (ReportVersion.kind == signed.kind)
        )
        .scalar()
    )
    content = copy.deepcopy(signed.content or {})
    content["corrections"] = []
    content["based_on"] = {"version": signed.version, "content_sha256": signed.content_sha256}
    return ReportVersion.create(
        intervention=signed.intervention_id,
        kind=signed.kind,
        version=(highest or 0) + 1,
        status=DocumentStatus.CORRECTED,
        content=plain(content),
        content_sha256=content_sha256(plain(content)),
        created_by=who.id,
    )


# --- validating -----------------------------------------------------------------------------


def validate(intervention_id: str, who: CurrentUser) -> Slip:
    """ "Valider": the latest version validated (who, when) and the intervention validated.
    Head office then makes the final PDF and e-mails it (after the next sync)."""
    _require_office(who)
    current = slip(intervention_id, who)
    intervention = current.intervention
    if intervention.status in (S.VALIDATED, S.DELIVERED):
        raise TransitionError(
            f"{intervention.reference} is already validated.",
            key="error.validation.already",
            hint="Nothing to do: the slip is validated.",
        )
    if not lifecycle.may_move(intervention.status, S.VALIDATED, lifecycle.OFFICE):
        raise TransitionError(
            f"{intervention.reference} is {intervention.status}: only a submitted slip is "
            "validated.",
            key="error.validation.not_submitted",
            status=intervention.status,
        )
    if current.current is None:
        raise NotFoundError(
            "No version of this slip has reached this device yet.",
            key="error.validation.no_version",
            hint="Synchronise, then open the slip again.",
        )
    with db.atomic():
        version = current.current
        version.status = DocumentStatus.VALIDATED
        version.validated_by = who.id
        version.validated_at = clock.utcnow().replace(microsecond=0)
        version.save()
        intervention.status = S.VALIDATED
        intervention.save()
    return slip(intervention_id, who)


# --- documents on this device ---------------------------------------------------------------


@dataclass(frozen=True)
class SlipDocument:
    """The PDF the office looks at: the signed file when this device has it (or can fetch
    it), else one rebuilt from the signed content (``signed`` False: say so)."""

    pdf: bytes
    signed: bool
    version: int
    file_name: str
    pages: list[bytes] | None  # PNG pictures; None when they cannot be made here


def _pdf_signature(current: Slip):
    """The evidence to draw in a rebuilt preview (only under the content it signed)."""
    evidence = current.evidence
    if evidence is None or not evidence.matches:
        return None
    from app.reports.signature import SignatureEvidence

    png = signature_png(evidence)
    return SignatureEvidence(
        document_kind=current.signed_version.kind,
        signer_name=evidence.signer_name,
        signer_role=evidence.signer_role,
        signed_at=evidence.signed_at,
        content_sha256=evidence.content_sha256,
        image_png=png or b"",
        image_sha256=evidence.image_sha256 or "",
        strokes=evidence.strokes or [],
        device_id=evidence.device_id,
    )


def device_blob_dir() -> Path | None:
    from app.sync.blobs import default_blob_dir

    return default_blob_dir()


def signature_png(evidence: Evidence | None, blob_dir: Path | None = None) -> bytes | None:
    """The signature's picture: its blob on this device, else drawn from its strokes."""
    if evidence is None:
        return None
    path = local_blob(evidence.image_sha256, blob_dir if blob_dir else device_blob_dir())
    if path is not None:
        return path.read_bytes()
    if evidence.strokes:
        from app.reports.signature import render_png

        try:
            return render_png(evidence.strokes, background=(255, 255, 255))
        except (TypeError, ValueError):
            return None
    return None


def slip_document(
    current: Slip, transport: Any = None, blob_dir: Path | None = None, *, dpi: int = 60
) -> SlipDocument | None:
    """The signed PDF of the slip with its pages (slow: run it off the UI loop)."""
    version = current.signed_version
    if version is None:
        return None
    blob_dir = blob_dir if blob_dir else device_blob_dir()
    pdf_path = None
    if version.pdf_blob_sha256 and blob_dir is not None:
        try:
            pdf_path = fetch_blob(version.pdf_blob_sha256, blob_dir, transport)
        except Exception:  # offline, or head office lacks it: the rebuilt preview says so
            pdf_path = None
    reference = current.intervention.reference
    if pdf_path is not None:
        pdf, signed = pdf_path.read_bytes(), True
    else:
        from app.reports.pdf import slip_pdf, visit_report_pdf

        render = visit_report_pdf if version.kind == "visit_report" else slip_pdf
        pdf = render(version.content, language="fr", signature=_pdf_signature(current))
        signed = False
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "slip.pdf"
        path.write_bytes(pdf)
        try:
            pages = page_images(path, dpi=dpi)
        except (subprocess.SubprocessError, OSError):
            pages = None
    return SlipDocument(pdf, signed, version.version, f"{reference}-v{version.version}.pdf", pages)


def local_blob(sha256: str | None, blob_dir: Path | None) -> Path | None:
    """The file of a blob on this device, if it is here."""
    if not sha256 or blob_dir is None:
        return None
    from app.media.blob_store import BlobStore

    return BlobStore(blob_dir).locate(sha256)


def fetch_blob(sha256: str, blob_dir: Path, transport: Any) -> Path | None:
    """Download a blob from head office into this device's store (None: not possible now)."""
    from app.media.blob_store import BlobStore

    store = BlobStore(blob_dir)
    found = store.locate(sha256)
    if found is not None or transport is None:
        return found
    with store.temp_file() as temp:
        transport.get_blob(sha256, temp)
        store.put_verified(temp, sha256)
    return store.locate(sha256)


def page_images(pdf: Path, *, dpi: int = 60, max_pages: int = 20) -> list[bytes] | None:
    """PNG pictures of the PDF's pages (poppler's ``pdftoppm``); None when it is missing."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [tool, "-png", "-r", str(dpi), "-l", str(max_pages), str(pdf), f"{out}/page"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return [p.read_bytes() for p in sorted(Path(out).glob("page*.png"))]


def deliveries(intervention_id: str, transport: Any) -> list[dict] | None:
    """The e-mail deliveries head office reports for the slip; None when head office cannot
    be asked now (offline, or a device without head office)."""
    if transport is None:
        return None
    try:
        return transport.office_deliveries(intervention_id)
    except AttributeError:  # a transport without the office's reads
        return None
