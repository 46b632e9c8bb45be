"""The intervention screen: header, lifecycle actions and the sections, in one or two panes.

Phone (< 600 px): one column — title bar, actions, a section switcher, the section; the
header's details are the first section ("Fiche"). Tablet/desktop: two panes — left the title
bar, where he is going (customer, site, contact, access notes: on the first screen), the
actions, the section list and the rest of the header; right the selected section. The header
(``DetailHeader``) and the actions are updated in place on every reload. ``set_layout(phone)`` is
called by the shell on every (re)layout; ``load()`` reads the intervention off the UI loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views.detail import withdrawn
from app.views.detail.actions import ActionBar
from app.views.detail.context import DetailContext
from app.views.detail.detail_header import DetailHeader
from app.views.detail.section_nav import SectionNav
from app.views.detail.sections import BY_NAME, SECTIONS, SUMMARY, make_section
from app.views.no_access import blocked_for, no_access_page
from app.views.semantic_ids import tagged
from app.views.state import AppState

log = logging.getLogger(__name__)

LEFT_PANE_WIDTH = 360


class DetailView:
    max_width = 1280  # the shell's content column: wider than the lists for two panes

    def __init__(self, state: AppState, services: Services, *, on_update: Callable[[], None]):
        assert state.user is not None and state.intervention_id is not None
        self.state, self.services, self.on_update = state, services, on_update
        self.tr = state.tr
        self.ctx = DetailContext(
            services=services,
            who=state.user,
            tr=self.tr,
            intervention_id=state.intervention_id,
            notify=self.notify,
            on_changed=self.reload,
            present=state.enter_client_mode,
        )
        self.detail = None
        self.opened_status: str | None = None  # the status it had when first shown
        self.phone = True
        self.current = state.detail_section or SUMMARY.name  # the route may name one
        self._reveal = state.detail_section is not None  # bring its button into view once
        self.sections: dict[str, object] = {}
        self.section_controls: dict[str, ft.Control] = {}
        self.actions = ActionBar(self.ctx, on_done=self.load)  # timers change too
        self.nav = SectionNav(self.tr, self.select)
        self.notice_text = ft.Text(size=15, expand=True)
        self.notice_icon = ft.Icon(ft.Icons.CHECK_CIRCLE)
        self.notice = tagged(
            "detail-notice",
            ft.Container(
                ft.Row([self.notice_icon, self.notice_text], spacing=8),
                padding=12,
                border_radius=ft.BorderRadius.all(12),
            ),
            visible=False,
        )
        self.header = DetailHeader(self.tr, self.back)
        self.section_host = ft.Container()
        self.frame_phone: bool | None = None  # the layout the frame in ``root`` was built for
        self.root = ft.Container(content=self._loading())

    # -- layout ------------------------------------------------------------------------------

    def build(self) -> ft.Control:
        return tagged("detail", self.root)

    def set_layout(self, phone: bool) -> None:
        self.phone = phone
        if not phone and self.current == SUMMARY.name:
            self.current = SECTIONS[0].name
        self._layout()

    def _loading(self) -> ft.Control:
        return tagged(
            "detail-loading",
            ft.Row([ft.ProgressRing(width=24, height=24), ft.Text(self.tr("detail.loading"))]),
        )

    def _specs(self):
        return [SUMMARY, *SECTIONS] if self.phone else list(SECTIONS)

    def _layout(self) -> None:
        """Fill the frame for the current layout; the frame itself is built once per layout,
        so choosing a section keeps scroll offsets (the phone's switcher row)."""
        if self.detail is None:
            return
        self.header.show(self.detail)
        self.section_host.content = self._section_control(self.current)
        nav = self.nav.show(self._specs(), self.current, phone=self.phone)
        if self.frame_phone != self.phone:
            self.frame_phone = self.phone
            self.root.content = self._phone_frame(nav) if self.phone else self._panes_frame(nav)

    def _phone_frame(self, nav: ft.Control) -> ft.Control:
        return tagged(
            "detail-phone",
            ft.Column(
                [self.header.title, self.notice, self.actions.control, nav, self.section_host],
                spacing=14,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def _panes_frame(self, nav: ft.Control) -> ft.Control:
        h = self.header
        left = ft.Column(
            [h.title, h.where, self.actions.control, nav, h.more],
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        right = ft.Column(
            [self.notice, self.section_host],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            expand=True,
        )
        return tagged(
            "detail-panes",
            ft.Row(
                [
                    tagged("detail-left", ft.Container(left, width=LEFT_PANE_WIDTH)),
                    ft.VerticalDivider(width=1),
                    tagged("detail-right", ft.Container(right, expand=True), expand=True),
                ],
                spacing=20,
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
        )

    def _section_control(self, name: str) -> ft.Control:
        if name == SUMMARY.name:
            return self.header.summary
        if name not in self.sections:
            self.sections[name] = make_section(BY_NAME[name], self.ctx)
            self.section_controls[name] = tagged(
                f"section-body-{name}", self.sections[name].build()
            )
        return self.section_controls[name]

    # -- loading -----------------------------------------------------------------------------

    async def load(self, *, section: bool = True) -> None:
        """Read the intervention, lay out the screen, then load the visible ``section``."""
        try:
            self.detail = await asyncio.to_thread(
                self.services.detail.load_detail,
                self.ctx.intervention_id,
                who=self.ctx.who,
                history_limit=0,
            )
        except Exception as err:
            if not hasattr(err, "hint"):
                log.exception("loading intervention %s failed", self.ctx.intervention_id)
            if self.detail is not None and await withdrawn.check(self):
                return  # taken away by head office while open: said so, back to the day
            blocked = blocked_for(err)  # not there, or not this user's: a page that says so
            self.root.content = (
                no_access_page(self.tr, blocked, on_home=self.state.go_home, record="intervention")
                if blocked is not None
                else self._load_error(err)
            )
            self.frame_phone = None
            self.on_update()
            return
        self.opened_status = self.opened_status or str(self.detail.intervention.status)
        self.actions.show(self.detail.intervention)
        self._layout()
        self.on_update()
        if self._reveal:
            self._reveal = False
            await self.nav.reveal(self.current)
        if section:
            await self._load_section(self.current)

    def _load_error(self, err: Exception) -> ft.Control:
        back = ft.TextButton(self.tr("detail.back"), icon=ft.Icons.ARROW_BACK, on_click=self.back)
        return ft.Column(
            [
                tagged("detail-back", back, button=True),
                tagged("detail-error", ft.Text(self.tr.error(err), size=16)),
            ]
        )

    async def _load_section(self, name: str) -> None:
        section = self.sections.get(name)
        if section is None:
            return
        try:
            await section.load()
        except Exception as err:  # a section bug must not break the screen
            log.exception("section %s failed to load", name)
            self.notify(self.tr.error(err), True)
        self.on_update()

    async def reload(self) -> None:
        """``ctx.changed()``: a section wrote something the header or other sections show.
        The header and actions are read again; the writing section already shows its own
        state, and every section reloads whenever it is shown."""
        await self.load(section=False)

    # -- events ------------------------------------------------------------------------------

    async def select(self, name: str) -> None:
        """Show section ``name`` (chosen by the user, or named by the route)."""
        self.state.select_detail_section(name)  # the address follows
        if name == self.current:
            return
        self.current = name
        self.notice.visible = False
        self._layout()
        self.on_update()
        await self._load_section(name)

    async def show_section(self, name: str) -> None:
        """The address names another section (back/forward): show it and its button."""
        await self.select(name)
        await self.nav.reveal(name)

    def unsaved(self) -> list[tuple[str, str]]:
        """(label, text) typed in the sections and not saved yet."""
        return [u for s in self.sections.values() for u in getattr(s, "unsaved", list)()]

    async def back(self, _e: ft.Event | None = None) -> None:
        self.state.close_intervention()

    def notify(self, text: str, is_error: bool) -> None:
        """Inline notice above the section, and a snack bar; errors stay until the next one."""
        self.notice_text.value = text
        self.notice_icon.icon = ft.Icons.ERROR_OUTLINE if is_error else ft.Icons.CHECK_CIRCLE
        color = ft.Colors.ON_ERROR_CONTAINER if is_error else ft.Colors.GREEN_900
        self.notice_icon.color = self.notice_text.color = color
        self.notice.content.bgcolor = ft.Colors.ERROR_CONTAINER if is_error else ft.Colors.GREEN_50
        self.notice.visible = True
        snack = ft.SnackBar(
            ft.Text(text.splitlines()[0] if text else ""),
            bgcolor=ft.Colors.ERROR if is_error else None,
            duration=ft.Duration(seconds=4),
        )
        with contextlib.suppress(RuntimeError):  # not on a page yet: the notice is enough
            self.root.page.show_dialog(snack)
        self.on_update()
