"""In a real browser: a photo's files going up to head office over a slow link show their
progress ("Envoi n %") on the sync screen's list and on the photo's tile.

The device reaches head office through a loopback proxy that lets the device send at most
``RATE`` bytes per second (answers are not slowed), so the upload of the kept original lasts
long enough to be seen. Screens at phone and tablet size go to tests/artifacts/screenshots/
(upload-*.png).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import require
from e2e_support import browser_page, by_id, chromium, chromium_path, running_app, screenshot
from field_e2e_support import into_view, plan_for, tap
from media_support import photo_12mp
from server_support import running_serve
from test_e2e_camera import go, open_media, shows
from test_e2e_signin import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1024, 768)]
RATE = 150_000  # bytes per second from the device to head office


@contextlib.contextmanager
def slow_link(upstream_port: int, rate: int) -> Iterator[int]:
    """A TCP proxy on a free loopback port to ``upstream_port``; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                data = src.recv(16_384)
                if not data:
                    break
                dst.sendall(data)
                if limit:
                    time.sleep(len(data) / limit)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            server = socket.create_connection(("127.0.0.1", upstream_port))
            threading.Thread(target=pump, args=(client, server, rate), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, None), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("size", SIZES, ids=["phone", "tablet"])
def test_files_going_up_show_their_progress_on_the_sync_screen_and_the_tile(
    size, tmp_path, monkeypatch
):
    require(chromium_path() is not None, "Debian chromium is not installed")
    monkeypatch.setenv("TERRAIN_KEEP_ORIGINALS", "1")  # a 1.5 MB original to send
    tag = f"upload-{size[0]}x{size[1]}"
    photo = photo_12mp(tmp_path / "chaudiere.jpg")
    with contextlib.ExitStack() as stack:
        served = stack.enter_context(running_serve(tmp_path / "ho", "--demo"))
        port = int(served.base.rsplit(":", 1)[1].split("/")[0])
        proxy = stack.enter_context(slow_link(port, RATE))
        quiet = ("--sync-interval", "600")
        server = f"http://127.0.0.1:{proxy}"
        app = stack.enter_context(running_app(tmp_path / "device", *quiet, server=server))
        browser = stack.enter_context(chromium())
        page = stack.enter_context(browser_page(browser, app.url, size, tag))

        sign_in(page, "tech1", DEMO_PASSWORD)
        by_id(page, "my-day-today").wait_for(timeout=60_000)
        plan = plan_for(app.db_path, "tech1")
        open_media(page, plan.reference)
        by_id(page, "media-empty").wait_for()
        with page.expect_file_chooser() as chooser:
            tap(page, "media-add")
        chooser.value.set_files(str(photo))
        by_id(page, "media-group-before").wait_for(timeout=60_000)
        shows(page, "media-0", "En attente")

        go(page, size, "Synchronisation")
        by_id(page, "sync-uploads").wait_for()
        tap(page, "sync-now")
        shows(page, "sync-upload-2", "Envoi", timeout=60_000)  # the original, going up
        shows(page, "sync-upload-0", "Envoyé")  # the thumbnail went first
        into_view(page, by_id(page, "sync-upload-2"))
        screenshot(page, f"{tag}-sync")
        go(page, size, "Ma journée")
        open_media(page, plan.reference)
        shows(page, "media-0", "Envoi", timeout=15_000)
        into_view(page, by_id(page, "media-0"))
        screenshot(page, f"{tag}-grid")
        shows(page, "media-0", "Envoyé", timeout=120_000)  # all three files, at last
