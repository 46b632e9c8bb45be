"""Routes in the app without a browser: deep links, the address following navigation,
back/forward, the no-access pages, and sync listeners that end with the session."""

from __future__ import annotations

import asyncio

from flet_harness import FletHarness
from test_views_shell import PASSWORD, sign_in, world  # noqa: F401 (world: a fixture)

from app.models import Intervention
from app.services.session_service import SessionService
from app.views import build_app


def run(coro):
    return asyncio.run(coro)


def iid(reference: str) -> str:
    return Intervention.get(Intervention.reference == reference).id


async def open_at(services, route: str = "/", width: float = 390) -> FletHarness:
    return await FletHarness.start(build_app(services), width=width, height=844, route=route)


def test_deep_link_signed_out_signs_in_then_lands_on_the_link(world):  # noqa: F811
    target = f"/interventions/{iid('INT-0002')}/time"

    async def scenario():
        h = await open_at(world.services, target)
        assert h.has("signin") and not h.has("detail")
        await sign_in(h, "tech1")
        assert h.has("detail") and "INT-0002" in h.texts("detail")
        assert h.has("section-body-time")  # the section named by the link
        scrolls = [args for name, args in h.connection.invoked if name == "scroll_to"]
        assert len(scrolls) == 1 and scrolls[0]["offset"] > 300  # its pill (the 5th) in view
        assert h.route == target and h.pushed_routes == []  # the address was right already
        h.close()

    run(scenario())


def test_the_address_follows_navigation_in_the_app(world):  # noqa: F811
    first = iid("INT-0001")

    async def scenario():
        h = await open_at(world.services)
        await sign_in(h, "tech1")
        await h.navigate(1)
        assert h.route == "/settings" and h.has("settings")
        await h.navigate(0)
        assert h.route == "/"
        await h.click("day-item-INT-0001")
        assert h.route == f"/interventions/{first}" and h.has("detail")
        await h.click("section-meters")
        assert h.route == f"/interventions/{first}/measurements"
        await h.click("detail-back")
        assert h.route == "/" and h.has("my-day")
        assert h.pushed_routes == [
            "/settings",
            "/",
            f"/interventions/{first}",
            f"/interventions/{first}/measurements",
            "/",
        ]
        h.close()

    run(scenario())


def test_back_and_forward_show_the_screen_of_the_address(world):  # noqa: F811
    first = iid("INT-0001")

    async def scenario():
        h = await open_at(world.services, width=1024)
        await sign_in(h, "tech1")
        await h.go("/settings")
        assert h.has("settings") and h.find("nav-rail").selected_index == 1
        await h.go(f"/interventions/{first}/parts")
        assert h.has("section-body-parts")
        detail = h.page.data.shell.section_view
        await h.go(f"/interventions/{first}/comments")  # back within the same intervention
        assert h.has("section-body-comments") and not h.has("section-body-parts")
        assert h.page.data.shell.section_view is detail  # switched section, not rebuilt
        await h.go("/")
        assert h.has("my-day") and not h.has("detail")
        assert h.pushed_routes == []  # following the address never pushes it back
        h.close()

    run(scenario())


def test_another_technicians_intervention_says_no_access_with_a_way_home(world):  # noqa: F811
    async def scenario():
        h = await open_at(world.services, f"/interventions/{iid('INT-0004')}")
        await sign_in(h, "tech1")
        assert h.has("blocked-forbidden")
        assert "Vous n'avez pas accès à cette intervention" in h.texts("blocked-title")
        assert "Hôtel du Parc" not in h.text()  # nothing of it shows
        await h.click("blocked-home")
        assert h.has("my-day") and h.route == "/"
        h.close()

    run(scenario())


def test_office_sees_any_intervention_and_technician_gets_no_office(world):  # noqa: F811
    async def scenario():
        h = await open_at(world.services, f"/interventions/{iid('INT-0004')}", width=1024)
        await sign_in(h, "office1")
        assert h.has("detail") and "Hôtel du Parc" in h.text("detail")
        await h.click("detail-back")
        assert h.has("office-home") and h.route == "/office"
        h.close()
        h = await open_at(world.services, "/", width=1024)
        await sign_in(h, "office1")  # "/" is the office home already: nothing pushed
        assert h.has("office-home") and h.pushed_routes == []
        h.close()
        h = await open_at(world.services, "/office")
        await sign_in(h, "tech1")
        assert h.has("blocked-forbidden") and not h.has("office-home")
        assert "Vous n'avez pas accès à cette page" in h.texts("blocked-title")
        assert h.has("nav-bar")  # the navigation stays: another way out
        h.close()

    run(scenario())


def test_unknown_id_and_unknown_page_say_page_not_found(world):  # noqa: F811
    async def scenario():
        h = await open_at(world.services, "/interventions/no-such-id")
        await sign_in(h, "tech1")
        assert h.has("blocked-not_found")
        assert h.texts("blocked-title") == ["Page introuvable"]
        assert "pas encore synchronisée" in h.text("blocked-not_found")
        await h.go("/nowhere/at/all")
        assert h.has("blocked-not_found") and h.route == "/nowhere/at/all"
        assert "aucun écran de Terrain" in h.text("blocked-not_found")
        await h.click("blocked-home")
        assert h.has("my-day")
        h.close()

    run(scenario())


def test_signed_in_user_sent_to_sign_in_goes_home(world):  # noqa: F811
    async def scenario():
        h = await open_at(world.services, "/sign-in?next=/settings")
        await sign_in(h, "tech1")
        assert h.has("settings") and h.pushed_routes == ["/settings"]
        await h.go("/sign-in")  # e.g. back after signing in
        assert h.has("my-day") and h.route == "/"
        h.close()

    run(scenario())


def test_sync_listeners_end_with_the_client_and_come_back_on_reconnect(database, tmp_path):
    session = SessionService(database, lambda token: None, background=False)
    from app.services.registry import Services

    services = Services(session=session)

    async def scenario():
        tabs = [await open_at(services) for _ in range(3)]
        assert session.listener_count() == 3
        for tab in tabs[:2]:
            await tab.disconnect()
        assert session.listener_count() == 1
        session.status.set_pending(5)  # a change after two tabs closed: no error
        await tabs[2].settle()
        await tabs[0].reconnect()  # a reload into the same session
        assert session.listener_count() == 2
        for tab in (tabs[0], tabs[2]):
            await tab.disconnect()
        session.status.started()
        assert session.listener_count() == 0
        for tab in tabs:
            tab.close()

    run(scenario())


def test_a_connect_handled_after_the_last_disconnect_leaves_no_listener(database):
    """Flet handles events on worker threads: a reload's connect can come after the tab's
    final disconnect (seen in CI under load: two listeners left by two reloaded tabs)."""
    session = SessionService(database, lambda token: None, background=False)
    from app.services.registry import Services

    async def scenario():
        h = await open_at(Services(session=session))
        await h.disconnect()
        assert session.listener_count() == 0
        h.page.data._on_connect()  # the late handler of an earlier reconnect
        assert session.listener_count() == 0
        h.close()

    run(scenario())


def test_a_status_change_reaching_a_dead_page_unsubscribes_quietly(database, caplog):
    session = SessionService(database, lambda token: None, background=False)
    from app.services.registry import Services

    async def scenario():
        h = await open_at(Services(session=session))
        app = h.page.data
        # The client vanished without a disconnect event reaching the app yet.
        h.page.on_disconnect = None
        await h.session.disconnect(60)
        assert session.listener_count() == 1
        session.status.set_pending(3)
        assert session.listener_count() == 0 and app._unsubscribe is None
        h.close()

    run(scenario())
    assert "listener failed" not in caplog.text and "Traceback" not in caplog.text
