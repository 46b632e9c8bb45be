"""In a real browser (Debian Chromium): a technician adds a photo through the file picker,
files it as "Avant", captions it, syncs; head office then holds the row and its blobs.

Screens at phone and tablet size go to tests/artifacts/screenshots/ (media-*.png).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import require
from e2e_support import by_id, chromium, chromium_path, open_page, running_app, screenshot
from field_e2e_support import plan_for, scroll_to_top, tap, type_in
from media_support import jpeg_with_orientation
from test_e2e_signin import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1024, 768)]


def _headoffice(data_dir: Path, reference: str) -> tuple[list[tuple], set[str]]:
    path = data_dir / "headoffice" / "headoffice.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT a.phase, a.caption, a.kind, a.width, a.height, a.blob_sha256, "
            "a.thumb_sha256 FROM attachments a JOIN interventions i ON i.id = a.intervention_id "
            "WHERE i.reference = ? AND a.deleted = 0",
            (reference,),
        ).fetchall()
        blobs = {r[0] for r in con.execute("SELECT sha256 FROM blobs")}
    return rows, blobs


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_a_photo_from_the_file_picker_is_filed_captioned_and_synced(size, tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    photo = jpeg_with_orientation(tmp_path / "chaudiere-avant.jpg", 6)
    tag = f"media-{size[0]}x{size[1]}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
    ):
        page = open_page(browser, app.url, size)
        sign_in(page, "tech1", DEMO_PASSWORD)
        by_id(page, "my-day-today").wait_for()
        plan = plan_for(app.db_path, "tech1")
        tap(page, f"day-item-{plan.reference}")
        by_id(page, "detail-contact").wait_for()
        scroll_to_top(page)
        tap(page, "section-media")
        by_id(page, "media-empty").wait_for()
        page.get_by_role("button", name="Avant").first.click()  # the default phase, explicit
        with page.expect_file_chooser() as chooser:
            tap(page, "media-add")
        chooser.value.set_files(str(photo))
        by_id(page, "media-group-before").wait_for(timeout=60_000)
        expect(by_id(page, "media-group-before")).to_have_attribute("aria-label", "Avant (1)")
        screenshot(page, f"{tag}-grid")

        tap(page, "media-0")
        by_id(page, "media-viewer").wait_for()
        type_in(page, "media-viewer-caption", "Chaudière avant intervention")
        screenshot(page, f"{tag}-viewer")
        tap(page, "media-viewer-save")
        by_id(page, "media-viewer").wait_for(state="detached")
        with app.read_only_db() as con:
            assert con.execute("SELECT phase, caption FROM attachments").fetchall() == [
                ("before", "Chaudière avant intervention")
            ]

        tap(page, "sync-badge")
        expect(by_id(page, "sync-pending")).to_contain_text("attente d'envoi : 1")  # the photo
        tap(page, "sync-now")
        expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=60_000)
        page.context.close()

        rows, blobs = _headoffice(app.data_dir, plan.reference)
        assert len(rows) == 1
        phase, caption, kind, width, height, blob, thumb = rows[0]
        assert (phase, caption, kind) == ("before", "Chaudière avant intervention", "photo")
        assert (width, height) == (120, 80)  # turned upright on the device
        assert {blob, thumb} <= blobs  # the photo and its thumbnail reached head office
