"""One checklist item on screen: its label, explanation, input, saved mark, and — when a value
is out of tolerance — the red flag and the comment it requires, right under the input."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import FLAG_COLOR, SAVED_COLOR, big_button, tolerance
from app.views.detail.item_inputs import ItemInput, under_field
from app.views.semantic_ids import tagged

OnAnswer = Callable[["ItemRow", object], Awaitable[None]]
OnComment = Callable[["ItemRow", str], Awaitable[None]]


class ItemRow:
    def __init__(
        self,
        tr: Translator,
        item,
        ident: str,
        *,
        on_answer: OnAnswer,
        on_comment: OnComment,
        meter_hint: str = "",
    ) -> None:
        self.tr, self.item, self.ident = tr, item, ident
        self.on_answer, self.on_comment = on_answer, on_comment
        self.range = tolerance(tr, item.min_value, item.max_value, item.unit)
        hint = tr("item.tolerance", range=self.range) if self.range else meter_hint
        self.input = ItemInput(tr, item, ident, self._answered, hint)
        self.saved_icon = tagged(
            f"{ident}-saved",
            ft.Icon(ft.Icons.CHECK_CIRCLE, color=SAVED_COLOR, size=26, tooltip=tr("item.saved")),
            visible=False,
        )
        self.flag = tagged(
            f"{ident}-flag",
            ft.Row(
                [
                    ft.Icon(ft.Icons.WARNING_AMBER_ROUNDED, color=FLAG_COLOR),
                    ft.Text(
                        tr("item.out_of_tolerance", range=self.range),
                        color=FLAG_COLOR,
                        weight=ft.FontWeight.BOLD,
                        size=15,
                        expand=True,
                    ),
                ],
                spacing=6,
            ),
            visible=False,
        )
        self.comment = ft.TextField(
            label=tr("item.comment_required"),
            multiline=True,
            min_lines=1,
            max_lines=4,
            text_size=16,
        )
        self.comment_box = ft.Container(
            under_field(
                tagged(f"{ident}-comment", self.comment),
                big_button(
                    f"{ident}-comment-save", tr("item.save"), self._commented, icon=ft.Icons.CHECK
                ),
            ),
            visible=False,
        )
        self.saved_comment = ""

    def build(self) -> ft.Control:
        item = self.item
        label = item.label + (" *" if item.required else "")
        header = ft.Row(
            [
                ft.Text(label, size=17, weight=ft.FontWeight.W_600, expand=True),
                self.saved_icon,
            ],
            vertical_alignment=ft.CrossAxisAlignment.CENTER,
        )
        parts: list[ft.Control] = [header]
        if item.explanation.strip():
            parts.append(ft.Text(item.explanation, size=15, color=ft.Colors.ON_SURFACE_VARIANT))
        parts += [self.input.control, self.flag, self.comment_box]
        return ft.Container(
            ft.Column(parts, spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH),
            padding=ft.Padding.symmetric(vertical=10),
            border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        )

    def show(
        self,
        answer,
        *,
        just_saved: bool = False,
        answered: bool | None = None,
        picture: bytes | None = None,
    ) -> None:
        """Show the saved ``answer``: check mark, flag, comment field. ``answered``: what the
        checklist says (a photo item is answered while its photo is there); ``picture``: a
        photo item's thumbnail."""
        if answered is None:
            answered = answer is not None and (
                answer.value_text not in (None, "") or answer.value_number is not None
            )
        self.saved_icon.visible = answered
        if self.input.photo is not None:
            self.input.photo.show(answered, picture)
        else:
            self.input.show(answer, just_saved=just_saved)
        out = bool(answer and answer.out_of_tolerance)
        self.flag.visible = out
        comment = answer.comment if answer else ""
        self.comment_box.visible = out or bool(comment)
        if (self.comment.value or "") == self.saved_comment:
            self.comment.value = comment
        self.saved_comment = comment
        missing = out and not comment.strip()
        self.comment.error = self.tr("item.comment_missing") if missing else None

    def show_error(self, text: str | None) -> None:
        self.input.show_error(text)

    async def _answered(self, raw: object) -> None:
        await self.on_answer(self, raw)

    async def _commented(self, _e: ft.Event | None = None) -> None:
        await self.on_comment(self, (self.comment.value or "").strip())
