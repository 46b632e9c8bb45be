"""Van stock for the intervention: parts planned (reserved), parts used before at this site,
parts used during this job (with "Rendre" to put unused ones back), and a search in the van
to use more. Test ids: see procedure.py."""

from __future__ import annotations

import flet as ft

from app.models.enums import StockSource, UsageKind
from app.views.detail.blocks import (
    big_button,
    muted,
    number,
    refresh,
    section_title,
    subtitle,
)
from app.views.detail.context import DetailContext
from app.views.detail.part_search import VanStockSearch
from app.views.semantic_ids import tagged


class PartsSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        self.dialog: ft.AlertDialog | None = None
        tr = ctx.tr
        self.search = VanStockSearch(ctx, self._used)
        self.planned = ft.Column(spacing=4)
        self.before = ft.Column(spacing=4)
        self.usages = ft.Column(spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.root = tagged(
            "parts",
            ft.Column(
                [
                    section_title(tr("parts.title"), ft.Icons.INVENTORY_2_OUTLINED),
                    subtitle(tr("parts.planned")),
                    tagged("parts-planned", self.planned),
                    subtitle(tr("parts.usages")),
                    tagged("parts-usages", self.usages),
                    subtitle(tr("parts.stock")),
                    self.search.build(),
                    subtitle(tr("parts.used_before")),
                    tagged("parts-used-before", self.before),
                ],
                spacing=10,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def build(self) -> ft.Control:
        return self.root

    async def load(self) -> None:
        ctx, tr = self.ctx, self.ctx.tr
        stock, job, who = ctx.services.stock, ctx.intervention_id, ctx.who
        planned = await ctx.call(stock.planned, job, who)
        before = await ctx.call(stock.used_before, job, who)
        usages = await ctx.call(stock.usages, job, who)
        if planned is None or before is None or usages is None:
            return
        self.planned.controls = [
            self._line(f"{number(tr, q)} {p.unit} — {p.name} ({p.reference})") for p, q in planned
        ] or [muted(tr("parts.planned_none"))]
        self.before.controls = [
            self._line(f"{number(tr, q)} {p.unit} — {p.name} ({p.reference}), {last:%d/%m/%Y}")
            for p, q, last in before
        ] or [muted(tr("parts.used_before_none"))]
        self._show_usages(usages)
        await self.search.load()
        refresh(self.root)

    @staticmethod
    def _line(text: str) -> ft.Control:
        return ft.Text(text, size=15)

    def _show_usages(self, usages: list) -> None:
        tr = self.ctx.tr
        returned: dict[tuple[str, str], float] = {}
        for u in usages:
            if u.kind == UsageKind.RETURNED:
                key = (u.part_id, u.serial_number)
                returned[key] = returned.get(key, 0.0) + u.quantity
        rows: list[ft.Control] = []
        n = 0
        for u in usages:
            part = u.part
            text = f"{number(tr, u.quantity)} {part.unit} — {part.name}"
            if u.serial_number:
                text += f" · {tr('parts.serial')} {u.serial_number}"
            if u.kind == UsageKind.RETURNED:
                rows.append(ft.Text(f"↩ {tr('parts.returned_line')} : {text}", size=15,
                                    color=ft.Colors.ON_SURFACE_VARIANT))  # fmt: skip
                continue
            n += 1
            if u.source == StockSource.ELSEWHERE:
                text += f" ({tr('parts.from_elsewhere')})"
            left = round(u.quantity - returned.get((u.part_id, u.serial_number), 0.0), 3)
            items: list[ft.Control] = [ft.Text(text, size=16, expand=True)]
            if left > 0:
                items.append(self._return_button(n, u, left))
            rows.append(tagged(f"usage-{n}", ft.Row(items, spacing=8)))
        self.usages.controls = rows or [muted(tr("parts.usages_none"), "parts-usages-none")]

    def _return_button(self, n: int, usage, left: float) -> ft.Control:
        async def ask(_e: ft.Event) -> None:
            self._ask_return(usage, left)

        return big_button(
            f"usage-return-{n}", self.ctx.tr("parts.return"), ask, icon=ft.Icons.UNDO, filled=False
        )

    def _ask_return(self, usage, left: float) -> None:
        tr = self.ctx.tr
        qty = ft.TextField(
            label=tr("parts.quantity", unit=usage.part.unit), value=number(tr, left),
            keyboard_type=ft.KeyboardType.NUMBER, text_size=18, autofocus=True,
        )  # fmt: skip

        async def confirmed(e: ft.Event) -> None:
            ctx = self.ctx
            result = await ctx.call(
                ctx.services.stock.return_part, usage.id, (qty.value or "").strip(), ctx.who,
                ctx.now(), saved="parts.returned",
            )  # fmt: skip
            if result is not None:
                e.page.pop_dialog()
                await self._used()

        async def cancelled(e: ft.Event) -> None:
            e.page.pop_dialog()

        self.dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(tr("parts.return_title", part=usage.part.name)),
            content=tagged("usage-return-qty", qty),
            actions=[
                tagged("usage-return-cancel", ft.TextButton(tr("action.cancel"),
                                                            on_click=cancelled)),
                big_button("usage-return-confirm", tr("parts.return"), confirmed),
            ],
        )  # fmt: skip
        self.root.page.show_dialog(self.dialog)

    async def _used(self) -> None:
        await self.load()
        await self.ctx.changed()
