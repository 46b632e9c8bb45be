"""Visit report and intervention slip PDFs: mandatory mentions in French and English, the
signature on the summary's page, no blank page, a clean file, the embedded content."""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import re
import shutil
import subprocess
from datetime import datetime

import pytest
from conftest import ARTIFACTS, require
from field_support import NOW
from PIL import Image
from pypdf import PdfReader
from report_support import INTERNAL, VISIBLE, filled_job, jpeg, signature_strokes

from app import clock
from app.errors import TerrainError
from app.i18n import Translator
from app.models import Company
from app.reports import pdf as report_pdf
from app.reports.canonical import canonical_bytes, content_sha256
from app.reports.formatting import Formats
from app.reports.signature import build_evidence
from app.services import report_service

OUT = ARTIFACTS / "reports"
SIGNED_AT = datetime(2026, 3, 11, 11, 40)

MENTIONS = {
    "fr": [
        "Rapport de visite", "SIRET", "N° TVA intracommunautaire", "Référence", "Client",
        "Lieu d'intervention", "Équipement", "N° de série", "Technicien", "Mesures",
        "Relevés de compteurs", "Pièces utilisées", "Temps passé", "Remarques",
        "Synthèse et signature", "Bon pour accord", "Suite à donner", "mars 2026",
        "Empreinte SHA-256 du contenu signé",
    ],
    "en": [
        "Visit report", "SIRET", "EU VAT number", "Reference", "Customer", "Site", "Equipment",
        "Serial number", "Technician", "Measurements", "Meter readings", "Parts used",
        "Time spent", "Notes", "Summary and signature", "bon pour accord", "Follow-up",
        "March 2026", "SHA-256 of the signed content",
    ],
}  # fmt: skip
SLIP_MENTIONS = {
    "fr": ["Bon d'intervention", "SIRET", "N° TVA intracommunautaire", "Demandeur",
           "Période des travaux", "Technicien", "Bon pour accord"],
    "en": ["Intervention slip", "SIRET", "EU VAT number", "Requested by", "Work period",
           "Technician", "bon pour accord"],
}  # fmt: skip


def _tools() -> None:
    for tool, package in (("qpdf", "qpdf"), ("pdftoppm", "poppler-utils")):
        require(shutil.which(tool) is not None, f"{tool} missing: apt-get install -y {package}")


def _text(page) -> str:
    text = page.extract_text() or ""
    return re.sub(r"[ \u00a0\u202f]+", " ", text)


def _check_file(data: bytes, name: str) -> list[str]:
    """Write the PDF and its pages as PNG to tests/artifacts/reports/; qpdf must find it
    clean and no page may be blank (text and pixels). Returns the text of each page."""
    _tools()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.pdf"
    path.write_bytes(data)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors" in check.stdout
    for old in OUT.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(OUT / name)], check=True)
    reader = PdfReader(io.BytesIO(data))
    texts = [_text(page) for page in reader.pages]
    pngs = sorted(OUT.glob(f"{name}-*.png"))
    assert len(pngs) == len(texts)
    for number, (text, png) in enumerate(zip(texts, pngs, strict=True), start=1):
        body = [
            line for line in text.splitlines()
            if line.strip() and not re.search(r"Page \d+/\d+", line)
        ]  # fmt: skip
        assert len(body) >= 2, f"page {number} of {name} has no content"
        with Image.open(png) as image:
            gray = image.convert("L")
            width, height = gray.size
            middle = gray.crop((0, height // 10, width, height * 9 // 10))
            inked = sum(middle.histogram()[:200])
        assert inked > 300, f"page {number} of {name} is blank ({inked} dark pixels)"
        assert f"Page {number}/{len(texts)}" in text
    return texts


def _evidence(content):
    with clock.frozen(SIGNED_AT):
        return build_evidence(
            signature_strokes(), signer_name="Mme Claire Dubois", signer_role="Gérante",
            content=content, device_id="tablet-0042", technician_id="t1",
            technician_name="Julien Moreau",
        )  # fmt: skip


@pytest.fixture
def final(demo_db):
    """The final content of a filled job; the clock stays at the signing time (stable
    "issued on" dates in every PDF of these tests)."""
    with clock.frozen(NOW):
        job, tech, _ = filled_job()
        content = report_service.draft(job.id, tech).final
    with clock.frozen(SIGNED_AT):
        yield content


@pytest.mark.parametrize("language", ["fr", "en"])
def test_visit_report_has_every_mandatory_mention_and_the_signature_by_the_summary(final, language):
    company = Company.get()
    evidence = _evidence(final)
    data = report_pdf.visit_report_pdf(final, language=language, signature=evidence)
    pages = _check_file(data, f"visit-report-short-{language}")
    everything = " ".join(pages)
    for mention in MENTIONS[language]:
        assert mention in everything, mention
    for value in (
        company.name, company.siret, company.vat_number, company.address_line,
        final["reference"], final["customer"]["name"], final["site"]["address_line"],
        final["equipment"]["serial_number"], final["technician"]["name"],
        "Mme Claire Dubois", "Gérante", evidence.content_sha256, VISIBLE,
    ):  # fmt: skip
        assert value in everything, value
    assert INTERNAL not in everything and "SECRET-42" not in everything
    closing = "Synthèse et signature" if language == "fr" else "Summary and signature"
    approval = "Bon pour accord" if language == "fr" else "bon pour accord"
    [signature_page] = [n for n, text in enumerate(pages) if approval in text]
    assert closing in pages[signature_page]
    assert final["work"][-1]["text"] in pages[signature_page]  # the summary text itself
    reader = PdfReader(io.BytesIO(data))
    assert "/XObject" in str(reader.pages[signature_page]["/Resources"])  # the signature image
    date = "11/03/2026 11:40" if language == "fr" else "11/03/2026, 11:40"
    assert date in pages[signature_page]
    issued = "Édité le 11/03/2026 11:40" if language == "fr" else "Issued on 11/03/2026, 11:40"
    assert issued in pages[0]
    kind = final["equipment"]["equipment_type"]
    assert Translator(language)(f"equipment.type.{kind}") in pages[0]
    assert kind not in everything  # never the code


def test_the_pdf_embeds_the_canonical_content_and_its_hash(final):
    data = report_pdf.visit_report_pdf(final, signature=_evidence(final))
    reader = PdfReader(io.BytesIO(data))
    [embedded] = reader.attachments[report_pdf.ATTACHMENT_NAME]
    assert embedded == canonical_bytes(final)
    digest = hashlib.sha256(embedded).hexdigest()
    assert digest == content_sha256(final)
    assert reader.metadata["/Keywords"] == f"content-sha256:{digest}"


def test_a_signature_of_other_content_is_refused(final):
    evidence = _evidence(final)
    changed = copy.deepcopy(final)
    changed["work"][0]["text"] += " (modifié)"
    with pytest.raises(Exception, match="another content") as err:
        report_pdf.visit_report_pdf(changed, signature=evidence)
    assert err.value.key == "error.report.hash_mismatch"


def test_an_unsigned_draft_says_so(final):
    pages = _check_file(report_pdf.visit_report_pdf(final), "visit-report-draft-fr")
    assert "Brouillon — non signé" in pages[0]
    assert "Non signé" in pages[-1]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_slip_has_its_mandatory_mentions(final, language):
    data = report_pdf.slip_pdf(final, language=language, signature=_evidence(final))
    pages = _check_file(data, f"slip-{language}")
    everything = " ".join(pages)
    for mention in SLIP_MENTIONS[language]:
        assert mention in everything, mention
    for value in (final["reference"], final["company"]["siret"], final["intervention"]["type"]):
        assert value in everything
    assert INTERNAL not in everything
    approval = "Bon pour accord" if language == "fr" else "bon pour accord"
    closing = "Synthèse et signature" if language == "fr" else "Summary and signature"
    assert any(approval in p and closing in p for p in pages)


def _long(final: dict) -> tuple[dict, dict[str, bytes]]:
    """80 checklist items, 20 photos (one missing, one corrupt, one truncated), long texts."""
    content = copy.deepcopy(final)
    items = [i for s in content["procedure"]["steps"] for i in s["items"]]
    steps = []
    for s in range(8):
        step = copy.deepcopy(content["procedure"]["steps"][s % len(content["procedure"]["steps"])])
        step["position"] = s + 1
        step["items"] = [
            {**copy.deepcopy(items[(s * 10 + k) % len(items)]), "id": f"item:{s}-{k}",
             "position": k + 1}
            for k in range(10)
        ]  # fmt: skip
        steps.append(step)
    content["procedure"]["steps"] = steps
    blobs: dict[str, bytes] = {}
    photos = []
    for n in range(20):
        data = jpeg(800, 600, seed=n) if n not in (7, 12) else b""
        sha = hashlib.sha256(data or str(n).encode()).hexdigest()
        if n == 12:
            blobs[sha] = b"\xff\xd8\xff not a jpeg at all"
        elif n == 15:
            blobs[sha] = data[: len(data) // 2]  # truncated: no end-of-image marker
        elif n != 7:
            blobs[sha] = data
        photos.append(
            {"id": f"photo:{n}", "phase": "before" if n < 10 else "after", "blob_sha256": sha,
             "mime_type": "image/jpeg", "caption": f"Vue {n + 1} de la chaufferie",
             "taken_at": "2026-03-11T09:30:00"}
        )  # fmt: skip
    content["photos"] = photos
    content["work"][1]["text"] = " ".join(["Remplacement et réglage."] * 120)
    return content, blobs


def test_a_very_long_intervention_has_no_blank_page_and_placeholders_for_bad_photos(final, caplog):
    content, blobs = _long(final)
    with caplog.at_level(logging.WARNING, logger="app.reports.pdf"):
        data = report_pdf.visit_report_pdf(content, signature=_evidence(content), photos=blobs.get)
    pages = _check_file(data, "visit-report-long-fr")
    assert len(pages) >= 6
    everything = " ".join(pages)
    assert everything.count("Photo indisponible") == 3
    assert len([r for r in caplog.records if "placeholder" in r.getMessage()]) == 3
    assert sum(text.count("Vue ") for text in pages) == 20
    [signature_page] = [n for n, text in enumerate(pages) if "Bon pour accord" in text]
    assert signature_page == len(pages) - 1 and "Synthèse et signature" in pages[-1]
    reader = PdfReader(io.BytesIO(data))
    images = sum(len(page.images) for page in reader.pages)
    assert images == 17 + 1  # 17 good photos and the signature


def test_a_page_full_of_text_before_the_closing_moves_it_whole_to_the_next_page(final):
    content = copy.deepcopy(final)
    # Enough diagnosis text to leave just a few lines free at the end of a page.
    for words in range(150, 400, 25):
        content["work"][0]["text"] = " ".join(["Diagnostic détaillé."] * words)
        data = report_pdf.visit_report_pdf(content, signature=_evidence(content))
        pages = [_text(p) for p in PdfReader(io.BytesIO(data)).pages]
        [signature_page] = [n for n, text in enumerate(pages) if "Bon pour accord" in text]
        assert "Synthèse et signature" in pages[signature_page], words
        assert final["work"][-1]["text"] in pages[signature_page], words
    _check_file(data, "visit-report-moved-closing-fr")


def test_a_third_party_recomputes_the_hash_from_the_embedded_json_alone(final):
    """docs/reports.md: plain ``json`` reproduces the canonical bytes of a report."""
    import json

    data = report_pdf.visit_report_pdf(final, signature=_evidence(final))
    [embedded] = PdfReader(io.BytesIO(data)).attachments[report_pdf.ATTACHMENT_NAME]
    again = json.dumps(
        json.loads(embedded), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert again == embedded
    assert hashlib.sha256(again).hexdigest() == _evidence(final).content_sha256


def test_a_report_with_nothing_recorded_is_one_clean_page(final):
    content = copy.deepcopy(final)
    content.update(
        procedure=None, equipment=None, contract=None, measurements=[], meter_readings=[],
        parts=[], comments=[], photos=[], follow_ups=[],
        totals={"net_cents": 0, "vat": [], "gross_cents": 0},
    )  # fmt: skip
    content["work"] = [w for w in content["work"] if w["field"] == "summary"]
    pages = _check_file(report_pdf.visit_report_pdf(content), "visit-report-minimal-fr")
    assert len(pages) == 1
    assert "Hors contrat" in pages[0] and "Bon pour accord" in pages[0]


def test_a_draft_content_with_its_ticks_is_not_drawn(demo_db):
    with clock.frozen(NOW):
        job, tech, _ = filled_job()
        draft = report_service.draft(job.id, tech)
    with pytest.raises(ValueError, match="final content"):
        report_pdf.visit_report_pdf(draft.content)


def test_a_missing_font_says_what_to_do(final, monkeypatch, tmp_path):
    monkeypatch.setitem(report_pdf.FONTS, "B", tmp_path / "DejaVuSans-Bold.ttf")
    with pytest.raises(TerrainError, match="font") as err:
        report_pdf.visit_report_pdf(final)
    assert "fonts-dejavu-core" in err.value.hint


@pytest.mark.parametrize(
    ("language", "amount", "follow_up"),
    [
        ("fr", "Montant à facturer : 29,08 € HT, soit 34,90 € TTC",
         "Devis à établir : Remplacement du vase — avant le 15 avril 2026"),
        ("en", "Amount to be invoiced: €29.08 excl. VAT, €34.90 incl. VAT",
         "Quote to be made: Remplacement du vase — by 15 April 2026"),
    ],
)  # fmt: skip
def test_the_price_and_the_follow_up_are_on_the_signature_page(final, language, amount, follow_up):
    content = copy.deepcopy(final)
    part = content["parts"][0]
    part.update(covered_by_contract=False, unit_price_cents=1454, total_cents=2908)
    content["totals"] = report_service.parts_totals(content["parts"])
    content["follow_ups"] = [
        {"kind": "quote", "description": "Remplacement du vase", "due_date": "2026-04-15"}
    ]
    data = report_pdf.visit_report_pdf(content, language=language, signature=_evidence(content))
    pages = _check_file(data, f"visit-report-charged-{language}")
    approval = "Bon pour accord" if language == "fr" else "bon pour accord"
    [page] = [text for text in pages if approval in text]
    assert amount in page and follow_up in page
    vat = "TVA 20 %" if language == "fr" else "VAT 20%"
    assert vat in " ".join(pages)


def test_a_summary_longer_than_a_page_still_keeps_the_signature_with_the_totals(final):
    content = copy.deepcopy(final)
    content["work"][-1]["text"] = " ".join(["Synthèse très détaillée de la visite."] * 260)
    pages = _check_file(
        report_pdf.visit_report_pdf(content, signature=_evidence(content)),
        "visit-report-long-summary-fr",
    )
    [page] = [text for text in pages if "Bon pour accord" in text]
    assert "Synthèse très détaillée" in page and "travail 1 h 35" in page  # with its end
    assert "Synthèse très détaillée" in pages[pages.index(page) - 1]  # it began before


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_slip_the_client_did_not_sign_says_why_not_draft(final, language):
    reason = "Client absent, bon déposé dans la boîte aux lettres"
    data = report_pdf.slip_pdf(final, language=language, missing=("absent", reason))
    pages = _check_file(data, f"slip-absent-{language}")
    text = "\n".join(pages)
    draft = {"fr": "Brouillon", "en": "Draft"}[language]
    absent = {"fr": "Non signé — client absent", "en": "Not signed — the client was absent"}
    assert draft not in text  # a recorded absence is not a draft
    assert absent[language] in pages[0] and absent[language] in pages[-1]
    assert reason in " ".join(pages[-1].split())
    refused = report_pdf.slip_pdf(final, language="fr", missing=("refused", "Désaccord"))
    assert "le client a refusé de signer" in _check_file(refused, "slip-refused-fr")[-1]


def _corrected(final: dict) -> dict:
    """Version 2 of ``final`` as the office's device makes it (validation_service.correct)."""
    content = copy.deepcopy(final)
    for line in content["work"]:
        if line["field"] == "diagnosis":
            before, line["text"] = line["text"], "Électrodes usées, remplacées"
    content["based_on"] = {"version": 1, "content_sha256": content_sha256(final)}
    content["corrections"] = [
        {"field": "work:diagnosis", "label": "", "before": before,
         "after": "Électrodes usées, remplacées", "reason": "Le technicien a inversé deux pièces",
         "by": "u-office", "by_name": "Bureau", "at": "2026-03-12T09:00:00"},
        {"field": "c-1", "label": "Julien Moreau", "before": "RAS", "after": "Brûleur à revoir",
         "reason": "Précision du client", "by": "u-office", "by_name": "Bureau",
         "at": "2026-03-12T09:05:00"},
    ]  # fmt: skip
    return content


@pytest.mark.parametrize("language", ["fr", "en"])
def test_version_2_says_it_corrects_the_signed_version_1_and_lists_each_correction(final, language):
    v1 = report_pdf.visit_report_pdf(final, language=language, signature=_evidence(final))
    v2 = _corrected(final)
    corrects = report_pdf.Corrects(
        version=2, based_on=1, outcome="signed", signed_at=SIGNED_AT,
        signer_name="Mme Claire Dubois",
    )  # fmt: skip
    data = report_pdf.visit_report_pdf(v2, language=language, corrects=corrects)
    pages = _check_file(data, f"visit-report-v2-{language}")
    first = " ".join(pages[0].split())
    when = Formats(language).datetime(SIGNED_AT)
    line = {
        "fr": f"Version 2 — corrige la version 1 signée le {when} par Mme Claire Dubois",
        "en": f"Version 2 — corrects version 1 signed on {when} by Mme Claire Dubois",
    }[language]
    words = {
        "fr": ["Champ", "Avant", "Après", "Motif", "Diagnostic", "Commentaire (Julien Moreau)",
               "Version 2 — corrigée"],
        "en": ["Field", "Before", "After", "Reason", "Diagnosis", "Comment (Julien Moreau)",
               "Version 2 — corrected"],
    }[language]  # fmt: skip
    assert line in first, first[:600]
    packed = "".join(first.split())  # a table cell's wrapped words lose their space
    for word in [*words, "Électrodes usées, remplacées", "Le technicien a inversé deux pièces",
                 "RAS", "Brûleur à revoir", "Précision du client"]:  # fmt: skip
        assert "".join(word.split()) in packed, word
    draft = {"fr": "Brouillon", "en": "Draft"}[language]
    assert draft not in " ".join(pages)  # a corrected version is no draft
    last = " ".join(pages[-1].split())
    kept = {"fr": "porte sur la version 1", "en": "is on version 1"}[language]
    assert kept in last and "Mme Claire Dubois" in last
    # version 1 is another document, drawn as before
    again = report_pdf.visit_report_pdf(final, language=language, signature=_evidence(final))
    assert again == v1


@pytest.mark.parametrize(
    ("outcome", "words"),
    [("absent", "transmise non signée (client absent) le 11/03/2026 11:40"),
     ("refused", "transmise non signée (refus du client) le 11/03/2026 11:40"),
     (None, "Version 2 — corrige la version 1")],
)  # fmt: skip
def test_version_2_of_an_unsigned_slip_says_so(final, outcome, words):
    corrects = report_pdf.Corrects(version=2, based_on=1, outcome=outcome, signed_at=SIGNED_AT)
    missing = (outcome, "Client parti avant la fin") if outcome else None
    data = report_pdf.slip_pdf(_corrected(final), missing=missing, corrects=corrects)
    pages = _check_file(data, f"slip-v2-{outcome or 'unknown'}-fr")
    assert words in " ".join(pages[0].split())


def test_a_corrected_content_without_what_head_office_knows_still_says_it_corrects(final):
    pages = _check_file(report_pdf.slip_pdf(_corrected(final)), "slip-v2-bare-fr")
    assert "Version 2 — corrige la version 1" in " ".join(pages[0].split())
