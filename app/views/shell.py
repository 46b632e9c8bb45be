"""The signed-in frame: role-aware navigation (bottom bar on phones, rail on wider screens)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.services.day_service import DayItem
from app.services.registry import Services
from app.sync.state import SyncStatus
from app.views.detail import DetailView
from app.views.held_aside import HeldAsideView
from app.views.my_day import MyDayView
from app.views.no_access import NoAccessView
from app.views.office_home import OfficeHomeView
from app.views.offline_banner import OfflineBanner
from app.views.reauth_banner import ReauthBanner
from app.views.semantic_ids import tagged
from app.views.settings import SettingsView
from app.views.slip_validation import SlipValidationView
from app.views.state import SECTION_LABEL_KEYS, AppState, Section, is_phone_width
from app.views.sync_badge import SyncBadge
from app.views.sync_view import SyncView
from app.views.theme import CONTENT_MAX_WIDTH, PAGE_PADDING
from app.views.validation_queue import ValidationQueueView

RAIL_WIDTH = 96

# (icon, selected icon) per section.
SECTION_ICONS: dict[Section, tuple[ft.IconData, ft.IconData]] = {
    Section.MY_DAY: (ft.Icons.TODAY_OUTLINED, ft.Icons.TODAY),
    Section.OFFICE_HOME: (ft.Icons.DASHBOARD_OUTLINED, ft.Icons.DASHBOARD),
    Section.SYNC: (ft.Icons.SYNC_OUTLINED, ft.Icons.SYNC),
    Section.SETTINGS: (ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
}


class ShellView:
    """Keeps the current section's view; ``build(width)`` lays it out for that width.

    When the device syncs (``services.session``), every screen has the sync badge and the
    offline / sign-in-again banners at the top; ``show_status`` refreshes them.
    """

    def __init__(
        self,
        state: AppState,
        services: Services,
        *,
        on_update: Callable[[], None],
        on_open_item: Callable[[DayItem], None] | None = None,
    ) -> None:
        self.state = state
        self.services = services
        self.on_update = on_update
        self.on_open_item = on_open_item
        self.section_view: (
            MyDayView
            | DetailView
            | OfficeHomeView
            | HeldAsideView
            | ValidationQueueView
            | SlipValidationView
            | SyncView
            | SettingsView
            | NoAccessView
            | None
        ) = None
        self.section_control: ft.Control = ft.Container()
        self.phone = True
        self.status: SyncStatus | None = services.session.status if services.session else None
        tr = state.tr
        self.badge = SyncBadge(tr, on_open=lambda: state.go_to(Section.SYNC))
        self.offline_banner = OfflineBanner(tr)
        self.reauth_banner = ReauthBanner(tr, on_sign_in=state.sign_out)
        if self.status is not None:
            self.show_status(self.status)

    def show_status(self, status: SyncStatus) -> None:
        """Reflect ``status`` in the badge, the banners and the sync screen (UI loop only)."""
        self.badge.show(status)
        self.offline_banner.show(status)
        self.reauth_banner.show(status)
        if isinstance(self.section_view, SyncView):
            self.section_view.show_status(status)

    def open_section(self) -> Callable[[], Awaitable[None]] | None:
        """Build the current section's view; returns its loader to run off the UI loop, if any."""
        section = self.state.section
        if self.state.blocked is not None:
            view = NoAccessView(self.state)
        elif self.state.intervention_id is not None:
            view = DetailView(self.state, self.services, on_update=self.on_update)
        elif section == Section.MY_DAY:
            view = MyDayView(
                self.state, self.services, on_update=self.on_update, on_open=self.on_open_item
            )
        elif section == Section.OFFICE_HOME and self.state.office_screen == "validation":
            screen = SlipValidationView if self.state.office_item else ValidationQueueView
            view = screen(self.state, self.services, on_update=self.on_update)
        elif section == Section.OFFICE_HOME and self.state.office_screen == "held-aside":
            view = HeldAsideView(self.state, self.services, on_update=self.on_update)
        elif section == Section.OFFICE_HOME:
            view = OfficeHomeView(self.state, self.services, on_update=self.on_update)
        elif section == Section.SYNC:
            view = SyncView(self.state, self.services, on_update=self.on_update)
        else:
            view = SettingsView(self.state, self.services)
        self.section_view = view
        self.section_control = view.build()
        return getattr(view, "load", None)

    def _destinations(self) -> list[tuple[str, ft.IconData, ft.IconData]]:
        tr = self.state.tr
        return [(tr(SECTION_LABEL_KEYS[s]), *SECTION_ICONS[s]) for s in self.state.sections]

    def _changed(self, e: ft.Event) -> None:
        self.state.go_to_index(int(e.control.selected_index or 0))

    def _navigation_bar(self) -> ft.Control:
        bar = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(icon=icon, selected_icon=selected, label=label)
                for label, icon, selected in self._destinations()
            ],
            selected_index=self.state.section_index,
            on_change=self._changed,
            height=76,
        )
        return tagged("nav-bar", bar)

    def _navigation_rail(self) -> ft.Control:
        rail = ft.NavigationRail(
            destinations=[
                ft.NavigationRailDestination(icon=icon, selected_icon=selected, label=label)
                for label, icon, selected in self._destinations()
            ],
            selected_index=self.state.section_index,
            label_type=ft.NavigationRailLabelType.ALL,
            min_width=RAIL_WIDTH,
            group_alignment=-0.9,
            leading=ft.Container(
                ft.Icon(ft.Icons.ENGINEERING, size=36, color=ft.Colors.PRIMARY),
                padding=ft.Padding.only(top=12, bottom=12),
            ),
            on_change=self._changed,
        )
        return tagged("nav-rail", rail)

    def _sync_header(self) -> list[ft.Control]:
        """The badge (right-aligned) and the banners, above every section."""
        if self.status is None:
            return []
        return [
            ft.Container(
                ft.Column(
                    [
                        ft.Row([self.badge.control], alignment=ft.MainAxisAlignment.END),
                        self.reauth_banner.control,
                        self.offline_banner.control,
                    ],
                    spacing=8,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                padding=ft.Padding.only(top=PAGE_PADDING // 2),
            )
        ]

    def _content(self, width: float | None) -> ft.Control:
        """The section, centred in a column no wider than ``CONTENT_MAX_WIDTH``, scrolling."""
        max_width = getattr(self.section_view, "max_width", CONTENT_MAX_WIDTH)  # detail: wider
        available = (width or max_width) - (0 if self.phone else RAIL_WIDTH + 1)
        column_width = min(max_width, max(available - 2 * PAGE_PADDING, 0))
        return ft.Container(
            content=ft.Column(
                [
                    *self._sync_header(),
                    ft.Container(
                        content=self.section_control,
                        padding=ft.Padding.symmetric(vertical=PAGE_PADDING),
                    ),
                ],
                scroll=ft.ScrollMode.AUTO,
                width=column_width,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            alignment=ft.Alignment.TOP_CENTER,
            expand=True,
        )

    def build(self, width: float | None) -> ft.Control:
        self.phone = is_phone_width(width)
        set_layout = getattr(self.section_view, "set_layout", None)  # one or two panes
        if set_layout is not None:
            set_layout(self.phone)
        content = self._content(width)
        if self.phone:
            return tagged(
                "shell",
                ft.Column([content, self._navigation_bar()], spacing=0, expand=True),
                expand=True,
            )
        return tagged(
            "shell",
            ft.Row(
                [self._navigation_rail(), ft.VerticalDivider(width=1), content],
                spacing=0,
                expand=True,
                vertical_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            expand=True,
        )
