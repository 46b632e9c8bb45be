"""``GET /report-versions/{id}/pdf`` over a real server: who may read which version, the
signed PDF a device uploads checked then sealed, a PDF or record that does not match held
aside for the office, a PDF made on first request and served again from its blob."""

from __future__ import annotations

import copy
import hashlib
import io
import uuid

import pytest
from field_support import NOW, a_job, as_user
from pypdf import PdfReader
from report_support import signature_strokes
from server_support import copy_demo_database, start_live_server

from app import clock
from app.models import FollowUp, Intervention, ReportVersion, Signature
from app.models.enums import DocumentKind, DocumentStatus, FollowUpKind
from app.models.enums import InterventionStatus as S
from app.reports import pdf as report_pdf
from app.reports.canonical import content_sha256, plain
from app.reports.signature import build_evidence
from app.services import report_service
from headoffice import documents
from headoffice.models import HeldAsidePdf, SealedPdf
from headoffice.verify import INTACT, load_trust, verify_pdf


@pytest.fixture
def server(demo_db_url, tmp_path):
    """A live server on a private copy of the demo data (these tests write)."""
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    live = start_live_server(url, tmp_path / "blobs")
    live.bind()
    yield live
    live.stop()
    cleanup()


def _trust(server):
    return load_trust(None, [server.config.seal_directory / "trust.pem"])


def _signed_on_device(username: str = "tech1", *, language: str = "fr", status=None):
    """What a device holds after the client signed: the job's final content, the signature
    evidence, the signed PDF (not uploaded yet) and the signed version; the rows are
    written as a sync would have (the test shares the server's database)."""
    tech = as_user(username)
    job = a_job(tech, S.IN_PROGRESS)
    with clock.frozen(NOW):
        draft = report_service.draft(job.id, tech)
        content = draft.final
        evidence = build_evidence(
            signature_strokes(), signer_name="Mme Claire Dubois", signer_role="Gérante",
            content=content, device_id="tablet-1", technician_id=tech.technician_id,
            technician_name=tech.display_name, language=language,
        )  # fmt: skip
        pdf = report_pdf.visit_report_pdf(content, language=language, signature=evidence)
    Signature.create(intervention=job.id, **evidence.signature_fields())
    ReportVersion.update(
        status=status or DocumentStatus.SIGNED,
        content=content,
        content_sha256=evidence.content_sha256,
        pdf_blob_sha256=hashlib.sha256(pdf).hexdigest(),
    ).where(ReportVersion.id == draft.version.id).execute()
    return ReportVersion.get_by_id(draft.version.id), pdf


def _path(version_id: str) -> str:
    return f"/report-versions/{version_id}/pdf"


def test_the_signed_pdf_a_device_uploads_is_checked_sealed_and_served(server):
    version, pdf = _signed_on_device("tech1")
    tech1, office, tech2 = server.login("tech1"), server.login("office"), server.login("tech2")
    sha = version.pdf_blob_sha256
    assert tech1.put(f"/blobs/{sha}", pdf).status_code == 201  # checked and sealed now
    record = SealedPdf.get(SealedPdf.report_version_id == version.id)
    assert (record.source, record.source_blob_sha256, record.language) == ("device", sha, "fr")

    answer = tech1.get(_path(version.id))
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/pdf"
    sealed = answer.content
    assert hashlib.sha256(sealed).hexdigest() == record.blob_sha256
    assert sealed.startswith(pdf)  # the client's document, the company's seal appended
    verdict = verify_pdf(sealed, _trust(server))
    assert verdict.code == INTACT, verdict.lines()

    again = office.get(_path(version.id))  # from the blob, not made again
    assert again.status_code == 200 and again.content == sealed
    assert SealedPdf.select().where(SealedPdf.report_version_id == version.id).count() == 1

    outside = tech2.get(_path(version.id))
    unknown = tech2.get(_path(str(uuid.uuid4())))
    assert outside.status_code == unknown.status_code == 404
    assert outside.json() == unknown.json()  # his colleague's version does not leak
    assert office.get(_path(str(uuid.uuid4()))).status_code == 404
    assert tech1.get(_path(version.id), params={"language": "de"}).status_code == 400


def test_a_version_pushed_after_its_pdf_is_checked_when_the_row_arrives(server):
    """The device may upload the PDF before the version row reaches head office."""
    version, pdf = _signed_on_device("tech1")
    sha = version.pdf_blob_sha256
    ReportVersion.update(pdf_blob_sha256=None).where(ReportVersion.id == version.id).execute()
    tech1 = server.login("tech1")
    assert tech1.put(f"/blobs/{sha}", pdf).status_code == 201
    assert not SealedPdf.select().where(SealedPdf.report_version_id == version.id).exists()
    ReportVersion.update(pdf_blob_sha256=sha).where(ReportVersion.id == version.id).execute()
    documents.versions_pushed([version.id])  # what the push resource calls for applied rows
    assert SealedPdf.get(SealedPdf.report_version_id == version.id).source == "device"


def test_a_pdf_whose_content_is_not_the_signed_one_is_held_aside(server):
    version, _pdf = _signed_on_device("tech1")
    customer = {**version.content["customer"], "name": "Un autre client"}
    other = dict(version.content, customer=customer)
    with clock.frozen(NOW):
        forged = report_pdf.visit_report_pdf(other)  # another content, same reference
    sha = hashlib.sha256(forged).hexdigest()
    ReportVersion.update(pdf_blob_sha256=sha).where(ReportVersion.id == version.id).execute()
    tech1, office = server.login("tech1"), server.login("office")
    assert tech1.put(f"/blobs/{sha}", forged).status_code == 201  # the upload itself succeeds

    held = documents.held_aside()
    assert [h["report_version_id"] for h in held] == [version.id]
    assert held[0]["blob_sha256"] == sha and "embeds content" in held[0]["reason"]
    assert held[0]["reference"] == version.content["reference"]
    answer = office.get(_path(version.id))
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "held_aside"
    assert "held aside" in answer.json()["error"]["message"]
    assert not SealedPdf.select().where(SealedPdf.report_version_id == version.id).exists()
    kept = office.get(f"/blobs/{sha}")  # kept aside, not deleted
    assert kept.status_code == 200 and kept.content == forged


def test_a_record_changed_after_signing_is_held_aside(server):
    version, pdf = _signed_on_device("tech1")
    tech1, office = server.login("tech1"), server.login("office")
    assert tech1.put(f"/blobs/{version.pdf_blob_sha256}", pdf).status_code == 201
    assert office.get(_path(version.id)).status_code == 200
    changed = dict(version.content, reference="INT-FORGED")  # one field of the record
    ReportVersion.update(content=changed).where(ReportVersion.id == version.id).execute()
    answer = office.get(_path(version.id))
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "held_aside"
    held = HeldAsidePdf.get(HeldAsidePdf.report_version_id == version.id)
    assert "hashes to" in held.reason and held.blob_sha256 is None


def test_a_version_without_a_device_pdf_is_made_sealed_and_kept_on_first_request(server):
    """An unsigned slip submitted with a reason (no Signature row): drawn here, sealed."""
    tech = as_user("tech1")
    job = a_job(tech, S.WORK_DONE)
    with clock.frozen(NOW):
        content = report_service.draft(job.id, tech).final
    slip = ReportVersion.create(
        intervention=job.id, kind=DocumentKind.SLIP, version=1,
        status=DocumentStatus.SUBMITTED, content=content, created_by=tech.id,
    )  # fmt: skip
    office, tech1 = server.login("office"), server.login("tech1")
    first = office.get(_path(slip.id), params={"language": "en"})
    assert first.status_code == 200, first.text
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(first.content)).pages)
    assert "Intervention slip" in text
    assert verify_pdf(first.content, _trust(server)).code == INTACT
    record = SealedPdf.get(SealedPdf.report_version_id == slip.id)
    assert (record.source, record.language) == ("headoffice", "en")
    assert tech1.get(_path(slip.id), params={"language": "en"}).content == first.content
    french = tech1.get(_path(slip.id))
    assert french.status_code == 200 and french.content != first.content
    assert "Bon d'intervention" in PdfReader(io.BytesIO(french.content)).pages[0].extract_text()
    assert Intervention.get_by_id(job.id).technician_id == tech.technician_id


def _corrected(v1: ReportVersion, *, based_on: dict | None = None) -> ReportVersion:
    """Version 2 as the office's device makes it (``validation_service.correct``): version
    1's content, the diagnosis corrected, ``corrections`` and ``based_on``."""
    content = copy.deepcopy(v1.content)
    before = next(w for w in content["work"] if w["field"] == "diagnosis")
    was, before["text"] = before["text"], "Électrodes d'allumage usées, remplacées"
    content["corrections"] = [
        {"field": "work:diagnosis", "label": "Diagnostic", "before": was,
         "after": before["text"], "reason": "Erreur de saisie notée par le bureau",
         "by": "x", "by_name": "Bureau", "at": "2026-03-10T12:00:00"},
    ]  # fmt: skip
    content["based_on"] = based_on or {"version": 1, "content_sha256": v1.content_sha256}
    content = plain(content)
    return ReportVersion.create(
        intervention=v1.intervention_id, kind=v1.kind, version=2,
        status=DocumentStatus.VALIDATED, content=content,
        content_sha256=content_sha256(content), validated_at=NOW,
    )  # fmt: skip


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_corrected_version_shows_the_signature_of_the_version_the_client_signed(server):
    """The final PDF the client receives after the office's correction: the client's
    signature (of version 1, whose hash it prints), what was corrected, never "draft"."""
    v1, _pdf = _signed_on_device(status=DocumentStatus.SUBMITTED)
    v2 = _corrected(v1)
    pdf = documents.version_pdf(v2)
    text = _text(pdf)
    assert "Mme Claire Dubois" in text and "Gérante" in text  # the signer, from version 1
    assert "Brouillon" not in text and "Non signé" not in text
    assert "Corrigé par le bureau après la signature du client" in text
    assert "Électrodes d'allumage usées, remplacées" in text
    assert "Version 2 — corrige la version 1 signée le" in text
    assert "Diagnostic" in text and "Erreur de saisie" in text  # each correction, its reason
    assert v1.content_sha256 in text and v2.content_sha256 in text
    assert verify_pdf(pdf, _trust(server)).code == INTACT


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_final_pdf_prints_the_follow_up_recorded_after_the_signature(server, language):
    """The follow-up is entered after the client signed, so the signed content has none: the
    final PDF head office makes prints what was recorded since, marked as such."""
    v1, _pdf = _signed_on_device(status=DocumentStatus.SUBMITTED, language=language)
    v2 = _corrected(v1)
    before = _text(documents.version_pdf(v2, language=language))
    FollowUp.create(
        intervention=v1.intervention_id, kind=FollowUpKind.NEW_VISIT,
        description="Remplacer le circulateur", due_date=NOW.date(),
    )  # fmt: skip
    FollowUp.create(intervention=v1.intervention_id, kind=FollowUpKind.QUOTE, deleted=True,
                    description="Devis retiré")  # fmt: skip
    SealedPdf.delete().where(SealedPdf.report_version_id == v2.id).execute()
    text = _text(documents.version_pdf(v2, language=language))
    title = {"fr": "Suite à donner (enregistrée après la signature)",
             "en": "Follow-up (recorded after the signature)"}[language]  # fmt: skip
    assert title not in before and title in text
    assert "Remplacer le circulateur" in text and "Devis retiré" not in text


def test_a_corrected_version_naming_no_real_signed_version_is_drawn_unsigned(server):
    """``based_on`` is the office device's word: a hash (or number) that is not the signed
    version's gets no signature printed."""
    v1, _pdf = _signed_on_device(status=DocumentStatus.SUBMITTED)
    v2 = _corrected(v1, based_on={"version": 1, "content_sha256": "0" * 64})
    text = _text(documents.version_pdf(v2))
    assert "Mme Claire Dubois" not in text and "Brouillon — non signé" in text
    assert "Corrigé par le bureau" not in text


def test_a_head_office_database_before_the_pdf_tables_gains_them(tmp_path):
    import sqlite3

    from app.models import db
    from headoffice.database import open_database
    from headoffice.models import SERVER_SCHEMA

    PDF_MIGRATION = next(m.version for m in SERVER_SCHEMA.migrations if "PDF" in m.name)

    path = tmp_path / "headoffice.db"
    open_database(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as con:  # as head office left it before this version
        new = {r[0]: r[1] for r in con.execute("SELECT name, sql FROM sqlite_master")}
        con.execute("DROP TABLE report_pdfs")
        con.execute("DROP TABLE report_pdfs_held_aside")
        con.execute(f"DELETE FROM headoffice_schema_migrations WHERE version >= {PDF_MIGRATION}")
    database = open_database(f"sqlite:///{path}")
    database.close()
    db.initialize(None)
    with sqlite3.connect(path) as con:
        upgraded = {r[0]: r[1] for r in con.execute("SELECT name, sql FROM sqlite_master")}
        version = con.execute("SELECT MAX(version) FROM headoffice_schema_migrations").fetchone()
    assert version == (SERVER_SCHEMA.latest,)
    assert {k: v for k, v in upgraded.items() if "report_pdfs" in k} == {
        k: v for k, v in new.items() if "report_pdfs" in k
    }


@pytest.mark.parametrize(
    "content",
    [{"schema": "terrain.report/1", "totals": {}}, ["not", "an", "object"], {"company": 3}],
    ids=["missing-sections", "a-list", "wrong-types"],
)
def test_a_content_that_is_no_report_answers_422_held_aside_never_500(server, content):
    """A hostile device may push any JSON as a version's content."""
    tech = as_user("tech1")
    job = a_job(tech, S.WORK_DONE)
    version = ReportVersion.create(
        intervention=job.id, kind=DocumentKind.VISIT_REPORT, version=7,
        status=DocumentStatus.SUBMITTED, content=content, created_by=tech.id,
    )  # fmt: skip
    answer = server.login("tech1").get(_path(version.id))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "held_aside"
    assert "cannot be drawn" in answer.json()["error"]["message"]
    assert [h["report_version_id"] for h in documents.held_aside()] == [version.id]


def test_a_file_too_large_for_a_report_pdf_is_held_aside_unread(server, monkeypatch):
    version, pdf = _signed_on_device("tech1")
    monkeypatch.setattr(documents, "MAX_PDF_BYTES", len(pdf) - 1)
    assert server.login("tech1").put(f"/blobs/{version.pdf_blob_sha256}", pdf).status_code == 201
    held = documents.held_aside()
    assert [h["report_version_id"] for h in held] == [version.id]
    assert "above" in held[0]["reason"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_corrected_version_2_says_it_corrects_the_signed_version_1_which_stays_identical(
    server, language, tmp_path
):
    """Version 1 (signed on the device, uploaded, sealed) is served byte for byte the same
    after the office's version 2 exists; version 2's sealed PDF opens with "Version 2 —
    corrige la version 1 signée le … par <signer>" and the corrections, in both languages."""
    import copy
    import subprocess

    from app.reports.canonical import content_sha256, plain
    from app.reports.formatting import Formats

    version, pdf = _signed_on_device("tech1", language=language)
    tech1, office = server.login("tech1"), server.login("office")
    assert tech1.put(f"/blobs/{version.pdf_blob_sha256}", pdf).status_code == 201
    v1_before = office.get(_path(version.id), params={"language": language})
    assert v1_before.status_code == 200, v1_before.text

    content = copy.deepcopy(version.content)
    for line in content["work"]:
        if line["field"] == "diagnosis":
            before, line["text"] = line["text"], "Électrodes usées, remplacées"
    content["based_on"] = {"version": 1, "content_sha256": version.content_sha256}
    content["corrections"] = [{
        "field": "work:diagnosis", "label": "", "before": before,
        "after": "Électrodes usées, remplacées", "reason": "Inversion de deux pièces",
        "by": office.user["id"], "at": "2026-03-12T09:00:00",
    }]  # fmt: skip
    content = plain(content)
    v2 = ReportVersion.create(
        intervention=version.intervention_id, kind=version.kind, version=2,
        status=DocumentStatus.VALIDATED, content=content, content_sha256=content_sha256(content),
        created_by=office.user["id"], validated_by=office.user["id"], validated_at=NOW,
    )  # fmt: skip

    answer = office.get(_path(v2.id), params={"language": language})
    assert answer.status_code == 200, answer.text
    path = tmp_path / "v2.pdf"
    path.write_bytes(answer.content)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    first = " ".join((PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()).split())
    signature = Signature.get(Signature.content_sha256 == version.content_sha256)
    when = Formats(language).datetime(signature.audit["signed_at_local"])
    line = {
        "fr": f"Version 2 — corrige la version 1 signée le {when} par Mme Claire Dubois",
        "en": f"Version 2 — corrects version 1 signed on {when} by Mme Claire Dubois",
    }[language]
    assert line in first, first[:700]
    packed = "".join(first.split())
    assert "ÉlectrodesuséeS,remplacées".lower() in packed.lower()
    assert "Inversiondedeuxpièces" in packed
    assert verify_pdf(answer.content, _trust(server)).code == INTACT

    v1_after = office.get(_path(version.id), params={"language": language})
    assert v1_after.content == v1_before.content  # version 1 byte for byte as sealed
    assert v1_after.content.startswith(pdf)  # and that is the device's signed PDF, sealed
