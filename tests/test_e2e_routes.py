"""Addresses in Debian Chromium: a deep link signed out, reload, back/forward, the pages that
say "no", and sync listeners that end with their browser tab (20 tabs against one app)."""

from __future__ import annotations

import re
import time

import pytest
from conftest import require
from e2e_support import (
    UI_TIMEOUT,
    browser_page,
    by_id,
    chromium,
    chromium_path,
    enable_semantics,
    running_app,
    screenshot,
)
from field_e2e_support import scroll_to_top, tap
from test_e2e_signin import DEMO_PASSWORD, sign_in

pytestmark = pytest.mark.browser

TABS = 20
LISTENERS_LEFT = re.compile(r"app session disconnected: (\d+) sync status listener")

MY_INTERVENTION = """
SELECT i.id, i.reference FROM interventions i
JOIN technicians t ON t.id = i.technician_id JOIN users u ON u.id = t.user_id
WHERE u.username = ? AND i.deleted = 0 ORDER BY i.scheduled_start LIMIT 1
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    with running_app(tmp_path_factory.mktemp("e2e-routes") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as chromium_browser:
        yield chromium_browser


@pytest.fixture(scope="module")
def synced(app, browser):
    """tech1 signed in once (the first sign-in syncs): the device holds their work."""
    from playwright.sync_api import expect

    with browser_page(browser, app.url, (390, 844), "routes-first-sign-in") as page:
        sign_in(page, "tech1", DEMO_PASSWORD)
        expect(by_id(page, "signin-busy-bar")).to_be_attached()  # the first sync: a job
        screenshot(page, "routes-first-sign-in-progress-390x844")
        expect(by_id(page, "my-day")).to_be_attached()
    with app.read_only_db() as con:
        return con.execute(MY_INTERVENTION, ("tech1",)).fetchone()


def path_of(page) -> str:
    return "/" + page.url.split("/", 3)[3]


@pytest.mark.parametrize("viewport", [(390, 844), (1024, 768)], ids=["phone", "tablet"])
def test_deep_link_reload_and_back(app, browser, synced, viewport):
    from playwright.sync_api import expect

    job_id, reference = synced
    link = f"/interventions/{job_id}/measurements"
    name = f"routes-deep-link-{viewport[0]}x{viewport[1]}"
    with browser_page(browser, app.url + link.lstrip("/"), viewport, name) as page:
        sign_in(page, "tech1", DEMO_PASSWORD)  # signed out: sign in first, then the link
        expect(by_id(page, "section-body-meters")).to_be_attached()
        expect(by_id(page, "detail")).to_contain_text(reference)
        assert path_of(page) == link
        screenshot(page, name)

        page.reload()  # the same address, the same screen
        enable_semantics(page)
        expect(by_id(page, "section-body-meters")).to_be_attached(timeout=UI_TIMEOUT)
        assert path_of(page) == link

        scroll_to_top(page)
        tap(page, "section-time")
        expect(by_id(page, "section-body-time")).to_be_attached()
        page.wait_for_url(re.compile(f"/interventions/{job_id}/time$"))
        page.go_back()
        expect(by_id(page, "section-body-meters")).to_be_attached()
        assert path_of(page) == link

        tap(page, "detail-back")
        expect(by_id(page, "my-day")).to_be_attached()
        page.wait_for_url(re.compile(r"/$"))
        page.go_back()
        expect(by_id(page, "section-body-meters")).to_be_attached()
        page.go_forward()
        expect(by_id(page, "my-day")).to_be_attached()


@pytest.mark.parametrize("viewport", [(390, 844), (1024, 768)], ids=["phone", "tablet"])
def test_pages_that_say_no(app, browser, synced, viewport):
    from playwright.sync_api import expect

    size = f"{viewport[0]}x{viewport[1]}"
    with browser_page(browser, app.url + "office", viewport, f"routes-no-access-{size}") as page:
        sign_in(page, "tech1", DEMO_PASSWORD)
        expect(by_id(page, "blocked-forbidden")).to_contain_text(
            "Vous n'avez pas accès à cette page"
        )
        screenshot(page, f"routes-forbidden-{size}")
        page.goto(app.url + "interventions/no-such-id")  # typed: the same session goes on
        enable_semantics(page)
        expect(by_id(page, "blocked-not_found")).to_contain_text("Page introuvable")
        screenshot(page, f"routes-not-found-{size}")
        tap(page, "blocked-home")
        expect(by_id(page, "my-day")).to_be_attached()
        page.wait_for_url(re.compile(r"/$"))


def test_sign_in_page_with_next_then_sign_out(app, browser, synced):
    from playwright.sync_api import expect

    url = app.url + "sign-in?next=/settings"
    with browser_page(browser, url, (390, 844), "routes-sign-in-next") as page:
        sign_in(page, "tech1", DEMO_PASSWORD)
        expect(by_id(page, "settings")).to_be_attached()
        page.wait_for_url(re.compile(r"/settings$"))
        tap(page, "settings-signout")
        expect(by_id(page, "signin")).to_be_attached()
        page.wait_for_url(re.compile(r"/sign-in$"))


def listeners_left(app, offset: int) -> list[int]:
    """Listeners left after each disconnect the app logged past ``offset`` (bytes)."""
    text = app.log_path.read_bytes()[offset:].decode(errors="replace")
    return [int(n) for n in LISTENERS_LEFT.findall(text)]


def wait_for_no_listener(app, offset: int, disconnects: int, timeout: float = 60) -> list[int]:
    """Wait until at least ``disconnects`` tabs disconnected and none listens any more."""
    deadline = time.monotonic() + timeout
    left: list[int] = []
    while time.monotonic() < deadline:
        left = listeners_left(app, offset)
        if len(left) >= disconnects and left[-1] == 0:
            return left
        time.sleep(0.2)
    raise AssertionError(f"listeners left after each disconnect: {left}")


def test_twenty_closed_tabs_leave_no_listener(app, browser, synced):
    from playwright.sync_api import expect

    offset = app.log_path.stat().st_size
    contexts = []
    for _ in range(TABS):
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT)
        page.goto(app.url)
        contexts.append((context, page))
    for _context, page in contexts:
        page.locator("flt-semantics-placeholder").wait_for(state="attached")
    for context, _page in contexts:
        context.close()
    left = wait_for_no_listener(app, offset, TABS)
    assert max(left) >= TABS - 1  # they all listened while open

    # Status changes now (a sign-in, then a sync from the sync screen) reach no dead tab.
    with browser_page(browser, app.url + "sync", (390, 844), "routes-after-tabs") as page:
        sign_in(page, "tech1", DEMO_PASSWORD)
        expect(by_id(page, "sync")).to_be_attached()
        tap(page, "sync-now")
        expect(by_id(page, "sync-last-success")).to_be_attached()
        page.wait_for_timeout(2000)
    wait_for_no_listener(app, offset, TABS + 1)
    log = app.log_path.read_bytes()[offset:].decode(errors="replace")
    assert "Traceback" not in log and "AttributeError" not in log, log[-4000:]
    assert "listener failed" not in log
