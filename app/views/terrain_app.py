"""One app session: owns the page, the UI state and the current screen.

Routes: the address bar and ``AppState`` follow each other. A route change (typed URL,
reload, back/forward) is applied with ``state.navigate(route)``; a change made in the app
(navigation, opening an intervention or one of its sections, signing in or out) pushes the
state's route with ``page.push_route`` (``app.views.routes``).

When the device syncs (``services.session``), the app listens to the device's ``SyncStatus``
for as long as the browser tab (or phone app) is connected: the listener is removed when
the client disconnects or the session closes, and added back on reconnect. The scheduler
changes the status on its own thread, so each change is handed to this session's event loop
with ``page.run_task`` (thread-safe) before any control is touched; a change arriving for
a session whose client is gone unsubscribes instead. When a sync ends, the current screen
reloads: the sync screen always, "Ma journée" and the office home when rows were applied; an
open intervention head office took away (cancelled, reassigned) closes with a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import flet as ft

from app.services.day_service import DayItem
from app.services.registry import Services
from app.sync.state import SyncStatus
from app.views import routes
from app.views.client_mode import ClientModeView
from app.views.detail import DetailView, withdrawn
from app.views.my_day import MyDayView
from app.views.office_home import OfficeHomeView
from app.views.shell import ShellView
from app.views.sign_in import SignInView
from app.views.state import AppState, Change
from app.views.sync_view import SyncView
from app.views.theme import apply_theme
from app.views.validation_queue import ValidationQueueView

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
        self.client_mode: ClientModeView | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._was_running = False
        self._following_url = False  # applying the address bar: do not push it back

    def start(self) -> None:
        apply_theme(self.page)
        page = self.page
        page.on_resize = self._on_resize
        page.on_route_change = self._on_route_change
        page.on_view_pop = self._on_view_pop
        page.on_connect = self._on_connect
        page.on_disconnect = self._on_disconnect
        page.on_close = self._on_close
        self._listen_to_sync()
        self.state.navigate(page.route)  # signed out: a deep link waits for the sign-in
        self.render()

    # --- routes -----------------------------------------------------------------------------

    def _on_route_change(self, e: ft.RouteChangeEvent) -> None:
        log.debug("route %s", e.route)
        self._following_url = True
        try:
            self.state.navigate(e.route)
        finally:
            self._following_url = False
        if self.state.signed_in and routes.parse(e.route).place == routes.Place.SIGN_IN:
            self._push_location()  # signed in already: show where it led
        elif self.state.locked and not self.state.is_at(e.route):
            self._push_location()  # client mode: the address goes back, nothing else opens

    def _on_view_pop(self, _e: ft.ViewPopEvent) -> None:
        """The system back of a view stack (one view here): up from an intervention (never
        out of client mode: ``close_intervention`` does nothing while it is locked)."""
        self.state.close_intervention()

    def _push_location(self) -> None:
        """Show the state's route in the address bar (and history) if it points elsewhere."""
        location = self.state.location()
        if location is None or self.state.is_at(self.page.route):
            return
        self.page.run_task(self.page.push_route, location.path)

    # --- session lifetime and sync status -----------------------------------------------------

    def _listen_to_sync(self) -> None:
        session = self.services.session
        if session is not None and self._unsubscribe is None:
            self._was_running = session.status.running
            self._unsubscribe = session.subscribe(self._on_status)

    def _stop_listening(self) -> None:
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _connected(self) -> bool:
        try:
            return self.page.session.connection is not None
        except RuntimeError:  # the session was destroyed
            return False

    def _on_status(self, status: SyncStatus) -> None:
        """Any thread: take a snapshot now (the status keeps changing), apply it on the loop."""
        if not self._connected():  # the client went away between two events
            self._stop_listening()
            return
        snapshot = (status.running, status.step, status.progress.rows_applied)
        try:
            self.page.run_task(self._status_changed, status, *snapshot)
        except (AttributeError, RuntimeError):  # disconnected meanwhile: same as above
            self._stop_listening()

    async def _status_changed(self, status: SyncStatus, running: bool, step: str, rows: int):
        finished = self._was_running and not running and step == "done"
        self._was_running = running
        if self.shell is None:
            return
        self.shell.show_status(status)
        self.update()
        view = self.shell.section_view
        # Lists reload; a screen being edited (the intervention detail) is left alone, unless
        # head office took that intervention away (then: a message, and back to the day).
        lists = (MyDayView, OfficeHomeView, ValidationQueueView)
        if finished and (isinstance(view, SyncView) or (rows and isinstance(view, lists))):
            await view.load()
        elif finished and isinstance(view, DetailView):
            await withdrawn.check(view)

    def _on_connect(self, _e: ft.Event | None = None) -> None:
        """The client is back (reload, network back): listen again, show the status now.

        Flet runs event handlers on worker threads: under load a reload's ``connect`` can be
        handled after the tab's final ``disconnect``. Listening then would leave a listener
        behind for a page nobody sees, so a page without a connection does not listen."""
        if not self._connected():
            return
        self._listen_to_sync()
        session = self.services.session
        if self.shell is not None and session is not None:
            self.shell.show_status(session.status)
            self.update()

    def _on_disconnect(self, _e: ft.Event | None = None) -> None:
        """The tab closed or lost its connection: nothing may call into this page now."""
        self._stop_listening()
        session = self.services.session
        left = session.listener_count() if session is not None else 0
        log.info("app session disconnected: %d sync status listener(s) left", left)

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
                self.services.session.sign_out()  # stops background sync (does not wait)
            self.shell = None
            self.sign_in_view = SignInView(
                self.state, self.services, username=draft, on_update=self.update
            )
            self._set_root(self.sign_in_view.build())
            return
        self.sign_in_view = None
        if self.state.client_mode is not None:
            self._render_client_mode()
            return
        self.client_mode = None
        self.shell = ShellView(
            self.state, self.services, on_update=self.update, on_open_item=self.on_open_item
        )
        self._open_section()

    def _render_client_mode(self) -> None:
        """The locked client screen, alone: no shell, no navigation, no sync header."""
        self.shell = None
        self.client_mode = ClientModeView(self.state, self.services, on_update=self.update)
        self._set_root(self.client_mode.build(self.page.width))
        self.page.run_task(self.client_mode.load)

    def _open_section(self) -> None:
        assert self.shell is not None
        log.debug("open section %s", self.state.section)
        loader = self.shell.open_section()
        self._set_root(self.shell.build(self.page.width))
        if loader is not None:
            self.page.run_task(loader)

    def _on_change(self, change: Change) -> None:
        if change == Change.DETAIL_SECTION:
            view = self.shell.section_view if self.shell is not None else None
            wanted = self.state.detail_section
            if isinstance(view, DetailView) and wanted and wanted != view.current:
                self.page.run_task(view.show_section, wanted)
        elif change == Change.CLIENT_MODE:
            self.render()
        elif change in (Change.SECTION, Change.INTERVENTION) and self.shell is not None:
            self._open_section()
        else:
            self.render()
        if change != Change.LOCALE and not self._following_url:
            self._push_location()

    def _on_resize(self, e: ft.PageResizeEvent) -> None:
        width = e.width or self.page.width
        if self.client_mode is not None and self.state.locked:
            self._set_root(self.client_mode.build(width))
            return
        if self.shell is None:
            return
        log.debug("resize to %s", width)
        self._set_root(self.shell.build(width))

    def _open_item(self, item: DayItem) -> None:
        log.info("open intervention %s", item.reference)
        self.state.open_intervention(item.id)
