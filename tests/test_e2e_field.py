"""The intervention on the field, end to end in Debian Chromium, on a phone and on a tablet.

`main.py run --web` (with its embedded head office); tech1 signs in, finds today's first
assigned intervention with the search, leaves, starts, answers the whole procedure (one
measurement out of tolerance, with its comment), records a meter reading, uses two parts
from the van, writes an internal and a client-visible comment, looks at the site's history,
saves the work, declares the work done, syncs; then head office's database (read-only)
holds all of it.
"""

from __future__ import annotations

import time

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
from field_e2e_support import (
    answer_procedure,
    headoffice_rows,
    meter_ident,
    only_shown,
    open_section,
    plan_for,
    scroll_to_top,
    tap,
    type_in,
    wait_notice,
    write_comments,
)

pytestmark = pytest.mark.browser

INTERNAL = "Vase d'expansion à remplacer à la prochaine visite"
CLIENT = "Chaudière entretenue, combustion réglée, fonctionnement normal"


@pytest.fixture
def app(tmp_path):
    require(chromium_path() is not None, "Debian chromium is not installed (/usr/bin/chromium)")
    with running_app(tmp_path / "data") as running:
        yield running


def field_scenario(app, page, viewport: tuple[int, int]) -> None:
    from playwright.sync_api import expect

    shot = f"field-{viewport[0]}x{viewport[1]}"
    sign_in(page, "tech1", DEMO_PASSWORD)
    by_id(page, "my-day-today").wait_for()
    plan = plan_for(app.db_path, "tech1")
    assert len(plan.parts) == 2, "tech1's van should hold two parts to use"

    type_in(page, "day-search", plan.reference)
    only_shown(page, "day-item-", plan.reference)  # the search, typed key by key, settled
    screenshot(page, f"{shot}-my-day-search")
    tap(page, f"day-item-{plan.reference}")
    expect(by_id(page, "detail-reference")).to_contain_text(plan.reference)
    screenshot(page, f"{shot}-detail")

    tap(page, "action-en_route")  # "Partir"
    expect(by_id(page, "detail-status")).to_contain_text("En route")
    tap(page, "action-in_progress")  # "Commencer"
    expect(by_id(page, "detail-status")).to_contain_text("En cours")
    expect(by_id(page, "action-work_done")).to_be_visible()

    open_section(page, "procedure")
    answers = answer_procedure(app, page, plan, shot)

    open_section(page, "meters")
    meter = sorted(plan.meters)[0]
    type_in(page, meter_ident(meter), f"{plan.meters[meter] + 50:g}")
    tap(page, f"{meter_ident(meter)}-save")
    wait_notice(page, "Relevé enregistré")
    screenshot(page, f"{shot}-meters")

    open_section(page, "parts")
    for n, reference in enumerate(plan.parts, 1):
        scroll_to_top(page)  # the search sits at the top of a pane the last part scrolled
        type_in(page, "parts-search", reference)
        only_shown(page, "part-use-", reference)
        tap(page, f"part-use-{reference}")
        expect(by_id(page, f"usage-{n}")).to_be_attached()  # the usage is listed
    expect(by_id(page, "usage-3")).to_have_count(0)  # and each part used once
    screenshot(page, f"{shot}-parts")

    write_comments(page, internal=INTERNAL, client=CLIENT)
    scroll_to_top(page)  # the picture shows the header and its status
    screenshot(page, f"{shot}-comments")

    open_section(page, "history")  # the site's earlier visits and a measurement's trend
    expect(page.locator('[flt-semantics-identifier^="history-visit-"]').first).to_be_attached()
    expect(by_id(page, "trend-point-1")).to_be_attached()
    screenshot(page, f"{shot}-history")

    open_section(page, "work")
    type_in(page, "work-diagnosis", "Brûleur encrassé, tirage faible")
    type_in(page, "work-operations", "Nettoyage du brûleur, réglage de la combustion")
    tap(page, "work-save")
    expect(by_id(page, "work-saved")).to_contain_text("Enregistré à")
    screenshot(page, f"{shot}-work")

    open_section(page, "time")
    expect(by_id(page, "time-running")).to_contain_text("Travail en cours depuis")
    screenshot(page, f"{shot}-time")

    tap(page, "action-work_done")
    expect(by_id(page, "detail-status")).to_contain_text("Travaux terminés")
    scroll_to_top(page)  # the picture shows the header and its status
    screenshot(page, f"{shot}-work-done")

    tap(page, "sync-badge")  # opens the sync screen, as "Synchronisation" in the navigation
    tap(page, "sync-now")
    expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=30_000)
    screenshot(page, f"{shot}-synced")

    rows = wait_for_head_office(app.data_dir, plan.reference)
    assert rows["diagnosis"] == "Brûleur encrassé, tirage faible"
    assert sorted(c for c in rows["comments"] if c[1] in (CLIENT, INTERNAL)) == [
        ("client", CLIENT),
        ("internal", INTERNAL),
    ]
    assert rows["flagged"] and rows["flagged"][0][2] == "Écart dû au tirage, à surveiller"
    assert len(rows["measurements"]) == len([i for i in answers if i.kind == "numeric"])
    assert rows["readings"], "the meter reading reached head office"
    assert len(rows["usages"]) == 2


def wait_for_head_office(data_dir, reference: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        rows = headoffice_rows(data_dir, reference)
        if rows["status"] == "work_done" or time.monotonic() > deadline:
            assert rows["status"] == "work_done", rows
            return rows
        time.sleep(0.5)


@pytest.mark.parametrize("viewport", [(390, 844), (1024, 768)], ids=["phone", "tablet"])
def test_a_technician_carries_out_an_intervention_and_head_office_gets_it(app, viewport):
    with chromium() as browser, browser_page(browser, app.url, viewport, "field") as page:
        field_scenario(app, page, viewport)
