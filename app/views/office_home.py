"""Office home: a welcome, the way to the slips to validate and to the documents held aside
(with their counts), and the main figures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views.office_screen import OfficeScreen
from app.views.semantic_ids import tagged
from app.views.state import AppState

log = logging.getLogger(__name__)

FIGURES = ("interventions", "customers", "technicians")


def figure_card(label: str, value: int, identifier: str) -> ft.Control:
    return tagged(
        identifier,
        ft.Card(
            content=ft.Container(
                content=ft.Column(
                    [
                        ft.Text(
                            f"{value:,}".replace(",", "\u202f"), size=32, weight=ft.FontWeight.BOLD
                        ),
                        ft.Text(label, size=15, color=ft.Colors.ON_SURFACE_VARIANT),
                    ],
                    spacing=4,
                ),
                padding=16,
                width=170,
            ),
        ),
    )


class OfficeHomeView(OfficeScreen):
    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        super().__init__(state, services, on_update=on_update)
        self.queue_button = ft.FilledButton(
            state.tr("validation.title"),
            icon=ft.Icons.FACT_CHECK,
            height=56,
            on_click=lambda _e: state.open_office("validation"),
        )
        self.held_button = ft.OutlinedButton(
            state.tr("held_aside.open_unknown"),
            icon=ft.Icons.REPORT_PROBLEM,
            icon_color=ft.Colors.AMBER_900,
            height=56,
            on_click=lambda _e: state.open_office("held-aside"),
        )
        self.figures = ft.Row(
            [ft.ProgressRing(width=24, height=24), ft.Text(state.tr("day.loading"))],
            wrap=True,
            spacing=12,
            run_spacing=12,
        )

    def build(self) -> ft.Control:
        tr = self.state.tr
        name = self.state.user.display_name if self.state.user else ""
        return tagged(
            "office-home",
            ft.Column(
                [
                    ft.Text(tr("office.title"), theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                    ft.Text(
                        tr("office.welcome", name=name), theme_style=ft.TextThemeStyle.TITLE_LARGE
                    ),
                    ft.Text(tr("office.placeholder"), size=16, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Row(
                        [
                            tagged("office-open-validation", self.queue_button),
                            tagged("office-open-held-aside", self.held_button),
                        ],
                        wrap=True,
                        spacing=12,
                        run_spacing=12,
                    ),
                    self.figures,
                ],
                spacing=16,
            ),
        )

    async def load(self) -> None:
        tr = self.state.tr
        try:
            overview = await asyncio.to_thread(self.services.office.overview)
            waiting = await asyncio.to_thread(self.services.validation.queue_count, self.state.user)
        except Exception as err:
            log.exception("loading the office overview failed")
            self.figures.controls = [tagged("office-error", ft.Text(tr.error(err)))]
        else:
            self.queue_button.content = tr("validation.open_queue", n=waiting)
            await self._load_held(tr)
            self.figures.controls = [
                figure_card(tr(f"office.figure.{name}"), getattr(overview, name), f"office-{name}")
                for name in FIGURES
            ]
        self.on_update()

    async def _load_held(self, tr) -> None:
        """The count of PDFs held aside, from head office (the button stays without a count
        when head office cannot be asked now)."""
        session = self.services.session
        transport = getattr(session, "transport", None) if session is not None else None
        try:
            held = await asyncio.to_thread(
                self.services.held_aside.count, self.state.user, transport
            )
        except Exception as err:
            log.info("count of the PDFs held aside not available: %s", err)
            held = None
        if held is None:
            return
        self.held_button.content = tr("held_aside.open", n=held)
