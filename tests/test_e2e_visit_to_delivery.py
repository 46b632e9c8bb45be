"""One visit from the technician's report to the client's mailbox, in Debian Chromium at
tablet size (1024x768), against real parts: `main.py serve --demo` whose SMTP settings point
at a real local SMTP server (aiosmtpd), a technician's device and the office's device (two
`main.py run --web --server URL`, each with its own data directory).

The technician (tech1) carries out today's shortest job, writes an internal and a
client-visible comment, leaves a line out of the report and corrects its summary, presents
it: client mode has no navigation and shows neither the internal comment nor the line left
out; the client signs by dragging the mouse on the pad; a wrong password keeps the screen
locked, his own unlocks it; the follow-up is entered (which submits the slip); "Synchroniser
maintenant". Head office then holds the signed version, the signature, its PDF and PNG and
the follow-ups. The office signs in on its device, opens "Bons à valider", the slip with the
pages of its signed PDF, corrects the diagnosis with a reason (version 2) and validates. The
e-mail arrives with the sealed final PDF attached; `main.py verify` says it is intact (exit 0)
and poppler's `pdfsig` that its signature is valid and covers the whole file; its text holds
the corrected diagnosis, the summary, the client's comment, the signer and the hash of what
the client signed, and neither the internal comment nor the line left out.

Screenshots (signed, validated: fewer pictures, a faster test; the step-by-step pictures come
from tests/signing_screenshots.py and test_e2e_office_validation.py):
tests/artifacts/screenshots/visit-1024x768-*.png; the mailed PDF:
tests/artifacts/reports/visit-to-delivery-mailed.pdf.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from closing_e2e_support import (
    QUOTE,
    SIGNER,
    SIGNER_ROLE,
    blob,
    carry_out,
    client_signs,
    correct_and_validate,
    delivery_shows,
    edit_report,
    enter_follow_up,
    leave_out_candidate,
    open_queue,
    open_slip,
    submitted_slip,
    sync_now,
)
from conftest import ARTIFACTS, require
from e2e_support import (
    RunningApp,
    browser_page,
    by_id,
    chromium,
    chromium_path,
    read_only,
    running_app,
    screenshot,
    sign_in,
)
from field_e2e_support import headoffice_rows, plan_for, write_comments
from pypdf import PdfReader
from seal_support import pdfsig, run_verify
from server_support import free_port, running_serve
from smtp_support import SmtpServer

pytestmark = pytest.mark.browser

TABLET = (1024, 768)
SHOT = "visit-1024x768"
SENDER = "bureau@rhone-thermique.fr"
INTERNAL = "Vase d'expansion à prévoir, ne pas chiffrer au client"
CLIENT = "Pensez à purger les radiateurs avant l'hiver"
SUMMARY = "Chaudière remise en service, combustion conforme"
CORRECTED = "Électrodes d'allumage usées, remplacées"
REASON = "Le technicien a noté la mauvaise pièce"


@dataclass
class World:
    smtp: SmtpServer
    headoffice: Path  # serve's data directory
    technician: RunningApp
    office: RunningApp
    browser: object


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    smtp = SmtpServer(free_port()).start()
    mail = ("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-tls", "none",
            "--smtp-sender", SENDER)  # fmt: skip
    quiet = ("--sync-interval", "600")  # only sign-in and "sync now" sync in this test
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    try:  # the devices start (offline first) while head office builds its demo data
        with (
            running_app(tmp_path / "technician", *quiet, server=server, wait=False) as tech,
            running_app(tmp_path / "office", *quiet, server=server, wait=False) as office,
            running_serve(tmp_path / "headoffice", "--demo", *mail, port=port),
            chromium() as browser,
        ):
            tech.wait_listening()
            office.wait_listening()
            yield World(smtp, tmp_path / "headoffice", tech, office, browser)
    finally:
        smtp.stop()


def flat(text: str) -> str:
    """Whitespace made single spaces: a PDF's text wraps where it likes."""
    return " ".join(text.split())


def pdf_text(data: bytes) -> str:
    return flat(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_a_visit_from_the_report_to_the_clients_mailbox(world):
    from playwright.sync_api import expect

    tech = world.technician
    with browser_page(world.browser, tech.url, TABLET, "visit-technician") as page:
        sign_in(page, "tech1")  # first sign-in on this device: online, with the first sync
        by_id(page, "my-day-today").wait_for()
        plan = plan_for(tech.db_path, "tech1", fewest_required=True)
        left_out = leave_out_candidate(plan)
        carry_out(tech, page, plan, shot=None)
        write_comments(page, internal=INTERNAL, client=CLIENT)
        edit_report(page, None, summary=SUMMARY, leave_out=left_out)
        expect(by_id(page, "preview-comments")).to_contain_text(CLIENT)
        expect(by_id(page, "report-preview")).not_to_contain_text(INTERNAL)
        client_signs(page, plan, None, summary=SUMMARY, leave_out=left_out)
        screenshot(page, f"{SHOT}-signed")
        expect(by_id(page, "report-preview")).not_to_contain_text(INTERNAL)
        enter_follow_up(page, None)
        sync_now(page)

    slip = submitted_slip(world.headoffice, plan.id)
    assert slip.status == "submitted"
    [(v_status, v_sha, signed_pdf_sha)] = slip.versions
    [(outcome, name, role, s_sha, image_sha)] = slip.signatures
    assert (v_status, outcome, name, role) == ("signed", "signed", SIGNER, SIGNER_ROLE)
    assert v_sha == s_sha  # the signature is over the content of the signed version
    signed_pdf = blob(world.headoffice, signed_pdf_sha)
    assert signed_pdf.startswith(b"%PDF")
    assert hashlib.sha256(signed_pdf).hexdigest() == signed_pdf_sha
    png = blob(world.headoffice, image_sha)
    assert png.startswith(b"\x89PNG") and hashlib.sha256(png).hexdigest() == image_sha
    assert [kind for kind, _d, _due in slip.follow_ups] == ["next_preventive", "quote"]
    assert slip.follow_ups[1][1] == QUOTE
    comments = headoffice_rows(world.headoffice.parent, plan.reference)["comments"]
    assert sorted(c for c in comments if c[1] in (CLIENT, INTERNAL)) == [
        ("client", CLIENT),
        ("internal", INTERNAL),
    ]  # both synced
    signed_text = pdf_text(signed_pdf)
    assert SUMMARY in signed_text and CLIENT in signed_text
    assert INTERNAL not in signed_text and left_out.label not in signed_text

    with browser_page(world.browser, world.office.url, TABLET, "visit-office") as page:
        sign_in(page, "office")
        open_queue(page)
        open_slip(page, plan.reference, None)
        correct_and_validate(page, "field-work-diagnosis", CORRECTED, REASON, None)
        [(recipients, message)] = world.smtp.mailbox.wait_for(1, timeout=120)  # after the sync
        delivery_shows(page, "Envoyé")
        screenshot(page, f"{SHOT}-validated")

    assert plan.reference in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert plan.reference in attachment.get_filename()
    with read_only(world.headoffice / "headoffice.db") as con:
        [(to, state)] = con.execute(
            "SELECT recipient, state FROM email_deliveries WHERE intervention_id = ?", (plan.id,)
        ).fetchall()
    assert recipients == [to] and state == "sent"

    mailed = attachment.get_content()
    path = ARTIFACTS / "reports" / "visit-to-delivery-mailed.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(mailed)
    verified = run_verify(path, "--data-dir", str(world.headoffice))  # as the client would
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "INTACT" in verified.stdout and plan.reference in verified.stdout
    seal = pdfsig(path)
    assert "Signature Validation: Signature is Valid." in seal, seal
    assert "Total document signed" in seal and "Not total" not in seal, seal
    text = pdf_text(mailed)
    for wanted in (CORRECTED, SUMMARY, CLIENT, SIGNER, SIGNER_ROLE, plan.reference):
        assert flat(wanted) in text, wanted
    assert "Corrigé par le bureau après la signature du client" in text  # and signed:
    assert "Brouillon" not in text and v_sha in text  # the hash of what the client signed
    assert INTERNAL not in text and left_out.label not in text
    for running in (tech, world.office):
        assert "Traceback" not in running.log_path.read_text(errors="replace")
