"""End to end in Debian Chromium: `main.py run --web` with its embedded head office (demo
data), tech1 signs in (first sign-in online, with the first sync) and sees today's work."""

from __future__ import annotations

import pytest
from conftest import require
from e2e_support import (
    DEMO_PASSWORD,
    browser_page,
    by_id,
    chromium,
    chromium_path,
    running_app,
    screenshot,
    sign_in,
)

from app import clock

pytestmark = pytest.mark.browser

TECH_INTERVENTIONS_ON = """
SELECT i.reference, c.name
FROM users u
JOIN technicians t ON t.user_id = u.id
JOIN interventions i ON i.technician_id = t.id
JOIN customers c ON c.id = i.customer_id
WHERE u.username = ? AND i.deleted = 0 AND date(i.scheduled_start) = ?
ORDER BY i.scheduled_start
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    with running_app(tmp_path_factory.mktemp("e2e") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as chromium_browser:
        yield chromium_browser


def interventions_today(app, username: str) -> list[tuple[str, str]]:
    """(reference, customer) of ``username``'s interventions today, from the head office's
    database: the device has none of its own until it syncs."""
    with app.read_only_headoffice_db() as con:
        return con.execute(TECH_INTERVENTIONS_ON, (username, clock.today().isoformat())).fetchall()


@pytest.mark.parametrize(
    ("viewport", "navigation", "other"),
    [((390, 844), "nav-bar", "nav-rail"), ((1024, 768), "nav-rail", "nav-bar")],
    ids=["phone", "tablet"],
)
def test_tech1_signs_in_and_sees_today(app, browser, viewport, navigation, other):
    from playwright.sync_api import expect

    name = f"signin-my-day-{viewport[0]}x{viewport[1]}"
    with browser_page(browser, app.url, viewport, name) as page:
        sign_in(page, "tech1", DEMO_PASSWORD)
        expect(by_id(page, "my-day-today")).to_be_attached()
        expect(by_id(page, navigation)).to_be_attached()
        expect(by_id(page, other)).to_have_count(0)
        expected = interventions_today(app, "tech1")
        if expected:
            for reference, customer in expected:
                item = by_id(page, f"day-item-{reference}")
                expect(item).to_be_visible()
                expect(item).to_contain_text(customer)
        else:  # the demo data may leave a day empty: then the empty state shows
            expect(by_id(page, "my-day-today-empty")).to_be_visible()
        screenshot(page, name)


def test_wrong_password_shows_the_error_and_stays_on_sign_in(app, browser):
    from playwright.sync_api import expect

    with browser_page(browser, app.url, (390, 844), "signin-wrong-password") as page:
        sign_in(page, "tech1", "not-the-password")
        error = by_id(page, "signin-error")
        expect(error).to_contain_text("Identifiant inconnu ou mot de passe incorrect.")
        expect(error).to_contain_text("Vérifiez l'identifiant et le mot de passe")
        expect(by_id(page, "shell")).to_have_count(0)
        screenshot(page, "signin-wrong-password-390x844")
