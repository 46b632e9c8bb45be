"""The past at this customer: earlier interventions on the site or on the equipment (date,
type, technician, summary, parts used), and the trend of one measurement over the visits.
Test ids: see procedure.py."""

from __future__ import annotations

import flet as ft

from app.views.day_item_card import status_chip
from app.views.detail.blocks import muted, number, refresh, section_title, subtitle
from app.views.detail.context import DetailContext
from app.views.detail.trend_chart import trend_chart
from app.views.semantic_ids import tagged

SITE, EQUIPMENT = "site", "equipment"


class HistorySection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        tr = ctx.tr
        self.scope = SITE
        self.switch = ft.SegmentedButton(
            segments=[
                ft.Segment(value=SITE, label=tr("history.site"), icon=ft.Icons.PLACE_OUTLINED),
                ft.Segment(value=EQUIPMENT, label=tr("history.equipment"),
                           icon=ft.Icons.PRECISION_MANUFACTURING_OUTLINED),
            ],
            selected=[SITE],
            on_change=self._switched,
            style=ft.ButtonStyle(padding=ft.Padding.symmetric(vertical=14, horizontal=12)),
        )  # fmt: skip
        self.visits = ft.Column(spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.record = ft.Column(spacing=4, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.label = ft.Dropdown(
            label=tr("history.trend_label"), options=[], on_select=self._picked, expand=True
        )
        self.trend = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.trend_box = ft.Column(
            [subtitle(tr("history.trend")),
             ft.Row([tagged("history-trend-label", self.label, expand=True)]), self.trend],
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )  # fmt: skip
        self.root = tagged(
            "history",
            ft.Column(
                [
                    section_title(tr("history.title"), ft.Icons.HISTORY),
                    tagged("history-record", self.record),
                    tagged("history-switch", self.switch),
                    tagged("history-visits", self.visits),
                    self.trend_box,
                ],
                spacing=12,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def build(self) -> ft.Control:
        return self.root

    async def load(self) -> None:
        ctx = self.ctx
        labels = await ctx.call(ctx.services.history.measured_labels, ctx.intervention_id, ctx.who)
        if labels is not None:
            self.label.options = [ft.DropdownOption(key=label, text=label) for label in labels]
            if self.label.value not in labels:
                self.label.value = labels[0] if labels else None
            self.trend_box.visible = bool(labels)
        await self._load_record()
        await self._load_visits()
        await self._load_trend()

    async def _load_record(self) -> None:
        ctx = self.ctx
        record = await ctx.call(ctx.services.history.customer_record, ctx.intervention_id, ctx.who)
        if record is None:
            return
        tr = ctx.tr
        lines: list[ft.Control] = [subtitle(tr("record.title"))]
        if record.last_visit:
            day = f"{record.last_visit:%d/%m/%Y}"
            text = tr("record.last_visit", date=day, reference=record.last_reference)
            lines.append(tagged("record-last-visit", ft.Text(text, size=15)))
        else:
            lines.append(muted(tr("record.no_visit"), "record-last-visit"))
        lines.append(ft.Text(tr("record.planned"), size=15, weight=ft.FontWeight.W_600))
        for p in record.planned:
            text = tr(
                "record.planned_line",
                date=f"{p.date:%d/%m/%Y}",
                type=p.type_label,
                reference=p.reference,
                status=tr(f"status.{p.status}"),
            )
            line = ft.Text(text + (f" : {p.problem}" if p.problem else ""), size=15)
            lines.append(tagged(f"record-planned-{p.reference}", line))
        if not record.planned:
            lines.append(muted(tr("record.no_planned")))
        if record.parts_to_order:
            lines.append(ft.Text(tr("record.parts"), size=15, weight=ft.FontWeight.W_600))
            for name, quantity, unit, _status in record.parts_to_order:
                text = tr("record.part_line", name=name, quantity=number(tr, quantity), unit=unit)
                lines.append(ft.Text(text, size=15))
        if record.notes:
            lines.append(ft.Text(tr("record.notes"), size=15, weight=ft.FontWeight.W_600))
            lines.append(tagged("record-notes", ft.Text(record.notes, size=15)))
        self.record.controls = [
            ft.Card(ft.Container(ft.Column(lines, spacing=4), padding=14), margin=0)
        ]
        refresh(self.root)

    async def _load_visits(self) -> None:
        ctx, history = self.ctx, self.ctx.services.history
        fn = history.site_history if self.scope == SITE else history.equipment_history
        visits = await ctx.call(fn, ctx.intervention_id, ctx.who)
        if visits is None:
            return
        self.visits.controls = [self._visit(v) for v in visits] or [
            muted(ctx.tr("history.none"), "history-none")
        ]
        refresh(self.root)

    async def _load_trend(self) -> None:
        ctx = self.ctx
        if not self.label.value:
            self.trend.controls = []
            refresh(self.root)
            return
        points = await ctx.call(
            ctx.services.history.trend, ctx.intervention_id, self.label.value, ctx.who
        )
        if points is None:
            return
        self.trend.controls = [trend_chart(ctx.tr, points)] if points else []
        refresh(self.root)

    def _visit(self, v) -> ft.Control:
        tr = self.ctx.tr
        top = ft.Row(
            [ft.Text(f"{v.date:%d/%m/%Y}", size=17, weight=ft.FontWeight.BOLD),
             ft.Text(v.reference, size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
             status_chip(tr, v.status)],
            spacing=10,
        )  # fmt: skip
        lines: list[ft.Control] = [
            top,
            ft.Text(v.type_label, size=16, weight=ft.FontWeight.W_600),
        ]
        if v.technician:
            lines.append(ft.Text(tr("history.technician", name=v.technician), size=15))
        if v.summary:
            lines.append(ft.Text(v.summary, size=15))
        if v.parts:
            parts = ", ".join(f"{name} ({number(tr, q)} {unit})" for name, q, unit in v.parts)
            lines.append(ft.Text(tr("history.parts", parts=parts), size=15))
        card = ft.Card(ft.Container(ft.Column(lines, spacing=4), padding=14), margin=0)
        return tagged(f"history-visit-{v.reference}", card)

    async def _switched(self, _e: ft.Event) -> None:
        self.scope = (self.switch.selected or [SITE])[0]
        await self._load_visits()

    async def _picked(self, _e: ft.Event) -> None:
        await self._load_trend()
