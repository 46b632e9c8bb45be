""" "Client absent ou refus de signer": the record the technician makes instead of a signature.

Refused or absent (``missing-outcome``), the client's name if known (``missing-name``), the
reason (``missing-reason``, required), then "Enregistrer et transmettre non signé"
(``missing-record``): the signing service stores the record and the slip goes to head
office unsigned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.views.detail.blocks import big_button, subtitle
from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged


class MissingSignatureForm:
    def __init__(
        self, ctx: DetailContext, *, shown_sha256: Callable[[], str | None],
        on_done: Callable[[], Awaitable[None]],
    ) -> None:  # fmt: skip
        self.ctx, self.shown_sha256, self.on_done = ctx, shown_sha256, on_done
        tr = ctx.tr
        self.outcome = ft.RadioGroup(
            value="refused",
            content=ft.Column(
                [
                    tagged(
                        "missing-refused", ft.Radio(value="refused", label=tr("missing.refused"))
                    ),
                    tagged("missing-absent", ft.Radio(value="absent", label=tr("missing.absent"))),
                ],
                spacing=0,
            ),
        )
        self.name = ft.TextField(label=tr("missing.name"), text_size=16)
        self.reason = ft.TextField(
            label=tr("missing.reason"), multiline=True, min_lines=2, max_lines=6, text_size=16
        )
        self.control = tagged(
            "missing-form",
            ft.Container(
                ft.Column(
                    [
                        subtitle(tr("missing.title")),
                        tagged("missing-outcome", self.outcome),
                        tagged("missing-name", self.name),
                        tagged("missing-reason", self.reason),
                        big_button(
                            "missing-record",
                            tr("missing.record"),
                            self.record,
                            icon=ft.Icons.SEND_OUTLINED,
                        ),
                    ],
                    spacing=10,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                padding=12,
                border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
                border_radius=ft.BorderRadius.all(12),
            ),
            visible=False,
        )

    def toggle(self) -> None:
        self.control.visible = not self.control.visible

    async def record(self, _e: ft.Event | None = None) -> None:
        ctx = self.ctx
        result = await ctx.call(
            ctx.services.signing.record_missing,
            ctx.intervention_id,
            ctx.who,
            outcome=self.outcome.value or "",
            reason=self.reason.value or "",
            signer_name=self.name.value or "",
            shown_sha256=self.shown_sha256(),
            language=ctx.tr.locale,
            saved="missing.done",
        )
        if result is not None:
            self.control.visible = False
            await self.on_done()
