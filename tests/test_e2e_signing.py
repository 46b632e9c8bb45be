"""The visit's closing half, end to end in Debian Chromium at tablet size (1024x768).

`main.py run --web` (with its embedded head office); tech1 carries out today's assigned job
with the fewest required items (Partir, Commencer, the procedure, Travaux terminés), opens
"Rapport", corrects the summary, presents the report to the client: client mode has no
navigation; the client types their name and capacity and signs by dragging the mouse on the
pad; the technician's password unlocks the screen; the follow-up is entered (which submits
the slip); "Synchroniser maintenant". Then head office's database (read-only) holds the
signed version, the signature and the follow-up, and its blob store the PDF and the PNG.

``python tests/signing_screenshots.py`` runs the same scenario at phone and tablet size for
the pictures (report screen, client mode, signed, follow-up).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import require
from e2e_support import browser_page, by_id, chromium, chromium_path, running_app, screenshot
from field_e2e_support import ITEMS, METERS, VAN_PARTS, Item, JobPlan, scroll_to_top, tap, type_in
from test_e2e_field import answer_procedure, open_section
from test_e2e_signin import DEMO_PASSWORD, sign_in

from app import clock

pytestmark = pytest.mark.browser

SUMMARY = "Chaudière remise en service, combustion conforme"
FEWEST_ITEMS_TODAY = """
SELECT i.id, i.reference, i.procedure_id, i.equipment_id, t.id
FROM interventions i
JOIN technicians t ON t.id = i.technician_id JOIN users u ON u.id = t.user_id
WHERE u.username = ? AND i.deleted = 0 AND i.status = 'assigned'
  AND date(i.scheduled_start) = ?
ORDER BY (SELECT count(*) FROM checklist_items c JOIN procedure_steps s ON s.id = c.step_id
          WHERE s.procedure_id = i.procedure_id AND c.required = 1), i.scheduled_start
LIMIT 1
"""


@pytest.fixture
def app(tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    with running_app(tmp_path / "data") as running:
        yield running


def short_plan(db_path: Path, username: str) -> JobPlan:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        row = con.execute(FEWEST_ITEMS_TODAY, (username, clock.today().isoformat())).fetchone()
        assert row, f"{username} has no assigned intervention today"
        job_id, reference, procedure_id, equipment_id, technician_id = row
        items = [
            Item(f"item-{s}-{i}", kind, bool(req), lo, hi, meter or "")
            for s, i, kind, req, lo, hi, meter in con.execute(ITEMS, (procedure_id,))
        ]
        meters = {n: v or 0 for n, v in con.execute(METERS, (equipment_id,))}
        parts = [r for (r,) in con.execute(VAN_PARTS, (technician_id,))]
    return JobPlan(job_id, reference, items, meters, parts)


def drag(page, ident: str, strokes: list[list[tuple[float, float]]]) -> None:
    """Sign with the mouse: each stroke a press, moves in small steps, a release."""
    box = by_id(page, ident).bounding_box()
    assert box, f"{ident} is not on screen"
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=3)
            page.wait_for_timeout(15)
        page.mouse.up()
        page.wait_for_timeout(100)


SIGNATURE = [
    [(0.1 + 0.025 * i, 0.5 + (0.25 if i % 4 < 2 else -0.25) * (1 - i / 40)) for i in range(28)],
    [(0.12 + 0.03 * i, 0.82) for i in range(20)],
]


def closing_scenario(app, page, viewport: tuple[int, int], *, sync: bool = True) -> JobPlan:
    from playwright.sync_api import expect

    shot = f"signing-{viewport[0]}x{viewport[1]}"
    sign_in(page, "tech1", DEMO_PASSWORD)
    by_id(page, "my-day-today").wait_for()
    plan = short_plan(app.db_path, "tech1")
    tap(page, f"day-item-{plan.reference}")
    expect(by_id(page, "detail-reference")).to_contain_text(plan.reference)
    tap(page, "action-en_route")
    expect(by_id(page, "detail-status")).to_contain_text("En route")
    tap(page, "action-in_progress")
    expect(by_id(page, "action-work_done")).to_be_visible()
    open_section(page, "procedure")
    answer_procedure(app, page, plan, shot)
    scroll_to_top(page)
    tap(page, "action-work_done")
    expect(by_id(page, "detail-status")).to_contain_text("Travaux terminés")

    open_section(page, "report")
    by_id(page, "report-checklist").wait_for()
    tap(page, "edit-work:summary")
    type_in(page, "edit-field-work:summary", SUMMARY)
    tap(page, "edit-save-work:summary")
    expect(by_id(page, "preview-work-summary")).to_contain_text(SUMMARY)
    screenshot(page, f"{shot}-report")

    scroll_to_top(page)
    tap(page, "report-present")
    by_id(page, "client-mode").wait_for()
    expect(by_id(page, "nav-rail")).to_have_count(0)
    expect(by_id(page, "nav-bar")).to_have_count(0)
    expect(by_id(page, "client-preview")).to_contain_text(SUMMARY)
    assert page.url.endswith(f"/interventions/{plan.id}/client")
    screenshot(page, f"{shot}-client-mode")
    type_in(page, "client-signer-name", "Mme Durand")
    type_in(page, "client-signer-role", "Cliente")
    drag(page, "signature-pad", SIGNATURE)
    screenshot(page, f"{shot}-client-drawn")
    tap(page, "client-sign")
    by_id(page, "client-signed").wait_for(timeout=30_000)
    screenshot(page, f"{shot}-client-signed")

    tap(page, "client-hand-back")
    type_in(page, "client-password", "not-the-password")
    tap(page, "client-unlock")
    expect(by_id(page, "client-password-error")).to_contain_text("Mot de passe incorrect")
    type_in(page, "client-password", DEMO_PASSWORD)
    tap(page, "client-unlock")
    by_id(page, "report-record").wait_for()
    expect(by_id(page, "report-record")).to_contain_text("Mme Durand")

    tap(page, "follow-kind-next_preventive")
    next_year = (clock.today() + timedelta(days=330)).strftime("%d/%m/%Y")
    type_in(page, "follow-next_preventive-date", next_year)
    tap(page, "follow-kind-quote")
    type_in(page, "follow-quote-text", "Désembouage du circuit")
    screenshot(page, f"{shot}-follow-up")
    tap(page, "follow-save")
    by_id(page, "follow-recorded").wait_for()
    expect(by_id(page, "detail-status")).to_contain_text("Transmise")
    screenshot(page, f"{shot}-follow-up-saved")

    if not sync:
        return plan
    scroll_to_top(page)  # the badge is above the section, scrolled out of the tree
    tap(page, "sync-badge")
    tap(page, "sync-now")
    expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=30_000)
    return plan


def head_office(data_dir: Path, job_id: str, timeout: float = 20) -> dict:
    path = data_dir / "headoffice" / "headoffice.db"
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            status = con.execute(
                "SELECT status FROM interventions WHERE id = ?", (job_id,)
            ).fetchone()[0]
            versions = con.execute(
                "SELECT status, content_sha256, pdf_blob_sha256 FROM report_versions "
                "WHERE intervention_id = ? AND deleted = 0",
                (job_id,),
            ).fetchall()
            signatures = con.execute(
                "SELECT outcome, signer_name, signer_role, content_sha256, image_blob_sha256 "
                "FROM signatures WHERE intervention_id = ? AND deleted = 0",
                (job_id,),
            ).fetchall()
            follow_ups = con.execute(
                "SELECT kind, description, due_date FROM follow_ups WHERE intervention_id = ? "
                "AND deleted = 0 ORDER BY kind",
                (job_id,),
            ).fetchall()
        if status == "submitted" or time.monotonic() > deadline:
            return {"status": status, "versions": versions, "signatures": signatures,
                    "follow_ups": follow_ups}  # fmt: skip
        time.sleep(0.5)


def blob(data_dir: Path, sha256: str) -> bytes:
    root = data_dir / "headoffice" / "headoffice-blobs"
    return (root / sha256[:2] / sha256[2:4] / sha256).read_bytes()


def test_the_client_signs_on_a_tablet_and_head_office_gets_the_signed_report(app):
    with chromium() as browser, browser_page(browser, app.url, (1024, 768), "signing") as page:
        plan = closing_scenario(app, page, (1024, 768))
    rows = head_office(app.data_dir, plan.id)
    assert rows["status"] == "submitted"
    [(v_status, v_sha, pdf_sha)] = rows["versions"]
    [(outcome, name, role, s_sha, image_sha)] = rows["signatures"]
    assert (v_status, outcome, name, role) == ("signed", "signed", "Mme Durand", "Cliente")
    assert v_sha == s_sha
    pdf = blob(app.data_dir, pdf_sha)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == pdf_sha
    png = blob(app.data_dir, image_sha)
    assert png.startswith(b"\x89PNG") and hashlib.sha256(png).hexdigest() == image_sha
    assert [k for k, _d, _due in rows["follow_ups"]] == ["next_preventive", "quote"]
    assert rows["follow_ups"][1][1] == "Désembouage du circuit"
    assert "Traceback" not in app.log_path.read_text(errors="replace")
