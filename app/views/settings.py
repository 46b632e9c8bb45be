"""Settings: language, who is signed in, sign out."""

from __future__ import annotations

import flet as ft

from app.views.language_switch import language_switch
from app.views.semantic_ids import tagged
from app.views.state import AppState
from app.views.theme import TOUCH_TARGET


class SettingsView:
    def __init__(self, state: AppState) -> None:
        self.state = state

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
        return tagged(
            "settings",
            ft.Column(
                [
                    ft.Text(tr("settings.title"), theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                    ft.Text(tr("settings.language"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                    language_switch(tr, self.state.set_locale, identifier="settings-language"),
                    ft.Divider(),
                    ft.Text(tr("settings.account"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                    tagged("settings-user", ft.Column(account)),
                    tagged(
                        "settings-signout",
                        ft.OutlinedButton(
                            content=tr("nav.sign_out"),
                            icon=ft.Icons.LOGOUT,
                            height=TOUCH_TARGET,
                            on_click=lambda _e: self.state.sign_out(),
                        ),
                    ),
                ],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.START,
            ),
        )
