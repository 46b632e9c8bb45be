"""The inline form that corrects one time entry: new duration in minutes and a reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.views.detail.blocks import big_button, refresh, subtitle
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged


class CorrectionForm:
    """Hidden until ``open(entry, minutes)``; saving calls ``time.correct`` off the UI loop."""

    def __init__(self, ctx: DetailContext, *, on_saved: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_saved = on_saved
        tr = ctx.tr
        self.entry_id: str | None = None
        self.title = subtitle(tr("time.correct.title"))
        self.minutes = ft.TextField(
            label=tr("time.correct.minutes"),
            keyboard_type=ft.KeyboardType.NUMBER,
            text_size=16,
            width=220,
        )
        self.reason = ft.TextField(
            label=tr("time.correct.reason"), hint_text=tr("time.correct.reason.hint"), text_size=16
        )
        cancel = ft.TextButton(tr("time.correct.cancel"), on_click=self.close)
        self.control = tagged(
            "time-correction",
            ft.Container(
                ft.Column(
                    [
                        self.title,
                        tagged("time-correct-minutes", self.minutes),
                        tagged("time-correct-reason", self.reason),
                        ft.Row(
                            [
                                big_button("time-correct-save", tr("time.correct.save"), self.save),
                                tagged("time-correct-cancel", cancel, button=True),
                            ],
                            wrap=True,
                            spacing=10,
                        ),
                    ],
                    spacing=12,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                padding=14,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                border_radius=ft.BorderRadius.all(12),
            ),
            visible=False,
        )

    def open(self, entry, minutes: int) -> None:
        self.entry_id = entry.id
        self.minutes.value = str(minutes)
        self.reason.value = entry.correction_reason or ""
        self.control.visible = True

    async def close(self, _e: ft.Event | None = None) -> None:
        self.entry_id = None
        self.control.visible = False
        refresh(self.control)

    async def save(self, _e: ft.Event | None = None) -> None:
        ctx = self.ctx
        if self.entry_id is None:
            return
        done = await ctx.call(
            ctx.services.time.correct,
            self.entry_id,
            self.minutes.value or "",
            self.reason.value or "",
            ctx.who,
            saved="time.correct.saved",
        )
        if done is None:  # refused: the notice says why; the form stays open
            return
        self.entry_id = None
        self.control.visible = False
        await self.on_saved()
