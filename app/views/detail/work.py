"""Section "Travaux": the diagnosis and the operations carried out, saved on request.

Text typed and not saved yet is kept when the screen reloads (a status change, a sync).
Once the intervention is signed (or cancelled) the fields are read-only and say why.
"""

from __future__ import annotations

import flet as ft

from app.services.guards import CLOSED
from app.views.detail.blocks import SAVED_COLOR, big_button, refresh, section_title
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged


class WorkSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        tr = ctx.tr
        self.dirty = False
        self.locked = False
        self.diagnosis = self._field(tr("work.diagnosis"), tr("work.diagnosis.hint"))
        self.operations = self._field(tr("work.operations"), tr("work.operations.hint"))
        self.saved = ft.Text("", color=SAVED_COLOR, size=15, weight=ft.FontWeight.W_600)
        self.save_button = big_button(
            "work-save", tr("work.save"), self.save, icon=ft.Icons.SAVE_OUTLINED
        )
        self.locked_note = tagged(
            "work-locked",
            ft.Row(
                [
                    ft.Icon(ft.Icons.LOCK_OUTLINE, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Text(tr("work.locked"), size=15, expand=True),
                ]
            ),
            visible=False,
        )
        self.root: ft.Control | None = None

    def _field(self, label: str, hint: str) -> ft.TextField:
        return ft.TextField(
            label=label,
            hint_text=hint,
            multiline=True,
            min_lines=3,
            max_lines=10,
            text_size=16,
            on_change=self._changed,
        )

    def build(self) -> ft.Control:
        tr = self.ctx.tr
        self.root = ft.Column(
            [
                section_title(tr("detail.section.work"), ft.Icons.BUILD_OUTLINED),
                self.locked_note,
                tagged("work-diagnosis", self.diagnosis),
                tagged("work-operations", self.operations),
                ft.Row(
                    [self.save_button, tagged("work-saved", self.saved)],
                    spacing=16,
                    wrap=True,
                    vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ),
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return self.root

    async def load(self) -> None:
        ctx = self.ctx
        detail = await ctx.call(
            ctx.services.detail.load_detail, ctx.intervention_id, history_limit=0
        )
        if detail is None:
            return
        job = detail.intervention
        self._lock(job.status in CLOSED)
        if not self.dirty:  # never overwrite what the user typed and has not saved
            self.diagnosis.value = job.diagnosis
            self.operations.value = job.operations

    def _lock(self, locked: bool) -> None:
        self.locked = locked
        self.locked_note.visible = locked
        self.diagnosis.read_only = self.operations.read_only = locked
        self.save_button.content.disabled = locked

    async def _changed(self, _e: ft.Event) -> None:
        if not self.dirty:
            self.dirty = True
            self.saved.value = self.ctx.tr("work.unsaved")
            self.saved.color = ft.Colors.ON_SURFACE_VARIANT
            if self.root is not None:
                refresh(self.saved)

    def unsaved(self) -> list[tuple[str, str]]:
        if not self.dirty:
            return []
        fields = (self.diagnosis, self.operations)
        return [(f.label, f.value.strip()) for f in fields if (f.value or "").strip()]

    async def save(self, _e: ft.Event | None = None) -> None:
        ctx = self.ctx
        result = await ctx.call(
            ctx.services.work.update_work,
            ctx.intervention_id,
            ctx.who,
            diagnosis=self.diagnosis.value or "",
            operations=self.operations.value or "",
            saved="work.saved",
        )
        if result is None:  # refused: the notice says why; the text stays on screen
            return
        self.dirty = False
        self.diagnosis.value, self.operations.value = result.diagnosis, result.operations
        self.saved.value = ctx.tr("work.saved_at", time=ctx.tr.time(ctx.now()))
        self.saved.color = SAVED_COLOR
        if self.root is not None:
            refresh(self.root)
