"""One app session: owns the page, the UI state and the current screen.

When the device syncs (``services.session``), the app listens to the device's ``SyncStatus``:
the scheduler changes it on its own thread, so each change is handed to this session's
event loop with ``page.run_task`` (thread-safe) before any control is touched. When a sync
ends, the current screen reloads: the sync screen always, "Ma journée" and the office home
when rows were applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flet as ft

from app.services.day_service import DayItem
from app.services.registry import Services
from app.sync.state import SyncStatus
from app.views.my_day import MyDayView
from app.views.office_home import OfficeHomeView
from app.views.shell import ShellView
from app.views.sign_in import SignInView
from app.views.state import AppState, Change
from app.views.sync_view import SyncView
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
        self.state = AppState(sync_enabled=services.session is not None)
        self.state.subscribe(self._on_change)
        self.sign_in_view: SignInView | None = None
        self.shell: ShellView | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._was_running = False

    def start(self) -> None:
        apply_theme(self.page)
        self.page.on_resize = self._on_resize
        self.page.on_close = self._on_close
        self.render()

    # --- sync status ------------------------------------------------------------------------

    def _listen_to_sync(self) -> None:
        session = self.services.session
        if session is not None and self._unsubscribe is None:
            self._was_running = session.status.running
            self._unsubscribe = session.status.subscribe(self._on_status)

    def _stop_listening(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_status(self, status: SyncStatus) -> None:
        """Any thread: take a snapshot now (the status keeps changing), apply it on the loop."""
        snapshot = (status.running, status.step, status.progress.rows_applied)
        self.page.run_task(self._status_changed, status, *snapshot)

    async def _status_changed(self, status: SyncStatus, running: bool, step: str, rows: int):
        if self.shell is None:
            return
        finished = self._was_running and not running and step == "done"
        self._was_running = running
        self.shell.show_status(status)
        self.update()
        view = self.shell.section_view
        # Lists reload; a screen being edited (the intervention detail) is left alone.
        lists = (MyDayView, OfficeHomeView)
        if finished and (isinstance(view, SyncView) or (rows and isinstance(view, lists))):
            await view.load()

    def _on_close(self, _e: ft.Event | None = None) -> None:
        self._stop_listening()

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
            if self.shell is not None and self.services.session is not None:
                self._stop_listening()
                self.services.session.sign_out()  # stops background sync (does not wait)
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
        self._listen_to_sync()
        self._open_section()

    def _open_section(self) -> None:
        assert self.shell is not None
        log.debug("open section %s", self.state.section)
        loader = self.shell.open_section()
        self._set_root(self.shell.build(self.page.width))
        if loader is not None:
            self.page.run_task(loader)

    def _on_change(self, change: Change) -> None:
        if change in (Change.SECTION, Change.INTERVENTION) and self.shell is not None:
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
        log.info("open intervention %s", item.reference)
        self.state.open_intervention(item.id)
