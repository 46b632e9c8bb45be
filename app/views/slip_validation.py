"""One slip to validate (/office/validation/<id>): its content, the fields the office may
correct (each with a reason, into version 2), the signature evidence, the signed PDF's pages
and a way to open it, the e-mail delivery state, and "Valider"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views import held_aside, slip_panels
from app.views.office_screen import MessageBox, OfficeScreen
from app.views.semantic_ids import tagged
from app.views.state import AppState
from app.views.theme import TOUCH_TARGET
from app.views.validation_queue import chip, signed_chip

log = logging.getLogger(__name__)


def field_tag(field_id: str) -> str:
    return "field-" + field_id.replace(":", "-")


class SlipValidationView(OfficeScreen):
    max_width = 1180  # the shell's content column: two columns on a desktop

    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        super().__init__(state, services, on_update=on_update)
        self.intervention_id = state.office_item or ""
        self.slip = None
        self.document = None
        self.deliveries: list[dict] | None = None
        self.held: list = []  # this slip's PDFs held aside by head office
        self.editing: str | None = None
        self.phone = False
        tr = state.tr
        self.messages = MessageBox("validation-message")
        self.body = ft.Column([ft.ProgressRing(width=24, height=24)], spacing=12)
        self.value_field = ft.TextField(
            label=tr("validation.new_value"), multiline=True, min_lines=2
        )
        self.reason_field = ft.TextField(label=tr("validation.reason"), multiline=True)
        self.picker: ft.FilePicker | None = None

    # --- layout -----------------------------------------------------------------------------

    def set_layout(self, phone: bool) -> None:
        self.phone = phone

    def build(self) -> ft.Control:
        back = self.back_row("slip-back", self.state.tr("validation.back_queue"), "validation")
        return tagged(
            "slip-validation",
            ft.Column([back, self.messages.control, self.body], spacing=12),
        )

    def render(self) -> None:
        tr = self.state.tr
        slip = self.slip
        if slip is None:
            return
        intervention = slip.intervention
        status = tr(f"status.{intervention.status}")
        header = ft.Column(
            [
                ft.Text(
                    f"{intervention.reference} — {slip.customer}",
                    theme_style=ft.TextThemeStyle.HEADLINE_SMALL,
                ),
                ft.Row(
                    [
                        tagged("slip-status", chip(status, ft.Colors.ON_SECONDARY_CONTAINER,
                                                   ft.Colors.SECONDARY_CONTAINER)),
                        tagged("slip-signed", self._signed_chip()),
                        ft.Text(tr("validation.technician", name=slip.technician), size=15),
                    ],
                    wrap=True,
                    spacing=10,
                ),
            ],
            spacing=6,
        )  # fmt: skip
        if not slip.signed and slip.missing:  # why not signed, on the first screen
            reason = tr("report.unsigned.reason", reason=slip.missing[1])
            header.controls.append(
                tagged(
                    "slip-unsigned-reason",
                    ft.Text(reason, size=15, color=ft.Colors.DEEP_ORANGE_900),
                )
            )
        if slip.current is None:
            self.body.controls = [header, ft.Text(tr("validation.no_version"), size=16)]
            return
        left = [self._validate_row(), self._fields_panel(), slip_panels.corrections_panel(tr, slip)]
        right = [
            slip_panels.delivery_panel(tr, slip, self.deliveries, self.refresh_deliveries),
            slip_panels.evidence_panel(tr, slip, self._signature_png()),
            slip_panels.content_panel(tr, slip),
            slip_panels.pdf_panel(tr, self.document, self.open_pdf)
            if self.document is not None
            else slip_panels.panel(
                tr("validation.pdf"), [ft.ProgressRing(width=20, height=20)], "validation-pdf"
            ),
        ]
        if self.phone:
            columns: ft.Control = ft.Column([*left, *right], spacing=12)
        else:
            columns = ft.Row(
                [
                    ft.Column(left, spacing=12, expand=3),
                    ft.Column(right, spacing=12, expand=2),
                ],
                vertical_alignment=ft.CrossAxisAlignment.START,
                spacing=16,
            )
        warning = held_aside.slip_warning(
            tr, self.held, lambda _e: self.state.open_office("held-aside")
        )
        self.body.controls = [header, *([warning] if warning else []), columns]

    def _signed_chip(self) -> ft.Control:
        """ "Signé", or "Non signé — client absent" / "… refus" when the technician said why."""
        tr, slip = self.state.tr, self.slip
        if slip.signed or not slip.missing:
            return signed_chip(tr, slip.signed)
        text = tr(f"report.unsigned.{slip.missing[0]}")
        return chip(text, ft.Colors.DEEP_ORANGE_900, ft.Colors.DEEP_ORANGE_100)

    def _signature_png(self) -> bytes | None:
        return getattr(self, "_png", None)

    def _validate_row(self) -> ft.Control:
        tr = self.state.tr
        slip = self.slip
        if slip.validated:
            version = slip.current
            by = (
                self.state.user.display_name
                if version.validated_by_id == self.state.user.id
                else ""
            )
            text = tr("validation.validated_on", at=slip_panels.when(version.validated_at), by=by)
            icon = ft.Icon(ft.Icons.TASK_ALT, color=ft.Colors.GREEN_800)
            return tagged("slip-validated", ft.Row([icon, ft.Text(text, size=16)], wrap=True))
        button = ft.FilledButton(
            tr("validation.validate"),
            icon=ft.Icons.CHECK,
            height=TOUCH_TARGET,
            on_click=self.validate,
            disabled=not slip.can_validate,
        )
        controls: list[ft.Control] = [tagged("validation-validate", button)]
        if not slip.can_validate:
            status = tr(f"status.{slip.intervention.status}")
            controls.append(ft.Text(tr("validation.cannot_validate", status=status)))
        return ft.Row(controls, wrap=True, spacing=12)

    def _fields_panel(self) -> ft.Control:
        tr = self.state.tr
        rows: list[ft.Control] = []
        editable = self.slip.intervention.status == "submitted"
        for f in self.slip.fields:
            label = tr(f.label_key) + (f" — {f.label}" if f.label else "")
            value = f.value or tr("validation.field.empty")
            parts: list[ft.Control] = [
                ft.Text(label, size=14, weight=ft.FontWeight.BOLD),
                ft.Text(value, size=15, selectable=True),
            ]
            if f.corrected:
                was = tr("validation.field.was", value=f.original or tr("validation.field.empty"))
                parts.append(ft.Text(was, size=13, color=ft.Colors.ON_SURFACE_VARIANT, italic=True))
            if self.editing == f.id:
                parts.append(self._editor())
            elif editable:
                parts.append(
                    tagged(
                        f"{field_tag(f.id)}-correct",
                        ft.TextButton(
                            tr("validation.correct"),
                            icon=ft.Icons.EDIT,
                            on_click=lambda _e, i=f.id: self.start_edit(i),
                        ),
                    )
                )
            rows.append(tagged(field_tag(f.id), ft.Column(parts, spacing=2)))
            rows.append(ft.Divider(height=1))
        return slip_panels.panel(tr("validation.fields"), rows, "validation-fields")

    def _editor(self) -> ft.Control:
        tr = self.state.tr
        save = ft.FilledButton(tr("validation.save_correction"), on_click=self.save_correction)
        cancel = ft.TextButton(tr("validation.cancel"), on_click=self.cancel_edit)
        return ft.Column(
            [
                tagged("correct-value", self.value_field),
                tagged("correct-reason", self.reason_field),
                ft.Row([tagged("correct-save", save), tagged("correct-cancel", cancel)], wrap=True),
            ],
            spacing=8,
        )

    # --- loading ----------------------------------------------------------------------------

    async def load(self) -> None:
        validation = self.services.validation
        try:
            self.slip = await asyncio.to_thread(
                validation.slip, self.intervention_id, self.state.user
            )
            self._png = await asyncio.to_thread(validation.signature_png, self.slip.evidence)
        except Exception as err:
            log.info("opening slip %s failed: %s", self.intervention_id, err)
            self.body.controls = [tagged("slip-error", ft.Text(self.state.tr.error(err), size=16))]
            self.on_update()
            return
        self.render()
        self.on_update()
        await self._load_documents()

    async def _load_documents(self) -> None:
        validation = self.services.validation
        transport = self._transport()
        try:
            self.document = await asyncio.to_thread(validation.slip_document, self.slip, transport)
        except Exception:
            log.exception("rendering the signed PDF failed")
            self.document = None
        await self._load_deliveries(render=False)
        await self._load_held()
        self.render()
        self.on_update()

    async def _load_held(self) -> None:
        service = self.services.held_aside
        try:
            items = await asyncio.to_thread(service.held_aside, self.state.user, self._transport())
        except Exception as err:  # the slip opens anyway; the office list says it
            log.info("PDFs held aside not available: %s", err)
            items = None
        self.held = service.for_intervention(items, self.intervention_id)

    async def _load_deliveries(self, *, render: bool = True) -> None:
        if self.slip is None or not self.slip.validated:
            return
        try:
            self.deliveries = await asyncio.to_thread(
                self.services.validation.deliveries, self.intervention_id, self._transport()
            )
        except Exception as err:  # offline, head office down: say it is not available
            log.info("delivery state not available: %s", err)
            self.deliveries = None
        if render:
            self.render()
            self.on_update()

    def _transport(self):
        session = self.services.session
        return getattr(session, "transport", None) if session is not None else None

    # --- actions ----------------------------------------------------------------------------

    def notify(self, text: str, is_error: bool) -> None:
        self.messages.notify(text, is_error)

    def start_edit(self, field_id: str) -> None:
        self.editing = field_id
        current = next((f.value for f in self.slip.fields if f.id == field_id), "")
        self.value_field.value = current
        self.reason_field.value = ""
        self.render()
        self.on_update()

    def cancel_edit(self, _e=None) -> None:
        self.editing = None
        self.render()
        self.on_update()

    async def save_correction(self, _e=None) -> None:
        tr = self.state.tr
        try:
            self.slip = await asyncio.to_thread(
                self.services.validation.correct,
                self.intervention_id,
                self.editing,
                self.value_field.value or "",
                self.reason_field.value or "",
                self.state.user,
            )
        except Exception as err:
            self.notify(tr.error(err), True)  # what was typed stays in the editor
        else:
            self.editing = None
            self.notify(tr("validation.saved", version=self.slip.current.version), False)
            self.render()
        self.on_update()

    async def validate(self, _e=None) -> None:
        tr = self.state.tr
        try:
            self.slip = await asyncio.to_thread(
                self.services.validation.validate, self.intervention_id, self.state.user
            )
        except Exception as err:
            self.notify(tr.error(err), True)
            self.on_update()
            return
        self.editing = None
        self.notify(tr("validation.validated"), False)
        self.deliveries = []
        self.render()
        self.on_update()
        if self.services.session is not None:
            await asyncio.to_thread(self.services.session.sync_now)  # returns at once

    async def refresh_deliveries(self, _e=None) -> None:
        await self._load_deliveries()

    async def open_pdf(self, _e=None) -> None:
        """Hand the PDF to the browser or the desktop (a download / "save as")."""
        if self.document is None:
            return
        page = self.messages.text.page
        if self.picker is None:
            self.picker = ft.FilePicker()
            page.services.append(self.picker)
        with contextlib.suppress(Exception):  # the user closed the dialog
            await self.picker.save_file(
                file_name=self.document.file_name, src_bytes=self.document.pdf
            )
