"""The guided procedure (*gamme opératoire*): steps in order with their explanation, progress,
and one typed input per checklist item.

Test ids (``flt-semantics-identifier`` in the browser; ``<s>``/``<i>`` are 1-based positions):
  procedure                 the section           procedure-progress    "12 / 30" and the bar
  step-<s>                  a step card           item-<s>-<i>          the item's input:
    check: a checkbox (click) · yes_no_na: 3 segments (click the "Oui"/"Non"/"N/A" button
    inside) · choice: chips, also item-<s>-<i>-opt-<n> · numeric, meter, text: a text field
    (click it, wait for focus, type) · photo: item-<s>-<i>-camera, -pick, -remove, -photo
    (the thumbnail), -status (photo_item_input.py)
  item-<s>-<i>-save         saves a typed value (Enter or leaving a numeric field saves too)
  item-<s>-<i>-saved        the check mark once saved   item-<s>-<i>-flag   out of tolerance
  item-<s>-<i>-comment      the comment a flagged value needs; item-<s>-<i>-comment-save
  meter-confirm-replaced    "Oui, compteur remplacé" in the lower-reading dialog
                            (meter-confirm-replaced-cancel: correct the value instead)
Meters (meters.py): meters, meter-<slug>, meter-<slug>-save, meter-<slug>-last, measurements,
  measurement-<n>. Parts (parts.py): parts, parts-planned, parts-used-before, parts-usages,
  parts-search, part-<reference>, part-qty-<reference>, part-serial-<reference>,
  part-use-<reference>, part-elsewhere-confirm, usage-<n>, usage-return-<n>,
  usage-return-qty, usage-return-confirm. History (history.py): history, history-switch
  (segments "Site"/"Équipement"), history-visit-<reference>, history-trend-label,
  history-trend, trend-point-<n>.
"""

from __future__ import annotations

import asyncio

import flet as ft

from app.errors import ValidationError
from app.views.detail.blocks import (
    SAVED_COLOR,
    Refused,
    attempt,
    muted,
    number,
    question_dialog,
    refresh,
    section_title,
)
from app.views.detail.context import DetailContext
from app.views.detail.item_row import ItemRow
from app.views.detail.photo_item_input import PickedPhoto, RemovePhoto
from app.views.semantic_ids import tagged


class ProcedureSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        self.writing = asyncio.Lock()  # one write at a time (SQLite; no double sends)
        self.rows: dict[str, ItemRow] = {}
        self.step_marks: dict[str, ft.Control] = {}
        self.dialog: ft.AlertDialog | None = None
        tr = ctx.tr
        self.count = ft.Text("", size=17, weight=ft.FontWeight.BOLD)
        self.bar = ft.ProgressBar(value=0, bar_height=10, border_radius=5)
        self.progress = tagged(
            "procedure-progress",
            ft.Column(
                [
                    ft.Row([ft.Text(tr("procedure.progress"), size=16, expand=True), self.count]),
                    self.bar,
                ],
                spacing=6,
            ),
        )
        self.steps = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.root = tagged(
            "procedure",
            ft.Column(
                [
                    section_title(tr("procedure.title"), ft.Icons.CHECKLIST),
                    self.progress,
                    self.steps,
                ],
                spacing=12,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def build(self) -> ft.Control:
        return self.root

    def unsaved(self) -> list[tuple[str, str]]:
        typed = []
        for row in self.rows.values():
            field = row.input.field
            text = (field.value or "").strip() if field is not None else ""
            if text and text != row.input.saved_text:
                typed.append((row.item.label, text))
        return typed

    async def load(self) -> None:
        ctx = self.ctx
        checklist = await ctx.call(ctx.services.checklist.checklist, ctx.intervention_id, ctx.who)
        if checklist is None:
            return
        known = [i.item.id for s in checklist.steps for i in s.items]
        if known != list(self.rows):  # first load (or the procedure changed): build it
            meters = await ctx.call(ctx.services.meters.meters_of, ctx.intervention_id, ctx.who)
            self._build_steps(checklist, {m.meter.name: m for m in meters or []})
        pictures = await self._photo_pictures(checklist)
        for step in checklist.steps:
            self.step_marks[step.step.id].visible = step.done and bool(step.items)
            for state in step.items:
                self.rows[state.item.id].show(
                    state.answer, answered=state.answered, picture=pictures.get(state.item.id)
                )
        self.count.value = f"{checklist.answered} / {checklist.total}"
        self.bar.value = checklist.answered / checklist.total if checklist.total else 0
        self.progress.visible = checklist.total > 0
        refresh(self.root)

    async def _photo_pictures(self, checklist) -> dict[str, bytes | None]:
        """The thumbnails of the photos answering photo items (none: no read)."""
        if not any(state.photo for step in checklist.steps for state in step.items):
            return {}
        ctx = self.ctx

        def read():
            media = ctx.services.media
            return ctx.services.photo_items.thumbnails(
                ctx.intervention_id, ctx.who, media.device_store(), ctx.services.session
            )

        return await ctx.call(read) or {}

    def _build_steps(self, checklist, meters: dict) -> None:
        tr = self.ctx.tr
        self.rows.clear()
        cards: list[ft.Control] = []
        for step in checklist.steps:
            pos = step.step.position
            mark = ft.Icon(ft.Icons.TASK_ALT, color=SAVED_COLOR, size=28, visible=False)
            self.step_marks[step.step.id] = mark
            title = ft.Row(
                [
                    ft.Text(f"{pos}. {step.step.title}", size=19, weight=ft.FontWeight.BOLD,
                            expand=True),
                    mark,
                ]
            )  # fmt: skip
            body: list[ft.Control] = [title]
            if step.step.explanation.strip():
                body.append(ft.Text(step.step.explanation, size=16, selectable=True))
            for state in step.items:
                item = state.item
                row = ItemRow(
                    tr, item, f"item-{pos}-{item.position}", on_answer=self._answer,
                    on_comment=self._comment, meter_hint=self._meter_hint(meters, item),
                )  # fmt: skip
                self.rows[item.id] = row
                body.append(row.build())
            card = ft.Card(ft.Container(ft.Column(body, spacing=8), padding=16), margin=0)
            cards.append(tagged(f"step-{pos}", card))
        self.steps.controls = cards or [muted(tr("procedure.empty"), "procedure-empty")]

    def _meter_hint(self, meters: dict, item) -> str:
        state = meters.get(item.meter_name) if item.meter_name else None
        if state is None or state.previous is None:
            return ""
        p = state.previous
        value = f"{number(self.ctx.tr, p.value)} {state.meter.unit}"
        return self.ctx.tr("meters.last", value=value, date=f"{p.read_at:%d/%m/%Y}")

    async def _answer(self, row: ItemRow, raw: object, counter_replaced: bool = False) -> None:
        ctx = self.ctx
        if isinstance(raw, (PickedPhoto, RemovePhoto)):
            await self._photo(row, raw)
            return
        async with self.writing:
            result = await ctx.call(
                attempt, ValidationError, ctx.services.checklist.answer, ctx.intervention_id,
                row.item.id, raw, ctx.who, ctx.now(), counter_replaced=counter_replaced,
            )  # fmt: skip
        if result is None:
            return
        if isinstance(result, Refused):
            if isinstance(result.error, ctx.services.meters.MeterRollbackError):
                self._ask_replaced(row, raw, result.error)
            else:
                self._refused(row, result.error)
            return
        row.show(result, just_saved=True)
        await self._saved(meter=row.item.kind == "meter")

    async def _photo(self, row: ItemRow, raw: PickedPhoto | RemovePhoto) -> None:
        """Import the picture as the item's photo, or take it off, off the UI loop."""
        ctx, photos = self.ctx, self.ctx.services.photo_items
        picked = isinstance(raw, PickedPhoto)
        row.input.photo.busy(ctx.tr("photo_item.importing" if picked else "photo_item.removing"))

        def run():
            if not picked:
                return photos.remove(ctx.intervention_id, row.item.id, ctx.who, ctx.now())
            return photos.attach(
                ctx.intervention_id, row.item.id, (raw.name, raw.data), ctx.who, ctx.now(),
                store=ctx.services.media.device_store(), source=raw.source,
            )  # fmt: skip

        async with self.writing:
            result = await ctx.call(attempt, ValidationError, run)
        row.input.photo.busy(None)
        if isinstance(result, Refused):
            self._refused(row, result.error)
            return
        if result is None:
            return
        ctx.notify(ctx.tr("photo_item.saved" if picked else "photo_item.removed"), False)
        await self._saved()
        await ctx.changed()  # the Médias section and the report show the photo

    async def _comment(self, row: ItemRow, text: str) -> None:
        ctx = self.ctx

        def send() -> bool:
            ctx.services.checklist.comment_answer(ctx.intervention_id, row.item.id, text, ctx.who)
            return True

        async with self.writing:
            result = await ctx.call(attempt, ValidationError, send)
        if isinstance(result, Refused):
            self._refused(row, result.error)
        elif result:
            ctx.notify(ctx.tr("item.comment_saved"), False)
            row.saved_comment = text
            await self._saved()

    def _refused(self, row: ItemRow, err: Exception) -> None:
        text = self.ctx.tr.error(err)
        row.show_error(text.splitlines()[0])
        self.ctx.notify(text, True)
        refresh(self.root)

    def _ask_replaced(self, row: ItemRow, raw: object, err: Exception) -> None:
        tr = self.ctx.tr
        params = {k: v for k, v in getattr(err, "params", {}).items() if v is not None}

        async def replaced() -> None:
            await self._answer(row, raw, counter_replaced=True)

        self.dialog = question_dialog(
            tr, title=tr("meter.replaced.title"), text=tr("meter.replaced.text", **params),
            confirm_id="meter-confirm-replaced", confirm_text=tr("meter.replaced.confirm"),
            on_confirm=replaced, cancel_text=tr("meter.replaced.cancel"),
        )  # fmt: skip
        self.root.page.show_dialog(self.dialog)

    async def _saved(self, *, meter: bool = False) -> None:
        """Show the new progress. The rest of the screen changes only with a meter reading
        (the header shows the meters): rebuilding it while the technician moves on to the next
        field could move the focus under his fingers."""
        await self.load()
        if meter:
            await self.ctx.changed()
