"""Pictures of the office's slip and held-aside screens at phone (390x844) and tablet
(1024x768) size: `python tests/office_screenshots.py` (Debian Chromium, a few minutes).

Starts `main.py run --web` in a temporary directory (embedded demo head office), records in
head office's database that the signed PDF of one submitted slip was held aside (what
``headoffice.documents`` does when a device's PDF does not match its record), signs in as
the office and saves tests/artifacts/screenshots/office-<size>-{home,unsigned-slip,
held-aside,held-slip}.png: the office home with its counts, the slip the client did not
sign ("Non signé — client absent" and the reason), "Documents mis de côté", and the slip
whose PDF was held aside.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e2e_support import (
    by_id,
    chromium,
    enable_semantics,
    open_page,
    read_only,
    running_app,
    screenshot,
)
from test_e2e_signin import DEMO_PASSWORD, sign_in

SLIPS = """
SELECT i.id, v.id, v.content_sha256, COALESCE(s.outcome, '') FROM interventions i
JOIN report_versions v ON v.intervention_id = i.id AND v.status = 'submitted'
LEFT JOIN signatures s ON s.intervention_id = i.id AND s.deleted = 0
WHERE i.status = 'submitted' AND i.deleted = 0 ORDER BY i.scheduled_start, i.id
"""
REASON = (
    "the PDF received embeds content 3f0c9a1b7d52e4a8, not the version's "
    "{sha}; kept aside, not sealed"
)


def hold_one_aside(app) -> tuple[str, str]:
    """A held-aside record for a signed slip; returns (unsigned slip id, held slip id)."""
    with read_only(app.headoffice_db_path) as con:
        rows = con.execute(SLIPS).fetchall()
    unsigned = next(r[0] for r in rows if r[3] in ("absent", "refused"))
    job, version, sha, _ = next(r for r in rows if r[3] == "signed")
    con = sqlite3.connect(app.headoffice_db_path, timeout=30)
    try:
        con.execute(
            "INSERT INTO report_pdfs_held_aside (report_version_id, blob_sha256, reason, "
            "code, params, detected_at, resolved) VALUES (?, ?, ?, ?, ?, ?, 0)",
            (version, "9" * 8 + "e1d2c3b4a5" * 5 + "ffffff", REASON.format(sha=sha),
             "held_aside.content_mismatch", json.dumps({"expected": sha}),  # shown in French
             "2026-03-10 09:15:00"),
        )  # fmt: skip
        con.commit()
    finally:
        con.close()
    return unsigned, job


def go(page, url: str) -> None:
    page.goto(url)  # a deep link: the app reloads, the session stays signed in
    enable_semantics(page)


def shots(app, browser, size: tuple[int, int], unsigned: str, held: str) -> None:
    tag = f"office-{size[0]}x{size[1]}"
    page = open_page(browser, app.url, size)
    sign_in(page, "office", DEMO_PASSWORD)
    by_id(page, "office-open-held-aside").wait_for()
    page.wait_for_timeout(1500)  # the counts arrive after the page
    screenshot(page, f"{tag}-home")
    go(page, f"{app.url}office/validation/{unsigned}")
    by_id(page, "validation-evidence").wait_for()
    page.wait_for_timeout(1000)
    screenshot(page, f"{tag}-unsigned-slip")
    go(page, f"{app.url}office/held-aside")
    by_id(page, "held-aside-count").wait_for()
    page.locator('[flt-semantics-identifier^="held-aside-item-"]').first.wait_for()
    screenshot(page, f"{tag}-held-aside")
    go(page, f"{app.url}office/validation/{held}")
    by_id(page, "slip-held-aside").wait_for()
    screenshot(page, f"{tag}-held-slip")
    page.context.close()


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
    ):
        unsigned, held = hold_one_aside(app)
        for size in ((390, 844), (1024, 768)):
            shots(app, browser, size, unsigned, held)


if __name__ == "__main__":
    main()
