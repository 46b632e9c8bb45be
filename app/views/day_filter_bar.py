"""Search and status filter of "Ma journée": a search field and one chip per status."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.views.semantic_ids import tagged
from app.views.theme import STATUS_COLORS

# The statuses a technician filters on, in lifecycle order (chips wrapping on as many lines
# as the width needs: a phone shows them all, none cut at the edge).
FILTER_STATUSES = ("planned", "assigned", "en_route", "in_progress", "work_done", "signed")
SEARCH_DELAY = 0.3  # s: wait for a pause in typing before querying


class DayFilterBar:
    """Calls ``on_change(search, statuses)`` when the search text (after a short pause in
    typing, or on Enter) or the chosen statuses change."""

    def __init__(
        self,
        tr: Translator,
        *,
        search: str,
        statuses: tuple[str, ...],
        on_change: Callable[[str, tuple[str, ...]], Awaitable[None]],
    ) -> None:
        self.tr = tr
        self.on_change = on_change
        self.statuses: list[str] = [s for s in FILTER_STATUSES if s in statuses]
        self._pending: asyncio.Task | None = None
        self.search = ft.TextField(
            value=search,
            label=tr("day.search"),
            hint_text=tr("day.search.hint"),
            prefix_icon=ft.Icons.SEARCH,
            dense=False,
            text_size=16,
            on_change=self._typed,
            on_submit=self._submitted,
        )
        self.chips: dict[str, ft.Chip] = {s: self._chip(s) for s in FILTER_STATUSES}
        self.clear_button = ft.TextButton(
            tr("day.clear_filter"), icon=ft.Icons.FILTER_ALT_OFF, on_click=self.clear
        )
        self.clear_row = tagged("day-clear-filter", self.clear_button, visible=self.active)

    @property
    def active(self) -> bool:
        return bool(self.search.value.strip() or self.statuses)

    def _chip(self, status: str) -> ft.Chip:
        bg, _fg = STATUS_COLORS.get(status, (ft.Colors.GREY_200, ft.Colors.GREY_900))

        async def selected(_e: ft.Event) -> None:
            await self._toggle(status)

        return ft.Chip(
            label=ft.Text(self.tr(f"status.{status}"), size=15),
            selected=status in self.statuses,
            selected_color=bg,
            on_select=selected,
            height=48,
        )

    def build(self) -> ft.Control:
        chips = [tagged(f"day-status-{s}", c) for s, c in self.chips.items()]
        return tagged(
            "day-filter",
            ft.Column(
                [
                    tagged("day-search", self.search),
                    tagged("day-statuses", ft.Row(chips, wrap=True, spacing=8, run_spacing=8)),
                    self.clear_row,
                ],
                spacing=10,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def _statuses(self) -> tuple[str, ...]:
        return tuple(s for s in FILTER_STATUSES if s in self.statuses)

    async def _emit(self) -> None:
        self.clear_row.visible = self.active
        await self.on_change(self.search.value.strip(), self._statuses())

    async def _toggle(self, status: str) -> None:
        if status in self.statuses:
            self.statuses.remove(status)
        else:
            self.statuses.append(status)
        self.chips[status].selected = status in self.statuses
        await self._emit()

    async def _typed(self, _e: ft.Event) -> None:
        self._cancel_pending()
        self._pending = asyncio.create_task(self._after_pause())

    async def _after_pause(self) -> None:
        await asyncio.sleep(SEARCH_DELAY)
        self._pending = None
        await self._emit()

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    async def _submitted(self, _e: ft.Event) -> None:
        self._cancel_pending()
        await self._emit()

    async def clear(self, _e: ft.Event | None = None) -> None:
        self._cancel_pending()
        self.search.value = ""
        self.statuses.clear()
        for chip in self.chips.values():
            chip.selected = False
        await self._emit()
