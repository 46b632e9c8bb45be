"""The office's "Documents mis de côté" (/office/held-aside): the signed PDFs head office
received that do not match their record — who, which intervention, when, the hash the
record expects and the received file's, why — each with "Marquer comme traité"; and the
warning the slip screen shows when its signed PDF was held aside."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

import flet as ft

from app.services.registry import Services
from app.views import slip_panels
from app.views.office_screen import MessageBox, OfficeScreen
from app.views.semantic_ids import tagged
from app.views.state import AppState
from app.views.theme import TOUCH_TARGET

log = logging.getLogger(__name__)

WARN_BG, WARN_FG = ft.Colors.AMBER_50, ft.Colors.BROWN_900


def office_transport(services: Services):
    """The session's transport to head office (None: no head office, or not signed in)."""
    session = services.session
    return getattr(session, "transport", None) if session is not None else None


def slip_warning(tr, items, on_open_list: Callable | None = None) -> ft.Control | None:
    """The slip screen's warning: its signed PDF was held aside (None when it was not)."""
    if not items:
        return None
    first = items[0]
    controls: list[ft.Control] = [
        ft.Row(
            [
                ft.Icon(ft.Icons.REPORT_PROBLEM, color=ft.Colors.AMBER_900),
                ft.Text(tr("held_aside.title"), size=16, weight=ft.FontWeight.BOLD, color=WARN_FG),
            ],
            spacing=8,
        ),
        ft.Text(
            tr(
                "held_aside.slip_warning",
                at=slip_panels.when(first.detected_at),
                reason=tr.refusal(first.code, first.params, first.reason),
            ),
            size=15,
            color=WARN_FG,
            selectable=True,
        ),
    ]
    if on_open_list is not None:
        link = ft.TextButton(tr("held_aside.slip_see_list"), on_click=on_open_list)
        controls.append(tagged("slip-held-aside-list", link))
    box = ft.Container(
        ft.Column(controls, spacing=6),
        bgcolor=WARN_BG,
        border=ft.Border.all(1, ft.Colors.AMBER_300),
        border_radius=8,
        padding=12,
    )
    return tagged("slip-held-aside", box)


class HeldAsideView(OfficeScreen):
    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        super().__init__(state, services, on_update=on_update)
        tr = state.tr
        self.items = None
        self.summary = ft.Text(tr("validation.loading"), size=16)
        self.messages = MessageBox("held-aside-message")
        self.rows = ft.Column([ft.ProgressRing(width=24, height=24)], spacing=8)

    def build(self) -> ft.Control:
        tr = self.state.tr
        refresh = ft.TextButton(tr("held_aside.refresh"), icon=ft.Icons.REFRESH, on_click=self.load)
        return tagged(
            "held-aside",
            ft.Column(
                [
                    self.back_row("held-aside-back", tr("held_aside.back_home"), ""),
                    self.title(tr("held_aside.title")),
                    ft.Text(tr("held_aside.intro"), size=15, color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Row(
                        [
                            tagged("held-aside-count", self.summary),
                            tagged("held-aside-refresh", refresh),
                        ],
                        wrap=True,
                        spacing=12,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    self.messages.control,
                    self.rows,
                ],
                spacing=12,
            ),
        )

    async def load(self, _e=None) -> None:
        tr = self.state.tr
        try:
            self.items = await asyncio.to_thread(
                self.services.held_aside.held_aside,
                self.state.user,
                office_transport(self.services),
            )
        except Exception as err:
            log.exception("loading the PDFs held aside failed")
            self.items = None
            self.summary.value = tr.error(err)
            self.rows.controls = []
            self.on_update()
            return
        self.render()
        self.on_update()

    def render(self) -> None:
        tr = self.state.tr
        if self.items is None:
            self.summary.value = tr("held_aside.unavailable")
            self.rows.controls = []
            return
        self.summary.value = (
            tr("held_aside.count", n=len(self.items)) if self.items else tr("held_aside.empty")
        )
        self.rows.controls = [self._row(item) for item in self.items]

    def _row(self, item) -> ft.Control:
        tr = self.state.tr
        muted = ft.Colors.ON_SURFACE_VARIANT
        title = tr("held_aside.item_title", reference=item.reference or "—",
                   version=item.version or "—")  # fmt: skip
        actions: list[ft.Control] = [
            tagged(
                f"held-aside-resolve-{item.id}",
                ft.FilledButton(
                    tr("held_aside.resolve"),
                    icon=ft.Icons.DONE,
                    height=TOUCH_TARGET,
                    on_click=functools.partial(self.resolve, item),
                ),
            )
        ]
        if item.intervention_id:
            actions.append(
                tagged(
                    f"held-aside-open-{item.id}",
                    ft.TextButton(
                        tr("held_aside.open_slip"),
                        icon=ft.Icons.OPEN_IN_NEW,
                        on_click=lambda _e, i=item.intervention_id: self.state.open_office(
                            "validation", i
                        ),
                    ),
                )
            )
        body = ft.Column(
            [
                ft.Text(title, size=16, weight=ft.FontWeight.BOLD),
                ft.Text(
                    f"{tr('held_aside.technician', name=item.technician or '—')} · "
                    f"{tr('held_aside.detected_at', at=slip_panels.when(item.detected_at))}",
                    size=14,
                    color=muted,
                ),
                ft.Text(tr("held_aside.expected", sha=item.expected_short), size=14,
                        font_family="monospace", selectable=True),
                ft.Text(tr("held_aside.received", sha=item.received_short), size=14,
                        font_family="monospace", selectable=True),
                tagged(f"held-aside-reason-{item.id}", ft.Text(tr(
                    "held_aside.reason", reason=tr.refusal(item.code, item.params, item.reason)),
                    size=15, selectable=True)),
                ft.Row(actions, wrap=True, spacing=8),
            ],
            spacing=4,
        )  # fmt: skip
        padding = ft.Padding.symmetric(horizontal=16, vertical=12)
        card = ft.Card(content=ft.Container(body, padding=padding))
        return tagged(f"held-aside-item-{item.id}", card)

    async def resolve(self, item, _e=None) -> None:
        tr = self.state.tr
        try:
            await asyncio.to_thread(
                self.services.held_aside.resolve,
                item.id,
                self.state.user,
                office_transport(self.services),
            )
        except Exception as err:
            self._notify(tr.error(err), True)
            self.on_update()
            return
        self._notify(tr("held_aside.resolved", reference=item.reference or "—"), False)
        self.items = [i for i in self.items or [] if i.id != item.id]
        self.render()
        self.on_update()

    def _notify(self, text: str, is_error: bool) -> None:
        self.messages.notify(text, is_error)
