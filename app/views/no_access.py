"""The page shown instead of a screen: "Page introuvable" or "Vous n'avez pas accès…".

For a route that matches no screen, a screen of another role, or an intervention its service
refuses (``NotFoundError``, ``PermissionDeniedError``). Always a way back home.
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.errors import NotFoundError, PermissionDeniedError
from app.i18n import Translator
from app.views.semantic_ids import tagged
from app.views.state import AppState, Blocked
from app.views.theme import TOUCH_TARGET


def blocked_for(err: Exception) -> Blocked | None:
    """The page to show for a service's refusal to load a record; None for other errors."""

    if isinstance(err, PermissionDeniedError):
        return Blocked.FORBIDDEN
    if isinstance(err, NotFoundError):
        return Blocked.NOT_FOUND
    return None


def no_access_page(
    tr: Translator, blocked: Blocked, *, on_home: Callable[[], None], record: str = ""
) -> ft.Control:
    """``record``: "intervention" for a record the services refused, "" for a route."""
    prefix = f"blocked.{record}.{blocked}" if record else f"blocked.{blocked}"
    icon = ft.Icons.LOCK_OUTLINE if blocked == Blocked.FORBIDDEN else ft.Icons.SEARCH_OFF
    home = ft.FilledButton(
        content=tr("blocked.home"),
        icon=ft.Icons.HOME_OUTLINED,
        height=TOUCH_TARGET,
        on_click=lambda _e: on_home(),
    )
    return tagged(
        f"blocked-{blocked}",
        ft.Column(
            [
                ft.Icon(icon, size=56, color=ft.Colors.ON_SURFACE_VARIANT),
                tagged(
                    "blocked-title",
                    ft.Text(
                        tr(f"{prefix}.title"),
                        theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
                        text_align=ft.TextAlign.CENTER,
                    ),
                ),
                ft.Text(tr(f"{prefix}.text"), size=16, text_align=ft.TextAlign.CENTER),
                ft.Container(height=8),
                tagged("blocked-home", home, button=True),
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        ),
    )


class NoAccessView:
    """The shell's screen for a blocked route (``AppState.blocked``)."""

    def __init__(self, state: AppState) -> None:
        assert state.blocked is not None
        self.state = state

    def build(self) -> ft.Control:
        return no_access_page(self.state.tr, self.state.blocked, on_home=self.state.go_home)
