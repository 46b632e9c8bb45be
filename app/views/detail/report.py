"""Section "Rapport": the visit report draft as a checklist to edit, the client's preview,
"Présenter au client", the missing-signature record; once closed, the frozen report with its
signature (or refusal) and the follow-up.

Everything is read and written through the services, off the UI loop (``ctx.call``): the
draft (``services.signing.report_state``), ticks and texts (``services.reports``), the
record of a missing signature (``services.signing``), the follow-up (``services.follow_ups``).
Client mode is its own locked screen (``app.views.client_mode``), opened with
``ctx.present()``.
"""

from __future__ import annotations

import asyncio

import flet as ft

from app.errors import ValidationError
from app.views.detail.blocks import big_button, muted, section_title, subtitle
from app.views.detail.context import DetailContext
from app.views.detail.follow_up_form import FollowUpForm
from app.views.detail.missing_signature import MissingSignatureForm
from app.views.detail.report_lines import checklist
from app.views.report_preview import report_preview
from app.views.semantic_ids import tagged

FOLLOW_UP_STATUSES = ("signed", "submitted")


class ReportSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        self.state = None
        self.pictures: dict[str, bytes | None] = {}
        self.body = ft.Column(
            [muted(ctx.tr("rpt.loading"), "report-loading")],
            spacing=16,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.missing = MissingSignatureForm(ctx, shown_sha256=self._shown, on_done=self._closed)
        self.follow_up: FollowUpForm | None = None
        self.root: ft.Control | None = None

    def _shown(self) -> str | None:
        draft = self.state.draft if self.state is not None else None
        return draft.sha256 if draft is not None else None

    def build(self) -> ft.Control:
        tr = self.ctx.tr
        self.root = ft.Column(
            [section_title(tr("detail.section.report"), ft.Icons.DESCRIPTION_OUTLINED), self.body],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return self.root

    async def load(self) -> None:
        ctx = self.ctx
        state = await ctx.call(ctx.services.signing.report_state, ctx.intervention_id, ctx.who)
        if state is None:
            return
        self.state = state
        self.pictures = {} if state.frozen else await self._pictures(state.draft.content)
        self.body.controls = self._frozen() if state.frozen else self._draft()

    async def _pictures(self, content: dict) -> dict[str, bytes | None]:
        """The thumbnails of the draft's photos (photo line id -> bytes), off the UI loop."""
        if not content.get("photos"):
            return {}
        ctx = self.ctx

        def read():
            media = ctx.services.media
            try:
                store = media.device_store()
            except ValidationError:  # a database that keeps no files: no thumbnails
                return {}
            rows = [r for r in media.for_intervention(ctx.intervention_id, ctx.who)
                    if f"photo:{r.id}" in {p["id"] for p in content["photos"]}]  # fmt: skip
            pictures = media.grid_pictures(store, rows, ctx.services.session)
            return {f"photo:{r.id}": data for r, data in zip(rows, pictures, strict=True)}

        return await ctx.call(read) or {}

    # -- the draft ---------------------------------------------------------------------------

    def _draft(self) -> list[ft.Control]:
        tr, state = self.ctx.tr, self.state
        ready = state.can_present
        actions = ft.Row(
            [
                big_button(
                    "report-present", tr("rpt.present"), self._present,
                    icon=ft.Icons.PRESENT_TO_ALL, disabled=not ready,
                ),
                big_button(
                    "report-missing", tr("rpt.missing"), self._toggle_missing,
                    icon=ft.Icons.PERSON_OFF_OUTLINED, filled=False, disabled=not ready,
                ),
            ],
            wrap=True,
            spacing=10,
            run_spacing=10,
        )  # fmt: skip
        controls: list[ft.Control] = [actions, self._pdf_button()]
        if not ready:
            controls.append(muted(tr("rpt.present.not_ready"), "report-not-ready"))
        controls += [
            self.missing.control,
            subtitle(tr("rpt.checklist")),
            muted(tr("rpt.checklist.hint")),
            checklist(
                tr,
                state.draft.content,
                on_toggle=self._toggle,
                on_correct=self._correct,
                pictures=self.pictures,
            ),
            ft.Divider(),
            subtitle(tr("rpt.preview")),
            muted(tr("rpt.preview.hint")),
            self._preview(state.final),
        ]
        return controls

    def _preview(self, content: dict) -> ft.Control:
        fmt = self.ctx.services.signing.formats(self.ctx.tr.locale)
        return ft.Container(
            report_preview(self.ctx.tr, fmt, content),
            padding=16,
            border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
            border_radius=ft.BorderRadius.all(12),
        )

    async def _toggle(self, line_id: str, included: bool) -> None:
        ctx = self.ctx
        await ctx.call(
            ctx.services.reports.set_included, ctx.intervention_id, line_id, included, ctx.who
        )
        await self._reload()

    async def _correct(self, line_id: str, text: str) -> None:
        ctx = self.ctx
        done = await ctx.call(
            ctx.services.reports.correct_text, ctx.intervention_id, line_id, text, ctx.who,
            saved="rpt.saved",
        )  # fmt: skip
        if done is not None:
            await self._reload()

    async def _reload(self) -> None:
        await self.load()
        if self.root is not None:
            self.root.update()

    def _pdf_button(self) -> ft.Control:
        return ft.Row(
            [
                big_button(
                    "report-pdf",
                    self.ctx.tr("rpt.pdf"),
                    self._download,
                    icon=ft.Icons.PICTURE_AS_PDF_OUTLINED,
                    filled=False,
                )
            ]
        )

    async def _download(self, _e: ft.Event | None = None) -> None:
        """The PDF (the signed one once signed), made in a background job, then handed to
        the platform: a download in the browser, "save as" on a desktop or phone."""
        ctx = self.ctx
        ctx.notify(ctx.tr("rpt.pdf.making"), False)
        job = ctx.services.jobs.submit(
            _pdf_job, ctx.services.signing, ctx.intervention_id, ctx.who, ctx.tr.locale,
            name="report-pdf",
        )  # fmt: skip
        try:
            name, data = await asyncio.wrap_future(job.future)
        except Exception as err:
            ctx.notify(ctx.tr.error(err), True)
            return
        await ft.FilePicker().save_file(file_name=name, src_bytes=data)
        ctx.notify(ctx.tr("rpt.pdf.ready"), False)

    async def _present(self, _e: ft.Event | None = None) -> None:
        self.ctx.present()

    async def _toggle_missing(self, _e: ft.Event | None = None) -> None:
        self.missing.toggle()
        self.root.update()

    async def _closed(self) -> None:
        await self._reload()
        await self.ctx.changed()  # the header's status, the actions

    # -- the frozen report -------------------------------------------------------------------

    def _frozen(self) -> list[ft.Control]:
        tr, state = self.ctx.tr, self.state
        if state.version is None or state.version.status == "draft":
            return [muted(tr("rpt.frozen.none"), "report-none")]
        controls: list[ft.Control] = [self._record_card(), self._pdf_button()]
        if state.follow_ups:
            controls.append(self._recorded_follow_ups())
        elif state.status in FOLLOW_UP_STATUSES:
            self.follow_up = FollowUpForm(self.ctx, on_done=self._closed)
            controls.append(self.follow_up.control)
        controls += [ft.Divider(), subtitle(tr("rpt.preview")), self._preview(state.final)]
        return controls

    def _record_card(self) -> ft.Control:
        tr, state = self.ctx.tr, self.state
        fmt = self.ctx.services.signing.formats(tr.locale)
        record = state.signature
        when = ""
        if record is not None:
            when = fmt.datetime((record.audit or {}).get("signed_at_local") or record.signed_at)
        if record is None:
            text, icon, color = tr("rpt.frozen.note"), ft.Icons.LOCK_OUTLINE, None
        elif record.outcome == "signed":
            text = tr(
                "rpt.frozen.signed", name=record.signer_name, role=record.signer_role, when=when
            )
            icon, color = ft.Icons.VERIFIED, ft.Colors.GREEN_800
        else:
            text = tr(f"rpt.frozen.{record.outcome}", when=when, reason=record.reason)
            icon, color = ft.Icons.PERSON_OFF_OUTLINED, ft.Colors.DEEP_ORANGE_900
        return tagged(
            "report-record",
            ft.Container(
                ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Icon(icon, color=color),
                                ft.Text(text, size=16, color=color, expand=True),
                            ]
                        ),
                        muted(tr("rpt.frozen.note")),
                        ft.Text(
                            tr("rpt.sha", sha=state.version.content_sha256 or ""),
                            size=12,
                            color=ft.Colors.ON_SURFACE_VARIANT,
                        ),
                    ],
                    spacing=6,
                ),
                padding=12,
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                border_radius=ft.BorderRadius.all(12),
            ),
        )

    def _recorded_follow_ups(self) -> ft.Control:
        tr = self.ctx.tr
        fmt = self.ctx.services.signing.formats(tr.locale)
        rows: list[ft.Control] = [subtitle(tr("follow.recorded"))]
        for i, row in enumerate(self.state.follow_ups):
            parts = [tr(f"follow.kind.{row.kind}")]
            if row.due_date:
                parts.append(fmt.date(row.due_date))
            if row.urgency:
                parts.append(tr(f"priority.{row.urgency}"))
            for line in row.lines or []:
                parts.append(f"{line['name']} × {fmt.number(line['quantity'])}")
            if row.description:
                parts.append(row.description)
            rows.append(tagged(f"follow-recorded-{i}", ft.Text(" — ".join(parts), size=15)))
        return tagged("follow-recorded", ft.Column(rows, spacing=6))


def _pdf_job(_handle, signing, intervention_id, who, language):
    return signing.report_pdf(intervention_id, who, language=language)
