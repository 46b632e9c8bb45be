"""The office's queue "Bons à valider": the submitted slips, oldest first (who, when,
customer, signed or not, age); a slip opens at /office/validation/<id>."""

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


def chip(text: str, color: str, bg: str, identifier: str | None = None) -> ft.Control:
    label = ft.Container(
        ft.Text(text, size=13, color=color, weight=ft.FontWeight.W_600),
        bgcolor=bg,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=10, vertical=3),
    )
    return tagged(identifier, label) if identifier else label


def signed_chip(tr, signed: bool) -> ft.Control:
    if signed:
        return chip(tr("validation.signed"), ft.Colors.GREEN_900, ft.Colors.GREEN_100)
    return chip(tr("validation.unsigned"), ft.Colors.DEEP_ORANGE_900, ft.Colors.DEEP_ORANGE_100)


class ValidationQueueView(OfficeScreen):
    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        super().__init__(state, services, on_update=on_update)
        tr = state.tr
        self.summary = ft.Text(tr("validation.loading"), size=16)
        self.rows = ft.Column([ft.ProgressRing(width=24, height=24)], spacing=8)

    def build(self) -> ft.Control:
        tr = self.state.tr
        return tagged(
            "validation-queue",
            ft.Column(
                [
                    self.back_row("validation-back", tr("validation.back_home"), ""),
                    self.title(tr("validation.title")),
                    tagged("validation-count", self.summary),
                    self.rows,
                ],
                spacing=12,
            ),
        )

    async def load(self) -> None:
        tr = self.state.tr
        try:
            items = await asyncio.to_thread(self.services.validation.queue, self.state.user)
        except Exception as err:
            log.exception("loading the validation queue failed")
            self.summary.value = tr.error(err)
            self.rows.controls = []
        else:
            self.summary.value = (
                tr("validation.count", n=len(items)) if items else tr("validation.empty")
            )
            self.rows.controls = [self._row(item) for item in items]
        self.on_update()

    def _row(self, item) -> ft.Control:
        tr = self.state.tr
        when = f"{item.submitted_at:%d/%m/%Y}" if item.submitted_at else "—"
        age = (
            tr("validation.age", days=item.age_days)
            if item.age_days
            else tr("validation.age_today")
        )
        chips = [signed_chip(tr, item.signed)]
        if item.corrected:
            chips.append(chip(tr("validation.corrected"), ft.Colors.BLUE_900, ft.Colors.BLUE_100))
        left = ft.Column(
            [
                ft.Row(
                    [
                        ft.Text(item.reference, size=16, weight=ft.FontWeight.BOLD),
                        ft.Text(item.customer, size=16),
                    ],
                    wrap=True,
                    spacing=12,
                ),
                ft.Text(
                    f"{tr('validation.technician', name=item.technician)} · "
                    f"{tr('validation.submitted_at', at=when)}",
                    size=14,
                    color=ft.Colors.ON_SURFACE_VARIANT,
                ),
                ft.Row(chips, spacing=8, wrap=True),
            ],
            spacing=4,
            expand=True,
        )
        age_box = ft.Container(
            ft.Text(age, size=15, weight=ft.FontWeight.W_600),
            width=90,
            alignment=ft.Alignment.CENTER_RIGHT,
        )
        card = ft.Card(
            content=ft.Container(
                ft.Row(
                    [left, age_box, ft.Icon(ft.Icons.CHEVRON_RIGHT)],
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
                padding=ft.Padding.symmetric(horizontal=16, vertical=10),
                on_click=lambda _e, i=item.intervention_id: self.state.open_office("validation", i),
                ink=True,
                height=None,
            ),
        )
        return tagged(
            f"validation-item-{item.reference}",
            ft.Container(card, height=None, margin=0),
            button=True,
            label=f"{item.reference} {item.customer}",
        )
