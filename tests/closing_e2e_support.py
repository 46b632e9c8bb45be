"""The steps of the visit's closing half and of the office's validation, in the browser, for
the end-to-end tests and the screenshot scripts: the technician carries out a short job, edits
the report (a line left out, a text corrected), presents it, the client signs by dragging the
mouse on the pad, the technician takes the tablet back with his password and enters the
follow-up, then syncs; the office opens "Bons à valider", corrects a field with a reason and
validates. Also what head office holds once the slip is submitted (its SQLite file and blob
store, read-only).

Each step waits for what the screen says (semantics identifiers), never for a fixed time;
``shot`` names the screenshots a step takes (``None``: none, for speed).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from e2e_support import DEMO_PASSWORD, by_id, screenshot, sign_in
from field_e2e_support import (
    Item,
    JobPlan,
    answer_procedure,
    open_section,
    plan_for,
    scroll_to_top,
    tap,
    type_in,
)

from app import clock

SUMMARY = "Chaudière remise en service, combustion conforme"
SIGNER, SIGNER_ROLE = "Mme Durand", "Cliente"
QUOTE = "Désembouage du circuit"

# Two strokes in the pad's own coordinates (0..1): a zigzag, then an underline.
SIGNATURE = [
    [(0.1 + 0.025 * i, 0.5 + (0.25 if i % 4 < 2 else -0.25) * (1 - i / 40)) for i in range(28)],
    [(0.12 + 0.03 * i, 0.82) for i in range(20)],
]


def snap(page, shot: str | None, name: str) -> None:
    if shot is not None:
        screenshot(page, f"{shot}-{name}")


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
            page.wait_for_timeout(15)  # pan events at a hand's pace, not one burst
        page.mouse.up()
        page.wait_for_timeout(100)


# --- the technician -------------------------------------------------------------------------


def carry_out(app, page, plan: JobPlan, shot: str | None) -> None:
    """From "Ma journée": open the job, Partir, Commencer, the procedure, Travaux terminés."""
    from playwright.sync_api import expect

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


def leave_out_candidate(plan: JobPlan) -> Item:
    """A line the technician may untick: an answered tick box (never a value out of
    tolerance: those stay in)."""
    return next(i for i in plan.items if i.kind == "check" and i.required)


def edit_report(page, shot: str | None, *, summary: str, leave_out: Item | None = None) -> None:
    """Section "Rapport": ``leave_out``'s line unticked (it leaves the client's preview), the
    summary corrected (it shows in the preview)."""
    from playwright.sync_api import expect

    open_section(page, "report")
    by_id(page, "report-checklist").wait_for()
    if leave_out is not None:
        procedure = by_id(page, "preview-procedure")
        expect(procedure).to_contain_text(leave_out.label)
        tap(page, f"tick-item:{leave_out.id}")
        expect(procedure).not_to_contain_text(leave_out.label)
    tap(page, "edit-work:summary")
    type_in(page, "edit-field-work:summary", summary)
    tap(page, "edit-save-work:summary")
    expect(by_id(page, "preview-work-summary")).to_contain_text(summary)
    snap(page, shot, "report")


def client_signs(
    page, plan: JobPlan, shot: str | None, *, summary: str, leave_out: Item | None = None
) -> None:
    """ "Présenter au client": client mode has no navigation and shows the edited report; the
    client types name and capacity and signs by dragging; the technician's password (a wrong
    one first) unlocks the screen, which then shows who signed."""
    from playwright.sync_api import expect

    scroll_to_top(page)
    tap(page, "report-present")
    by_id(page, "client-mode").wait_for()
    expect(by_id(page, "nav-rail")).to_have_count(0)
    expect(by_id(page, "nav-bar")).to_have_count(0)
    expect(by_id(page, "client-preview")).to_contain_text(summary)
    if leave_out is not None:
        expect(by_id(page, "client-preview")).not_to_contain_text(leave_out.label)
    assert page.url.endswith(f"/interventions/{plan.id}/client")
    snap(page, shot, "client-mode")
    type_in(page, "client-signer-name", SIGNER)
    type_in(page, "client-signer-role", SIGNER_ROLE)
    drag(page, "signature-pad", SIGNATURE)
    snap(page, shot, "client-drawn")
    tap(page, "client-sign")
    by_id(page, "client-signed").wait_for(timeout=30_000)
    snap(page, shot, "client-signed")

    tap(page, "client-hand-back")
    type_in(page, "client-password", "not-the-password")
    tap(page, "client-unlock")
    expect(by_id(page, "client-password-error")).to_contain_text("Mot de passe incorrect")
    type_in(page, "client-password", DEMO_PASSWORD)
    tap(page, "client-unlock")
    by_id(page, "report-record").wait_for()
    expect(by_id(page, "report-record")).to_contain_text(SIGNER)


def enter_follow_up(page, shot: str | None) -> None:
    """ "Suite à donner": the next preventive visit (in 330 days) and a quote; saving submits
    the slip."""
    from playwright.sync_api import expect

    tap(page, "follow-kind-next_preventive")
    next_year = (clock.today() + timedelta(days=330)).strftime("%d/%m/%Y")
    type_in(page, "follow-next_preventive-date", next_year)
    tap(page, "follow-kind-quote")
    type_in(page, "follow-quote-text", QUOTE)
    snap(page, shot, "follow-up")
    tap(page, "follow-save")
    by_id(page, "follow-recorded").wait_for()
    expect(by_id(page, "detail-status")).to_contain_text("Transmise")
    snap(page, shot, "follow-up-saved")


def sync_now(page) -> None:
    """The sync badge, "Synchroniser maintenant", until nothing is left to send."""
    from playwright.sync_api import expect

    scroll_to_top(page)  # the badge is above the section, scrolled out of the tree
    tap(page, "sync-badge")
    tap(page, "sync-now")
    expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=30_000)


def closing_scenario(app, page, viewport: tuple[int, int], *, sync: bool = True) -> JobPlan:
    """tech1 signs in and closes today's shortest job, with a screenshot at each step."""
    shot = f"signing-{viewport[0]}x{viewport[1]}"
    sign_in(page, "tech1")
    by_id(page, "my-day-today").wait_for()
    plan = plan_for(app.db_path, "tech1", fewest_required=True)
    carry_out(app, page, plan, shot)
    edit_report(page, shot, summary=SUMMARY)
    client_signs(page, plan, shot, summary=SUMMARY)
    enter_follow_up(page, shot)
    if sync:
        sync_now(page)
    return plan


# --- the office -----------------------------------------------------------------------------


def open_queue(page) -> None:
    """Signed in as the office: "Bons à valider" (once the first sync brought the slips)."""
    from playwright.sync_api import expect

    by_id(page, "office-open-validation").click()
    expect(by_id(page, "validation-count")).to_be_visible()


def open_slip(page, reference: str, shot: str | None) -> None:
    """In the queue: the slip ``reference``, with the pages of its signed PDF."""
    from playwright.sync_api import expect

    expect(by_id(page, f"validation-item-{reference}")).to_be_attached()
    snap(page, shot, "queue")
    tap(page, f"validation-item-{reference}")
    expect(by_id(page, "slip-status")).to_be_visible()
    expect(by_id(page, "pdf-page-1")).to_be_attached()
    snap(page, shot, "slip")


def correct_and_validate(page, field_tag: str, value: str, reason: str, shot: str | None) -> None:
    """On the open slip: "Corriger" the field ``field_tag`` (``field-work-diagnosis``…) with
    ``reason`` (version 2), then "Valider"."""
    from playwright.sync_api import expect

    by_id(page, f"{field_tag}-correct").click()
    type_in(page, "correct-value", value)  # focused and retyped until the field holds it
    type_in(page, "correct-reason", reason)
    by_id(page, "correct-save").click()
    expect(by_id(page, "validation-message")).to_contain_text("version 2")
    expect(by_id(page, "validation-corrections")).to_contain_text(reason)
    snap(page, shot, "corrected")
    by_id(page, "validation-validate").click()
    expect(by_id(page, "slip-validated")).to_be_visible()


def delivery_shows(page, text: str, timeout: float = 30) -> None:
    """ "Actualiser" the e-mail card until it shows ``text`` (head office records the state
    just after the SMTP server accepted the message)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    deadline = time.monotonic() + timeout
    while True:
        by_id(page, "delivery-refresh").click()
        try:
            expect(by_id(page, "validation-delivery")).to_contain_text(text, timeout=2_000)
            return
        except (AssertionError, PlaywrightTimeout):
            if time.monotonic() > deadline:
                raise


# --- head office, read-only -----------------------------------------------------------------


@dataclass
class SubmittedSlip:
    """What head office holds of one intervention's slip."""

    status: str
    versions: list[tuple] = field(default_factory=list)  # (status, content sha, PDF blob sha)
    signatures: list[tuple] = field(default_factory=list)  # (outcome, name, role, sha, PNG sha)
    follow_ups: list[tuple] = field(default_factory=list)  # (kind, description, due date)


def submitted_slip(headoffice_dir: Path, job_id: str, timeout: float = 20) -> SubmittedSlip:
    """Head office's slip of ``job_id`` once it is submitted (or as it is after ``timeout``)."""
    path = headoffice_dir / "headoffice.db"
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            (status,) = con.execute(
                "SELECT status FROM interventions WHERE id = ?", (job_id,)
            ).fetchone()
            slip = SubmittedSlip(
                status,
                con.execute(
                    "SELECT status, content_sha256, pdf_blob_sha256 FROM report_versions "
                    "WHERE intervention_id = ? AND deleted = 0",
                    (job_id,),
                ).fetchall(),
                con.execute(
                    "SELECT outcome, signer_name, signer_role, content_sha256, "
                    "image_blob_sha256 FROM signatures WHERE intervention_id = ? AND deleted = 0",
                    (job_id,),
                ).fetchall(),
                con.execute(
                    "SELECT kind, description, due_date FROM follow_ups "
                    "WHERE intervention_id = ? AND deleted = 0 ORDER BY kind",
                    (job_id,),
                ).fetchall(),
            )
        if status == "submitted" or time.monotonic() > deadline:
            return slip
        time.sleep(0.5)


def blob(headoffice_dir: Path, sha256: str) -> bytes:
    """A file of head office's blob store."""
    root = headoffice_dir / "headoffice-blobs"
    return (root / sha256[:2] / sha256[2:4] / sha256).read_bytes()
