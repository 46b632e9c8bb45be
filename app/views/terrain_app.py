"""One app session: owns the page, the UI state and the current screen."""

from __future__ import annotations

import logging
from collections.abc import Callable

import flet as ft

from app.services.day_service import DayItem
from app.services.registry import Services
from app.views.shell import ShellView
from app.views.sign_in import SignInView
from app.views.state import AppState, Change
from app.views.theme import apply_theme

log = logging.getLogger(__name__)


class TerrainApp:
    """Renders the sign-in screen or the shell from ``AppState``, and re-lays out on resize."""

    def __init__(
        self,
        page: ft.Page,
        services: Services,
        *,
        prefill_user: str | None = None,
        on_open_item: Callable[[DayItem], None] | None = None,
    ) -> None:
        self.page = page
        self.services = services
        self.prefill_user = prefill_user or ""
        self.on_open_item = on_open_item or self._open_item
        self.state = AppState()
        self.state.subscribe(self._on_change)
        self.sign_in_view: SignInView | None = None
        self.shell: ShellView | None = None

    def start(self) -> None:
        apply_theme(self.page)
        self.page.on_resize = self._on_resize
        self.render()

    def update(self) -> None:
        self.page.update()

    def _set_root(self, root: ft.Control) -> None:
        self.page.title = self.state.tr("app.title")
        self.page.controls = [ft.SafeArea(content=root, expand=True)]
        self.page.update()

    def render(self) -> None:
        """Rebuild the whole screen for the current state."""
        if not self.state.signed_in:
            draft = self.sign_in_view.draft_username if self.sign_in_view else self.prefill_user
            self.shell = None
            self.sign_in_view = SignInView(
                self.state, self.services, username=draft, on_update=self.update
            )
            self._set_root(self.sign_in_view.build())
            return
        self.sign_in_view = None
        self.shell = ShellView(
            self.state, self.services, on_update=self.update, on_open_item=self.on_open_item
        )
        self._open_section()

    def _open_section(self) -> None:
        assert self.shell is not None
        log.debug("open section %s", self.state.section)
        loader = self.shell.open_section()
        self._set_root(self.shell.build(self.page.width))
        if loader is not None:
            self.page.run_task(loader)

    def _on_change(self, change: Change) -> None:
        if change == Change.SECTION and self.shell is not None:
            self._open_section()
        else:
            self.render()

    def _on_resize(self, e: ft.PageResizeEvent) -> None:
        if self.shell is None:
            return
        width = e.width or self.page.width
        log.debug("resize to %s", width)
        self._set_root(self.shell.build(width))

    def _open_item(self, item: DayItem) -> None:
        # The intervention detail screen comes with a later issue.
        log.info("open intervention %s", item.reference)
