"""The company's seal: a PAdES signature on every PDF head office hands out (pyHanko).

``load_seal(path, password)`` reads a PKCS#12 file (the company's certificate and key) and
refuses, with a ``CertificateError`` that says what to do, a file that is missing,
unreadable, locked by another password, without a private key, or whose certificate is
expired or not yet valid: ``serve`` loads it at start, so a bad certificate stops the
server there, not at the first document. ``demo_seal(directory)`` creates a demo
certificate (a self-signed "demo CA" and a signing certificate it issued, PKCS#12 with a
random password kept next to it) on first use and loads it.

``Seal.seal(pdf)`` appends one incremental update holding the signature (PAdES baseline B-B:
``/SubFilter /ETSI.CAdES.detached``, SHA-256), whose ``/Reason`` names the content hash of
the document (``content-sha256:<hex>``, the same as its Keywords and the SHA-256 of its
embedded canonical content, docs/reports.md). ``Seal.write_trust(directory)`` writes the
certificates ``verify`` trusts (``trust.pem``: the chain's root, or the certificate itself).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import clock
from app.errors import CertificateError

log = logging.getLogger(__name__)

SEAL_FIELD = "TerrainSeal"
DEMO_DIR = "headoffice-seal"  # in the data directory
DEMO_P12 = "company-seal.p12"
DEMO_PASSWORD_FILE = "company-seal.password"
TRUST_FILE = "trust.pem"
DEMO_YEARS = 10
CONTENT_PREFIX = "content-sha256:"
# Room kept for the CMS signature (DER bytes; written as hex, and every verifier reads it):
# a 2048-bit key with a chain of three certificates fits with room to spare; a larger one
# makes ``seal`` measure what it needs (a dry run, about twice the time) instead.
RESERVED_BYTES = 8 * 1024


@dataclass
class Seal:
    """The company's signing key and certificate, ready to seal PDFs."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate: object  # cryptography x509.Certificate (the signing certificate)
    chain: list = field(default_factory=list)  # the other certificates of the PKCS#12
    source: Path | None = None

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc.replace(tzinfo=None)

    def trust_anchors(self) -> list:
        """What a verifier should trust: the self-signed certificates of the chain (the root),
        or the signing certificate itself when the file holds no chain."""
        roots = [c for c in self.chain if c.issuer == c.subject]
        return roots or [self.certificate]

    def write_trust(self, directory: Path) -> Path:
        """Write ``trust.pem`` (the certificates ``verify --data-dir`` trusts)."""
        from cryptography.hazmat.primitives.serialization import Encoding

        directory.mkdir(parents=True, exist_ok=True)
        path = directory / TRUST_FILE
        pem = b"".join(c.public_bytes(Encoding.PEM) for c in self.trust_anchors())
        if not path.is_file() or path.read_bytes() != pem:
            # written aside, then renamed: a process reading it meanwhile sees all or nothing
            tmp = directory / f".{TRUST_FILE}.{os.getpid()}.tmp"
            tmp.write_bytes(pem)
            os.replace(tmp, path)
        return path

    def seal(self, pdf: bytes, *, content_sha256: str, company: str = "") -> bytes:
        """``pdf`` with the company's PAdES seal appended (one incremental update)."""
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.sign.general import SigningError

        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=f"{CONTENT_PREFIX}{content_sha256}",
            name=company or None,
            location=None,
        )
        pdf_signer = signers.PdfSigner(
            meta, self.signer, new_field_spec=fields.SigFieldSpec(SEAL_FIELD)
        )
        try:
            out = pdf_signer.sign_pdf(writer, bytes_reserved=RESERVED_BYTES)
        except SigningError:  # the signature did not fit: let pyHanko measure it
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            out = pdf_signer.sign_pdf(writer)
        return out.getvalue()


def _kept_key_signer():
    """pyHanko's ``SimpleSigner`` loads its private key again for each signature (and
    cryptography checks an RSA key when it loads it: ~100 ms); this one loads it once."""
    from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class KeptKeySigner(signers.SimpleSigner):
        pyca_key = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algorithm = mechanism.signature_algo
            except ValueError:
                algorithm = mechanism["algorithm"].native
            key = self.pyca_key
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            if algorithm == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
                return key.sign(data, PKCS1v15(), hash_algo)
            if algorithm == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
                return key.sign(data, signature_algorithm=ECDSA(hash_algo))
            return super().sign_raw(data, digest_algorithm)

    return KeptKeySigner


def load_seal(path: Path | str, password: str | bytes | None) -> Seal:
    """The seal of the PKCS#12 file at ``path``; ``CertificateError`` when it cannot seal."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    path = Path(path)
    where = f"The seal certificate {path}"
    if not path.is_file():
        raise CertificateError(
            f"{where} does not exist.",
            hint="Give the company's PKCS#12 file with --seal-cert (or TERRAIN_SEAL_CERT), "
            "or leave both unset to use the demo certificate.",
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CertificateError(
            f"{where} cannot be read: {exc.strerror or exc}.",
            hint="Let the user running head office read the file.",
        ) from exc
    secret = password.encode("utf-8") if isinstance(password, str) else password
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, secret or None)
    except ValueError as exc:
        text = str(exc).lower()
        wrong = "password" in text or "mac" in text or "decrypt" in text
        raise CertificateError(
            f"{where} cannot be opened: "
            + ("wrong password." if wrong else f"not a PKCS#12 file ({exc})."),
            hint="Check --seal-password-file (or TERRAIN_SEAL_PASSWORD)."
            if wrong
            else "Export the certificate with its private key as PKCS#12 (.p12/.pfx).",
        ) from exc
    if key is None or cert is None:
        raise CertificateError(
            f"{where} holds no private key and certificate.",
            hint="Export the certificate with its private key as PKCS#12 (.p12/.pfx).",
        )
    now = clock.utcnow()
    not_before = cert.not_valid_before_utc.replace(tzinfo=None)
    not_after = cert.not_valid_after_utc.replace(tzinfo=None)
    subject = cert.subject.rfc4514_string()
    if now >= not_after:
        raise CertificateError(
            f"{where} ({subject}) expired on {not_after:%Y-%m-%d %H:%M} UTC.",
            hint="Renew the company's certificate and give the new file with --seal-cert.",
        )
    if now < not_before:
        raise CertificateError(
            f"{where} ({subject}) is valid only from {not_before:%Y-%m-%d %H:%M} UTC.",
            hint="Check the server's clock, or use a certificate valid today.",
        )
    try:
        signer = _kept_key_signer()(
            signing_key=translate_pyca_cryptography_key_to_asn1(key),
            signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
            cert_registry=SimpleCertificateStore.from_certs(
                [translate_pyca_cryptography_cert_to_asn1(c) for c in others or []]
            ),
        )
        signer.pyca_key = key
    except ValueError as exc:  # a key type pyHanko cannot sign with
        raise CertificateError(
            f"{where} cannot sign: {exc}.", hint="Use an RSA or ECDSA certificate."
        ) from exc
    if now >= not_after - timedelta(days=30):
        log.warning("the seal certificate %s expires on %s", subject, f"{not_after:%Y-%m-%d}")
    return Seal(signer, cert, list(others or []), source=path)


# Demo certificates this process made, by company: a second demo seal in the same process
# (test servers, simulations) reuses the first one's key instead of making two RSA keys.
_DEMO_MADE: dict[str, tuple[bytes, bytes]] = {}


def demo_seal(directory: Path, company: str = "Terrain démo") -> Seal:
    """The demo seal in ``directory``, created on first use (and trust.pem written)."""
    p12, password_file = directory / DEMO_P12, directory / DEMO_PASSWORD_FILE
    if not p12.is_file():
        with _creation_lock(directory):  # processes starting together: one makes it
            if not p12.is_file():
                _make_demo(directory, company, p12, password_file)
    try:
        password = password_file.read_text("utf-8").strip()
    except OSError as exc:
        raise CertificateError(
            f"The demo seal's password file {password_file} cannot be read: {exc.strerror or exc}.",
            hint=f"Delete {directory} to have a new demo certificate made.",
        ) from exc
    seal = load_seal(p12, password)
    seal.write_trust(directory)
    return seal


def _make_demo(directory: Path, company: str, p12: Path, password_file: Path) -> None:
    made = _DEMO_MADE.get(company)
    if made is None:
        create_demo_certificate(directory, company)
        _DEMO_MADE[company] = (p12.read_bytes(), password_file.read_bytes())
        log.info("demo seal certificate created in %s", directory)
    else:  # this process made one already (tests start many servers): the same again
        directory.mkdir(parents=True, exist_ok=True)
        _write_private(password_file, made[1])
        _write_private(p12, made[0])


@contextlib.contextmanager
def _creation_lock(directory: Path):
    """An exclusive lock on ``<directory>/.create.lock`` (POSIX ``flock``; elsewhere none:
    ``serve`` runs one process there)."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(directory / ".create.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def create_demo_certificate(
    directory: Path,
    company: str = "Terrain démo",
    *,
    not_before: datetime | None = None,
    days: int = 365 * DEMO_YEARS,
    password: str | None = None,
) -> tuple[Path, str]:
    """A self-signed demo CA and a seal certificate it issued, as ``company-seal.p12``
    (encrypted with a random password kept in ``company-seal.password``, mode 0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    start = (not_before or clock.utcnow()).replace(tzinfo=UTC) - timedelta(days=1)
    end = start + timedelta(days=days)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, company),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = name(f"{company} — autorité de démonstration")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(f"{company} — cachet électronique (démo)"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    secret = password if password is not None else secrets.token_urlsafe(24)
    data = pkcs12.serialize_key_and_certificates(
        b"terrain-seal",
        key,
        cert,
        [ca],
        serialization.BestAvailableEncryption(secret.encode("utf-8")),
    )
    p12 = directory / DEMO_P12
    password_file = directory / DEMO_PASSWORD_FILE
    _write_private(password_file, secret.encode("utf-8"))
    _write_private(p12, data)
    return p12, secret


def _key_usage(*, sign: bool):
    """A seal certificate signs documents; its CA signs certificates (and CRLs)."""
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (written aside, then renamed)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def read_password(path: Path | str) -> str:
    """The password kept in ``path`` (first line, surrounding spaces removed)."""
    path = Path(path)
    try:
        return path.read_text("utf-8").splitlines()[0].strip() if path.stat().st_size else ""
    except OSError as exc:
        raise CertificateError(
            f"The seal password file {path} cannot be read: {exc.strerror or exc}.",
            hint="Give a readable file with --seal-password-file, or set TERRAIN_SEAL_PASSWORD.",
        ) from exc
