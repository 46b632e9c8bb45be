"""The documents head office produces: the sealed PDF of a report version.

``version_pdf(version, language=)`` is what the office, the API and e-mail delivery use. The
first request makes the PDF, seals it with the company's certificate (``headoffice.sealing``),
keeps it as a head office blob and records it (``report_pdfs``); later requests read that
blob again. Where the PDF comes from:

- a version a device signed and whose PDF it uploaded (``pdf_blob_sha256``): that PDF, once
  checked (``check_received``: its embedded canonical content hashes to the version's
  ``content_sha256`` and to the ``Signature`` row's, which is the hash of the version's
  content), is sealed as it is: the client's document, with the company's seal added;
- any other version (a draft, a version whose device PDF has not arrived, the office's
  corrected and validated versions, another language): drawn here from the version's
  content (``app.reports.pdf``), with the signature evidence rebuilt from the ``Signature``
  row of that very content when there is one, then sealed.

A device PDF that does not match, or a record that does not match itself (its content does
not hash to its ``content_sha256``, the signature was given for another content), is refused
for that version: it is kept (the blob stays), recorded in ``report_pdfs_held_aside``, listed
by ``held_aside()``, and asking for the version's PDF answers ``HeldAsideError`` (HTTP 422
``held_aside``) until the office resolves it.

The seal and the blob store are the running app's (``configure``, called by ``create_app``;
each request of an app uses its own, so several apps can share a process).
"""

from __future__ import annotations

import contextvars
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime

from app.domain.corrections import CONTENT_EDITABLE
from app.domain.reasons import Reason, code_of
from app.errors import NotFoundError, TerrainError, ValidationError
from app.models import (
    FollowUp,
    Intervention,
    ReportVersion,
    Signature,
    Technician,
    db,
    utcnow,
)
from app.models.enums import DocumentKind, DocumentStatus, SignatureOutcome
from app.reports.canonical import content_sha256
from app.reports.pdf import ATTACHMENT_NAME, Corrects, slip_pdf, visit_report_pdf
from app.reports.signature import SignatureEvidence, render_png
from headoffice.http import HeldAsideError
from headoffice.models import Blob, HeldAsidePdf, SealedPdf
from headoffice.sealing import CONTENT_PREFIX, Seal

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
MAX_PDF_BYTES = 64 * 1024 * 1024  # a report with 20 photos is ~8 MB
HEADOFFICE_USER = "headoffice"  # ``blobs.uploaded_by`` of the PDFs head office makes
SOURCE_DEVICE, SOURCE_HEADOFFICE = "device", "headoffice"


@dataclass(frozen=True)
class Documents:
    """What producing documents needs: the seal and the head office blob store."""

    seal: Seal
    store: object  # headoffice.blobs.HeadOfficeBlobs


_default: Documents | None = None
_current: contextvars.ContextVar[Documents | None] = contextvars.ContextVar(
    "terrain_documents", default=None
)


def configure(documents: Documents) -> None:
    """The documents of the last app created (used outside requests: background jobs)."""
    global _default
    _default = documents


def use(documents: Documents):
    """Make ``documents`` the current ones (for a request); returns the token to reset."""
    return _current.set(documents)


def reset(token) -> None:
    _current.reset(token)


def current() -> Documents:
    documents = _current.get() or _default
    if documents is None:
        raise TerrainError(
            "Head office documents are not configured (no seal, no blob store).",
            hint="Create the app with headoffice.app.create_app first.",
        )
    return documents


# --- the PDF of a version -----------------------------------------------------------------


def version_pdf(version: ReportVersion, *, language: str | None = None) -> bytes:
    """The sealed PDF of ``version`` in ``language`` (default: the language the client
    read it in, else French); made, sealed and kept on first request."""
    docs = current()
    if version.pdf_blob_sha256:
        check_received(version, docs)
    held = _held(version)
    if held is not None:
        raise HeldAsideError(
            f"The PDF of report version {version.id} is held aside: {held.reason}",
            key="error.report.held_aside",
        )
    signature = _signature_of(version)
    language = language or _language_of(signature)
    try:
        content = _final(version)
        digest = content_sha256(content)
    except (TerrainError, *_MALFORMED) as exc:  # a device may push any JSON as content
        raise _undrawable(version, exc) from exc
    record = SealedPdf.get_or_none(
        (SealedPdf.report_version_id == version.id) & (SealedPdf.language == language)
    )
    if record is not None and record.content_sha256 == digest:
        data = _read(docs, record.blob_sha256)
        if data is not None:
            return data
    problem = _record_problem(version, signature)
    if problem:
        _hold(version, None, problem)
        raise HeldAsideError(
            f"The record of report version {version.id} does not match itself: {problem}",
            key="error.report.held_aside",
        )
    render = slip_pdf if version.kind == DocumentKind.SLIP else visit_report_pdf
    kwargs = {} if version.kind == DocumentKind.SLIP else {"photos": _loader(docs)}
    try:
        evidence = _evidence(signature, docs) if signature is not None else None
        missing = _missing_of(version) if signature is None else None
        kwargs["corrects"] = _corrects(version, content)
        kwargs["follow_ups"] = _recorded_follow_ups(version)
        pdf = render(content, language=language, signature=evidence, missing=missing, **kwargs)
        company = str(content["company"]["name"])
    except (ValidationError, *_MALFORMED) as exc:
        raise _undrawable(version, exc) from exc
    sealed = docs.seal.seal(pdf, content_sha256=digest, company=company)
    _keep(docs, version, language, sealed, digest, SOURCE_HEADOFFICE, None)
    return sealed


# What a content that is not a report's (pushed by a hostile or broken device) raises
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _undrawable(version: ReportVersion, exc: Exception) -> HeldAsideError:
    """The version's content cannot be drawn: held aside for the office, 422."""
    detail = exc.message if isinstance(exc, TerrainError) else f"{type(exc).__name__}: {exc}"
    reason = Reason(
        "held_aside.undrawable",
        f"its content cannot be drawn as a PDF ({detail[:200]})",
        detail=detail[:200],
    )
    _hold(version, None, reason)
    return HeldAsideError(
        f"The PDF of report version {version.id} cannot be made, held aside: {reason}",
        key="error.report.held_aside",
    )


def _final(version: ReportVersion) -> dict:
    """The content to draw: a draft's final content (its included lines), else as stored."""
    if not isinstance(version.content, dict):
        raise ValueError("the content is not a JSON object")
    if version.status == DocumentStatus.DRAFT or "totals" not in version.content:
        from app.services.report_service import final_content

        return final_content(version.content)
    return version.content


def _signature_of(version: ReportVersion) -> Signature | None:
    """The live signature of this version's content (same intervention, document, hash);
    for a version the office corrected after the signature, the signature of the signed
    version it is based on (``_signed_base``)."""
    base = _signed_base(version)
    signed_sha256 = base.content_sha256 if base is not None else version.content_sha256
    if not signed_sha256:
        return None
    return (
        Signature.select()
        .where(
            (Signature.intervention == version.intervention_id)
            & (Signature.document_kind == version.kind)
            & (Signature.content_sha256 == signed_sha256)
            & (Signature.outcome == SignatureOutcome.SIGNED)  # not a refusal / absence record
            & (Signature.deleted == False)
        )
        .order_by(Signature.signed_at.desc())
        .first()
    )


def _signed_base(version: ReportVersion) -> ReportVersion | None:
    """The earlier version a corrected one names in ``based_on`` (``app.domain.corrections``),
    if it is really there: the same intervention and document, that number and hash, no
    longer editable, its content hashing to that hash. A ``based_on`` naming anything else
    (a hostile or broken device) gives None: the version is drawn as unsigned."""
    content = version.content if isinstance(version.content, dict) else {}
    based_on = content.get("based_on")
    if not isinstance(based_on, dict):
        return None
    number, sha256 = based_on.get("version"), based_on.get("content_sha256")
    if not isinstance(number, int) or not isinstance(sha256, str) or number >= version.version:
        return None
    base = ReportVersion.get_or_none(
        (ReportVersion.intervention == version.intervention_id)
        & (ReportVersion.kind == version.kind)
        & (ReportVersion.version == number)
        & (ReportVersion.content_sha256 == sha256)
        & ReportVersion.status.not_in(list(CONTENT_EDITABLE))
        & (ReportVersion.deleted == False)
    )
    try:
        if base is None or content_sha256(base.content) != sha256:
            return None
    except TerrainError:
        return None
    return base


def _corrects(version: ReportVersion, content: dict) -> Corrects | None:
    """For a version the office corrected (``based_on``): the version it corrects and how
    that one was closed (signed by whom and when, or the record of a missing signature)."""
    based_on = content.get("based_on")
    if not isinstance(based_on, dict):
        return None
    number = based_on.get("version")
    number = number if isinstance(number, int) and not isinstance(number, bool) else 1
    base = _signed_base(version)  # None unless really there, frozen and hashing as named
    signature = _signature_of(base) if base is not None else None
    if signature is not None:
        audit = signature.audit if isinstance(signature.audit, dict) else {}
        return Corrects(
            version=version.version, based_on=number, outcome=SignatureOutcome.SIGNED,
            signed_at=audit.get("signed_at_local") or signature.signed_at,
            signer_name=signature.signer_name,
        )  # fmt: skip
    record = _latest_missing(version)
    if record is not None:
        audit = record.audit if isinstance(record.audit, dict) else {}
        return Corrects(
            version=version.version, based_on=number, outcome=str(record.outcome),
            signed_at=audit.get("signed_at_local") or record.signed_at,
        )  # fmt: skip
    return Corrects(version=version.version, based_on=number)


def _recorded_follow_ups(version: ReportVersion) -> list[dict]:
    """The follow-up the technician recorded for this intervention (after the signature,
    so never in the signed content), as the PDF prints it."""
    rows = FollowUp.select().where(
        (FollowUp.intervention == version.intervention_id) & (FollowUp.deleted == False)
    )
    return [
        {"kind": f.kind, "description": f.description or "", "due_date": f.due_date}
        for f in rows.order_by(FollowUp.created_at)
    ]


def _missing_of(version: ReportVersion) -> tuple[str, str] | None:
    """(outcome, reason) of the technician's record of a missing signature, if any."""
    record = _latest_missing(version)
    return (str(record.outcome), record.reason) if record is not None else None


def _latest_missing(version: ReportVersion) -> Signature | None:
    return (
        Signature.select()
        .where(
            (Signature.intervention == version.intervention_id)
            & Signature.outcome.in_([SignatureOutcome.REFUSED, SignatureOutcome.ABSENT])
            & (Signature.deleted == False)
        )
        .order_by(Signature.signed_at.desc())
        .first()
    )


def _latest_signature(version: ReportVersion) -> Signature | None:
    return (
        Signature.select()
        .where(
            (Signature.intervention == version.intervention_id)
            & (Signature.document_kind == version.kind)
            & (Signature.deleted == False)
        )
        .order_by(Signature.signed_at.desc())
        .first()
    )


def _language_of(signature: Signature | None) -> str:
    language = ((signature.audit or {}).get("language") if signature else None) or "fr"
    return language if language in LANGUAGES else "fr"


def _record_problem(version: ReportVersion, signature: Signature | None) -> str:
    """What makes the record contradict itself ('' when it holds together)."""
    if not version.content_sha256:
        return ""
    try:
        actual = content_sha256(version.content)
    except TerrainError as exc:
        return Reason(
            "held_aside.unhashable",
            f"its content cannot be hashed ({exc.message})",
            detail=exc.message,
        )
    if actual != version.content_sha256:
        return Reason(
            "held_aside.record_mismatch",
            f"its content hashes to {actual}, not to its content_sha256 {version.content_sha256}",
            actual=actual,
            expected=version.content_sha256,
        )
    if version.pdf_blob_sha256 and signature is None:
        latest = _latest_signature(version)
        if latest is None:
            return Reason(
                "held_aside.no_signature",
                "it was signed on a device but head office has no signature for it",
            )
        return Reason(
            "held_aside.signature_mismatch",
            f"its signature was given for content {latest.content_sha256}, "
            f"not {version.content_sha256}",
            signed=latest.content_sha256,
            expected=version.content_sha256,
        )
    return ""


def _evidence(signature: Signature, docs: Documents) -> SignatureEvidence:
    """The ``SignatureEvidence`` the PDF draws, rebuilt from the ``Signature`` row: its image
    from the blob store, or drawn again from its strokes (same strokes, same PNG)."""
    image = _read(docs, signature.image_blob_sha256) if signature.image_blob_sha256 else None
    if image is None and signature.strokes:
        image = render_png([[tuple(p) for p in s] for s in signature.strokes])
    image = image or render_png([])
    return SignatureEvidence(
        document_kind=signature.document_kind,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        signed_at=_naive(signature.signed_at),
        content_sha256=signature.content_sha256,
        image_png=image,
        image_sha256=hashlib.sha256(image).hexdigest(),
        strokes=signature.strokes or [],
        device_id=signature.device_id,
        audit=signature.audit or {},
    )


def _naive(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


def _loader(docs: Documents):
    return lambda sha256: _read(docs, sha256) if sha256 else None


def _read(docs: Documents, sha256: str) -> bytes | None:
    files = docs.store.files
    if not files.has(sha256):
        return None
    with files.open(sha256) as stream:
        return stream.read()


def _keep(docs, version, language, sealed, digest, source, source_blob) -> SealedPdf:
    """Store the sealed PDF as a blob and make it the version's (replacing an older one)."""
    sha256 = docs.store.files.put_bytes(sealed)
    with db.atomic():
        Blob.insert(
            sha256=sha256, size=len(sealed), uploaded_by=HEADOFFICE_USER
        ).on_conflict_ignore().execute()
        where = (SealedPdf.report_version_id == version.id) & (SealedPdf.language == language)
        SealedPdf.delete().where(where).execute()
        SealedPdf.insert(
            report_version_id=version.id, language=language, blob_sha256=sha256,
            content_sha256=digest, source=source, source_blob_sha256=source_blob,
            sealed_at=utcnow(),
        ).execute()  # fmt: skip
    return SealedPdf.get(where)


# --- PDFs received from devices -----------------------------------------------------------


def check_received(version: ReportVersion, docs: Documents | None = None) -> str | None:
    """Check the device's PDF of ``version`` (if uploaded and not checked yet): seal and
    keep it when it matches, hold it aside when not. Returns "sealed", "held" or None
    (nothing to do: no blob yet, or already decided)."""
    docs = docs or current()
    sha256 = version.pdf_blob_sha256
    blob = docs.store.find(sha256) if sha256 else None
    if blob is None:
        return None
    done = SealedPdf.select().where(
        (SealedPdf.report_version_id == version.id) & (SealedPdf.source_blob_sha256 == sha256)
    )
    held = HeldAsidePdf.select().where(
        (HeldAsidePdf.report_version_id == version.id) & (HeldAsidePdf.blob_sha256 == sha256)
    )
    if done.exists() or held.exists():
        return None
    if blob.size > MAX_PDF_BYTES:  # never read a huge blob into memory to parse it
        too_large = Reason(
            "held_aside.too_large",
            f"the file received has {blob.size:,} bytes, above {MAX_PDF_BYTES:,} for a report PDF",
            size=blob.size,
            limit=MAX_PDF_BYTES,
        )
        _hold(version, sha256, too_large)
        return "held"
    data = _read(docs, sha256) or b""
    signature = _signature_of(version)
    problem = _record_problem(version, signature) or _pdf_problem(version, data)
    if not version.content_sha256:
        problem = problem or Reason(
            "held_aside.no_content_hash",
            "the version has no content_sha256 to check its PDF against",
        )
    if problem:
        _hold(version, sha256, problem)
        return "held"
    language = _pdf_language(data) or _language_of(signature)
    content = version.content if isinstance(version.content, dict) else {}
    company = str((content.get("company") or {}).get("name", "")) if content else ""
    sealed = docs.seal.seal(data, content_sha256=version.content_sha256, company=company)
    _keep(docs, version, language, sealed, version.content_sha256, SOURCE_DEVICE, sha256)
    log.info("report version %s: the device's PDF %s checked and sealed", version.id, sha256)
    return "sealed"


def _pdf_problem(version: ReportVersion, data: bytes) -> str:
    """Why the device's PDF does not match the version ('' when it does)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from headoffice.verify import _attachment, _keywords_hash

    if b"%PDF-" not in data[:1024]:
        return Reason("held_aside.not_pdf", "the file received is not a PDF")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = _attachment(reader)
        keywords = _keywords_hash(reader)
    except Exception as exc:
        return Reason(
            "held_aside.unreadable",
            f"the PDF received cannot be read ({type(exc).__name__})",
            detail=type(exc).__name__,
        )
    if embedded is None:
        return Reason(
            "held_aside.no_attachment",
            f"the PDF received has no {ATTACHMENT_NAME} attachment",
            name=ATTACHMENT_NAME,
        )
    digest = hashlib.sha256(embedded).hexdigest()
    if digest != version.content_sha256:
        return Reason(
            "held_aside.content_mismatch",
            f"the PDF received embeds content {digest}, not the version's {version.content_sha256}",
            received=digest,
            expected=version.content_sha256,
        )
    if keywords != version.content_sha256:
        return Reason(
            "held_aside.keywords_mismatch",
            f"the PDF received says {CONTENT_PREFIX}{keywords or 'nothing'} in its Keywords",
            keywords=f"{CONTENT_PREFIX}{keywords or ''}",
        )
    return ""


def _pdf_language(data: bytes) -> str | None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        lang = str(PdfFileReader(io.BytesIO(data), strict=False).root.get("/Lang", ""))
    except Exception:
        return None
    code = lang[:2].lower()
    return code if code in LANGUAGES else None


def _hold(version: ReportVersion, blob_sha256: str | None, reason: str) -> None:
    where = (HeldAsidePdf.report_version_id == version.id) & (HeldAsidePdf.resolved == False)
    where &= (
        HeldAsidePdf.blob_sha256.is_null()
        if blob_sha256 is None
        else HeldAsidePdf.blob_sha256 == blob_sha256
    )
    if not HeldAsidePdf.select().where(where).exists():
        code, params = code_of(reason)
        HeldAsidePdf.create(
            report_version_id=version.id,
            blob_sha256=blob_sha256,
            reason=str(reason),
            code=code,
            params=params if code else None,
        )
    log.warning("report version %s held aside: %s", version.id, reason)


def _held(version: ReportVersion) -> HeldAsidePdf | None:
    return (
        HeldAsidePdf.select()
        .where((HeldAsidePdf.report_version_id == version.id) & (HeldAsidePdf.resolved == False))
        .order_by(HeldAsidePdf.id)
        .first()
    )


def held_aside(*, include_resolved: bool = False) -> list[dict]:
    """The PDFs (and records) held aside, newest first, for the office to look at: which
    version of which intervention, its technician, when, the content hash the record
    expects and the SHA-256 of the file received, and why."""
    query = HeldAsidePdf.select().order_by(HeldAsidePdf.detected_at.desc(), HeldAsidePdf.id.desc())
    if not include_resolved:
        query = query.where(HeldAsidePdf.resolved == False)
    rows = list(query)
    versions = {
        v.id: v
        for v in ReportVersion.select().where(
            ReportVersion.id.in_([r.report_version_id for r in rows])
        )
    }
    jobs = {
        j.id: j
        for j in Intervention.select().where(
            Intervention.id.in_([v.intervention_id for v in versions.values()])
        )
    }
    names = Technician.display_names({j.technician_id for j in jobs.values() if j.technician_id})
    out = []
    for row in rows:
        version = versions.get(row.report_version_id)
        job = jobs.get(version.intervention_id) if version else None
        content = version.content if version and isinstance(version.content, dict) else {}
        out.append(
            {
                "id": row.id,
                "report_version_id": row.report_version_id,
                "intervention_id": version.intervention_id if version else None,
                "reference": str(content.get("reference") or (job.reference if job else "")),
                "technician": names.get(job.technician_id, "") if job else "",
                "kind": version.kind if version else None,
                "version": version.version if version else None,
                "expected_sha256": version.content_sha256 if version else None,
                "blob_sha256": row.blob_sha256,
                "reason": row.reason,
                "code": row.code,  # with ``params``: the reason to translate (None: the text)
                "params": row.params or {},
                "detected_at": row.detected_at,
                "resolved": row.resolved,
            }
        )
    return out


def resolve_held_aside(held_id: int) -> None:
    """The office looked at it: the version's PDF may be made again (from its record)."""
    if not HeldAsidePdf.update(resolved=True).where(HeldAsidePdf.id == held_id).execute():
        raise NotFoundError(f"No PDF held aside with id {held_id}.")


def blob_received(sha256: str) -> None:
    """A blob was uploaded: check it if it is the signed PDF of report versions."""
    for version in ReportVersion.select().where(
        (ReportVersion.pdf_blob_sha256 == sha256) & (ReportVersion.deleted == False)
    ):
        try:
            check_received(version)
        except Exception:  # never fail the upload for it: logged, checked again on request
            log.exception("checking the PDF %s of report version %s failed", sha256, version.id)


def versions_pushed(ids: list[str]) -> None:
    """Report versions were pushed: check the PDFs they name that are already uploaded."""
    if not ids:
        return
    for version in ReportVersion.select().where(
        ReportVersion.id.in_(ids) & ReportVersion.pdf_blob_sha256.is_null(False)
    ):
        try:
            check_received(version)
        except Exception:
            log.exception("checking the PDF of report version %s failed", version.id)
