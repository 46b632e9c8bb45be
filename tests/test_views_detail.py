"""The intervention screen without a browser, on the demo database: my day search and filter,
header, lifecycle actions, work, time, comments, phone and tablet layouts."""

from __future__ import annotations

import asyncio

import pytest
from field_support import NOW, a_job, as_user
from flet_harness import FletHarness

from app.models import Comment, Intervention, TimeEntry
from app.models.enums import InterventionStatus as S
from app.services import checklist_service, detail_service, lifecycle_service
from app.services.registry import Services
from app.views import build_app
from app.views.detail import header
from app.views.state import AppState, Change

PHONE, TABLET = 390, 1024


def run(coro):
    return asyncio.run(coro)


async def signed_in(width: int = PHONE) -> FletHarness:
    h = await FletHarness.start(build_app(Services(clock=lambda: NOW)), width=width)
    h.page.data.state.sign_in(as_user("tech1"))
    await h.settle()
    return h


async def open_job(job, width: int = PHONE) -> FletHarness:
    h = await signed_in(width)
    await h.click(f"day-item-{job.reference}")
    assert h.has("detail-reference"), h.ids()
    return h


def status_of(job) -> str:
    return Intervention.get_by_id(job.id).status


@pytest.fixture
def tech(demo_db):
    return as_user("tech1")


def test_state_opens_and_closes_an_intervention():
    state, changes = AppState(), []
    state.subscribe(changes.append)
    state.open_intervention("i1")
    state.open_intervention("i1")  # no change, no notification
    assert state.intervention_id == "i1" and changes == [Change.INTERVENTION]
    state.close_intervention()
    assert state.intervention_id is None and changes == [Change.INTERVENTION] * 2


def test_my_day_search_and_status_filter(tech):
    job = a_job(tech, S.ASSIGNED)

    async def scenario():
        h = await signed_in()
        everyone = h.ids("day-item-")
        assert f"day-item-{job.reference}" in everyone and len(everyone) > 2
        await h.fill("day-search", job.customer.name)
        shown = h.ids("day-item-")
        assert f"day-item-{job.reference}" in shown and len(shown) < len(everyone)
        await h.fill("day-search", "no such customer anywhere")
        assert h.has("my-day-no-match") and h.ids("day-item-") == []
        await h.fill("day-search", "")
        await h.fire(h.find("day-status-assigned"), "select", True)
        assert h.find("day-status-assigned").selected
        refs = [i.removeprefix("day-item-") for i in h.ids("day-item-")]
        assert refs and all(
            Intervention.get(Intervention.reference == r).status == "assigned" for r in refs
        )
        await h.click("day-clear-filter")
        assert len(h.ids("day-item-")) == len(everyone)
        h.close()

    run(scenario())


def test_day_cards_show_the_reference_the_office_gives(tech):
    job = a_job(tech, S.ASSIGNED)

    async def scenario():
        h = await signed_in()
        # Inside the card's own node (a tagged child would split what the screen reader reads)
        assert job.reference in h.texts(f"day-item-{job.reference}")
        h.close()

    run(scenario())


def test_the_site_contact_can_be_called_and_the_site_reached(tech, monkeypatch):
    job = a_job(tech, S.ASSIGNED)
    contact = detail_service.site_contact(job.site_id, job.customer_id)
    assert contact is not None and contact.phone  # the demo gives every site one
    opened: list[str] = []

    async def open_link(url: str) -> None:
        opened.append(url)

    monkeypatch.setattr(header, "open_link", open_link)

    async def scenario():
        h = await open_job(job)
        shown = h.text("detail-contact").replace("\u00a0", " ")  # kept on one line
        assert contact.last_name in shown and contact.phone in shown
        if contact.job_title:
            assert contact.job_title in shown
        assert "Appeler" in h.text("detail-call") and "Itinéraire" in h.text("detail-route")
        await h.click("detail-call")
        await h.click("detail-route")  # in a browser (the harness is web): OpenStreetMap
        assert opened[0] == "tel:" + "".join(c for c in contact.phone if c.isdigit())
        assert opened[1].startswith("https://www.openstreetmap.org/")
        h.close()

    run(scenario())


def test_tapping_an_item_opens_it_and_back_returns_to_the_filtered_list(tech):
    job = a_job(tech, S.ASSIGNED)

    async def scenario():
        h = await signed_in()
        await h.fill("day-search", job.reference)
        await h.click(f"day-item-{job.reference}")
        assert h.page.data.state.intervention_id == job.id
        assert job.reference in h.texts("detail-reference")
        assert "Affectée" in h.text("detail-status")
        await h.click("section-summary")
        header = h.text("detail-header")
        assert job.customer.name in header and job.site.city in header
        assert h.has("detail-equipment") and h.has("detail-contract")
        await h.click("detail-back")
        assert h.has("my-day") and not h.has("detail")
        assert h.find("day-search").value == job.reference
        assert h.ids("day-item-") == [f"day-item-{job.reference}"]
        h.close()

    run(scenario())


def test_actions_are_next_actions_and_a_transition_updates_the_header(tech):
    job = a_job(tech, S.ASSIGNED)

    async def scenario():
        h = await open_job(job)
        expected = [f"action-{s}" for s in lifecycle_service.next_actions(job, tech)]
        assert h.ids("action-") == expected == ["action-en_route", "action-in_progress"]
        assert "Partir" in h.text("action-en_route")
        await h.click("action-en_route")
        assert status_of(job) == "en_route"
        assert "En route" in h.text("detail-status")
        assert h.ids("action-") == ["action-in_progress", "action-assigned"]
        assert "Annuler le départ" in h.text("action-assigned")
        await h.click("action-in_progress")
        assert status_of(job) == "in_progress" and "En cours" in h.text("detail-status")
        assert "Statut : En cours" in h.text("detail-notice")
        assert h.ids("action-") == ["action-work_done"]
        h.close()

    run(scenario())


def test_work_done_refused_lists_what_is_missing(tech):
    job = a_job(tech, S.IN_PROGRESS)
    missing = checklist_service.checklist(job.id, tech).missing()
    assert missing

    async def scenario():
        h = await open_job(job)
        await h.click("action-work_done")
        assert status_of(job) == "in_progress"
        assert h.has("work-done-missing")
        assert len(h.ids("missing-")) == len(missing)
        shown = h.text("work-done-missing")
        assert all(m.removesuffix(" (comment)") in shown for m in missing)
        assert "Travaux terminés refusé" in h.text("detail-notice")
        h.close()

    run(scenario())


def test_work_texts_are_saved_and_refused_once_signed(tech):
    job = a_job(tech, S.IN_PROGRESS)
    signed = a_job(as_user("tech2"), S.SIGNED)  # another technician's job, for the refusal

    async def scenario():
        h = await open_job(job)
        await h.click("section-work")
        await h.fill("work-diagnosis", "Brûleur encrassé")
        assert "non enregistrées" in h.text("work-saved")
        await h.fill("work-operations", "Nettoyage du brûleur, réglage combustion")
        await h.click("work-save")
        saved = Intervention.get_by_id(job.id)
        assert saved.diagnosis == "Brûleur encrassé"
        assert saved.operations.startswith("Nettoyage")
        assert "Enregistré à 10:00" in h.text("work-saved")
        assert "Travaux enregistrés" in h.text("detail-notice")
        assert not h.has("work-locked")
        h.close()

    run(scenario())
    Intervention.update(technician=tech.technician_id).where(Intervention.id == signed.id).execute()

    async def locked():
        h = await signed_in()
        h.page.data.state.open_intervention(signed.id)
        await h.settle()
        await h.click("section-work")
        assert h.has("work-locked") and h.find("work-save").disabled
        assert h.find("work-diagnosis").read_only
        section = h.page.data.shell.section_view.sections["work"]
        await section.save()
        await h.settle()
        assert "ne peuvent plus changer" in h.text("detail-notice")
        h.close()

    run(locked())


def test_comments_internal_and_client_are_told_apart_and_editable(tech):
    job = a_job(tech, S.IN_PROGRESS)
    Comment.delete().where(Comment.intervention == job.id).execute()

    async def scenario():
        h = await open_job(job, width=TABLET)
        await h.click("section-comments")
        assert h.has("comments-empty")
        await h.click("comment-add-internal")  # empty: refused, says what to do
        assert "ne peut pas être vide" in h.text("detail-notice")
        await h.fill("comment-body", "Prévoir un remplacement du vase d'expansion")
        await h.click("comment-add-internal")
        await h.fill("comment-body", "Installation contrôlée, fonctionnement normal")
        await h.click("comment-add-client")
        assert h.find("comment-body").value == ""
        assert "Interne" in h.text("comment-0-visibility")
        assert "Visible client" in h.text("comment-1-visibility")
        icons = [h.find(f"comment-{i}-visibility").controls[0].icon for i in (0, 1)]
        assert icons[0] != icons[1]
        colours = [h.find(f"comment-{i}").bgcolor for i in (0, 1)]
        assert colours[0] != colours[1]
        rows = list(Comment.select().where(Comment.intervention == job.id))
        assert sorted(c.visibility for c in rows) == ["client", "internal"]
        await h.click("comment-edit-0")
        await h.fill("comment-edit-body", "Prévoir le remplacement du vase (12 L)")
        await h.click("comment-edit-save")
        assert "Prévoir le remplacement du vase (12 L)" in h.text("comment-0-body")
        assert Comment.get(Comment.visibility == "internal", Comment.intervention == job.id).body
        h.close()

    run(scenario())


def test_time_start_pause_and_correction(tech):
    job = a_job(tech, S.IN_PROGRESS)

    async def scenario():
        h = await open_job(job)
        await h.click("section-time")
        assert "Aucun chronomètre" in h.text("time-running")
        assert h.find("time-pause").disabled
        await h.click("time-start-work")
        running = TimeEntry.get(TimeEntry.intervention == job.id, TimeEntry.ended_at.is_null())
        assert running.kind == "work"
        assert "Travail en cours depuis 10:00" in h.text("time-running")
        assert h.find("time-start-work").disabled and not h.find("time-pause").disabled
        await h.click("time-pause")
        assert TimeEntry.get_by_id(running.id).ended_at is not None
        assert "Aucun chronomètre" in h.text("time-running")
        await h.click("time-correct-0")
        await h.fill("time-correct-minutes", "45")
        await h.click("time-correct-save")  # no reason: refused, the form stays
        assert "motif" in h.text("detail-notice") and h.has("time-correction")
        await h.fill("time-correct-reason", "Chronomètre oublié")
        await h.click("time-correct-save")
        assert TimeEntry.get_by_id(running.id).corrected_minutes == 45
        assert "45 min" in h.text("time-work") and not h.has("time-correction")
        h.close()

    run(scenario())


def test_phone_has_a_switcher_and_tablet_two_panes(tech):
    job = a_job(tech, S.ASSIGNED)
    order = ["procedure", "meters", "work", "time", "parts", "history", "comments"]

    def sections(h):
        return [i.removeprefix("section-") for i in h.ids("section-") if "body" not in i]

    async def scenario():
        h = await open_job(job, width=PHONE)
        assert h.has("detail-switcher") and not h.has("detail-panes")
        assert sections(h) == ["summary", *order, "media", "report"]
        assert h.has("detail-header")  # the phone opens on the summary
        assert not h.find("section-media").disabled and not h.find("section-report").disabled
        await h.resize(TABLET, 768)
        assert h.has("detail-panes") and h.has("detail-section-list")
        assert not h.has("detail-switcher")
        assert sections(h) == [*order, "media", "report"]
        assert h.has("detail-left") and h.has("detail-customer") and h.has("detail-more")
        assert h.has("section-body-procedure")
        await h.click("section-time")
        assert h.has("section-body-time") and h.has("time-totals")
        h.close()

    run(scenario())


def test_phone_rows_show_that_they_hold_more_than_the_screen(tech):
    """Status chips wrap (every label whole); the section switcher scrolls sideways with a
    fading arrow at each edge where sections are hidden."""
    job = a_job(tech, S.ASSIGNED)

    async def scenario():
        h = await signed_in(PHONE)
        chips = h.find("day-statuses")
        assert chips.wrap and chips.scroll is None
        assert len(h.ids("day-status-")) == 6
        await h.click(f"day-item-{job.reference}")
        assert h.has("detail-switcher-after") and not h.has("detail-switcher-before")
        row = h.find("detail-switcher").controls[0]
        extent = {"min_scroll_extent": 0, "max_scroll_extent": 700, "viewport_dimension": 358}
        await h.fire(row, "scroll", {"event_type": "update", "pixels": 300, **extent})
        assert h.has("detail-switcher-before") and h.has("detail-switcher-after")
        await h.fire(row, "scroll", {"event_type": "end", "pixels": 700, **extent})
        assert h.has("detail-switcher-before") and not h.has("detail-switcher-after")
        await h.resize(TABLET, 768)  # a new row of pills starts at its beginning
        await h.resize(PHONE, 844)
        assert h.has("detail-switcher-after") and not h.has("detail-switcher-before")
        await h.click("section-comments")  # the pills still choose a section
        assert h.has("section-body-comments")
        h.close()

    run(scenario())
