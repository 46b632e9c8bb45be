"""Settings: language, head office's address and media storage (devices that sync), who is
signed in, sign out.

Signing out while changes are not sent yet says how many and asks ("Annuler" / "Se
déconnecter quand même"); either way nothing is lost: they stay in the device database and
go with the first sync of that user's next sign-in. Test ids: settings, settings-language,
settings-user, settings-signout, signout-confirm (and -cancel) in the question.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from app.services.registry import Services
from app.views.detail.blocks import question_dialog
from app.views.language_switch import language_switch
from app.views.semantic_ids import tagged
from app.views.server_settings import ServerSettings
from app.views.state import AppState
from app.views.storage_settings import StorageSettings
from app.views.theme import TOUCH_TARGET
from app.views.unsent import unsent_text

log = logging.getLogger(__name__)


class SettingsView:
    def __init__(self, state: AppState, services: Services | None = None) -> None:
        self.state = state
        self.services = services or Services()
        self.session = self.services.session
        self.server = (
            ServerSettings(state.tr, self.session, self.services.sync)
            if self.session is not None and hasattr(self.session, "set_server_url")
            else None
        )
        # On a device (its media live next to its database): "Stockage des médias".
        self.storage = (
            StorageSettings(state.tr, self.services.media, self.services.storage, self.session)
            if self.session is not None
            else None
        )
        self.dialog: ft.AlertDialog | None = None
        self.root: ft.Control | None = None

    def build(self) -> ft.Control:
        tr, user = self.state.tr, self.state.user
        account: list[ft.Control] = []
        if user is not None:
            account = [
                ft.ListTile(
                    leading=ft.Icon(ft.Icons.ACCOUNT_CIRCLE, size=40),
                    title=ft.Text(tr("settings.signed_in_as", name=user.display_name)),
                    subtitle=ft.Text(
                        f"{user.username} · {tr('settings.role', role=tr(f'role.{user.role}'))}"
                    ),
                ),
            ]
        server = [self.server.control, ft.Divider()] if self.server is not None else []
        storage = [self.storage.control, ft.Divider()] if self.storage is not None else []
        self.root = tagged(
            "settings",
            ft.Column(
                [
                    ft.Text(tr("settings.title"), theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                    ft.Text(tr("settings.language"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                    language_switch(tr, self.state.set_locale, identifier="settings-language"),
                    ft.Divider(),
                    *server,
                    *storage,
                    ft.Text(tr("settings.account"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                    tagged("settings-user", ft.Column(account)),
                    tagged(
                        "settings-signout",
                        ft.OutlinedButton(
                            content=tr("nav.sign_out"),
                            icon=ft.Icons.LOGOUT,
                            height=TOUCH_TARGET,
                            on_click=self.sign_out,
                        ),
                        button=True,
                    ),
                ],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )
        return self.root

    async def load(self) -> None:
        if self.storage is not None:
            await self.storage.load()
            if self.root is not None:
                with contextlib.suppress(RuntimeError):
                    self.root.update()

    async def sign_out(self, e: ft.Event | None = None) -> None:
        """Sign out at once when everything was sent; else say what is not and ask."""
        if self.session is None or not hasattr(self.session, "unsent"):
            self.state.sign_out()  # no head office: nothing waits to be sent
            return
        try:
            unsent = await asyncio.to_thread(self.session.unsent)
        except Exception:  # cannot count: ask anyway rather than stay silent
            log.exception("counting unsent changes failed")
            unsent = None
        if unsent is not None and unsent.nothing:
            self.state.sign_out()
            return
        tr = self.state.tr
        what = unsent_text(tr, unsent) if unsent is not None else tr("unsent.unknown")

        async def confirmed() -> None:
            self.state.sign_out()

        self.dialog = question_dialog(
            tr, title=tr("unsent.title"), text=tr("signout.pending", what=what),
            confirm_id="signout-confirm", confirm_text=tr("signout.confirm"),
            on_confirm=confirmed, cancel_text=tr("unsent.cancel"),
        )  # fmt: skip
        self.root.page.show_dialog(self.dialog)
