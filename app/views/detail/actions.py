"""The lifecycle buttons of the intervention screen: exactly ``lifecycle.next_actions``.

"Work done" refused by the service (required items missing) shows the list of what is
missing under the buttons, until the work is declared done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft

from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET

log = logging.getLogger(__name__)

# Going back in the lifecycle: an outlined button, not a filled one.
BACKWARD = {("work_done", "in_progress"), ("en_route", "assigned")}
ACTION_ICONS = {
    "en_route": ft.Icons.DIRECTIONS_CAR,
    "in_progress": ft.Icons.PLAY_ARROW,
    "work_done": ft.Icons.TASK_ALT,
    "submitted": ft.Icons.SEND,
    "assigned": ft.Icons.UNDO,
    "cancelled": ft.Icons.CANCEL_OUTLINED,
}


def action_label_key(current: str, to: str) -> str:
    """``lifecycle.resume`` for work done -> in progress, else ``lifecycle.<to>``."""
    if (current, to) == ("work_done", "in_progress"):
        return "lifecycle.resume"
    if (current, to) == ("en_route", "assigned"):
        return "lifecycle.not_leaving"
    return f"lifecycle.{to}"


class ActionBar:
    """``show(intervention)`` lays out the allowed actions; a click runs the transition off
    the UI loop, then ``on_done()`` reloads the screen."""

    def __init__(self, ctx: DetailContext, *, on_done: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_done = on_done
        self.current = ""
        self.shown: tuple | None = None  # (status, allowed targets) the buttons are for
        self.buttons = ft.Row(wrap=True, spacing=10, run_spacing=10)
        self.missing_list = ft.Column(spacing=4)
        self.missing = tagged(
            "work-done-missing",
            ft.Container(
                ft.Column(
                    [
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ON_ERROR_CONTAINER),
                                ft.Text(
                                    ctx.tr("detail.missing.title"),
                                    weight=ft.FontWeight.BOLD,
                                    color=ft.Colors.ON_ERROR_CONTAINER,
                                    expand=True,
                                ),
                            ]
                        ),
                        self.missing_list,
                        ft.Text(ctx.tr("detail.missing.hint"), color=ft.Colors.ON_ERROR_CONTAINER),
                    ],
                    spacing=8,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=12,
                border_radius=ft.BorderRadius.all(12),
            ),
            visible=False,
        )
        self.control = tagged(
            "detail-actions",
            ft.Column(
                [self.buttons, self.missing],
                spacing=10,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    def show(self, intervention) -> None:
        """The allowed actions; the buttons already shown stay (the same controls) when they
        are still the allowed ones, so a tap during a reload is not lost."""
        tr = self.ctx.tr
        targets = [
            str(s) for s in self.ctx.services.lifecycle.next_actions(intervention, self.ctx.who)
        ]
        shown = (str(intervention.status), targets)
        if shown != self.shown:
            self.shown = shown
            self.current = str(intervention.status)
            self.buttons.controls = [self._button(to) for to in targets] or [
                tagged("actions-none", ft.Text(tr("lifecycle.none"), italic=True, size=15))
            ]
        if self.current != "in_progress":
            self.missing.visible = False

    def _button(self, to: str) -> ft.Control:
        tr = self.ctx.tr
        backward = (self.current, to) in BACKWARD or to == "cancelled"
        cls = ft.OutlinedButton if backward else ft.FilledButton

        async def clicked(_e: ft.Event) -> None:
            await self.go(to)

        button = cls(
            content=tr(action_label_key(self.current, to)),
            icon=ACTION_ICONS.get(to),
            on_click=clicked,
            height=TOUCH_TARGET,
        )
        return tagged(f"action-{to}", button, button=True)

    async def go(self, to: str) -> None:
        ctx = self.ctx
        try:
            await asyncio.to_thread(
                ctx.services.lifecycle.transition, ctx.intervention_id, to, ctx.who, ctx.now()
            )
        except Exception as err:
            missing = getattr(err, "missing", None)
            if missing:
                self.show_missing(missing)
            elif not hasattr(err, "hint"):
                log.exception("transition to %s failed", to)
            ctx.notify(ctx.tr.error(err), True)
            return
        self.missing.visible = False
        ctx.notify(ctx.tr("lifecycle.done", status=ctx.tr(f"status.{to}")), False)
        await self.on_done()

    def show_missing(self, missing: list[str]) -> None:
        needs_comment = " — " + self.ctx.tr("detail.missing.comment")
        self.missing_list.controls = [
            tagged(
                f"missing-{index}",
                ft.Text(
                    "• "
                    + text.removesuffix(" (comment)")
                    + (needs_comment if text.endswith(" (comment)") else ""),
                    size=15,
                    color=ft.Colors.ON_ERROR_CONTAINER,
                ),
            )
            for index, text in enumerate(missing)
        ]
        self.missing.visible = True
