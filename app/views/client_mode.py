"""Client mode ("Présenter au client"): the report shown to the client, to sign. Locked.

A full screen of its own (route ``/interventions/<id>/client``): no navigation bar, rail,
drawer nor back; the app ignores other addresses while it shows (``AppState.locked``).
Only the report's final content is shown (``report_preview``: never internal comments nor
costs), then the signer's name and capacity, "Bon pour accord", the pad, "Effacer" and
"Signer". Leaving ("Rendre au technicien") asks for the technician's password, checked on
the device (``services.signing.confirm_technician``), offline.

Signing renders the PDF: it runs as a background job (``services.jobs``), never on the UI
loop; the screen shows a spinner meanwhile and the service's refusal (empty signature, no
name…) in red, keeping what the client typed and drew.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views.report_preview import report_preview
from app.views.semantic_ids import tagged
from app.views.signature_pad import SignaturePad
from app.views.state import AppState, is_phone_width
from app.views.theme import PAGE_PADDING
from app.views.touch_button import touch_button

log = logging.getLogger(__name__)

PAD_RATIO = 3  # width : height, as the PNG (600 x 200)
TABLET_PANEL = 560


class ClientModeView:
    def __init__(self, state: AppState, services: Services, *, on_update: Callable[[], None]):
        assert state.user is not None and state.client_mode is not None
        self.state, self.services, self.on_update = state, services, on_update
        self.tr = state.tr
        self.intervention_id = state.client_mode
        self.presented = None
        self.signed = False
        self.phone = True
        self.width = 390.0
        tr = self.tr
        self.name = ft.TextField(label=tr("client.signer_name"), text_size=17)
        self.role = ft.TextField(label=tr("client.signer_role"), text_size=17)
        self.error = ft.Text("", color=ft.Colors.ERROR, size=15)
        self.busy = ft.Row(
            [ft.ProgressRing(width=22, height=22), ft.Text(tr("client.signing"), size=15)],
            visible=False,
        )
        self.pad: SignaturePad | None = None
        self.password = ft.TextField(
            label=tr("client.password"), password=True, can_reveal_password=True,
            on_submit=self._unlock,
        )  # fmt: skip
        self.password_error = ft.Text("", color=ft.Colors.ERROR, size=15)
        self.root = ft.Container(content=self._loading(), expand=True)

    # -- layout ------------------------------------------------------------------------------

    def build(self, width: float | None) -> ft.Control:
        self.width = width or 390
        self.phone = is_phone_width(width)
        self._layout()
        return tagged("client-mode", self.root, expand=True)

    def _loading(self) -> ft.Control:
        return ft.Row([ft.ProgressRing(width=24, height=24), ft.Text(self.tr("rpt.loading"))])

    def _pad_width(self) -> int:
        available = self.width - 2 * PAGE_PADDING
        return int(min(600, available if self.phone else TABLET_PANEL - 2 * PAGE_PADDING))

    def _layout(self) -> None:
        if self.presented is None:
            return
        header = ft.Row(
            [
                ft.Icon(ft.Icons.DRAW_OUTLINED, color=ft.Colors.PRIMARY),
                ft.Text(
                    self.tr("client.title"),
                    theme_style=ft.TextThemeStyle.TITLE_LARGE,
                    weight=ft.FontWeight.W_600,
                    expand=True,
                ),
                tagged(
                    "client-leave",
                    ft.TextButton(
                        self.tr("client.leave"), icon=ft.Icons.LOCK_OUTLINE, on_click=self._ask
                    ),
                    button=True,
                ),
            ],
        )
        fmt = self.services.signing.formats(self.tr.locale)
        preview = ft.Container(
            ft.Column(
                [report_preview(self.tr, fmt, self.presented.content, ident="client-preview")],
                scroll=ft.ScrollMode.AUTO,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            expand=True,
            padding=ft.Padding.only(right=8),
        )
        panel = self._done_panel() if self.signed else self._sign_panel()
        if self.phone:
            body = ft.Column(
                [preview, ft.Divider(height=1), panel],
                spacing=8,
                expand=True,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            )
        else:
            body = ft.Row(
                [
                    preview,
                    ft.VerticalDivider(width=1),
                    ft.Container(panel, width=TABLET_PANEL - PAGE_PADDING),
                ],
                spacing=16,
                expand=True,
                vertical_alignment=ft.CrossAxisAlignment.START,
            )
        self.root.content = ft.Container(
            ft.Column([header, body], spacing=8, expand=True),
            padding=PAGE_PADDING,
            expand=True,
        )

    def _sign_panel(self) -> ft.Control:
        tr = self.tr
        width = self._pad_width()
        if self.pad is None or self.pad.width != width:
            self.pad = SignaturePad(width, width // PAD_RATIO)
        wide = not self.phone  # side by side: each field takes half the row
        fields = [
            tagged("client-signer-name", self.name, expand=wide or None),
            tagged("client-signer-role", self.role, expand=wide or None),
        ]
        return tagged(
            "client-sign-panel",
            ft.Column(
                [
                    ft.Row(fields, spacing=8)
                    if wide
                    else ft.Column(
                        fields, spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH
                    ),
                    tagged(
                        "client-mention",
                        ft.Column(
                            [
                                ft.Text(tr("client.mention"), size=17, weight=ft.FontWeight.BOLD),
                                ft.Text(tr("client.mention.text"), size=14),
                                tagged("client-amount", self._amount()),
                            ],
                            spacing=2,
                        ),
                    ),
                    ft.Text(tr("client.pad"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                    self.pad.control,
                    ft.Row(
                        [
                            touch_button(
                                "client-clear",
                                tr("client.clear"),
                                ft.Icons.CLEAR,
                                self._clear,
                                filled=False,
                            ),
                            touch_button(
                                "client-sign", tr("client.sign"), ft.Icons.CHECK, self._sign
                            ),
                        ],
                        spacing=12,
                        alignment=ft.MainAxisAlignment.END,
                    ),
                    self.busy,
                    tagged("client-error", self.error),
                ],
                spacing=8,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def _amount(self) -> ft.Control:
        """The price, next to what the client signs (shown before signing: Cass. 1re civ.
        14 Nov 2018)."""
        tr = self.tr
        fmt = self.services.signing.formats(tr.locale)
        totals = self.presented.content.get("totals") or {}
        if not totals.get("gross_cents"):
            text = tr("preview.totals.none")
        else:
            vat = sum(v["vat_cents"] for v in totals.get("vat") or [])
            text = tr(
                "preview.totals",
                net=fmt.money(totals["net_cents"]),
                vat=fmt.money(vat),
                gross=fmt.money(totals["gross_cents"]),
            )
        return ft.Text(text, size=15, weight=ft.FontWeight.W_600)

    def _done_panel(self) -> ft.Control:
        tr = self.tr
        return tagged(
            "client-signed",
            ft.Column(
                [
                    ft.Icon(ft.Icons.VERIFIED, color=ft.Colors.GREEN_700, size=48),
                    ft.Text(tr("client.signed"), size=20, weight=ft.FontWeight.BOLD),
                    ft.Text(tr("client.signed.hint"), size=16),
                    touch_button(
                        "client-hand-back", tr("client.leave"), ft.Icons.LOCK_OUTLINE, self._ask
                    ),
                ],
                spacing=12,
                horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )

    # -- loading -----------------------------------------------------------------------------

    async def load(self) -> None:
        try:
            self.presented = await asyncio.to_thread(
                self.services.signing.present, self.intervention_id, self.state.user
            )
        except Exception as err:
            if not hasattr(err, "hint"):
                log.exception("client mode: the report cannot be presented")
            self.root.content = ft.Container(
                ft.Column(
                    [
                        ft.Text(self.tr("client.unavailable"), size=18, weight=ft.FontWeight.BOLD),
                        tagged("client-error", ft.Text(self.tr.error(err), size=15)),
                        tagged(
                            "client-leave",
                            ft.FilledButton(self.tr("client.leave"), on_click=self._ask),
                            button=True,
                        ),
                    ],
                    spacing=12,
                ),
                padding=PAGE_PADDING,
            )
            self.on_update()
            return
        self._layout()
        self.on_update()

    # -- events ------------------------------------------------------------------------------

    async def _clear(self, _e: ft.Event | None = None) -> None:
        if self.pad is not None:
            self.pad.clear()
        self.error.value = ""
        self.on_update()

    async def _sign(self, _e: ft.Event | None = None) -> None:
        if self.pad is None or self.presented is None or self.busy.visible:
            return
        self.error.value = ""
        self.busy.visible = True
        self.on_update()
        strokes = [list(map(list, s)) for s in self.pad.strokes]
        job = self.services.jobs.submit(
            _sign_job,
            self.services.signing,
            self.intervention_id,
            self.state.user,
            strokes=strokes,
            signer_name=self.name.value or "",
            signer_role=self.role.value or "",
            shown_sha256=self.presented.sha256,
            language=self.tr.locale,
            pad=self.pad.pad,
            name="sign-report",
        )
        try:
            await asyncio.wrap_future(job.future)
        except Exception as err:
            self.busy.visible = False
            self.error.value = self.tr.error(err)
            self.on_update()
            return
        self.busy.visible = False
        self.signed = True
        self._layout()
        self.on_update()

    async def _ask(self, _e: ft.Event | None = None) -> None:
        """The technician's password to leave client mode."""
        tr = self.tr
        self.password.value, self.password_error.value = "", ""

        async def cancelled(e: ft.Event) -> None:
            e.page.pop_dialog()

        dialog = ft.AlertDialog(
            modal=True,
            title=ft.Text(tr("client.password.title")),
            content=ft.Column(
                [
                    ft.Text(tr("client.password.text"), size=15),
                    tagged("client-password", self.password),
                    tagged("client-password-error", self.password_error),
                ],
                tight=True,
                spacing=10,
            ),
            actions=[
                tagged(
                    "client-unlock-cancel",
                    ft.TextButton(tr("client.cancel"), on_click=cancelled),
                    button=True,
                ),
                tagged(
                    "client-unlock",
                    ft.FilledButton(tr("client.unlock"), on_click=self._unlock),
                    button=True,
                ),
            ],
        )
        self.dialog = dialog
        self.root.page.show_dialog(dialog)

    async def _unlock(self, e: ft.Event | None = None) -> None:
        try:
            await asyncio.to_thread(
                self.services.signing.confirm_technician, self.state.user, self.password.value or ""
            )
        except Exception as err:
            self.password_error.value = self.tr.error(err)
            self.password.value = ""
            self.on_update()
            return
        self.root.page.pop_dialog()
        self.state.leave_client_mode()


def _sign_job(_handle, signing, intervention_id, who, **kw):
    """The background job: check, render the PDF, store (``signing_service.sign``)."""
    return signing.sign(intervention_id, who, **kw)
