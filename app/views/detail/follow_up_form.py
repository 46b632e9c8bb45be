"""The follow-up (*suite à donner*) form, after the signature or the missing-signature record.

One check box per kind (``follow-kind-<kind>``); a ticked kind shows its details: the proposed
date (``follow-<kind>-date``, new visit and next preventive visit), the urgency
(``follow-new_visit-urgency``), the text (``follow-<kind>-text``), the parts to order (search
``follow-part``, quantity ``follow-quantity``, ``follow-add-part``; lines ``follow-line-<n>``).
"Enregistrer et transmettre" (``follow-save``) stores them and sends the slip; the rules
(dates, quantities, "none" alone) are the follow-up service's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.views.detail.blocks import big_button, muted, subtitle
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged

KINDS = ("none", "new_visit", "quote", "parts_order", "next_preventive", "other")
URGENCIES = ("low", "normal", "high", "urgent")
WITH_DATE = ("new_visit", "next_preventive")
WITH_TEXT = ("new_visit", "quote", "parts_order", "next_preventive", "other", "none")


class FollowUpForm:
    def __init__(self, ctx: DetailContext, *, on_done: Callable[[], Awaitable[None]]) -> None:
        self.ctx, self.on_done = ctx, on_done
        tr = ctx.tr
        self.checks = {
            k: ft.Checkbox(label=tr(f"follow.kind.{k}"), on_change=self._ticked) for k in KINDS
        }
        self.dates = {
            k: ft.TextField(label=tr("follow.date"), text_size=16, width=260) for k in WITH_DATE
        }
        self.texts = {
            k: ft.TextField(
                label=tr("follow.text"), multiline=True, min_lines=1, max_lines=5, text_size=16
            )
            for k in WITH_TEXT
        }
        self.urgency = ft.SegmentedButton(
            segments=[ft.Segment(value=u, label=tr(f"priority.{u}")) for u in URGENCIES],
            selected=["normal"],
            allow_multiple_selection=False,
        )
        self.part = ft.TextField(label=tr("follow.part"), text_size=16, expand=True)
        self.quantity = ft.TextField(
            label=tr("follow.quantity"), text_size=16, width=120, value="1"
        )
        self.lines: list[tuple[object, str]] = []  # (Part, quantity as typed)
        self.lines_column = ft.Column(spacing=4)
        self.part_note = ft.Text("", color=ft.Colors.ERROR, size=14)
        # The tagged wrappers are what is shown or hidden (a Semantics needs visible content).
        self.details = {
            k: tagged(
                f"follow-detail-{k}",
                ft.Container(self._detail(k), padding=ft.Padding.only(left=36)),
                visible=False,
            )
            for k in KINDS
        }
        rows: list[ft.Control] = [subtitle(tr("follow.title")), muted(tr("follow.hint"))]
        for k in KINDS:
            rows += [tagged(f"follow-kind-{k}", self.checks[k]), self.details[k]]
        rows.append(big_button("follow-save", tr("follow.save"), self.save, icon=ft.Icons.SEND))
        self.control = tagged(
            "follow-up-form",
            ft.Column(rows, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
        )

    def _detail(self, kind: str) -> ft.Control:
        tr = self.ctx.tr
        controls: list[ft.Control] = []
        if kind in WITH_DATE:
            controls.append(tagged(f"follow-{kind}-date", self.dates[kind]))
        if kind == "new_visit":
            controls += [
                ft.Text(tr("follow.urgency"), size=14),
                tagged("follow-new_visit-urgency", self.urgency),
            ]
        if kind == "parts_order":
            controls += [
                ft.Row(
                    [
                        tagged("follow-part", self.part, expand=True),
                        tagged("follow-quantity", self.quantity),
                    ],
                    spacing=8,
                ),
                big_button(
                    "follow-add-part",
                    tr("follow.add_part"),
                    self._add_part,
                    icon=ft.Icons.ADD,
                    filled=False,
                ),
                self.part_note,
                self.lines_column,
            ]
        if kind in WITH_TEXT:
            controls.append(tagged(f"follow-{kind}-text", self.texts[kind]))
        return ft.Column(controls, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    async def _ticked(self, _e: ft.Event) -> None:
        for kind, check in self.checks.items():
            self.details[kind].visible = bool(check.value)
        self.control.update()

    async def _add_part(self, _e: ft.Event | None = None) -> None:
        ctx = self.ctx
        text = (self.part.value or "").strip()
        found = await ctx.call(ctx.services.follow_ups.find_parts, text)
        if not found:
            self.part_note.value = ctx.tr("follow.part_unknown", text=text)
        else:
            self.part_note.value = ""
            self.lines.append((found[0], self.quantity.value or ""))
            self.part.value, self.quantity.value = "", "1"
            self._show_lines()
        self.control.update()

    def _show_lines(self) -> None:
        tr = self.ctx.tr

        def remover(index: int):
            async def remove(_e: ft.Event) -> None:
                del self.lines[index]
                self._show_lines()
                self.control.update()

            return remove

        self.lines_column.controls = [
            tagged(
                f"follow-line-{i}",
                ft.Row(
                    [
                        ft.Text(f"{part.name} ({part.reference}) × {qty}", size=15, expand=True),
                        ft.TextButton(tr("follow.remove"), on_click=remover(i)),
                    ]
                ),
            )
            for i, (part, qty) in enumerate(self.lines)
        ]

    def items(self) -> list:
        inputs = self.ctx.services.follow_ups
        out = []
        for kind, check in self.checks.items():
            if not check.value:
                continue
            text = self.texts[kind].value if kind in self.texts else ""
            out.append(
                inputs.FollowUpInput(
                    kind=kind,
                    description=text or "",
                    proposed_date=(self.dates[kind].value or "") if kind in WITH_DATE else None,
                    urgency=(self.urgency.selected or [None])[0] if kind == "new_visit" else None,
                    lines=[inputs.PartLine(p.id, q) for p, q in self.lines]
                    if kind == "parts_order"
                    else [],
                )
            )
        return out

    async def save(self, _e: ft.Event | None = None) -> None:
        ctx = self.ctx
        result = await ctx.call(
            ctx.services.follow_ups.record,
            ctx.intervention_id,
            ctx.who,
            self.items(),
            saved="follow.saved",
        )
        if result is not None:
            await self.on_done()
