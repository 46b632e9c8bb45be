"""Real-browser end-to-end support: the app as a subprocess, Debian Chromium via Playwright.

    with running_app(data_dir) as app, chromium() as browser:
        page = open_page(browser, app.url, (390, 844))
        type_into(page, "Identifiant", "tech1")
        by_id(page, "signin-submit").click()

Recipe (see FLET_NOTES.md): web mode with no_cdn, a free 127.0.0.1 port, Chromium from
/usr/bin (never `playwright install`), and a click on ``flt-semantics-placeholder`` so
Flutter builds its semantics tree (``flt-semantics-identifier`` attributes, labels, text).
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 120  # s: the embedded head office creates the demo data first
UI_TIMEOUT = 30_000  # ms: Flutter's first load from local files
EXPECT_TIMEOUT = 15_000  # ms: default of expect(...) assertions
DEMO_PASSWORD = "demo"  # every demo user's


def chromium_path() -> str | None:
    if os.path.exists(DEBIAN_CHROMIUM):
        return DEBIAN_CHROMIUM
    return shutil.which("chromium")


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_only(path: Path) -> sqlite3.Connection:
    """A plain read-only connection to an SQLite file (for expected values)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def office_push(api: str, changes: dict[str, list[dict]]) -> dict:
    """The office's device (a fresh one, signed in as ``office``) pushes ``changes``
    (table -> ``[{"id", "base_version", "fields"...}]``) to head office's HTTP API at
    ``api`` (``http://127.0.0.1:<port>/api/v1``); returns the answer, none of it refused."""
    import requests

    device_id = f"office-e2e-{uuid.uuid4()}"
    with requests.Session() as http:
        login = http.post(
            f"{api}/auth/login",
            json={"username": "office", "password": DEMO_PASSWORD, "device_id": device_id},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        answer = http.post(
            f"{api}/sync/push",
            json={"batch_id": str(uuid.uuid4()), "device_id": device_id, "changes": changes},
            headers={"Authorization": f"Bearer {login.json()['token']}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert not body["rejected"], body["rejected"]
        return body


@dataclass
class RunningApp:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / "terrain.db"

    @property
    def headoffice_db_path(self) -> Path:
        """The embedded head office's database (``run`` without ``--server``)."""
        return self.data_dir / "headoffice" / "headoffice.db"

    def read_only_db(self) -> sqlite3.Connection:
        """The device's database, read-only."""
        return read_only(self.db_path)

    def read_only_headoffice_db(self) -> sqlite3.Connection:
        """The embedded head office's database, read-only: what the device will receive."""
        return read_only(self.headoffice_db_path)

    def wait_listening(self, timeout: float = STARTUP_TIMEOUT) -> RunningApp:
        """Return once the app accepts connections (for ``running_app(..., wait=False)``)."""
        _wait_for_port(self.port, self.process, self.log_path, timeout)
        return self

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_for_port(port: int, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the app exited with code {process.returncode} before listening:\n"
                + log_path.read_text(errors="replace")[-4000:]
            )
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"the app did not listen on port {port} within {timeout} s")


@contextmanager
def running_app(
    data_dir: Path,
    *extra: str,
    server: str | None = None,
    timeout: float = STARTUP_TIMEOUT,
    wait: bool = True,
) -> Iterator[RunningApp]:
    """``python main.py run --web`` on a free port with ``data_dir``; stopped (by PID) after.

    Without ``server`` the app starts its embedded head office (a ``main.py serve --demo``
    subprocess in ``<data_dir>/headoffice``, stopped with the app); with it, the app syncs
    with that head office. ``extra``: more ``run`` options. ``wait=False`` hands the app
    over as soon as it is started, so that several start at once: then call
    ``app.wait_listening()`` before using it.
    """
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-app.log"
    command = [sys.executable, "main.py", "run", "--web", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir), *extra]
    if server:
        command += ["--server", server]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        app = RunningApp(f"http://127.0.0.1:{port}/", data_dir, process, log_path)
        yield app.wait_listening(timeout) if wait else app
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# Chromium's own test camera (a moving pattern) and "allow" on the permission question.
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@contextmanager
def chromium(extra_args: tuple[str, ...] | list[str] = ()) -> Iterator:
    """A headless Debian Chromium driven by Playwright (``extra_args``: e.g. FAKE_CAMERA)."""
    from playwright.sync_api import expect, sync_playwright

    # A first sign-in syncs with head office before showing anything, and the machine may
    # be busy: give assertions more than Playwright's default 5 s.
    expect.set_options(timeout=EXPECT_TIMEOUT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()


def enable_semantics(page) -> None:
    """Turn on Flutter's semantics tree so widgets can be found by label, text or test id."""
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=UI_TIMEOUT)
    page.wait_for_timeout(500)
    placeholder.evaluate("el => el.click()")


@contextmanager
def browser_page(browser, url: str, viewport: tuple[int, int], name: str) -> Iterator:
    """``open_page`` for one test: on failure saves ``FAILED-<name>.png``; always closes."""
    page = open_page(browser, url, viewport)
    try:
        yield page
    except BaseException:
        failure_screenshot(page, name)
        raise
    finally:
        page.context.close()


COUNT_FRAMES = """() => { window.__terrainFrames = 0;
    const tick = () => { if (++window.__terrainFrames < 3) requestAnimationFrame(tick); };
    requestAnimationFrame(tick); }"""


def open_page(browser, url: str, viewport: tuple[int, int]):
    """A new browser context of ``viewport`` (width, height) showing the app, semantics on.

    Now and then (twice in three runs of the browser tests on this machine) headless
    Chromium gives a new page no animation frames: every click then waits for a "stable"
    element and every screenshot for a frame, until they time out. That is the browser's,
    not the app's: such a page is closed and the app opened again in a new context, once."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in (1, 2):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT)
        page.goto(url)
        enable_semantics(page)
        page.evaluate(COUNT_FRAMES)
        try:
            page.wait_for_function("() => window.__terrainFrames >= 3", polling=100,
                                   timeout=10_000)  # fmt: skip
            return page
        except PlaywrightTimeout:
            context.close()
            if attempt == 2:
                raise AssertionError("Chromium painted no frame of the app, twice") from None
            print(f"Chromium painted no frame of {url}: the page is opened again")
    raise AssertionError("unreachable")


def type_into(page, label: str, value: str) -> None:
    """Type ``value`` into the text field labelled ``label``, as a user would.

    Flutter edits either in the semantics ``<input aria-label=...>`` or in its own hidden
    ``input.flt-text-editing``; typing before the right one has focus sends the keys to the
    previous field. So: click, wait until one of them has focus (a password field has
    ``type=password``), then type; and since keys typed while Flutter re-renders can be
    lost (seen on a loaded machine: an empty password), check the field holds ``value``,
    else select all and type again.
    """
    field = page.get_by_label(label, exact=True)
    is_password = field.get_attribute("type") == "password"
    for _attempt in range(3):
        field.click()
        page.wait_for_function(
            """([label, password]) => {
                const el = document.activeElement;
                return !!el && el.tagName === "INPUT"
                    && (el.getAttribute("aria-label") === label
                        || el.classList.contains("flt-text-editing"))
                    && (el.getAttribute("type") === "password") === password;
            }""",
            arg=[label, is_password],
        )
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        if page.evaluate("() => document.activeElement && document.activeElement.value") == value:
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"the field {label!r} never held the {len(value)} characters typed")


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the sign-in form and press Enter (what follows is the caller's to wait for)."""
    by_id(page, "signin-submit").wait_for()
    type_into(page, "Identifiant", username)
    type_into(page, "Mot de passe", password)
    page.keyboard.press("Enter")


def by_id(page, identifier: str):
    """The element of a widget wrapped in ``ft.Semantics(identifier=...)``."""
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def failure_screenshot(page, name: str) -> None:
    """``FAILED-<name>.png``, at most 10 s and never an error of its own: the page may be the
    reason of the failure (a renderer that no longer answers would hang ``screenshot``'s
    mouse move and frame wait, which have no timeout, and hide the test's own error)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}.png"), timeout=10_000)
    except Exception as exc:  # the test's own error is the one to report
        print(f"no failure screenshot of {name}: {type(exc).__name__}: {exc}")


def screenshot(page, name: str) -> Path:
    """Save ``tests/artifacts/screenshots/<name>.png`` once Flutter has painted.

    The semantics DOM is updated before the canvas is composited: a screenshot taken as soon
    as an ``expect`` passes may show the previous frame. Move the mouse away (no hover
    highlight), let a few frames pass, then capture.
    """
    page.mouse.move(0, 0)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
