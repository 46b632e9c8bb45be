"""Section "Commentaires": internal notes and notes the client sees, told apart at a glance.

Internal: a lock icon, amber, "Interne". Client-visible: an eye icon, teal, "Visible client".
Adding needs an explicit choice (two buttons, no default). Authors edit their own comments
until the intervention is signed.
"""

from __future__ import annotations

from datetime import UTC

import flet as ft

from app.services.guards import CLOSED
from app.views.detail.blocks import big_button, muted, refresh, section_title, subtitle
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged

# visibility -> (icon, colour, background)
LOOK = {
    "internal": (ft.Icons.LOCK_OUTLINE, ft.Colors.AMBER_900, ft.Colors.AMBER_50),
    "client": (ft.Icons.VISIBILITY_OUTLINED, ft.Colors.TEAL_800, ft.Colors.TEAL_50),
}
LABEL_KEYS = {"internal": "comments.internal", "client": "comments.client"}


def local(value):
    """A stored (naive UTC) timestamp in the device's local time."""
    return value.replace(tzinfo=UTC).astimezone().replace(tzinfo=None)


class CommentsSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        tr = ctx.tr
        self.locked = False
        self.editing: str | None = None  # id of the comment being edited
        self.list = ft.Column(spacing=10)
        self.body = ft.TextField(
            label=tr("comments.body"), multiline=True, min_lines=2, max_lines=6, text_size=16
        )
        self.edit_field = ft.TextField(multiline=True, min_lines=2, max_lines=6, text_size=16)
        self.add_row = ft.Column(
            [
                subtitle(tr("comments.new")),
                tagged("comment-body", self.body),
                muted(tr("comments.choose")),
                ft.Row(
                    [
                        big_button(
                            "comment-add-internal",
                            tr("comments.add_internal"),
                            self._add_internal,
                            icon=LOOK["internal"][0],
                            filled=False,
                        ),
                        big_button(
                            "comment-add-client",
                            tr("comments.add_client"),
                            self._add_client,
                            icon=LOOK["client"][0],
                            filled=False,
                        ),
                    ],
                    wrap=True,
                    spacing=10,
                ),
            ],
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.locked_note = tagged("comments-locked", muted(tr("comments.locked")), visible=False)
        self.root: ft.Control | None = None

    def unsaved(self) -> list[tuple[str, str]]:
        text = (self.body.value or "").strip()
        return [(self.ctx.tr("comments.new"), text)] if text else []

    def build(self) -> ft.Control:
        self.root = ft.Column(
            [
                section_title(self.ctx.tr("detail.section.comments"), ft.Icons.CHAT_BUBBLE_OUTLINE),
                tagged("comments-list", self.list),
                self.locked_note,
                self.add_row,
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return self.root

    def _read(self):
        ctx = self.ctx
        detail = ctx.services.detail.load_detail(ctx.intervention_id, history_limit=0)
        comments = ctx.services.comments.for_intervention(ctx.intervention_id, ctx.who)
        return detail.intervention.status in CLOSED, comments

    async def load(self) -> None:
        read = await self.ctx.call(self._read)
        if read is None:
            return
        self.locked, comments = read
        self.locked_note.visible = self.locked
        self.add_row.visible = not self.locked
        self.list.controls = [self._comment(i, c, a) for i, (c, a) in enumerate(comments)] or [
            muted(self.ctx.tr("comments.empty"), "comments-empty")
        ]

    async def _reload(self) -> None:
        await self.load()
        if self.root is not None:
            refresh(self.root)

    def _comment(self, index: int, comment, author: str) -> ft.Control:
        tr = self.ctx.tr
        visibility = comment.visibility if comment.visibility in LOOK else "internal"
        icon, color, bg = LOOK[visibility]
        label_key = LABEL_KEYS[visibility]
        when = local(comment.created_at)
        meta = tr(
            "comments.meta", author=author, date=tr.long_date(when.date()), time=tr.time(when)
        )
        badge = tagged(
            f"comment-{index}-visibility",
            ft.Row(
                [
                    ft.Icon(icon, color=color, size=20),
                    ft.Text(tr(label_key), color=color, weight=ft.FontWeight.BOLD, size=14),
                ],
                spacing=4,
                tight=True,
            ),
        )
        top = [badge, ft.Text(meta, size=13, color=ft.Colors.ON_SURFACE_VARIANT, expand=True)]
        mine = comment.author_id == self.ctx.who.id and not self.locked
        if mine and self.editing != comment.id:
            top.append(self._edit_button(index, comment))
        if self.editing == comment.id:
            body = self._editor(comment)
        else:
            body = tagged(f"comment-{index}-body", ft.Text(comment.body, size=16, selectable=True))
        return tagged(
            f"comment-{index}",
            ft.Container(
                ft.Column([ft.Row(top, spacing=8), body], spacing=6),
                bgcolor=bg,
                border=ft.Border.only(left=ft.BorderSide(5, color)),
                border_radius=ft.BorderRadius.all(10),
                padding=ft.Padding.only(left=12, top=8, right=8, bottom=10),
            ),
        )

    def _edit_button(self, index: int, comment) -> ft.Control:
        async def edit(_e: ft.Event) -> None:
            self.editing = comment.id
            self.edit_field.value = comment.body
            await self._reload()

        button = ft.TextButton(self.ctx.tr("comments.edit"), icon=ft.Icons.EDIT, on_click=edit)
        return tagged(f"comment-edit-{index}", button, button=True)

    def _editor(self, comment) -> ft.Control:
        tr = self.ctx.tr

        async def save(_e: ft.Event) -> None:
            ctx = self.ctx
            done = await ctx.call(
                ctx.services.comments.edit,
                comment.id,
                self.edit_field.value or "",
                ctx.who,
                saved="comments.edited",
            )
            if done is not None:
                self.editing = None
                await self._reload()

        async def cancel(_e: ft.Event) -> None:
            self.editing = None
            await self._reload()

        return ft.Column(
            [
                tagged("comment-edit-body", self.edit_field),
                ft.Row(
                    [
                        big_button("comment-edit-save", tr("comments.edit_save"), save),
                        tagged(
                            "comment-edit-cancel",
                            ft.TextButton(tr("comments.edit_cancel"), on_click=cancel),
                            button=True,
                        ),
                    ],
                    wrap=True,
                    spacing=10,
                ),
            ],
            spacing=8,
        )

    async def _add(self, visibility: str) -> None:
        ctx = self.ctx
        added = await ctx.call(
            ctx.services.comments.add,
            ctx.intervention_id,
            self.body.value or "",
            visibility,
            ctx.who,
            saved=f"comments.added.{visibility}",
        )
        if added is not None:
            self.body.value = ""
            await self._reload()

    async def _add_internal(self, _e: ft.Event) -> None:
        await self._add("internal")

    async def _add_client(self, _e: ft.Event) -> None:
        await self._add("client")
