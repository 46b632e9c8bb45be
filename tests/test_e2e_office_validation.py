"""The office validates a slip in the browser (Debian Chromium, Playwright): it opens the
queue "Bons à valider", corrects a field with a reason, validates; the app syncs with a real
`main.py serve --demo` whose SMTP settings point at a real local SMTP server (aiosmtpd), and
the e-mail arrives there with the final PDF attached. Screenshots of the queue and the slip
at tablet (1024x768) and desktop (1440x900) sizes in tests/artifacts/screenshots/."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from closing_e2e_support import (
    correct_and_validate,
    delivery_shows,
    open_queue,
    open_slip,
)
from conftest import require
from e2e_support import (
    browser_page,
    by_id,
    chromium,
    chromium_path,
    enable_semantics,
    read_only,
    running_app,
    screenshot,
    sign_in,
)
from pypdf import PdfReader
from seal_support import run_verify
from server_support import free_port, running_serve
from smtp_support import SmtpServer

pytestmark = pytest.mark.browser

TABLET, DESKTOP = (1024, 768), (1440, 900)
SENDER = "bureau@rhone-thermique.fr"
CORRECTED = "Électrodes d'allumage usées, remplacées"
REASON = "Le technicien a noté la mauvaise pièce"

SIGNED_SLIPS = """
SELECT i.reference, i.id, s.signer_name FROM interventions i
JOIN report_versions v ON v.intervention_id = i.id
JOIN signatures s ON s.intervention_id = i.id
WHERE i.status = 'submitted' AND i.deleted = 0 AND v.status = 'submitted'
  AND s.outcome = 'signed'
ORDER BY i.scheduled_start, i.id
"""


@dataclass
class World:
    smtp: SmtpServer
    headoffice_db: object
    app: object
    browser: object


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    root = tmp_path_factory.mktemp("e2e-office")
    smtp = SmtpServer(free_port()).start()
    mail = ("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port), "--smtp-tls", "none",
            "--smtp-sender", SENDER)  # fmt: skip
    try:
        with running_serve(root / "headoffice", "--demo", *mail) as served:
            server = served.base.removesuffix("/api/v1")
            with (
                running_app(root / "office", "--sync-interval", "600", server=server) as app,
                chromium() as browser,
            ):
                yield World(smtp, root / "headoffice" / "headoffice.db", app, browser)
    finally:
        smtp.stop()


def test_office_corrects_and_validates_and_the_client_gets_the_pdf(world):
    from playwright.sync_api import expect

    with browser_page(world.browser, world.app.url, TABLET, "office-validation") as page:
        sign_in(page, "office")
        open_queue(page)
        with read_only(world.app.db_path) as con:
            reference, intervention_id, signer = con.execute(SIGNED_SLIPS).fetchone()
        open_slip(page, reference, "office-1024x768")
        correct_and_validate(page, "field-work-diagnosis", CORRECTED, REASON, "office-1024x768")

        [(rcpt, message)] = world.smtp.mailbox.wait_for(1, timeout=120)  # after the sync
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert reference in attachment.get_filename() and reference in message["Subject"]
        reader = PdfReader(io.BytesIO(attachment.get_content()))
        text = "".join(p.extract_text() for p in reader.pages)
        assert CORRECTED in text
        assert signer in text and "Brouillon" not in text  # signed, then corrected
        sealed = world.headoffice_db.parent / f"{reference}-mailed.pdf"
        sealed.write_bytes(attachment.get_content())
        # the sealed final version, checked as a client would
        verified = run_verify(sealed, "--data-dir", str(world.headoffice_db.parent))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        with read_only(world.headoffice_db) as con:
            [(to,)] = con.execute(
                "SELECT recipient FROM email_deliveries WHERE intervention_id = ?",
                (intervention_id,),
            ).fetchall()
        assert rcpt == [to]

        delivery_shows(page, "Envoyé")
        screenshot(page, "office-1024x768-validated")

    with browser_page(world.browser, world.app.url, DESKTOP, "office-desktop") as page:
        sign_in(page, "office")
        by_id(page, "office-open-validation").click()
        expect(by_id(page, "validation-count")).to_be_visible()
        screenshot(page, "office-1440x900-queue")
        page.goto(f"{world.app.url}office/validation/{intervention_id}")  # a deep link
        enable_semantics(page)
        expect(by_id(page, "slip-validated")).to_be_visible()
        expect(by_id(page, "pdf-page-1")).to_be_attached()
        screenshot(page, "office-1440x900-slip")
    assert "Traceback" not in world.app.log_tail(400)
