"""An intervention open on the device is taken away by head office (cancelled, or reassigned
so that a sync removes it): the technician gets a clear message, sees what he typed and did
not save, and lands back on his day — never an empty or broken screen. Client-less, on the
demo database; the sync is driven as the scheduler does it (status changes on another thread,
the pull page applied by ``app.sync.apply``)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from field_support import NOW, a_job, as_user
from flet_harness import FletHarness, walk
from test_views_sync import FakeSession

from app.models import Intervention, db
from app.models.enums import InterventionStatus as S
from app.services.registry import Services
from app.sync.apply import apply_page
from app.sync.store import DEVICE_MODELS, SyncRejection
from app.views import build_app

TYPED = "Fuite au raccord du vase d'expansion"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def tech(demo_db):
    db.create_tables(DEVICE_MODELS)  # the device's sync bookkeeping next to the demo data
    return as_user("tech1")


async def open_with_typed_text(job) -> tuple[FletHarness, FakeSession]:
    session = FakeSession()
    h = await FletHarness.start(build_app(Services(clock=lambda: NOW, session=session)))
    h.page.data.state.sign_in(as_user("tech1"))
    await h.settle()
    await h.click(f"day-item-{job.reference}")
    await h.click("section-work")
    await h.fill("work-diagnosis", TYPED)  # typed, not saved
    return h, session


async def sync_that(h: FletHarness, session: FakeSession, apply) -> None:
    """One background sync whose pull does ``apply`` (on the scheduler's thread)."""
    status = session.status

    def cycle():
        status.started()
        with db.connection_context():
            apply()
        status.succeeded(NOW, pending=0)

    thread = threading.Thread(target=cycle)
    thread.start()
    thread.join()
    await h.settle()


def _texts(control) -> str:
    values = [c.value for c in walk(control) if isinstance(getattr(c, "value", None), str)]
    return "\n".join(values).replace("\u00a0", " ")  # French typography: unbreakable spaces


def test_a_sync_removing_the_open_intervention_says_so_and_goes_back_to_the_day(tech):
    job = a_job(tech, S.IN_PROGRESS)
    SyncRejection.create(
        table_name="comments", row_id="c1", fields={"body": "Client absent"}, reason="not yours"
    )

    async def scenario():
        h, session = await open_with_typed_text(job)
        assert h.has("detail") and h.dialogs() == []

        def evict():  # the pull's page: the intervention left his scope
            apply_page({"changes": {}, "evicted": {"interventions": [job.id]}, "cursor": "c"})

        await sync_that(h, session, evict)
        assert Intervention.get_or_none(Intervention.id == job.id) is None
        state = h.page.data.state
        assert state.intervention_id is None and h.has("my-day") and not h.has("detail")
        assert f"day-item-{job.reference}" not in h.ids("day-item-")
        (dialog,) = h.dialogs()
        text = _texts(dialog)
        assert job.reference in text and "n'est plus dans votre planning" in text
        assert "Modifications refusées par le siège » (1)" in text
        assert TYPED in text  # what he typed, one last time, to copy
        ids = [c.identifier for c in walk(dialog) if getattr(c, "identifier", None)]
        assert "withdrawn-ok" in ids and "withdrawn-see-refused" in ids
        see = next(
            c for c in walk(dialog) if getattr(c, "identifier", "") == "withdrawn-see-refused"
        )
        await h.fire(see.content, "click")
        assert state.section == "sync" and h.dialogs() == []
        h.close()

    run(scenario())


def test_a_sync_cancelling_the_open_intervention_says_so_and_goes_back_to_the_day(tech):
    job = a_job(tech, S.IN_PROGRESS)

    async def scenario():
        h, session = await open_with_typed_text(job)

        def cancel():
            Intervention.update(status="cancelled").where(Intervention.id == job.id).execute()

        await sync_that(h, session, cancel)
        assert h.page.data.state.intervention_id is None and h.has("my-day")
        (dialog,) = h.dialogs()
        text = _texts(dialog)
        assert "Intervention annulée" in text and job.reference in text and TYPED in text
        assert "a été envoyé au bureau." in text  # nothing refused
        ok = next(c for c in walk(dialog) if getattr(c, "identifier", "") == "withdrawn-ok")
        await h.fire(ok.content, "click")
        assert h.dialogs() == []
        # Opened again while cancelled: it shows (read-only), and a sync leaves it open.
        h.page.data.state.open_intervention(job.id)
        await h.settle()
        assert h.has("detail-reference") and "Annulée" in h.text("detail-status")
        await sync_that(h, session, lambda: None)
        assert h.has("detail") and h.dialogs() == []
        h.close()

    run(scenario())


def test_a_sync_that_leaves_the_intervention_his_keeps_the_screen(tech):
    job = a_job(tech, S.IN_PROGRESS)

    async def scenario():
        h, session = await open_with_typed_text(job)
        await sync_that(h, session, lambda: None)
        assert h.has("detail") and h.dialogs() == []
        assert h.find("work-diagnosis").value == TYPED
        h.close()

    run(scenario())


def test_a_reload_that_finds_the_intervention_gone_goes_back_to_the_day(tech):
    """Removed between two syncs' notices (a reload after a save): the same message, not a
    "Page introuvable" in place of the screen."""
    job = a_job(tech, S.IN_PROGRESS)

    async def scenario():
        h, _session = await open_with_typed_text(job)
        view = h.page.data.shell.section_view
        apply_page({"changes": {}, "evicted": {"interventions": [job.id]}, "cursor": "c"})
        await view.reload()
        await h.settle()
        assert h.page.data.state.intervention_id is None and h.has("my-day")
        assert not h.has("blocked-title")
        (dialog,) = h.dialogs()
        assert "Intervention retirée de votre planning" in _texts(dialog)
        h.close()

    run(scenario())
