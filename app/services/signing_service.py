"""Closing the visit on the device: the client signs the report, or the technician records why
not; then the follow-up goes with the slip to head office (docs/reports.md, "Signing").

``sign()`` checks the signer and the strokes (``app.reports.signature``), renders the signed
visit report PDF with the evidence, stores the PNG and the PDF in the device's blob store
(content-addressed; sync rule 8 uploads them before the rows), then in ONE transaction: the
``Signature`` row, the ``ReportVersion`` moved to ``signed`` with the final content and its
SHA-256 and the PDF's, and the intervention moved to ``signed`` (``app.domain.lifecycle``:
the move only a signature makes). Any refusal stores nothing (a blob written before a failed
transaction is an unreferenced file, never a row).

``record_missing()`` is the same for a client who refuses or is not there: a ``Signature``
row with ``outcome`` ``refused`` / ``absent``, a ``reason``, no strokes and no image; the
version goes to ``submitted`` (unsigned) and the intervention from work done straight to
submitted (``lifecycle.VIA_REFUSAL``). Head office accepts those moves from the same rules.

``confirm_technician()`` checks the technician's password against this device's local
verifier (offline), to leave client mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from app import clock
from app.domain import lifecycle
from app.errors import AuthError, TerrainError, ValidationError
from app.media.blob_store import BlobStore
from app.models import Intervention, ReportVersion, Signature, User, db
from app.models.enums import DocumentKind, DocumentStatus, SignatureOutcome
from app.models.enums import InterventionStatus as S
from app.reports.canonical import content_sha256
from app.reports.formatting import Formats
from app.reports.pdf import visit_report_pdf
from app.reports.signature import MAX_NAME, PAD, build_evidence
from app.services import follow_up_service, lifecycle_service, report_service
from app.services.auth_service import CurrentUser
from app.services.guards import load_intervention
from app.services.passwords import verify_password
from app.sync.blobs import default_blob_dir
from app.sync.store import ensure_device_id

log = logging.getLogger(__name__)

KIND = DocumentKind.VISIT_REPORT
MAX_REASON = 500


class SigningError(ValidationError):
    """The report cannot be signed (or recorded unsigned) now."""

    hint = "Open the report again: it shows what can be done."


class AlreadySignedError(SigningError):
    """Signing twice, or recording a refusal after a signature (or the reverse)."""

    hint = "The report is already signed or sent: nothing more to sign."


class NotReadyError(SigningError):
    """The work is not declared done yet."""

    hint = "Declare the work done (Travaux terminés), then present the report to the client."


class ContentChangedError(SigningError):
    """The report changed since it was shown to the client."""

    hint = "Present the report to the client again: they sign what they see."


class MissingReasonError(SigningError):
    """A refusal or absence without a reason."""

    hint = "Write why the client did not sign (refused, absent, left before the end…)."


class NoBlobStoreError(TerrainError):
    """The database has no data directory for files (an in-memory database)."""

    hint = "Open the app with a data directory (--data-dir) so signatures can be kept."


@dataclass(frozen=True)
class Presented:
    """What the client is shown: the final content and its SHA-256 (passed back to sign)."""

    content: dict
    sha256: str
    version: int


@dataclass(frozen=True)
class Closed:
    """The outcome of signing or of recording a missing signature."""

    version: ReportVersion
    signature: Signature
    intervention_status: str
    pdf_sha256: str | None


@dataclass(frozen=True)
class ReportState:
    """The report as it is now: a draft to edit, or the frozen version with its record."""

    status: str  # the intervention's status
    draft: report_service.ReportDraft | None  # None once signed / submitted
    version: ReportVersion | None  # the latest version (draft or frozen)
    signature: Signature | None  # the signature or refusal record, if any
    follow_ups: list

    @property
    def final(self) -> dict:
        if self.draft is not None:
            return self.draft.final
        return self.version.content if self.version is not None else {}

    @property
    def frozen(self) -> bool:
        return self.draft is None

    @property
    def can_present(self) -> bool:
        return self.draft is not None and self.status == S.WORK_DONE


def store_for(blobs: BlobStore | Path | str | None = None) -> BlobStore:
    if isinstance(blobs, BlobStore):
        return blobs
    root = Path(blobs) if blobs is not None else default_blob_dir()
    if root is None:
        raise NoBlobStoreError("There is no blob store next to this database.")
    return BlobStore(root)


def report_state(intervention_id: str, who: CurrentUser) -> ReportState:
    """The report screen's data: the editable draft while the intervention is open, else the
    latest version with its signature (or refusal) record and the follow-ups."""
    job = load_intervention(intervention_id, who)
    draft = None
    if job.status not in lifecycle.CLOSED:
        draft = report_service.draft(intervention_id, who)
    return ReportState(
        status=str(job.status),
        draft=draft,
        version=draft.version if draft is not None else latest_version(intervention_id),
        signature=signature_of(intervention_id),
        follow_ups=follow_up_service.follow_ups_of(intervention_id, who),
    )


def latest_version(intervention_id: str) -> ReportVersion | None:
    return (
        ReportVersion.live()
        .where((ReportVersion.intervention == intervention_id) & (ReportVersion.kind == KIND))
        .order_by(ReportVersion.version.desc())
        .first()
    )


def signature_of(intervention_id: str) -> Signature | None:
    """The live signature or missing-signature record of the intervention's report."""
    return (
        Signature.live()
        .where(
            (Signature.intervention == intervention_id)
            & Signature.document_kind.in_(sorted(lifecycle.SIGNING_DOCUMENTS))
        )
        .order_by(Signature.signed_at.desc())
        .first()
    )


def present(intervention_id: str, who: CurrentUser) -> Presented:
    """The content to show the client (client mode): the draft's final content, once the work
    is done and before any signature."""
    job = _ready(intervention_id, who)
    current = report_service.draft(job.id, who)
    return Presented(current.final, current.sha256, current.version.version)


def _ready(intervention_id: str, who: CurrentUser) -> Intervention:
    job = load_intervention(intervention_id, who)
    if job.status in lifecycle.LOCKED or signature_of(job.id) is not None:
        raise AlreadySignedError(
            f"{job.reference} is {job.status}: its report is already signed or sent.",
            key="error.signing.already",
        )
    if job.status != S.WORK_DONE:
        if job.status in lifecycle.CLOSED:  # cancelled
            report_service.draft(job.id, who)  # raises the guard's own error
        raise NotReadyError(
            f"{job.reference} is {job.status}: the work is not declared done.",
            key="error.signing.not_ready",
        )
    return job


def _check_shown(current: report_service.ReportDraft, shown_sha256: str | None) -> None:
    if shown_sha256 is not None and shown_sha256 != current.sha256:
        raise ContentChangedError(
            "The report changed since it was shown to the client.",
            key="error.signing.changed",
        )


def sign(
    intervention_id: str,
    who: CurrentUser,
    *,
    strokes: object,
    signer_name: str,
    signer_role: str,
    shown_sha256: str | None = None,
    language: str = "fr",
    pad: tuple[int, int] = PAD,
    blobs: BlobStore | Path | str | None = None,
) -> Closed:
    """The client signs the report they were shown (``shown_sha256``: ``Presented.sha256``)."""
    job = _ready(intervention_id, who)
    current = report_service.draft(job.id, who)
    _check_shown(current, shown_sha256)
    final = current.final
    evidence = build_evidence(
        strokes,
        signer_name=signer_name,
        signer_role=signer_role,
        content=final,
        device_id=_device_id(),
        technician_id=who.technician_id,
        technician_name=who.display_name,
        user_id=who.id,
        document_kind=KIND,
        language=language,
        pad=pad,
    )
    fields = {**evidence.signature_fields(), "outcome": SignatureOutcome.SIGNED, "reason": ""}
    _check_record(fields)
    pdf = visit_report_pdf(final, language=language, signature=evidence)
    store = store_for(blobs)
    store.put_bytes(evidence.image_png)
    pdf_sha = store.put_bytes(pdf)
    with db.atomic():
        _ready(intervention_id, who)  # again, inside the transaction: never signed twice
        signature = Signature.create(intervention=job.id, **fields)
        version = _freeze(current.version, final, DocumentStatus.SIGNED, pdf_sha)
        moved = lifecycle_service.by_record(job.id, S.SIGNED, who, clock.now(), signed=True)
    log.info("report of %s signed by %s", job.reference, evidence.signer_name)
    return Closed(version, signature, str(moved.status), pdf_sha)


def record_missing(
    intervention_id: str,
    who: CurrentUser,
    *,
    outcome: SignatureOutcome | str,
    reason: str,
    signer_name: str = "",
    shown_sha256: str | None = None,
    language: str = "fr",
) -> Closed:
    """The client refused to sign, or was not there: the record, then the slip goes to head
    office unsigned (the version ``submitted``, the intervention ``submitted``)."""
    try:
        outcome = SignatureOutcome(outcome)
    except ValueError:
        outcome = None
    if outcome not in lifecycle.UNSIGNED_OUTCOMES:
        raise SigningError(
            "Choose whether the client refused or was absent.",
            field="outcome",
            key="error.signing.outcome",
        )
    text = " ".join((reason or "").split())
    if not 3 <= len(text) <= MAX_REASON:
        raise MissingReasonError(
            f"The reason is required (3 to {MAX_REASON} characters).",
            field="reason",
            key="error.signing.reason",
        )
    job = _ready(intervention_id, who)
    current = report_service.draft(job.id, who)
    _check_shown(current, shown_sha256)
    final = current.final
    digest = content_sha256(final)
    signed_at, local = clock.utcnow().replace(microsecond=0), clock.now().replace(microsecond=0)
    device_id = _device_id()
    fields = {
        "document_kind": KIND,
        "signer_name": " ".join((signer_name or "").split())[:MAX_NAME],
        "signer_role": "",
        "signed_at": signed_at,
        "content_sha256": digest,
        "image_blob_sha256": None,
        "strokes": None,
        "device_id": device_id,
        "outcome": outcome,
        "reason": text,
        "audit": {
            "content_sha256": digest,
            "reference": final.get("reference", ""),
            "language": language,
            "signed_at_utc": signed_at.isoformat(),
            "signed_at_local": local.isoformat(),
            "device_id": device_id,
            "technician_id": who.technician_id,
            "technician_name": who.display_name,
            "user_id": who.id,
            "events": [{"at": signed_at.isoformat(), "event": str(outcome)}],
        },
    }
    _check_record(fields)
    with db.atomic():
        _ready(intervention_id, who)
        signature = Signature.create(intervention=job.id, **fields)
        version = _freeze(current.version, final, DocumentStatus.SUBMITTED, None)
        moved = lifecycle_service.by_record(job.id, S.SUBMITTED, who, clock.now(), unsigned=True)
    log.info("report of %s recorded unsigned (%s)", job.reference, outcome)
    return Closed(version, signature, str(moved.status), None)


def _device_id() -> str:
    """This installation's sync id; "" on a database that does not sync (demo, tests)."""
    return ensure_device_id() if db.table_exists("sync_state") else ""


def _check_record(fields: dict) -> None:
    """The shared rule head office decides signature rows with (``lifecycle``)."""
    reason = lifecycle.signature_record_refusal(fields)
    if reason:
        raise SigningError(reason, key="error.signing.record")


def _freeze(
    version: ReportVersion, final: dict, status: DocumentStatus, pdf_sha: str | None
) -> ReportVersion:
    version.content = final
    version.content_sha256 = content_sha256(final)
    version.pdf_blob_sha256 = pdf_sha
    version.status = status
    version.save()
    return version


def confirm_technician(who: CurrentUser, password: str) -> None:
    """The signed-in technician's password, checked on this device (offline): to leave
    client mode. ``AuthError`` when it is wrong."""
    user = User.live().where(User.id == who.id).first()
    stored = user.password_hash if user is not None else ""
    if not password or not stored or not verify_password(password, stored):
        raise AuthError(
            "Wrong password: client mode stays locked.",
            key="error.client_mode.password",
            hint="Type the password you sign in with. The client cannot leave this screen.",
        )


def formats(language: str) -> Formats:
    """Dates and amounts as the PDF writes them (Babel), for the screens that preview it."""
    return Formats(language)


def report_pdf(
    intervention_id: str,
    who: CurrentUser,
    *,
    language: str = "fr",
    blobs: BlobStore | Path | str | None = None,
) -> tuple[str, bytes]:
    """(file name, bytes) of the report's PDF: the signed one kept in the blob store once
    signed, else the draft's PDF rendered now ("Brouillon — non signé"). Slow: a job."""
    state = report_state(intervention_id, who)
    version = state.version
    reference = state.final.get("reference") or intervention_id
    sha = version.pdf_blob_sha256 if state.frozen and version is not None else None
    if sha:
        with store_for(blobs).open(sha) as fh:
            data = fh.read()
    else:
        data = visit_report_pdf(state.final, language=language)
    number = version.version if version is not None else 1
    return f"{reference}-rapport-v{number}.pdf", data
