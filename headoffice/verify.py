"""``python main.py verify FILE.pdf``: is this a Terrain document, sealed and unaltered?

Checks, in order, each reported by name:

1. **a PDF** (``%PDF-`` header, parseable), **sealed** (a ``TerrainSeal`` signature field
   with a signature) and **with its content** (the ``report-content.json`` attachment):
   otherwise the file is *not a sealed Terrain document* (exit 2);
2. **seal intact**: the bytes the seal covers have the digest it signed;
3. **seal signature valid**: the signature over that digest checks with the certificate;
4. **covers the whole file**: nothing was appended after the seal (an incremental update
   changing anything at all, even metadata);
5. **certificate trusted**: the seal's certificate chains to one ``verify`` trusts (the
   company's, from ``<data-dir>/headoffice-seal/trust.pem`` written by ``serve``, or
   ``--trust FILE.pem``);
6. **content hash**: SHA-256 of the embedded canonical content = the Keywords
   ``content-sha256:<hex>`` = the seal's ``/Reason`` ``content-sha256:<hex>``;
7. **content canonical**: the embedded JSON, parsed and written again canonically
   (``app.reports.canonical``), gives the same bytes (the hash is re-derived).

Any failure of 2-7 makes the document *altered* (exit 1); all pass: *intact* (exit 0).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from app import clock
from app.errors import TerrainError
from app.reports.canonical import canonical_bytes
from headoffice.sealing import CONTENT_PREFIX, SEAL_FIELD, TRUST_FILE

log = logging.getLogger(__name__)

# app.reports.pdf.ATTACHMENT_NAME, not imported: fpdf2 and the fonts would double the time
# `main.py verify` takes to start (tests/test_sealing.py checks they agree)
ATTACHMENT_NAME = "report-content.json"
INTACT, ALTERED, NOT_SEALED = 0, 1, 2
VERDICTS = {INTACT: "INTACT", ALTERED: "ALTERED", NOT_SEALED: "NOT A SEALED TERRAIN DOCUMENT"}
TRUST_CHECK = "certificate trusted"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verdict:
    code: int
    checks: list[Check] = field(default_factory=list)
    reference: str = ""

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def verdict(self) -> str:
        """INTACT, ALTERED (UNTRUSTED SEAL when only the certificate is unknown), or NOT A
        SEALED TERRAIN DOCUMENT."""
        if self.code == ALTERED and [c.name for c in self.failed] == [TRUST_CHECK]:
            return "UNTRUSTED SEAL (intact, but not sealed by a certificate trusted here)"
        return VERDICTS[self.code]

    def lines(self) -> list[str]:
        out = [f"{'ok    ' if c.ok else 'FAILED'} {c.name}: {c.detail}" for c in self.checks]
        out.append(self.verdict + (f" ({self.reference})" if self.reference else ""))
        return out


def load_trust(data_dir: Path | None, files: list[Path] = ()) -> list:
    """The certificates trusted as the company's: ``trust.pem`` of the head office data
    directory (if there) and each of ``files`` (PEM or DER)."""
    from cryptography import x509

    paths = list(files)
    if data_dir is not None:
        candidate = data_dir / "headoffice-seal" / TRUST_FILE
        if candidate.is_file():
            paths.append(candidate)
    certs = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TerrainError(
                f"Cannot read the trusted certificate {path}: {exc.strerror or exc}.",
                hint="Give a readable PEM or DER file with --trust.",
            ) from exc
        try:
            if b"-----BEGIN" in data:
                certs.extend(x509.load_pem_x509_certificates(data))
            else:
                certs.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise TerrainError(
                f"{path} holds no certificate ({exc}).",
                hint="Give the company's certificate in PEM or DER with --trust.",
            ) from exc
    return certs


def _attachment(reader) -> bytes | None:
    """The bytes of the ``report-content.json`` attachment, or None."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]
    except (KeyError, TypeError):
        return None
    pending = [names]
    while pending:  # a name tree: /Names pairs in the leaves, /Kids below
        node = pending.pop()
        if "/Kids" in node:
            pending.extend(kid.get_object() for kid in node["/Kids"])
        pairs = list(node.get("/Names", []))
        for name, spec in zip(pairs[::2], pairs[1::2], strict=False):
            if str(name) == ATTACHMENT_NAME:
                return spec.get_object()["/EF"]["/F"].get_object().data
    return None


def _keywords_hash(reader) -> str | None:
    try:
        keywords = str(reader.trailer["/Info"].get_object()["/Keywords"])
    except (KeyError, TypeError):
        return None
    for word in keywords.replace(",", " ").split():
        if word.startswith(CONTENT_PREFIX):
            return word.removeprefix(CONTENT_PREFIX)
    return None


def verify_pdf(data: bytes, trust: list) -> Verdict:
    """The verdict on ``data`` with ``trust`` (cryptography certificates) as the company's."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    checks: list[Check] = []
    if b"%PDF-" not in data[:1024]:
        return Verdict(NOT_SEALED, [Check("PDF", False, "the file is not a PDF")])
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # any damage the parser meets
        sealed = b"/" + SEAL_FIELD.encode() in data
        detail = f"the PDF cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
        return Verdict(ALTERED if sealed else NOT_SEALED, [Check("PDF", False, detail)])
    checks.append(Check("PDF", True, f"{len(data):,} bytes, {reader.xrefs.total_revisions} "
                        "revision(s)"))  # fmt: skip
    seal = next((s for s in signatures if s.field_name == SEAL_FIELD), None)
    if seal is None:
        detail = "no signature" if not signatures else "no Terrain seal among its signatures"
        return Verdict(NOT_SEALED, [*checks, Check("sealed", False, detail)])
    checks.append(Check("sealed", True, f"signature field {SEAL_FIELD}"))
    try:
        content = _attachment(reader)
    except Exception as exc:
        content, error = None, exc
    else:
        error = None
    if content is None:
        detail = f"no {ATTACHMENT_NAME} attachment" + (f" ({error})" if error else "")
        return Verdict(NOT_SEALED, [*checks, Check("embedded content", False, detail)])
    checks.append(Check("embedded content", True, f"{ATTACHMENT_NAME}, {len(content):,} bytes"))
    checks.extend(_seal_checks(seal, trust, len(data)))
    checks.extend(_content_checks(reader, seal, content))
    reference = ""
    with contextlib.suppress(ValueError, AttributeError):
        reference = str(json.loads(content).get("reference", ""))
    code = INTACT if all(c.ok for c in checks) else ALTERED
    return Verdict(code, checks, reference)


def _seal_checks(seal, trust: list, total_bytes: int) -> list[Check]:
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    roots = [translate_pyca_cryptography_cert_to_asn1(c) for c in trust]
    context = ValidationContext(
        trust_roots=roots, allow_fetching=False, moment=clock.utcnow().replace(tzinfo=UTC)
    )
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
    try:
        status = validate_pdf_signature(
            seal, signer_validation_context=context, key_usage_settings=usage, skip_diff=True
        )
    except Exception as exc:  # a signature pyHanko cannot even evaluate
        return [Check("seal intact", False, f"the seal cannot be checked ({exc})")]
    subject = status.signing_cert.subject.human_friendly if status.signing_cert else "?"
    coverage = status.coverage
    whole = coverage == SignatureCoverageLevel.ENTIRE_FILE
    appended = ""
    if not whole:
        ranges = [int(n) for n in seal.byte_range]
        after = total_bytes - (ranges[-2] + ranges[-1])
        appended = f"{after:,} bytes after the seal" if after > 0 else "bytes outside the seal"
    return [
        Check(
            "seal intact",
            bool(status.intact),
            "the sealed bytes are unchanged"
            if status.intact
            else "the sealed bytes were changed (digest mismatch)",
        ),
        Check(
            "seal signature valid",
            bool(status.valid),
            f"signed by {subject}" if status.valid else "the signature does not check",
        ),
        Check(
            "covers the whole file",
            whole,
            "nothing was added after the seal"
            if whole
            else f"the file was changed after sealing ({appended}: an incremental update)",
        ),
        Check(TRUST_CHECK, bool(status.trusted), _trust_detail(status, subject)),
    ]


def _trust_detail(status, subject: str) -> str:
    if status.trusted:
        return f"{subject} is the company's"
    if not (status.intact and status.valid):
        return f"not checked: the seal itself is broken ({subject})"
    return (
        f"{subject} is not a certificate trusted here (give head office's --data-dir, "
        "or --trust FILE.pem)"
    )


def _content_checks(reader, seal, content: bytes) -> list[Check]:
    digest = hashlib.sha256(content).hexdigest()
    keywords = _keywords_hash(reader)
    reason = str(seal.sig_object.get("/Reason", ""))
    sealed_hash = reason.removeprefix(CONTENT_PREFIX) if reason.startswith(CONTENT_PREFIX) else None
    agree = digest == keywords == sealed_hash
    if agree:
        detail = f"{digest} (attachment = Keywords = seal)"
    else:
        detail = f"attachment {digest}, Keywords {keywords or 'none'}, seal {sealed_hash or 'none'}"
    try:
        rederived = canonical_bytes(json.loads(content.decode("utf-8")))
    except (ValueError, TerrainError) as exc:
        canonical = Check("content canonical", False, f"the content is not canonical JSON ({exc})")
    else:
        same = rederived == content
        canonical = Check(
            "content canonical",
            same,
            "re-derived from the JSON: same bytes, same hash"
            if same
            else f"re-derived bytes hash to {hashlib.sha256(rederived).hexdigest()}",
        )
    return [Check("content hash", agree, detail), canonical]
