"""In a real browser (Debian Chromium): a video added through the file picker plays in the
viewer (flet-video loads the link the app serves, with HTTP ranges), a frame is annotated
and a note added. Screens at phone and tablet size: tests/artifacts/screenshots/video-*.png.

The video is VP8 WebM (written by OpenCV): what Chromium decodes. Phones record H.264 /
HEVC MP4, which browsers play too. The exported annotated clip is VP8 WebM too
(``app.media.video.CLIP_FOURCC``): it plays, its position moving
(``test_an_exported_annotated_clip_plays_in_the_browser``). An MPEG-4 Part 2 file
(``mp4v``, what the clips were before) Chromium cannot decode: the viewer says so
(``test_a_clip_chromium_cannot_decode_is_said_not_black``).
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import require
from e2e_support import browser_page, by_id, chromium, chromium_path, running_app, screenshot
from field_e2e_support import plan_for, scroll_to_top, tap
from test_e2e_signin import DEMO_PASSWORD, sign_in
from video_support import counter_video

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1024, 768)]


def _open_media(page, app) -> str:
    sign_in(page, "tech1", DEMO_PASSWORD)
    by_id(page, "my-day-today").wait_for()
    plan = plan_for(app.db_path, "tech1")
    tap(page, f"day-item-{plan.reference}")
    by_id(page, "detail-contact").wait_for()
    scroll_to_top(page)
    tap(page, "section-media")
    by_id(page, "media-empty").wait_for()
    return plan.reference


def _add(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        tap(page, "media-add")
    chooser.value.set_files(str(path))
    by_id(page, "media-group-before").wait_for(timeout=60_000)


def _rows(data_dir: Path, reference: str) -> list[tuple]:
    with sqlite3.connect(f"file:{data_dir / 'terrain.db'}?mode=ro", uri=True) as con:
        return con.execute(
            "SELECT a.kind, a.source_attachment_id, a.source_time_ms, a.video_notes "
            "FROM attachments a JOIN interventions i ON i.id = a.intervention_id "
            "WHERE i.reference = ? AND a.deleted = 0 ORDER BY a.kind DESC",
            (reference,),
        ).fetchall()


def _type_note(page, text: str) -> None:
    """Type into the note field (forced taps: see below) until it holds ``text``: a tap
    while the player re-renders can leave the focus elsewhere and the keys lost."""
    field = by_id(page, "video-note-text").locator("input")
    size = page.viewport_size
    for _attempt in range(5):
        # the notes sit below the player: on a tablet the dialog scrolls (Flutter's wheel)
        page.mouse.move(size["width"] / 2, size["height"] * 0.6)
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(400)
        field.click(force=True)
        page.wait_for_timeout(300)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        held = page.evaluate("() => document.activeElement && document.activeElement.value")
        if held == text:
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the note field never held {text!r}")


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_a_video_plays_in_the_viewer_and_a_frame_is_annotated(size, tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    clip = counter_video(tmp_path / "pompe.webm", frames=100, fps=25.0, size=(640, 360),
                         fourcc="VP80")  # fmt: skip
    tag = f"video-{size[0]}x{size[1]}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
        browser_page(browser, app.url, size, tag) as page,
    ):
        served = []
        page.on("response", lambda r: served.append(r) if "/media-files/" in r.url else None)
        reference = _open_media(page, app)
        _add(page, clip)
        tap(page, "media-0")
        by_id(page, "video-position").wait_for()
        expect(by_id(page, "video-position")).to_contain_text("0:00 / 0:04")
        page.wait_for_function("() => document.querySelector('video') !== null", timeout=30_000)
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v && v.readyState >= 2 }",
            timeout=30_000,
        )  # the browser loaded and decoded the served file
        size_px = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " return [v.videoWidth, v.videoHeight] }"
        )
        assert size_px == [640, 360]
        assert served and all(r.status in (200, 206) for r in served)
        # The player adds an empty full-page semantics node over the page (media_kit on
        # the web): Playwright's actionability check sees it "intercept" clicks although
        # Flutter routes the pointer to the widget under it. So taps here are forced.
        tap(page, "video-play", force=True)
        page.wait_for_function(
            "() => document.querySelector('video').currentTime > 0.5", timeout=30_000
        )
        screenshot(page, f"{tag}-viewer")

        # a note, then the chosen frame (the slider's start) annotated
        _type_note(page, "Joint qui suinte")
        tap(page, "video-note-add", force=True)
        by_id(page, "video-note-0").wait_for()  # its text is checked in the database below
        screenshot(page, f"{tag}-notes")
        tap(page, "video-annotate", force=True)
        by_id(page, "annotate-pad").wait_for(timeout=30_000)
        screenshot(page, f"{tag}-frame-editor")
        tap(page, "annotate-save", force=True)
        by_id(page, "annotate").wait_for(state="detached")
        rows = _rows(app.data_dir, reference)
    assert [(kind, bool(source)) for kind, source, _, _ in rows] == [
        ("video", False), ("photo", True),
    ]  # fmt: skip
    assert '"Joint qui suinte"' in rows[0][3]


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_an_exported_annotated_clip_plays_in_the_browser(size, tmp_path):
    """The clip ``export_clip`` writes (VP8 WebM, a drawing burned in) plays in Chromium:
    decoded at its size, its time and the viewer's position moving."""
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    from app.media import video as frames

    source = counter_video(tmp_path / "source.mp4", frames=150, fps=25.0, size=(640, 360))
    layer = {"version": 1, "shapes": [
        {"kind": "arrow", "from": [0.1, 0.8], "to": [0.45, 0.45], "color": "#e53935"},
    ]}  # fmt: skip
    clip_path = tmp_path / f"extrait{frames.CLIP_SUFFIX}"
    clip = frames.export_clip(source, clip_path, 1000, 4, layer)
    assert clip.frames == 100 and clip_path.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"
    tag = f"video-{size[0]}x{size[1]}-clip"
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
        browser_page(browser, app.url, size, tag) as page,
    ):
        _open_media(page, app)
        _add(page, clip_path)
        tap(page, "media-0")
        by_id(page, "video-position").wait_for()
        expect(by_id(page, "video-position")).to_contain_text("0:00 / 0:04")
        page.wait_for_function(
            "() => { const v = document.querySelector('video'); return v && v.readyState >= 2 }",
            timeout=30_000,
        )
        size_px = page.evaluate(
            "() => { const v = document.querySelector('video');"
            " return [v.videoWidth, v.videoHeight] }"
        )
        assert size_px == [640, 360]
        assert page.get_by_text("Ce navigateur ne sait pas lire cette vidéo").count() == 0
        tap(page, "video-play", force=True)
        page.wait_for_function(
            "() => document.querySelector('video').currentTime > 1.2", timeout=30_000
        )
        expect(by_id(page, "video-position")).not_to_contain_text("0:00 /", timeout=15_000)
        screenshot(page, f"{tag}-playing")


def test_a_clip_chromium_cannot_decode_is_said_not_black(tmp_path):
    """An mp4v MP4 (what the exported clips were before VP8 WebM): Chromium has no decoder
    for it; the viewer says so."""
    require(chromium_path() is not None, "Debian chromium is not installed")
    from playwright.sync_api import expect

    clip = counter_video(tmp_path / "extrait.mp4", frames=50, fps=25.0, size=(640, 360))
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
        browser_page(browser, app.url, (1024, 768), "video-mp4v") as page,
    ):
        _open_media(page, app)
        _add(page, clip)
        tap(page, "media-0")
        by_id(page, "video-position").wait_for()
        expect(page.get_by_text("Ce navigateur ne sait pas lire cette vidéo")).to_be_visible(
            timeout=30_000
        )
        screenshot(page, "video-1024x768-mp4v")
