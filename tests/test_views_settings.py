"""The settings screen without a browser: head office's address (checked, "Tester" against a
real head office on loopback, saved after a warning when changes are not sent yet) and
signing out with changes not sent yet ("Annuler" / "Se déconnecter quand même")."""

from __future__ import annotations

import asyncio

import flet as ft
import pytest
import test_views_sync
from flet_harness import FletHarness, walk

from app.models import User, db
from app.services import server_address
from app.services.auth_service import current_user
from app.services.registry import Services
from app.services.session_service import SessionService, http_transport_factory
from app.sync.store import SyncOutbox
from app.sync.tracking import pending_count
from app.views import build_app

NOW, device = test_views_sync.NOW, test_views_sync.device  # a device database (fixture)
DEAD_URL = "http://127.0.0.1:9"  # discard port: refused at once
SETTINGS = 2  # Ma journée, Synchronisation, Réglages


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def head_office(tmp_path, make_server):
    live = make_server(f"sqlite:///{tmp_path / 'headoffice.db'}")
    return live.base.removesuffix("/api/v1")


@pytest.fixture
def session(head_office, device):
    database = db.obj
    service = SessionService(
        database, http_transport_factory(DEAD_URL), server_url=DEAD_URL, background=False
    )
    yield service
    service.close()


def unsent_rows(n: int) -> None:
    for i in range(n):
        SyncOutbox.create(table_name="interventions", row_id=f"row-{i}", fields={"diagnosis": 1})


async def settings_screen(session) -> FletHarness:
    h = await FletHarness.start(build_app(Services(clock=lambda: NOW, session=session)))
    h.page.data.state.sign_in(current_user(User.get(User.username == "tech1")))
    await h.settle()
    await h.navigate(SETTINGS)
    assert h.has("settings") and h.has("settings-server-url"), h.ids()
    return h


async def answer(h: FletHarness, dialog: ft.AlertDialog, ident: str) -> None:
    assert dialog.open
    button = next(c for c in walk(dialog) if getattr(c, "identifier", "") == ident)
    await h.fire(button.content, "click")


def dialog_text(dialog: ft.AlertDialog) -> str:
    text = "\n".join(c.value for c in walk(dialog) if isinstance(c, ft.Text) and c.value)
    return text.replace("\u00a0", " ")  # French typography: no break before ":"


def test_the_address_is_checked_and_tested_against_head_office(session, head_office):
    async def scenario():
        h = await settings_screen(session)
        assert h.find("settings-server-url").value == DEAD_URL  # the one in use
        await h.fill("settings-server-url", "siege.exemple.fr")
        await h.click("settings-server-test")
        assert "doit commencer par http:// ou https://" in h.text("settings-server-result")
        assert h.find("settings-server-url").error
        await h.fill("settings-server-url", head_office + "/")
        assert not h.has("settings-server-result")  # typing again clears the verdict
        await h.click("settings-server-test")
        assert f"Le siège répond à {head_office}." in h.text("settings-server-result")
        assert h.find("settings-server-url").error is None
        await h.fill("settings-server-url", DEAD_URL + "/api/v1")
        await h.click("settings-server-test")
        assert "Pas de réponse du siège" in h.text("settings-server-result")
        assert session.server_url == DEAD_URL  # testing changes nothing
        for ident in ("settings-server-test", "settings-server-save", "settings-signout"):
            assert h.find(ident).height >= 48
        h.close()

    run(scenario())


def test_saving_an_address_with_unsent_changes_warns_then_stores_it(session, head_office):
    unsent_rows(3)

    async def scenario():
        h = await settings_screen(session)
        await h.fill("settings-server-url", head_office)
        await h.click("settings-server-save")
        dialog = h.page.data.shell.section_view.server.dialog
        assert "Pas encore envoyé : 3 modifications" in dialog_text(dialog)
        await answer(h, dialog, "server-change-confirm-cancel")
        assert session.server_url == DEAD_URL and server_address.stored() is None
        await h.click("settings-server-save")
        dialog = h.page.data.shell.section_view.server.dialog
        await answer(h, dialog, "server-change-confirm")
        assert session.server_url == head_office == server_address.stored()
        assert "les synchronisations passent désormais par" in h.text("settings-server-result")
        assert pending_count() == 3  # nothing dropped by the change
        await h.click("settings-server-save")  # the same again: nothing to ask
        assert "déjà l'adresse utilisée" in h.text("settings-server-result")
        h.close()

    run(scenario())


def test_signing_out_with_unsent_changes_asks_and_loses_nothing(session):
    unsent_rows(2)

    async def scenario():
        h = await settings_screen(session)
        await h.click("settings-signout")
        view = h.page.data.shell.section_view
        text = dialog_text(view.dialog)
        assert "Pas encore envoyé au siège : 2 modifications" in text and "Rien n'est perdu" in text
        labels = [c.content for c in walk(view.dialog) if isinstance(c, ft.TextButton)]
        assert "Annuler" in labels
        await answer(h, view.dialog, "signout-confirm-cancel")
        assert h.page.data.state.signed_in and h.has("settings")
        await h.click("settings-signout")
        view = h.page.data.shell.section_view
        assert "Se déconnecter quand même" in dialog_text(view.dialog) + str(
            [c.content for c in walk(view.dialog) if isinstance(c, ft.FilledButton)]
        )
        await answer(h, view.dialog, "signout-confirm")
        assert not h.page.data.state.signed_in and h.has("signin-username")
        assert pending_count() == 2  # kept for the next sign-in of tech1
        h.close()

    run(scenario())


def test_signing_out_with_everything_sent_asks_nothing(session):
    async def scenario():
        h = await settings_screen(session)
        await h.click("settings-signout")
        assert h.dialogs() == [] and not h.page.data.state.signed_in
        h.close()

    run(scenario())
