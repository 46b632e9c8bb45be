"""What the office's screens share: the services they are handed, the "back" link and title
at their top, and the message line that says what an action did (or why it failed)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views.semantic_ids import tagged
from app.views.state import AppState


class OfficeScreen:
    """A screen of the office section, handed the app state and the services."""

    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        self.state = state
        self.services = services
        self.on_update = on_update

    def back_row(self, identifier: str, text: str, screen: str) -> ft.Control:
        """ "← <text>" opening the office screen ``screen`` ("": the office home)."""
        back = ft.TextButton(
            text, icon=ft.Icons.ARROW_BACK, on_click=lambda _e: self.state.open_office(screen)
        )
        return ft.Row([tagged(identifier, back)])

    @staticmethod
    def title(text: str) -> ft.Text:
        return ft.Text(text, theme_style=ft.TextThemeStyle.HEADLINE_SMALL)


class MessageBox:
    """A hidden line until ``notify``: green for what was done, red for an error."""

    def __init__(self, identifier: str) -> None:
        self.text = ft.Text("", size=15)
        self.box = ft.Container(self.text, padding=10, border_radius=8)
        self.control = tagged(identifier, self.box, visible=False)

    def notify(self, text: str, is_error: bool) -> None:
        self.text.value = text
        self.text.color = ft.Colors.ON_ERROR_CONTAINER if is_error else ft.Colors.GREEN_900
        self.box.bgcolor = ft.Colors.ERROR_CONTAINER if is_error else ft.Colors.GREEN_50
        self.control.visible = True
