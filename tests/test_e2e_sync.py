"""End to end in Debian Chromium: one head office (`main.py serve --demo`), two devices
(`main.py run --web --server URL`), each with its own data directory.

tech1 signs in on device A and sees today's work; the office plans a new urgent job for
tech1 through the HTTP API; after "Synchroniser maintenant" device A shows it. tech2 on
device B never sees tech1's jobs. The sync screen is captured for the README.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path

import pytest
from conftest import require
from e2e_support import (
    RunningApp,
    browser_page,
    by_id,
    chromium,
    chromium_path,
    office_push,
    read_only,
    running_app,
    screenshot,
    sign_in,
)
from server_support import running_serve

from app import clock

pytestmark = pytest.mark.browser

NEW_REFERENCE = "INT-E2E-0001"

TODAY_OF = """
SELECT i.reference, c.name
FROM users u
JOIN technicians t ON t.user_id = u.id
JOIN interventions i ON i.technician_id = t.id
JOIN customers c ON c.id = i.customer_id
WHERE u.username = ? AND i.deleted = 0 AND date(i.scheduled_start) = ?
ORDER BY i.scheduled_start
"""

A_JOB_OF = """
SELECT i.customer_id, i.site_id, i.intervention_type_id, i.technician_id, c.name
FROM users u
JOIN technicians t ON t.user_id = u.id
JOIN interventions i ON i.technician_id = t.id
JOIN customers c ON c.id = i.customer_id
WHERE u.username = ? AND i.deleted = 0
ORDER BY i.scheduled_start DESC LIMIT 1
"""


@dataclass
class World:
    api: str  # http://127.0.0.1:<port>/api/v1
    headoffice_db: Path
    a: RunningApp
    b: RunningApp
    browser: object

    def today_of(self, username: str) -> list[tuple[str, str]]:
        with read_only(self.headoffice_db) as con:
            return con.execute(TODAY_OF, (username, clock.today().isoformat())).fetchall()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    root = tmp_path_factory.mktemp("e2e-sync")
    with running_serve(root / "headoffice", "--demo") as served:
        server = served.base.removesuffix("/api/v1")
        quiet = ("--sync-interval", "600")  # only "sync now" and sign-in sync in this test
        with (
            running_app(root / "device-a", *quiet, server=server) as a,
            running_app(root / "device-b", *quiet, server=server) as b,
            chromium() as browser,
        ):
            yield World(served.base, root / "headoffice" / "headoffice.db", a, b, browser)


def office_plans_an_urgent_job_for(world: World, username: str) -> str:
    """The office, through the HTTP API, pushes a new intervention today for ``username``."""
    with read_only(world.headoffice_db) as con:
        customer_id, site_id, type_id, technician_id, customer = con.execute(
            A_JOB_OF, (username,)
        ).fetchone()
    start = datetime.combine(clock.today(), time(23, 0))
    job = {
        "id": str(uuid.uuid4()),
        "base_version": 0,
        "deleted": False,
        "fields": {
            "reference": NEW_REFERENCE,
            "customer_id": customer_id,
            "site_id": site_id,
            "intervention_type_id": type_id,
            "technician_id": technician_id,
            "status": "assigned",
            "priority": "urgent",
            "scheduled_start": start.isoformat(),
            "scheduled_end": start.replace(minute=45).isoformat(),
            "problem_reported": "Fuite signalée par le client",
        },
    }
    answer = office_push(world.api, {"interventions": [job]})
    assert len(answer["applied"]) == 1
    return customer


def test_an_office_change_reaches_device_a_after_sync_now(world):
    from playwright.sync_api import expect

    with browser_page(world.browser, world.a.url, (1024, 768), "sync-device-a") as page:
        sign_in(page, "tech1")  # first sign-in on A: online, with the first sync
        expect(by_id(page, "my-day-today")).to_be_attached()
        for reference, customer in world.today_of("tech1"):
            expect(by_id(page, f"day-item-{reference}")).to_contain_text(customer)
        expect(by_id(page, f"day-item-{NEW_REFERENCE}")).to_have_count(0)
        expect(by_id(page, "sync-badge")).to_contain_text("À jour")

        customer = office_plans_an_urgent_job_for(world, "tech1")

        by_id(page, "sync-badge").click()  # the badge opens the sync screen
        expect(by_id(page, "sync-now")).to_be_visible()
        expect(by_id(page, "sync-last-success")).to_contain_text("Dernière synchronisation")
        by_id(page, "sync-now").click()
        page.wait_for_timeout(1000)
        expect(by_id(page, "sync-progress")).to_have_count(0)  # done
        expect(by_id(page, "sync-error")).to_have_count(0)
        expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification en attente")
        screenshot(page, "sync-screen-1024x768")

        by_id(page, "nav-rail").get_by_role("button", name="Ma journée").click()
        item = by_id(page, f"day-item-{NEW_REFERENCE}")
        expect(item).to_be_visible()
        expect(item).to_contain_text(customer)
        expect(item).to_contain_text("Urgente")
        screenshot(page, "sync-my-day-after-sync-1024x768")


def test_device_b_of_tech2_does_not_see_tech1_jobs(world):
    from playwright.sync_api import expect

    with browser_page(world.browser, world.b.url, (390, 844), "sync-device-b") as page:
        sign_in(page, "tech2")
        expect(by_id(page, "my-day-today")).to_be_attached()
        mine = world.today_of("tech2")
        if mine:
            expect(by_id(page, f"day-item-{mine[0][0]}")).to_be_attached()
        else:
            expect(by_id(page, "my-day-today-empty")).to_be_visible()
        for reference, _customer in world.today_of("tech1"):
            expect(by_id(page, f"day-item-{reference}")).to_have_count(0)
        expect(by_id(page, f"day-item-{NEW_REFERENCE}")).to_have_count(0)
        screenshot(page, "sync-device-b-tech2-390x844")
