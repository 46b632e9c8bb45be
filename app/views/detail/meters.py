"""Measurements and meters: the equipment's meters with their last value and a field for this
visit's reading (a lower value asks "counter replaced?"), and the measurements taken during
this intervention with their tolerance and flag. Test ids: see procedure.py."""

from __future__ import annotations

import asyncio

import flet as ft

from app.errors import ValidationError
from app.views.detail.blocks import (
    FLAG_COLOR,
    Refused,
    attempt,
    big_button,
    muted,
    number,
    question_dialog,
    refresh,
    section_title,
    slug,
    subtitle,
    tolerance,
)
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged


class MetersSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        self.writing = asyncio.Lock()  # one write at a time (SQLite; no double sends)
        self.fields: dict[str, ft.TextField] = {}  # meter id -> its new-reading field
        self.cards: dict[str, tuple[ft.Text, ft.Semantics]] = {}  # meter id -> last, current
        self.card_controls: dict[str, ft.Control] = {}
        self.dialog: ft.AlertDialog | None = None
        tr = ctx.tr
        self.meters = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.measurements = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.root = tagged(
            "meters",
            ft.Column(
                [
                    section_title(tr("meters.title"), ft.Icons.SPEED),
                    self.meters,
                    subtitle(tr("meters.measurements")),
                    tagged("measurements", self.measurements),
                ],
                spacing=12,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def build(self) -> ft.Control:
        return self.root

    async def load(self) -> None:
        ctx = self.ctx
        states = await ctx.call(ctx.services.meters.meters_of, ctx.intervention_id, ctx.who)
        taken = await ctx.call(ctx.services.meters.measurements_of, ctx.intervention_id, ctx.who)
        if states is None or taken is None:
            return
        self.meters.controls = [self._meter(s) for s in states] or [
            muted(ctx.tr("meters.none"), "meters-none")
        ]
        self.measurements.controls = [self._measurement(n, m) for n, m in enumerate(taken, 1)] or [
            muted(ctx.tr("meters.no_measurements"), "measurements-none")
        ]
        refresh(self.root)

    def _meter(self, state) -> ft.Control:
        """The meter's card, built once and then updated in place: a reload (after a reading)
        never replaces the field or the button the technician is about to tap."""
        tr, meter = self.ctx.tr, state.meter
        card = self.cards.get(meter.id)
        if card is None:
            card = self.cards[meter.id] = self._card(meter)
        last, current = card
        if state.previous is not None:
            p = state.previous
            value = f"{number(tr, p.value)} {meter.unit}"
            last.value = tr("meters.last", value=value, date=f"{p.read_at:%d/%m/%Y}")
        else:
            last.value = tr("meters.never")
        current.visible = state.current is not None
        if state.current is not None:
            c = state.current
            text = tr("meters.this_visit", value=f"{number(tr, c.value)} {meter.unit}")
            if c.counter_replaced:
                text += " — " + tr("meters.replaced")
            current.content.value = text
        return self.card_controls[meter.id]

    def _card(self, meter) -> tuple[ft.Text, ft.Semantics]:
        tr = self.ctx.tr
        ident = f"meter-{slug(meter.name)}"
        field = ft.TextField(
            label=tr("meters.new_reading"),
            suffix=meter.unit or None,  # the unit in the field: a short label fits a phone
            keyboard_type=ft.KeyboardType.NUMBER,
            text_size=18,
            expand=True,
        )
        self.fields[meter.id] = field

        async def save(_e: ft.Event | None = None) -> None:
            await self._record(meter, (field.value or "").strip())

        field.on_submit = save
        last = ft.Text("", size=15)
        current = tagged(
            f"{ident}-current", ft.Text("", size=15, color=ft.Colors.PRIMARY), visible=False
        )
        lines: list[ft.Control] = [
            ft.Text(meter.name, size=17, weight=ft.FontWeight.W_600),
            tagged(f"{ident}-last", last),
            current,
            ft.Row(
                [
                    tagged(ident, field, expand=True),
                    big_button(f"{ident}-save", tr("item.save"), save, icon=ft.Icons.CHECK),
                ],
                spacing=8,
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
        ]
        self.card_controls[meter.id] = ft.Container(
            ft.Column(lines, spacing=6), padding=ft.Padding.symmetric(vertical=6)
        )
        return last, current

    def _measurement(self, n: int, m) -> ft.Control:
        tr = self.ctx.tr
        band = tolerance(tr, m.min_value, m.max_value, m.unit)
        value = f"{number(tr, m.value)} {m.unit}".strip()
        lines: list[ft.Control] = [
            ft.Row(
                [
                    ft.Text(m.label, size=16, expand=True),
                    ft.Text(
                        value,
                        size=17,
                        weight=ft.FontWeight.BOLD,
                        color=FLAG_COLOR if m.out_of_tolerance else None,
                    ),
                ],
            )
        ]
        if band:
            lines.append(ft.Text(tr("item.tolerance", range=band), size=14))
        if m.out_of_tolerance:
            flag = tr("meters.flag") + (f" — {m.comment}" if m.comment else "")
            lines.append(ft.Text(flag, color=FLAG_COLOR, weight=ft.FontWeight.BOLD, size=14))
        return tagged(f"measurement-{n}", ft.Column(lines, spacing=2))

    async def _record(self, meter, raw: str, counter_replaced: bool = False) -> None:
        ctx = self.ctx
        field = self.fields[meter.id]
        async with self.writing:
            result = await ctx.call(
                attempt, ValidationError, ctx.services.meters.record, ctx.intervention_id,
                meter.id, raw, ctx.who, ctx.now(), counter_replaced=counter_replaced,
            )  # fmt: skip
        if result is None:
            return
        if isinstance(result, Refused):
            err = result.error
            if isinstance(err, ctx.services.meters.MeterRollbackError):
                self._ask_replaced(meter, raw, err)
                return
            text = ctx.tr.error(err)
            field.error = text.splitlines()[0]
            ctx.notify(text, True)
            refresh(self.root)
            return
        field.value, field.error = "", None
        ctx.notify(ctx.tr("meters.saved"), False)
        await self.load()
        await ctx.changed()

    def _ask_replaced(self, meter, raw: str, err: Exception) -> None:
        tr = self.ctx.tr
        params = {k: v for k, v in getattr(err, "params", {}).items() if v is not None}

        async def replaced() -> None:
            await self._record(meter, raw, counter_replaced=True)

        self.dialog = question_dialog(
            tr, title=tr("meter.replaced.title"), text=tr("meter.replaced.text", **params),
            confirm_id="meter-confirm-replaced", confirm_text=tr("meter.replaced.confirm"),
            on_confirm=replaced, cancel_text=tr("meter.replaced.cancel"),
        )  # fmt: skip
        self.root.page.show_dialog(self.dialog)
