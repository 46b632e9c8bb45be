"""In a real browser (Debian Chromium): a technician adds a photo through the file picker,
files it as "Avant", captions it, syncs; head office then holds the row and its blobs.

Screens at phone and tablet size go to tests/artifacts/screenshots/ (media-*.png).
"""

from __future__ import annotations

import json
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
            "a.thumb_sha256, a.annotations FROM attachments a "
            "JOIN interventions i ON i.id = a.intervention_id "
            "WHERE i.reference = ? AND a.deleted = 0",
            (reference,),
        ).fetchall()
        blobs = {r[0] for r in con.execute("SELECT sha256 FROM blobs")}
    return rows, blobs


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_a_photo_from_the_file_picker_is_filed_captioned_and_synced(size, tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    photo = jpeg_with_orientation(tmp_path / "chaudiere-avant.jpg", 6, size=(800, 600))
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

        # draw an arrow across the middle of the photo, and save the drawing
        tap(page, "media-0")
        tap(page, "media-viewer-annotate")
        pad = by_id(page, "annotate-pad")
        pad.wait_for()
        box = pad.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.15, y)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(box["x"] + box["width"] * (0.15 + 0.07 * step), y, steps=2)
        page.mouse.up()
        page.wait_for_timeout(500)
        screenshot(page, f"{tag}-annotate")
        tap(page, "annotate-save")
        by_id(page, "annotate").wait_for(state="detached")

        tap(page, "sync-badge")
        expect(by_id(page, "sync-pending")).to_contain_text("attente d'envoi : 1")  # the photo
        tap(page, "sync-now")
        expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=60_000)
        page.context.close()

        rows, blobs = _headoffice(app.data_dir, plan.reference)
        assert len(rows) == 1
        phase, caption, kind, width, height, blob, thumb, layer = rows[0]
        assert (phase, caption, kind) == ("before", "Chaudière avant intervention", "photo")
        [arrow] = json.loads(layer)["shapes"]
        assert arrow["kind"] == "arrow" and arrow["from"][0] < 0.3 < 0.7 < arrow["to"][0]
        assert (width, height) == (800, 600)  # turned upright on the device
        assert {blob, thumb} <= blobs  # the photo and its thumbnail reached head office
        _the_report_prints_it_annotated(app, plan.reference)


def _the_report_prints_it_annotated(app, reference: str) -> None:
    """The device's visit report PDF of the job holds the photo with the arrow drawn."""
    import io

    from PIL import Image
    from pypdf import PdfReader

    from app.media.blob_store import BlobStore
    from app.models import Intervention, User, db
    from app.models.database import open_sqlite
    from app.reports.pdf import visit_report_pdf
    from app.services import media_service, report_service
    from app.services.auth_service import current_user

    database = open_sqlite(app.db_path)
    try:
        job = Intervention.get(Intervention.reference == reference)
        who = current_user(User.get_by_id(job.technician.user_id))
        content = report_service.draft(job.id, who).final
        store = BlobStore(app.data_dir / "blobs")
        pdf = visit_report_pdf(content, photos=lambda sha: media_service.read_blob(store, sha))
    finally:
        database.close()
        db.initialize(None)
    images = [i for p in PdfReader(io.BytesIO(pdf)).pages for i in p.images]
    photo = max((Image.open(io.BytesIO(i.data)).convert("RGB") for i in images),
                key=lambda im: im.width * im.height)  # fmt: skip
    row = [photo.getpixel((x, photo.height // 2)) for x in range(photo.width)]
    red = [x for x, (r, g, b) in enumerate(row) if r > 150 and g < 130 and b < 130]
    assert len(red) > photo.width * 0.3  # the arrow, over a white middle row
