"""The banner shown on every shell screen while head office cannot be reached."""

from __future__ import annotations

import flet as ft

from app.i18n import Translator
from app.sync.state import SyncStatus
from app.views.semantic_ids import tagged


class OfflineBanner:
    def __init__(self, tr: Translator) -> None:
        self.control = tagged(
            "offline-banner",
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.ON_SECONDARY_CONTAINER),
                        ft.Text(
                            tr("sync.offline"),
                            color=ft.Colors.ON_SECONDARY_CONTAINER,
                            size=15,
                            expand=True,
                        ),
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                bgcolor=ft.Colors.SECONDARY_CONTAINER,
                padding=12,
                border_radius=ft.BorderRadius.all(8),
            ),
            live_region=True,
            visible=False,
        )

    def show(self, status: SyncStatus) -> None:
        self.control.visible = status.online is False and status.signed_in
