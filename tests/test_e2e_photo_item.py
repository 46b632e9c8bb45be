"""In a real browser (Debian Chromium), at phone and tablet size: a photo item of the
procedure answered through "Choisir une photo" (the browser's file chooser); the item shows
the thumbnail, "Choisir une autre photo" and "Retirer la photo"; the device's database holds the
answer naming a photo attachment captioned with the item's label. Screens:
tests/artifacts/screenshots/photo-item-*.png."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import require
from e2e_support import browser_page, by_id, chromium, chromium_path, running_app, screenshot
from field_e2e_support import into_view, open_section, plan_for, tap
from media_support import jpeg_with_orientation
from test_e2e_signin import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1024, 768)]


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_a_photo_item_is_answered_with_a_picked_photo(size, tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    photo = jpeg_with_orientation(tmp_path / "plaque.jpg", 6)
    tag = f"photo-item-{size[0]}x{size[1]}"
    with (
        running_app(tmp_path / "data") as app,
        chromium() as browser,
        browser_page(browser, app.url, size, tag) as page,
    ):
        sign_in(page, "tech1", DEMO_PASSWORD)
        by_id(page, "my-day-today").wait_for()
        plan = plan_for(app.db_path, "tech1")
        items = [i for i in plan.items if i.kind == "photo"]
        assert items, "tech1's first job of the day should have a photo item"
        item = items[0]
        tap(page, f"day-item-{plan.reference}")
        by_id(page, "detail-reference").wait_for()
        tap(page, "action-en_route")
        tap(page, "action-in_progress")
        expect(by_id(page, "detail-status")).to_contain_text("En cours")
        open_section(page, "procedure")
        pick = by_id(page, f"{item.ident}-pick")
        into_view(page, pick)
        expect(pick).to_contain_text("Choisir une photo")
        with page.expect_file_chooser() as chooser:
            tap(page, f"{item.ident}-pick")
        chooser.value.set_files(str(photo))
        by_id(page, f"{item.ident}-photo").wait_for(timeout=60_000)
        by_id(page, f"{item.ident}-saved").wait_for()
        expect(by_id(page, f"{item.ident}-pick")).to_contain_text("Choisir une autre photo")
        expect(by_id(page, f"{item.ident}-remove")).to_be_visible()
        into_view(page, by_id(page, f"{item.ident}-photo"))
        page.wait_for_timeout(500)
        screenshot(page, f"{tag}-answered")
        with sqlite3.connect(f"file:{app.db_path}?mode=ro", uri=True) as con:
            row = con.execute(
                "SELECT a.kind, a.caption, a.deleted FROM checklist_answers c "
                "JOIN attachments a ON a.id = c.value_text "
                "WHERE c.intervention_id = ? AND c.item_id = ?",
                (plan.id, item.id),
            ).fetchone()
    assert row == ("photo", item.label, 0)
