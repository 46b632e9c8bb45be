"""The sync badge at the top of every shell screen: state and pending count; opens the sync
screen. Spins while a sync runs; shows offline and error states."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.i18n import Translator
from app.sync.state import SyncStatus
from app.views.semantic_ids import tagged


def badge_text(tr: Translator, status: SyncStatus) -> tuple[str, str]:
    """(kind, label) of the badge for ``status``: kind is running, signed_out, offline,
    error, pending or ok."""
    pending = tr("sync.badge.pending", count=status.pending) if status.pending else ""
    if status.running:
        kind, text = "running", tr("sync.badge.running")
    elif not status.signed_in:
        kind, text = "signed_out", tr("sync.badge.error")
    elif status.online is False:
        kind, text = "offline", tr("sync.badge.offline")
    elif status.error is not None:
        kind, text = "error", tr("sync.badge.error")
    elif status.pending:
        return "pending", pending
    else:
        return "ok", tr("sync.badge.ok")
    return kind, f"{text} · {pending}" if pending else text


_ICONS: dict[str, tuple[ft.IconData, str]] = {
    "signed_out": (ft.Icons.SYNC_PROBLEM, ft.Colors.ERROR),
    "offline": (ft.Icons.CLOUD_OFF, ft.Colors.ON_SURFACE_VARIANT),
    "error": (ft.Icons.SYNC_PROBLEM, ft.Colors.ERROR),
    "pending": (ft.Icons.CLOUD_UPLOAD_OUTLINED, ft.Colors.PRIMARY),
    "ok": (ft.Icons.CLOUD_DONE_OUTLINED, ft.Colors.PRIMARY),
}


class SyncBadge:
    def __init__(self, tr: Translator, *, on_open: Callable[[], None]) -> None:
        self.tr = tr
        self.kind = "ok"
        self.spinner = ft.ProgressRing(width=18, height=18, stroke_width=2, visible=False)
        self.icon = ft.Icon(ft.Icons.CLOUD_DONE_OUTLINED, size=20)
        self.label = ft.Text("", size=14, weight=ft.FontWeight.W_600)
        self.control = tagged(
            "sync-badge",
            ft.Container(
                ft.Row([self.spinner, self.icon, self.label], spacing=6, tight=True),
                padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                border_radius=ft.BorderRadius.all(20),
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGH,
                on_click=lambda _e: on_open(),
                ink=True,
            ),
            button=True,
        )

    def show(self, status: SyncStatus) -> None:
        self.kind, self.label.value = badge_text(self.tr, status)
        self.spinner.visible = self.kind == "running"
        self.icon.visible = not self.spinner.visible
        if self.icon.visible:
            self.icon.icon, self.icon.color = _ICONS[self.kind]
        self.label.color = ft.Colors.ERROR if self.kind in ("error", "signed_out") else None
