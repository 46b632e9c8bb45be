"""In a real browser (Debian Chromium with its fake camera): a technician takes a photo with
"Prendre une photo" (flet-camera) into "Après"; head office goes away and the sync fails on
the first file, named on its tile and on the sync screen; head office comes back, "Réessayer"
sends every file; the settings then free the original head office holds.

The device keeps originals (``TERRAIN_KEEP_ORIGINALS=1``) so that there is one to free.
Screens at phone and tablet size go to tests/artifacts/screenshots/ (camera-*.png).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from conftest import require
from e2e_support import (
    FAKE_CAMERA,
    browser_page,
    by_id,
    chromium,
    chromium_path,
    free_port,
    running_app,
    screenshot,
)
from field_e2e_support import into_view, plan_for, scroll_to_top, tap
from server_support import running_serve
from test_e2e_signin import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1024, 768)]


def go(page, size: tuple[int, int], label: str) -> None:
    """Tap ``label`` in the navigation (the bar on a phone, the rail on a tablet)."""
    nav = "nav-bar" if size[0] < 600 else "nav-rail"
    scroll_to_top(page)
    bar = by_id(page, nav)
    page.wait_for_timeout(300)
    for target in (
        bar.get_by_role("tab", name=label),
        bar.get_by_role("button", name=label),
        bar.get_by_text(label),
    ):
        if target.count():
            target.first.click()
            return
    raise AssertionError(f"no {label} in {nav}")


def shows(page, ident: str, text: str, timeout: float = 15_000) -> None:
    """Wait until the widget tagged ``ident`` says ``text`` (in its text or, for a group
    Flutter merged into one node, in its label)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        _wait_text(page, ident, text, timeout)
    except PlaywrightTimeout:
        node = by_id(page, ident)
        html = node.first.evaluate("e => e.outerHTML") if node.count() else "(absent)"
        raise AssertionError(f"{ident} does not say {text!r}: {html[:3000]}") from None


def _wait_text(page, ident: str, text: str, timeout: float) -> None:
    page.wait_for_function(
        """([ident, text]) => {
            const el = document.querySelector(`[flt-semantics-identifier="${ident}"]`);
            if (!el) return false;
            return [el, ...el.querySelectorAll("*")].some(e =>
                (e.getAttribute("aria-label") || "").includes(text)
                || (e.textContent || "").includes(text));
        }""",
        arg=[ident, text],
        timeout=timeout,
    )


def open_media(page, reference: str) -> None:
    tap(page, f"day-item-{reference}")
    by_id(page, "detail-contact").wait_for()
    scroll_to_top(page)
    tap(page, "section-media")


def device_media(db_path: Path, reference: str) -> tuple:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        return con.execute(
            "SELECT a.source, a.phase, a.thumb_sha256, a.blob_sha256, a.original_sha256 "
            "FROM attachments a JOIN interventions i ON i.id = a.intervention_id "
            "WHERE i.reference = ? AND NOT a.deleted",
            (reference,),
        ).fetchone()


def headoffice_blobs(db_path: Path) -> set[str]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        return {r[0] for r in con.execute("SELECT sha256 FROM blobs")}


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_a_camera_photo_is_sent_file_by_file_retried_and_its_original_freed(
    size, tmp_path, monkeypatch
):
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    monkeypatch.setenv("TERRAIN_KEEP_ORIGINALS", "1")
    tag = f"camera-{size[0]}x{size[1]}"
    port = free_port()
    with contextlib.ExitStack() as stack:
        served = stack.enter_context(running_serve(tmp_path / "ho", "--demo", port=port))
        server = served.base.removesuffix("/api/v1")
        quiet = ("--sync-interval", "600")  # only sign-in, "sync now" and "Réessayer" sync
        app = stack.enter_context(running_app(tmp_path / "device", *quiet, server=server))
        browser = stack.enter_context(chromium(FAKE_CAMERA))
        page = stack.enter_context(browser_page(browser, app.url, size, tag))

        sign_in(page, "tech1", DEMO_PASSWORD)
        by_id(page, "my-day-today").wait_for()
        plan = plan_for(app.db_path, "tech1")
        open_media(page, plan.reference)
        by_id(page, "media-empty").wait_for()
        page.get_by_role("button", name="Après").first.click()
        tap(page, "media-camera")
        expect(by_id(page, "camera-status")).to_contain_text("Cadrez", timeout=30_000)
        screenshot(page, f"{tag}-dialog")
        tap(page, "camera-shoot")
        by_id(page, "media-group-after").wait_for(timeout=60_000)
        expect(by_id(page, "media-group-after")).to_have_attribute("aria-label", "Après (1)")
        shows(page, "media-0", "En attente")
        into_view(page, by_id(page, "media-0"))
        screenshot(page, f"{tag}-grid-waiting")
        source, phase, thumb, photo, original = device_media(app.db_path, plan.reference)
        assert (source, phase) == ("camera", "after") and original  # kept: configured

        # Head office goes away: the sync stops on the first file, named with its reason.
        served.process.terminate()
        served.process.wait(timeout=10)
        go(page, size, "Synchronisation")
        by_id(page, "sync-uploads").wait_for()
        shows(page, "sync-upload-0", "Miniature")
        shows(page, "sync-upload-2", "Original")
        tap(page, "sync-now")
        shows(page, "sync-upload-0", "Échec de l'envoi", timeout=60_000)
        shows(page, "sync-upload-0", "Pas de réseau")
        shows(page, "sync-upload-1", "En attente")
        into_view(page, by_id(page, "sync-upload-2"))
        screenshot(page, f"{tag}-sync-failed")
        go(page, size, "Ma journée")
        open_media(page, plan.reference)
        shows(page, "media-0", "Échec de l'envoi")
        by_id(page, "media-retry-0").wait_for()
        into_view(page, by_id(page, "media-0"))
        screenshot(page, f"{tag}-grid-failed")

        # Head office is back (same port, same data): "Réessayer" on the tile sends it all.
        stack.enter_context(running_serve(tmp_path / "ho", "--demo", port=port))
        tap(page, "media-retry-0")
        shows(page, "media-0", "Envoyé", timeout=60_000)
        screenshot(page, f"{tag}-grid-sent")
        assert {thumb, photo, original} <= headoffice_blobs(tmp_path / "ho" / "headoffice.db")
        go(page, size, "Synchronisation")
        shows(page, "sync-upload-2", "Envoyé")
        into_view(page, by_id(page, "sync-upload-2"))
        screenshot(page, f"{tag}-sync-sent")

        # Réglages: the storage; the original head office holds is freed after the question.
        go(page, size, "Réglages")
        free = by_id(page, "settings-storage-free")
        free.wait_for()
        shows(page, "settings-storage", "sont au siège")
        into_view(page, free)
        screenshot(page, f"{tag}-storage")
        tap(page, "settings-storage-free")
        tap(page, "storage-free-confirm")
        result = by_id(page, "settings-storage-result")
        shows(page, "settings-storage-result", "1 original(aux) effacé(s)", timeout=30_000)
        into_view(page, result)
        screenshot(page, f"{tag}-storage-freed")
        blobs = app.data_dir / "blobs"
        assert not (blobs / original[:2] / original[2:4] / original).exists()
        assert (blobs / photo[:2] / photo[2:4] / photo).exists()  # the photo shown stays
