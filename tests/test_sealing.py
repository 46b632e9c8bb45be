"""The company's seal on real report PDFs: pdfsig, qpdf and ``main.py verify`` agree that a
sealed PDF is intact, and flag each kind of tampering with the right exit code; a
certificate that cannot seal stops ``serve`` at start with a clear message."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from conftest import ARTIFACTS, ROOT, require
from field_support import NOW
from pypdf import PdfReader
from report_support import filled_job, signature_strokes
from seal_support import (
    append_update,
    change_embedded_field,
    flip_one_byte,
    pdfsig,
    run_verify,
)

from app import clock
from app.errors import CertificateError
from app.reports import pdf as report_pdf
from app.reports.canonical import content_sha256
from app.reports.signature import build_evidence
from app.services import report_service
from headoffice.sealing import (
    DEMO_P12,
    DEMO_PASSWORD_FILE,
    SEAL_FIELD,
    TRUST_FILE,
    create_demo_certificate,
    demo_seal,
    load_seal,
)
from headoffice.verify import ALTERED, INTACT, NOT_SEALED, load_trust, verify_pdf

OUT = ARTIFACTS / "reports"
SIGNED_AT = datetime(2026, 3, 11, 11, 40)


@pytest.fixture(scope="module")
def seal_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("seal")
    demo_seal(directory, "Rhône Thermique Services")
    return directory


@pytest.fixture(scope="module")
def seal(seal_dir):
    return demo_seal(seal_dir)


@pytest.fixture
def report(demo_db):
    """(final content, the signed visit report PDF a device would make)."""
    with clock.frozen(NOW):
        job, tech, _ = filled_job()
        content = report_service.draft(job.id, tech).final
    with clock.frozen(SIGNED_AT):
        evidence = build_evidence(
            signature_strokes(), signer_name="Mme Claire Dubois", signer_role="Gérante",
            content=content, device_id="tablet-0042", technician_id=tech.technician_id,
            technician_name=tech.display_name,
        )  # fmt: skip
        pdf = report_pdf.visit_report_pdf(content, signature=evidence)
    return content, pdf


@pytest.fixture
def sealed(report, seal):
    content, pdf = report
    return seal.seal(pdf, content_sha256=content_sha256(content), company="Rhône")


def _write(name: str, data: bytes):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.pdf"
    path.write_bytes(data)
    return path


def test_a_sealed_report_is_intact_for_pdfsig_qpdf_and_verify(report, sealed, seal_dir):
    content, pdf = report
    require(subprocess.run(["which", "qpdf"], capture_output=True).returncode == 0, "no qpdf")
    path = _write("sealed-visit-report", sealed)
    assert sealed.startswith(pdf)  # one incremental update: the device's bytes untouched
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout
    report_ = pdfsig(path)
    assert f"Signature Field Name: {SEAL_FIELD}" in report_
    assert "Signature Type: ETSI.CAdES.detached" in report_  # PAdES
    assert "Signature Validation: Signature is Valid." in report_
    assert "Total document signed" in report_ and "Not total" not in report_
    assert "Rhône Thermique Services" in report_  # the company's certificate
    result = run_verify(path, "--trust", str(seal_dir / TRUST_FILE))
    assert result.returncode == INTACT, result.stdout + result.stderr
    assert "INTACT" in result.stdout and content["reference"] in result.stdout
    assert "FAILED" not in result.stdout and "Traceback" not in result.stderr
    # the pages are the device's pages, rendered for people to look at
    for old in OUT.glob("sealed-visit-report-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(path), str(OUT / "sealed-visit-report")], check=True
    )
    pages = len(PdfReader(io.BytesIO(sealed)).pages)
    assert len(list(OUT.glob("sealed-visit-report-*.png"))) == pages


def test_verify_trusts_the_data_directory_of_head_office(sealed, seal_dir, tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "headoffice-seal").mkdir(parents=True)
    (data_dir / "headoffice-seal" / TRUST_FILE).write_bytes((seal_dir / TRUST_FILE).read_bytes())
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    assert run_verify(path, "--data-dir", str(data_dir)).returncode == INTACT
    untrusted = run_verify(path, "--data-dir", str(tmp_path / "elsewhere"))
    assert untrusted.returncode == ALTERED
    assert "FAILED certificate trusted" in untrusted.stdout and "UNTRUSTED SEAL" in untrusted.stdout


@pytest.mark.parametrize(
    ("tamper", "failed", "pdfsig_says"),
    [
        (flip_one_byte, "seal intact", "Digest Mismatch"),
        (append_update, "covers the whole file", "Not total document signed"),
        (
            lambda data: change_embedded_field(
                data, lambda c: c["totals"].update(gross_cents=c["totals"]["gross_cents"] + 100)
            ),
            "content hash",
            "Not total document signed",
        ),
    ],
    ids=["one-byte", "incremental-update", "record-field"],
)
def test_tampering_is_flagged_by_pdfsig_and_by_verify(
    sealed, seal_dir, tamper, failed, pdfsig_says, tmp_path
):
    changed = tamper(sealed)
    assert changed != sealed
    path = tmp_path / "tampered.pdf"
    path.write_bytes(changed)
    assert pdfsig_says in pdfsig(path)
    result = run_verify(path, "--trust", str(seal_dir / TRUST_FILE))
    assert result.returncode == ALTERED, result.stdout + result.stderr
    assert f"FAILED {failed}" in result.stdout
    assert "ALTERED" in result.stdout and "Traceback" not in result.stderr


def test_a_field_changed_in_the_record_is_named(sealed, seal):
    """The embedded record replaced by one whose price differs: the seal no longer covers
    the file, and the content no longer hashes to what the document and the seal say."""
    changed = change_embedded_field(sealed, lambda c: c["customer"].update(name="Autre client"))
    verdict = verify_pdf(changed, seal.trust_anchors())
    assert verdict.code == ALTERED
    assert {c.name for c in verdict.failed} == {"covers the whole file", "content hash"}
    assert verify_pdf(sealed, seal.trust_anchors()).code == INTACT


def test_what_is_not_a_sealed_terrain_document_exits_2(report, seal, seal_dir, tmp_path):
    _content, pdf = report
    from fpdf import FPDF

    plain = FPDF()
    plain.add_page()
    plain.set_font("helvetica", size=12)
    plain.cell(text="Not a Terrain document")
    foreign = seal.seal(bytes(plain.output()), content_sha256="0" * 64)  # sealed, no content
    cases = {
        "text.pdf": b"just some text, no PDF here\n",
        "unsealed.pdf": pdf,  # the device's PDF before head office sealed it
        "no-content.pdf": foreign,
    }
    expected = {"text.pdf": "not a PDF", "unsealed.pdf": "no signature", "no-content.pdf": ""}
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = run_verify(path, "--trust", str(seal_dir / TRUST_FILE))
        assert result.returncode == NOT_SEALED, (name, result.stdout, result.stderr)
        assert "NOT A SEALED TERRAIN DOCUMENT" in result.stdout
        assert expected[name] in result.stdout
        assert "Traceback" not in result.stderr
    missing = run_verify(tmp_path / "nothing-here.pdf")
    assert missing.returncode == NOT_SEALED and "cannot read" in missing.stderr


def test_verify_looks_for_the_attachment_the_pdfs_embed():
    from headoffice import verify

    assert verify.ATTACHMENT_NAME == report_pdf.ATTACHMENT_NAME


def test_sealing_keeps_the_embedded_content_and_its_hash(report, sealed):
    content, _pdf = report
    reader = PdfReader(io.BytesIO(sealed))
    embedded = reader.attachments[report_pdf.ATTACHMENT_NAME][0]
    assert hashlib.sha256(embedded).hexdigest() == content_sha256(content)
    assert reader.metadata["/Keywords"] == f"content-sha256:{content_sha256(content)}"


# --- the certificate -----------------------------------------------------------------------


def test_the_demo_certificate_is_made_once_and_kept(tmp_path):
    first = demo_seal(tmp_path / "seal")
    p12 = (tmp_path / "seal" / DEMO_P12).read_bytes()
    again = demo_seal(tmp_path / "seal")
    assert (tmp_path / "seal" / DEMO_P12).read_bytes() == p12
    assert first.certificate == again.certificate
    assert (tmp_path / "seal" / DEMO_PASSWORD_FILE).stat().st_mode & 0o077 == 0
    assert (tmp_path / "seal" / DEMO_P12).stat().st_mode & 0o077 == 0
    trusted = load_trust(None, [tmp_path / "seal" / TRUST_FILE])
    assert trusted and trusted[0].subject == trusted[0].issuer  # the demo CA


MAKER = """
import pathlib, sys, time
from headoffice.sealing import demo_seal
ready, go = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
ready.touch()
while not go.exists():
    time.sleep(0.002)
print(demo_seal(pathlib.Path(sys.argv[1])).certificate.serial_number)
"""


def test_processes_starting_together_make_one_demo_certificate(tmp_path):
    """Worker processes of another WSGI server each open the seal on first start: one of
    them makes the demo certificate, the others wait and load the same one."""
    import os
    import time

    go = tmp_path / "go"
    makers = [
        subprocess.Popen(
            [sys.executable, "-c", MAKER, str(tmp_path / "seal"), str(tmp_path / f"r{n}"), str(go)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("r*"))) < len(makers):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    go.touch()
    outputs = [m.communicate(timeout=120)[0].decode().strip() for m in makers]
    assert [m.returncode for m in makers] == [0, 0, 0], outputs
    assert len(set(outputs)) == 1  # one certificate, loaded by all three
    assert demo_seal(tmp_path / "seal").certificate.serial_number == int(outputs[0])


def _expired(tmp_path):
    return create_demo_certificate(
        tmp_path / "old", not_before=clock.utcnow() - timedelta(days=40), days=10
    )


def test_a_certificate_that_cannot_seal_is_refused_with_what_to_do(tmp_path):
    p12, password = create_demo_certificate(tmp_path / "good")
    assert load_seal(p12, password).not_after > clock.utcnow()
    garbage = tmp_path / "garbage.p12"
    garbage.write_bytes(b"not a certificate")
    old, old_password = _expired(tmp_path)
    future, future_password = create_demo_certificate(
        tmp_path / "future", not_before=clock.utcnow() + timedelta(days=30)
    )
    cases = [
        (tmp_path / "missing.p12", password, "does not exist", "--seal-cert"),
        (p12, "wrong password", "wrong password", "--seal-password-file"),
        (garbage, None, "not a PKCS#12 file", "PKCS#12"),
        (old, old_password, "expired on", "Renew"),
        (future, future_password, "valid only from", "clock"),
    ]
    for path, secret, message, hint in cases:
        with pytest.raises(CertificateError) as caught:
            load_seal(path, secret)
        assert message in caught.value.message, caught.value.message
        assert hint in caught.value.hint
        assert caught.value.exit_code == 2


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", "serve", "--port", "1", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_stops_at_start_on_a_certificate_that_cannot_seal(tmp_path):
    """Missing, wrong password, expired: a message and exit 2 before anything is served
    (port 1 could not be bound anyway: the certificate is checked first)."""
    p12, _password = create_demo_certificate(tmp_path / "good")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    old, old_password = _expired(tmp_path)
    old_file = tmp_path / "old.txt"
    old_file.write_text(old_password)
    cases = [
        (["--seal-cert", str(tmp_path / "missing.p12")], "does not exist"),
        (["--seal-cert", str(p12), "--seal-password-file", str(wrong)], "wrong password"),
        (["--seal-cert", str(old), "--seal-password-file", str(old_file)], "expired on"),
    ]
    for args, message in cases:
        result = _serve("--data-dir", str(tmp_path / "data"), *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert message in result.stderr and "->" in result.stderr  # the hint
        assert "Traceback" not in result.stderr
        assert not (tmp_path / "data" / "headoffice.db").exists()  # nothing opened


def test_serve_makes_a_demo_certificate_and_its_demo_reports_verify(tmp_path):
    """First start: a demo certificate in the data directory; the demo's validated reports
    are sealed on first request, kept, and ``verify --data-dir`` finds them intact."""
    import sqlite3

    import requests
    from server_support import running_serve

    data_dir = tmp_path / "data"
    with running_serve(data_dir, "--demo", timeout=240) as served:  # a loaded machine
        assert "Sealing PDFs with" in served.log()
        seal_dir = data_dir / "headoffice-seal"
        p12 = (seal_dir / DEMO_P12).read_bytes()
        assert (seal_dir / TRUST_FILE).is_file()
        with sqlite3.connect(data_dir / "headoffice.db") as con:
            version_id, reference = con.execute(
                "SELECT v.id, json_extract(v.content, '$.reference') FROM report_versions v "
                "JOIN signatures s ON s.intervention_id = v.intervention_id "
                "AND s.document_kind = v.kind AND s.content_sha256 = v.content_sha256 "
                "AND s.outcome = 'signed' "
                "WHERE v.status = 'validated' AND v.kind = 'visit_report' ORDER BY v.id LIMIT 1"
            ).fetchone()
            signatures = con.execute("SELECT count(*) FROM signatures").fetchone()[0]
        assert signatures > 0
        token = requests.post(
            f"{served.base}/auth/login",
            json={"username": "office", "password": "demo", "device_id": "seal-test"},
            timeout=30,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{served.base}/report-versions/{version_id}/pdf"
        first = requests.get(url, headers=headers, timeout=60)
        assert first.status_code == 200, first.text
        assert requests.get(url, headers=headers, timeout=60).content == first.content
    path = _write("sealed-demo-slip", first.content)  # for people to look at
    for old in OUT.glob("sealed-demo-slip-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(OUT / "sealed-demo-slip")])
    result = run_verify(path, "--data-dir", str(data_dir))
    assert result.returncode == INTACT, result.stdout + result.stderr
    assert reference in result.stdout
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(first.content)).pages]
    assert "Bon pour accord" in pages[-1] and "Non signé" not in pages[-1]  # the evidence
    assert "Brouillon" not in pages[0]
    with running_serve(data_dir, timeout=240):  # the same certificate at the next start
        assert (seal_dir / DEMO_P12).read_bytes() == p12


def test_a_wsgi_deployment_names_its_certificate_in_the_environment(tmp_path, monkeypatch):
    from headoffice.app import ServerConfig, open_seal

    p12, password = create_demo_certificate(tmp_path / "company")
    secret = tmp_path / "password.txt"
    secret.write_text(password + "\n")
    monkeypatch.setenv("TERRAIN_DB_URL", f"sqlite:///{tmp_path / 'ho.db'}")
    monkeypatch.setenv("TERRAIN_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("TERRAIN_SEAL_CERT", str(p12))
    monkeypatch.setenv("TERRAIN_SEAL_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("TERRAIN_SEAL_DIR", str(tmp_path / "trust"))
    config = ServerConfig.from_env()
    assert config.seal_password == password and password not in repr(config)
    seal = open_seal(config)
    assert seal.source == p12 and (tmp_path / "trust" / TRUST_FILE).is_file()
    monkeypatch.setenv("TERRAIN_SEAL_PASSWORD", "wrong")
    with pytest.raises(CertificateError, match="wrong password"):
        open_seal(ServerConfig.from_env())
