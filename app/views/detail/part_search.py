"""Search in the van stock and use a part: quantity (and serial number when the part has one);
more than the van holds asks whether the parts were taken from elsewhere. A second tap on
"Utiliser" for the same part within ``DOUBLE_TAP`` seconds of a recorded usage (a gloved
double tap) is ignored: the quantity field is how several are used at once. A part the van
count holds none of says so before the tap, and its usage is recorded as taken elsewhere
(``StockLine.empty``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

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
)
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged

SHOWN = 12  # lines at most: beyond, the technician narrows the search
DOUBLE_TAP = 1.0  # s: a second "Utiliser" on the same part this soon is the same tap


class VanStockSearch:
    def __init__(self, ctx: DetailContext, on_used: Callable[[], Awaitable[None]]) -> None:
        self.ctx, self.on_used = ctx, on_used
        self.dialog: ft.AlertDialog | None = None
        self.writing = asyncio.Lock()  # one write at a time (SQLite; no double sends)
        self.asked = 0  # drops results of a search typed over by a newer one
        self.last_used: tuple[str, float] = ("", 0.0)  # part id, time.monotonic() of its use
        self.using: str | None = None  # the part whose usage is being recorded
        self.search = ft.TextField(
            label=ctx.tr("parts.search"),
            prefix_icon=ft.Icons.SEARCH,
            text_size=18,
            on_change=self._typed,
            on_submit=self._typed,
        )
        self.results = ft.Column(spacing=10, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.root = ft.Column(
            [tagged("parts-search", self.search), tagged("parts-stock", self.results)],
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def build(self) -> ft.Control:
        return self.root

    async def load(self) -> None:
        self.asked += 1
        asked, ctx = self.asked, self.ctx
        lines = await ctx.call(ctx.services.stock.van_stock, ctx.who, self.search.value or "")
        if lines is None or asked != self.asked:
            return
        shown = [self._line(line) for line in lines[:SHOWN]]
        if len(lines) > SHOWN:
            shown.append(muted(ctx.tr("parts.more", count=len(lines) - SHOWN)))
        self.results.controls = shown or [muted(ctx.tr("parts.no_results"), "parts-no-results")]
        refresh(self.root)

    async def _typed(self, _e: ft.Event) -> None:
        await self.load()

    def _line(self, line) -> ft.Control:
        tr, part = self.ctx.tr, line.part
        ref = part.reference
        stock = tr(
            "parts.in_van", quantity=number(tr, line.quantity), unit=part.unit,
            minimum=number(tr, line.minimum),
        )  # fmt: skip
        if line.below_minimum:
            stock += " — " + tr("parts.below_minimum")
        qty = ft.TextField(
            label=tr("parts.quantity", unit=part.unit), value="1", width=130, text_size=18,
            keyboard_type=ft.KeyboardType.NUMBER,
        )  # fmt: skip
        serial = ft.TextField(label=tr("parts.serial"), text_size=18, expand=True)

        async def use(_e: ft.Event) -> None:
            await self._use(part, qty, serial, elsewhere=line.empty)

        button = big_button(f"part-use-{ref}", tr("parts.use"), use, icon=ft.Icons.BUILD)
        # No wrapping row here: an expanding field inside one cannot be laid out (Flutter
        # paints a grey box over the list instead). Serial numbers get the line's width.
        if part.has_serial:
            inputs = [
                ft.Row([tagged(f"part-qty-{ref}", qty), tagged(f"part-serial-{ref}", serial,
                                                              expand=True)], spacing=8),
                ft.Row([button], alignment=ft.MainAxisAlignment.END),
            ]  # fmt: skip
        else:
            inputs = [ft.Row([tagged(f"part-qty-{ref}", qty), button], spacing=8)]
        lines: list[ft.Control] = [
            ft.Text(part.name, size=17, weight=ft.FontWeight.W_600),
            ft.Text(f"{ref} · {stock}", size=15,
                    color=FLAG_COLOR if line.below_minimum else ft.Colors.ON_SURFACE_VARIANT,
                    weight=ft.FontWeight.BOLD if line.below_minimum else None),
        ]  # fmt: skip
        if line.empty:  # say before the tap what the tap will do
            key = "parts.empty.order" if line.below_minimum else "parts.empty"
            lines.append(tagged(f"part-empty-{ref}", ft.Row([
                ft.Icon(ft.Icons.INFO_OUTLINE, color=FLAG_COLOR, size=20),
                ft.Text(tr(key), size=15, color=FLAG_COLOR, expand=True),
            ], spacing=6, vertical_alignment=ft.CrossAxisAlignment.START)))  # fmt: skip
        body = ft.Column(lines + inputs, spacing=6)
        box = ft.Container(
            body, padding=12, border_radius=12,
            bgcolor=ft.Colors.RED_50 if line.below_minimum else ft.Colors.SURFACE_CONTAINER_LOW,
        )  # fmt: skip
        return tagged(f"part-{ref}", box)

    async def _use(
        self, part, qty: ft.TextField, serial: ft.TextField, elsewhere=False, confirmed=False
    ) -> None:
        ctx = self.ctx
        used_id, used_at = self.last_used
        again = used_id == part.id and time.monotonic() - used_at < DOUBLE_TAP
        if part.id == self.using or (again and not confirmed):
            return  # the same tap, twice
        self.using = part.id
        try:
            async with self.writing:
                result = await ctx.call(
                    attempt, ValidationError, ctx.services.stock.use_part, ctx.intervention_id,
                    part.id, (qty.value or "").strip(), ctx.who, ctx.now(),
                    serial_number=serial.value or "", from_elsewhere=elsewhere,
                )  # fmt: skip
        finally:
            self.using = None
        if result is None:
            return
        qty.error = serial.error = None
        if isinstance(result, Refused):
            err = result.error
            if isinstance(err, ctx.services.stock.InsufficientStockError):
                self._ask_elsewhere(part, qty, serial, err)
                return
            text = ctx.tr.error(err)
            (serial if getattr(err, "field", "") == "serial" else qty).error = text.splitlines()[0]
            ctx.notify(text, True)
            refresh(self.root)
            return
        self.last_used = (part.id, time.monotonic())
        ctx.notify(ctx.tr("parts.used", part=part.name), False)
        await self.on_used()

    def _ask_elsewhere(self, part, qty, serial, err: Exception) -> None:
        tr = self.ctx.tr

        async def elsewhere() -> None:
            await self._use(part, qty, serial, elsewhere=True, confirmed=True)

        self.dialog = question_dialog(
            tr, title=tr("parts.elsewhere.title"),
            text=tr.error(err).splitlines()[0] + "\n\n" + tr("parts.elsewhere.text"),
            confirm_id="part-elsewhere-confirm", confirm_text=tr("parts.elsewhere.confirm"),
            on_confirm=elsewhere,
        )  # fmt: skip
        self.root.page.show_dialog(self.dialog)
