"""The input of one checklist item, by kind: checkbox, yes/no/NA, number, text, choice, photo
(``photo_item_input``: the camera or a picked photo is the answer).

An input calls ``on_answer(raw)`` when the user answers (a click, Enter, leaving the field or
the save button) and shows the saved answer with ``show(answer)``. Typed text the user has
not saved yet is never overwritten by a reload. A typed kind's save button is enabled only
while the field holds something not saved yet; a text answer gets the whole width, its
button under it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.models.enums import ItemKind
from app.views.detail.blocks import big_button, number, refresh
from app.views.detail.photo_item_input import PhotoItemInput
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET

Answer = Callable[[object], Awaitable[None]]


def under_field(field: ft.Control, button: ft.Control) -> ft.Control:
    """A text field on the whole width, its button under it at the right (phones: a field
    beside a large button is too narrow to read what was written)."""
    return ft.Column(
        [field, ft.Row([button], alignment=ft.MainAxisAlignment.END)],
        spacing=6,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )


YES_NO_NA = ("yes", "no", "na")


class ItemInput:
    """``control`` is the tagged input (``ident``), plus a save button for typed kinds."""

    def __init__(self, tr: Translator, item, ident: str, on_answer: Answer, hint: str = "") -> None:
        self.tr, self.item, self.ident, self.on_answer = tr, item, ident, on_answer
        self.kind = ItemKind(item.kind)
        self.saved_text = ""  # what the field showed after the last save or load
        self.last_sent: str | None = None  # what was last sent (leaving the field sends once)
        self.sending: str | None = None  # the value on its way (leaving + clicking send once)
        self.field: ft.TextField | None = None
        self.photo: PhotoItemInput | None = None
        self.control = self._build(hint)

    # -- building ----------------------------------------------------------------------------

    def _build(self, hint: str) -> ft.Control:
        kind, tr = self.kind, self.tr
        if kind == ItemKind.CHECK:
            self.box = ft.Checkbox(
                label=tr("item.done"),
                on_change=self._checked,
                scale=ft.Scale(1.3, alignment=ft.Alignment.CENTER_LEFT),  # grows to the right
            )
            return ft.Container(
                tagged(self.ident, self.box), padding=ft.Padding.only(left=8), height=TOUCH_TARGET
            )
        if kind == ItemKind.YES_NO_NA:
            self.segments = ft.SegmentedButton(
                segments=[ft.Segment(value=v, label=tr(f"item.{v}")) for v in YES_NO_NA],
                selected=[],
                allow_empty_selection=True,
                show_selected_icon=True,
                on_change=self._segment,
                style=ft.ButtonStyle(padding=ft.Padding.symmetric(vertical=16, horizontal=12)),
            )
            return tagged(self.ident, self.segments)
        if kind == ItemKind.CHOICE:
            self.chips = [
                ft.Chip(label=ft.Text(c, size=16), on_select=self._chosen, data=c)
                for c in self.item.choices or []
            ]
            row = ft.Row(
                [tagged(f"{self.ident}-opt-{n}", c) for n, c in enumerate(self.chips, 1)],
                wrap=True,
                spacing=8,
                run_spacing=8,
            )
            return tagged(self.ident, row)
        if kind == ItemKind.PHOTO:  # a photo is the answer (photo_item_input.py)
            self.photo = PhotoItemInput(tr, self.item, self.ident, self.on_answer)
            return self.photo.control
        return self._typed(hint)

    def _typed(self, hint: str) -> ft.Control:
        numeric = self.kind in (ItemKind.NUMERIC, ItemKind.METER)
        unit = self.item.unit if self.kind == ItemKind.NUMERIC else ""
        self.field = ft.TextField(
            label=self.tr(f"item.field.{self.kind.value}"),
            suffix=unit or None,
            helper=(hint or None) if not numeric else None,
            helper_max_lines=2,
            keyboard_type=ft.KeyboardType.NUMBER if numeric else ft.KeyboardType.MULTILINE,
            multiline=not numeric,
            min_lines=1 if numeric else 2,
            max_lines=1 if numeric else 6,
            text_size=18,
            on_submit=self._save,
            on_blur=self._left,
            on_change=self._edited,
            expand=numeric,
        )
        save = big_button(
            f"{self.ident}-save", self.tr("item.save"), self._save, icon=ft.Icons.CHECK,
            disabled=True,
        )  # fmt: skip
        self.save_button = save.content
        if not numeric:  # text: the whole width to write in, the button under it
            return under_field(tagged(self.ident, self.field), save)
        row = ft.Row(
            [tagged(self.ident, self.field, expand=True), save],
            spacing=8,
            vertical_alignment=ft.CrossAxisAlignment.START,
        )
        if not hint:
            return row
        # The tolerance or last reading on the whole width under the field and its button:
        # as the field's helper it wrapped in the narrow field of a phone.
        note = ft.Text(hint, size=14, color=ft.Colors.ON_SURFACE_VARIANT)
        return ft.Column([row, tagged(f"{self.ident}-hint", note)], spacing=4)

    # -- events ------------------------------------------------------------------------------

    async def _checked(self, e: ft.Event) -> None:
        await self.on_answer(True if self.box.value else "")

    async def _segment(self, e: ft.Event) -> None:
        selected = self.segments.selected or []
        if not selected:  # a second tap on the chosen answer (gloves, a double tap): keep it
            previous = getattr(self, "chosen", None)
            if previous:
                self.segments.selected = [previous]
                self.segments.update()
            return
        self.chosen = selected[0]
        await self.on_answer(self.chosen)

    async def _chosen(self, e: ft.Event) -> None:
        chip = e.control
        value = chip.data if chip.selected else ""
        for other in self.chips:
            other.selected = other is chip and chip.selected
        await self.on_answer(value)

    async def _save(self, _e: ft.Event | None = None) -> None:
        value = (self.field.value or "").strip()
        if self.sending == value:  # leaving the field then clicking save: one request
            return
        self.last_sent = self.sending = value
        try:
            await self.on_answer(value)
        finally:
            self.sending = None

    async def _edited(self, _e: ft.Event) -> None:
        if self._mark_unsaved():
            refresh(self.save_button)

    def _mark_unsaved(self) -> bool:
        """Enable "Enregistrer" only while the field holds something not saved; True if that
        changed."""
        saved = (self.field.value or "").strip() == self.saved_text
        if self.save_button.disabled == saved:
            return False
        self.save_button.disabled = saved
        return True

    async def _left(self, _e: ft.Event) -> None:
        value = (self.field.value or "").strip()
        if value not in (self.saved_text, self.last_sent):
            await self._save()

    # -- showing -----------------------------------------------------------------------------

    def show(self, answer, *, just_saved: bool = False) -> None:
        """Reflect the saved ``answer`` (a ChecklistAnswer or None); a typed value being edited
        is kept unless it was ``just_saved``."""
        text = answer.value_text if answer else None
        if self.kind == ItemKind.CHECK:
            self.box.value = text == "done"
        elif self.kind == ItemKind.YES_NO_NA:
            self.segments.selected = [text] if text in YES_NO_NA else []
            self.chosen = text if text in YES_NO_NA else None
        elif self.kind == ItemKind.CHOICE:
            for chip in self.chips:
                chip.selected = chip.data == text
        elif self.field is not None:
            numeric = self.kind in (ItemKind.NUMERIC, ItemKind.METER)
            shown = number(self.tr, answer.value_number) if numeric and answer else text or ""
            current = (self.field.value or "").strip()
            if just_saved or current == self.saved_text:
                self.field.value = shown  # not being edited: show what is saved
            self.saved_text = shown
            self.field.error = None
            self._mark_unsaved()

    def show_error(self, text: str | None) -> None:
        if self.field is not None:
            self.field.error = text
        if self.photo is not None:
            self.photo.show_error(text)
