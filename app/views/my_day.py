""" "Ma journée": the technician's interventions today and in the coming days."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from itertools import groupby

import flet as ft

from app.services.day_service import DayItem, MyDay
from app.services.registry import Services
from app.views.day_filter_bar import DayFilterBar
from app.views.day_item_card import day_item_card
from app.views.semantic_ids import tagged
from app.views.state import AppState

log = logging.getLogger(__name__)


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


class MyDayView:
    """Shows a loading state, then the lists; ``load()`` runs the service call off the loop."""

    def __init__(
        self,
        state: AppState,
        services: Services,
        *,
        on_update: Callable[[], None],
        on_open: Callable[[DayItem], None] | None = None,
    ) -> None:
        self.state = state
        self.services = services
        self.on_update = on_update
        self.on_open = on_open
        self.day = services.clock().date()
        self.result: MyDay | None = None
        self.body = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.date_text = ft.Text(
            capitalized(state.tr.long_date(self.day)),
            theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
            color=ft.Colors.PRIMARY,
        )
        self.filter = DayFilterBar(
            state.tr, search=state.day_search, statuses=state.day_statuses, on_change=self.filtered
        )
        self._show_loading()

    def build(self) -> ft.Control:
        tr = self.state.tr
        header = ft.Row(
            [
                ft.Column(
                    [
                        ft.Text(tr("day.title"), theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                        self.date_text,
                    ],
                    spacing=2,
                    expand=True,
                ),
                tagged(
                    "my-day-refresh",
                    ft.IconButton(
                        ft.Icons.REFRESH,
                        tooltip=tr("day.refresh"),
                        icon_size=28,
                        on_click=self.refresh,
                    ),
                ),
            ]
        )
        return tagged(
            "my-day",
            ft.Column(
                [header, self.filter.build(), self.body],
                spacing=16,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def _show_loading(self) -> None:
        self.body.controls = [
            tagged(
                "my-day-loading",
                ft.Row(
                    [ft.ProgressRing(width=24, height=24), ft.Text(self.state.tr("day.loading"))],
                    spacing=12,
                ),
            )
        ]

    def _section(self, title: str, items: list[DayItem], empty_key: str, ident: str) -> ft.Control:
        tr = self.state.tr
        controls: list[ft.Control] = [
            ft.Text(title, theme_style=ft.TextThemeStyle.TITLE_LARGE, weight=ft.FontWeight.W_600)
        ]
        if not items:
            controls.append(
                tagged(
                    f"{ident}-empty",
                    ft.Text(
                        tr(empty_key), size=16, color=ft.Colors.ON_SURFACE_VARIANT, italic=True
                    ),
                )
            )
        elif ident == "my-day-upcoming":  # several days: a sub-header per day
            for day, group in groupby(items, key=lambda i: i.scheduled_start.date()):
                controls.append(
                    ft.Text(
                        capitalized(tr.long_date(day)), theme_style=ft.TextThemeStyle.TITLE_SMALL
                    )
                )
                controls.extend(day_item_card(tr, item, self.on_open) for item in group)
        else:
            controls.extend(day_item_card(tr, item, self.on_open) for item in items)
        return tagged(
            ident,
            ft.Column(controls, spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        )

    def _show(self, result: MyDay) -> None:
        tr = self.state.tr
        if self.filter.active and not result.today and not result.upcoming:
            self._show_message("my-day-no-match", tr("day.no_match"))
            return
        self.body.controls = [
            self._section(tr("day.today"), result.today, "day.empty_today", "my-day-today"),
            self._section(
                tr("day.upcoming"), result.upcoming, "day.empty_upcoming", "my-day-upcoming"
            ),
        ]

    def _show_message(self, ident: str, text: str) -> None:
        self.body.controls = [tagged(ident, ft.Text(text, size=16))]

    async def load(self) -> None:
        user = self.state.user
        if user is None:
            return
        if not user.technician_id:
            self._show_message("my-day-no-technician", self.state.tr("day.no_technician"))
            self.on_update()
            return
        try:
            self.result = await asyncio.to_thread(
                self.services.day.my_day, user.technician_id, self.day, **self._filter_args()
            )
        except Exception as err:
            log.exception("loading my day failed")
            self._show_message("my-day-error", self.state.tr.error(err))
        else:
            self._show(self.result)
        self.on_update()

    def _filter_args(self) -> dict:
        """The service's filter arguments, only those in use."""
        args: dict = {}
        if self.state.day_search:
            args["search"] = self.state.day_search
        if self.state.day_statuses:
            args["statuses"] = self.state.day_statuses
        return args

    async def refresh(self, _e: ft.Event | None = None) -> None:
        self.day = self.services.clock().date()
        self.date_text.value = capitalized(self.state.tr.long_date(self.day))
        self._show_loading()
        self.on_update()
        await self.load()

    async def filtered(self, search: str, statuses: tuple[str, ...]) -> None:
        """The search or the status filter changed: remember it and reload the lists."""
        self.state.set_day_filter(search, statuses)
        self._show_loading()
        self.on_update()
        await self.load()
