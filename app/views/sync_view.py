"""The sync screen: pending changes, last success, last error and what to do, progress,
changes head office refused and conflicts it resolved (each dismissable), "sync now"."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import flet as ft

from app.services.registry import Services
from app.services.sync_service import ConflictNotice, Rejection, SyncOverview
from app.sync.state import SyncStatus
from app.views.semantic_ids import tagged
from app.views.state import AppState
from app.views.theme import TOUCH_TARGET
from app.views.upload_list import UploadList

log = logging.getLogger(__name__)

# Set on every save: noise among the refused values.
AUDIT_FIELDS = ("created_at", "updated_at")


def shown(value: Any) -> str:
    """A wire value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class SyncView:
    def __init__(
        self, state: AppState, services: Services, *, on_update: Callable[[], None]
    ) -> None:
        self.state = state
        self.services = services
        self.session = services.session
        self.on_update = on_update
        tr = state.tr
        self.overview: SyncOverview | None = None
        self.pending = ft.Text("", size=16)
        self.last_success = ft.Text("", size=16)
        self.progress_text = ft.Text("", size=15)
        self.progress = tagged(
            "sync-progress",
            ft.Row(
                [ft.ProgressRing(width=22, height=22, stroke_width=3), self.progress_text],
                spacing=12,
            ),
            visible=False,
        )
        self.error_text = ft.Text("", color=ft.Colors.ON_ERROR_CONTAINER, size=15, expand=True)
        self.error_box = tagged(
            "sync-error",
            ft.Container(
                ft.Column(
                    [
                        ft.Text(
                            tr("sync.last_error"),
                            weight=ft.FontWeight.BOLD,
                            color=ft.Colors.ON_ERROR_CONTAINER,
                        ),
                        ft.Row(
                            [
                                ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ON_ERROR_CONTAINER),
                                self.error_text,
                            ],
                            vertical_alignment=ft.CrossAxisAlignment.START,
                        ),
                    ],
                    spacing=6,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=12,
                border_radius=ft.BorderRadius.all(8),
            ),
            visible=False,
        )
        self.sync_button = ft.FilledButton(
            content=tr("sync.now"), icon=ft.Icons.SYNC, height=TOUCH_TARGET, on_click=self.sync_now
        )
        self.rejections = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.conflicts = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.uploads = UploadList(tr, self.session, services.sync)
        if self.session is not None:
            self.show_status(self.session.status)

    def build(self) -> ft.Control:
        tr = self.state.tr
        title = ft.TextThemeStyle.TITLE_LARGE
        return tagged(
            "sync",
            ft.Column(
                [
                    ft.Text(tr("sync.title"), theme_style=ft.TextThemeStyle.HEADLINE_SMALL),
                    tagged("sync-pending", self.pending),
                    tagged("sync-last-success", self.last_success),
                    self.progress,
                    self.error_box,
                    ft.Row([tagged("sync-now", self.sync_button)]),
                    ft.Divider(),
                    ft.Text(tr("uploads.title"), theme_style=title),
                    self.uploads.control,
                    ft.Divider(),
                    ft.Text(tr("sync.rejections"), theme_style=title),
                    tagged("sync-rejections", self.rejections),
                    ft.Divider(),
                    ft.Text(tr("sync.conflicts"), theme_style=title),
                    tagged("sync-conflicts", self.conflicts),
                ],
                spacing=14,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    # --- status (pushed by the app on every SyncStatus change) -----------------------------

    def show_status(self, status: SyncStatus) -> None:
        tr = self.state.tr
        self.pending.value = (
            tr("sync.pending", count=status.pending) if status.pending else tr("sync.pending.none")
        )
        last = status.last_success_at or (self.overview.last_success_at if self.overview else None)
        if last is None:
            self.last_success.value = tr("sync.never")
        else:
            local = self.services.sync.local_time(last)
            when = tr("sync.when", date=tr.long_date(local.date()), time=tr.time(local))
            self.last_success.value = tr("sync.last_success", when=when)
        self.progress.visible = status.running
        self.progress_text.value = (
            tr("sync.running")
            + "\n"
            + tr(
                "sync.progress",
                pages=status.progress.pages_pulled,
                rows=status.progress.rows_applied,
                pushed=status.progress.rows_pushed,
            )
        )
        self.sync_button.disabled = status.running
        self.error_box.visible = status.error is not None and not status.running
        self.error_text.value = tr.error(status.error) if status.error is not None else ""

    # --- rejections and conflicts ----------------------------------------------------------

    def _rejection(self, item: Rejection) -> ft.Control:
        tr = self.state.tr
        values = ", ".join(
            f"{tr.field_label(k)} = {shown(v)}"
            for k, v in sorted(item.fields.items())
            if k not in AUDIT_FIELDS
        )
        reason = tr.refusal(item.code, item.params, item.reason)
        return tagged(
            f"sync-rejection-{item.id}",
            ft.Card(
                ft.Container(
                    ft.Column(
                        [
                            ft.Text(
                                f"{tr.table_label(item.table)} · {item.row_label}",
                                weight=ft.FontWeight.BOLD,
                            ),
                            tagged(f"sync-rejection-reason-{item.id}", ft.Text(reason)),
                            ft.Text(tr("sync.rejection.values", values=values or "—"), size=13),
                            ft.Row(
                                [
                                    tagged(
                                        f"sync-rejection-dismiss-{item.id}",
                                        ft.TextButton(
                                            content=tr("sync.dismiss"),
                                            on_click=self._dismisser(
                                                self.services.sync.dismiss_rejection, item.id
                                            ),
                                        ),
                                    )
                                ],
                                alignment=ft.MainAxisAlignment.END,
                            ),
                        ],
                        spacing=4,
                    ),
                    padding=12,
                )
            ),
        )

    def _conflict(self, item: ConflictNotice) -> ft.Control:
        tr = self.state.tr
        winner = tr(f"sync.conflict.winner.{item.winner}")
        return tagged(
            f"sync-conflict-{item.id}",
            ft.Card(
                ft.Container(
                    ft.Column(
                        [
                            ft.Text(
                                f"{tr.table_label(item.table)} · {item.row_label}",
                                weight=ft.FontWeight.BOLD,
                            ),
                            ft.Text(
                                tr(
                                    "sync.conflict.field",
                                    field=tr.field_label(item.field),
                                    winner=winner,
                                )
                            ),
                            ft.Text(tr("sync.conflict.kept", value=shown(item.kept))),
                            ft.Text(
                                tr("sync.conflict.lost", value=shown(item.lost)),
                                color=ft.Colors.ON_SURFACE_VARIANT,
                            ),
                            ft.Row(
                                [
                                    tagged(
                                        f"sync-conflict-dismiss-{item.id}",
                                        ft.TextButton(
                                            content=tr("sync.dismiss"),
                                            on_click=self._dismisser(
                                                self.services.sync.dismiss_conflict, item.id
                                            ),
                                        ),
                                    )
                                ],
                                alignment=ft.MainAxisAlignment.END,
                            ),
                        ],
                        spacing=4,
                    ),
                    padding=12,
                )
            ),
        )

    def _show_overview(self, overview: SyncOverview) -> None:
        tr = self.state.tr
        self.overview = overview
        none = ft.Colors.ON_SURFACE_VARIANT
        self.rejections.controls = [self._rejection(r) for r in overview.rejections] or [
            ft.Text(tr("sync.rejections.none"), italic=True, color=none)
        ]
        self.conflicts.controls = [self._conflict(c) for c in overview.conflicts] or [
            ft.Text(tr("sync.conflicts.none"), italic=True, color=none)
        ]
        if self.session is not None:
            self.show_status(self.session.status)

    # --- actions ---------------------------------------------------------------------------

    async def load(self) -> None:
        try:
            if self.session is not None:  # changes made since the last sync count too
                await asyncio.to_thread(self.session.refresh_pending)
            overview = await asyncio.to_thread(self.services.sync.overview)
            await self.uploads.load()
        except Exception as err:
            log.exception("loading the sync overview failed")
            self.rejections.controls = [
                tagged("sync-load-error", ft.Text(self.state.tr.error(err)))
            ]
        else:
            self._show_overview(overview)
        self.on_update()

    after_sync = load  # the app reloads the screen when a sync ends

    async def dismiss(self, action: Callable[[int], None], item_id: int) -> None:
        await asyncio.to_thread(action, item_id)
        await self.load()

    def _dismisser(self, action: Callable[[int], None], item_id: int):
        async def handler(_e: ft.Event) -> None:
            await self.dismiss(action, item_id)

        return handler

    async def sync_now(self, _e: ft.Event | None = None) -> None:
        if self.session is None or self.sync_button.disabled:
            return
        self.sync_button.disabled = True
        self.on_update()
        await asyncio.to_thread(self.session.sync_now)
