"""The banner asking to sign in again when head office refused this device's token."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.i18n import Translator
from app.sync.state import SyncStatus
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET


class ReauthBanner:
    def __init__(self, tr: Translator, *, on_sign_in: Callable[[], None]) -> None:
        self.control = tagged(
            "reauth-banner",
            ft.Container(
                ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.LOCK_CLOCK, color=ft.Colors.ON_ERROR_CONTAINER),
                                ft.Text(
                                    tr("sync.reauth"),
                                    color=ft.Colors.ON_ERROR_CONTAINER,
                                    size=15,
                                    expand=True,
                                ),
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.START,
                        ),
                        tagged(
                            "reauth-signin",
                            ft.FilledButton(
                                content=tr("sync.reauth.button"),
                                icon=ft.Icons.LOGIN,
                                height=TOUCH_TARGET,
                                on_click=lambda _e: on_sign_in(),
                            ),
                        ),
                    ],
                    spacing=8,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=12,
                border_radius=ft.BorderRadius.all(8),
            ),
            live_region=True,
            visible=False,
        )

    def show(self, status: SyncStatus) -> None:
        self.control.visible = not status.signed_in
