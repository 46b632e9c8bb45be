"""The upload state of one media, on its tile in the grid (``app.sync.uploads``).

A media's files (thumbnail, photo or video, original) go up one by one; its badge sums
them: "Échec de l'envoi" with "Réessayer" if one failed, else "Envoi n %" while one goes,
"En attente" while some wait, "Envoyé" once head office holds them all. No badge for a
media with nothing to send in this session (synced before, or another device's).

Test ids: ``media-upload-<index>`` (the badge), ``media-retry-<index>`` (its button).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import flet as ft

from app.i18n import Translator
from app.services.uploads import FileState, FileUpload
from app.views.semantic_ids import tagged

_LOOK = {
    FileState.WAITING: (ft.Icons.SCHEDULE, ft.Colors.BLUE_GREY_700),
    FileState.UPLOADING: (ft.Icons.CLOUD_UPLOAD_OUTLINED, ft.Colors.BLUE_800),
    FileState.SENT: (ft.Icons.CLOUD_DONE_OUTLINED, ft.Colors.GREEN_800),
    FileState.FAILED: (ft.Icons.ERROR_OUTLINE, ft.Colors.RED_800),
}


def summary(files: Sequence[FileUpload]) -> tuple[FileState, int] | None:
    """(state, percent) of a media's files; None when nothing is to be sent."""
    if not files:
        return None
    states = {f.state for f in files}
    size = sum(f.size for f in files)
    sent = sum(f.size if f.state == FileState.SENT else f.sent_bytes for f in files)
    percent = min(100, int(100 * sent / size)) if size else 0
    for state in (FileState.FAILED, FileState.UPLOADING, FileState.WAITING):
        if state in states:
            return state, percent
    return FileState.SENT, 100


def label(tr: Translator, state: FileState, percent: int) -> str:
    if state == FileState.UPLOADING:
        return tr("uploads.uploading", percent=percent)
    return tr(f"uploads.{state}")


def upload_badge(
    tr: Translator,
    index: int,
    files: Sequence[FileUpload],
    on_retry: Callable[[Sequence[FileUpload]], Awaitable[None]] | None,
) -> ft.Control | None:
    """The badge to lay over tile ``index`` (bottom of the picture), or None."""
    shown = summary(files)
    if shown is None:
        return None
    state, percent = shown
    icon, colour = _LOOK[state]
    parts: list[ft.Control] = [
        ft.Icon(icon, color=ft.Colors.WHITE, size=16),
        ft.Text(label(tr, state, percent), color=ft.Colors.WHITE, size=12,
                weight=ft.FontWeight.BOLD),
    ]  # fmt: skip
    column: list[ft.Control] = [ft.Row(parts, spacing=4, tight=True)]
    if state == FileState.UPLOADING:
        column.append(
            ft.ProgressBar(
                value=percent / 100,
                width=120,
                color=ft.Colors.WHITE,
                bgcolor=ft.Colors.with_opacity(0.3, ft.Colors.WHITE),
            )
        )
    if state == FileState.FAILED and on_retry is not None:
        failed = [f for f in files if f.state == FileState.FAILED]

        async def retry(_e: ft.Event) -> None:
            await on_retry(failed)

        column.append(
            tagged(
                f"media-retry-{index}",
                ft.TextButton(
                    content=ft.Text(tr("uploads.retry"), color=ft.Colors.WHITE, size=13,
                                    weight=ft.FontWeight.BOLD),
                    icon=ft.Icons.REFRESH, icon_color=ft.Colors.WHITE, on_click=retry,
                    style=ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=6)),
                    height=36,
                ),
                button=True,
            )
        )  # fmt: skip
    badge = ft.Container(
        ft.Column(column, spacing=2, tight=True),
        bgcolor=ft.Colors.with_opacity(0.85, colour),
        padding=ft.Padding.symmetric(horizontal=6, vertical=3),
        border_radius=6,
    )
    return ft.Container(tagged(f"media-upload-{index}", badge, live_region=True), left=4, top=4)


class UploadBadges:
    """The badges of one grid: a slot per tile, kept up to date from the device's board
    while the grid is shown (``follow`` on the UI loop; ``stop`` when it goes)."""

    def __init__(self, tr: Translator, session) -> None:
        self.tr = tr
        self.session = session  # SessionService (None: no sync, no badges)
        self.board = getattr(session, "uploads", None)
        self.slots: dict[int, tuple[str, ft.Container]] = {}  # tile index -> (row id, slot)
        self.follower = None

    def follow(self) -> None:
        from app.views.upload_follow import BoardFollower

        if self.board is not None and self.follower is None:
            self.follower = BoardFollower(self.board, self.refresh)

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def reset(self) -> None:
        self.slots = {}

    def slot(self, index: int, row_id: str) -> ft.Control:
        """The tile's badge slot (a Stack layer), filled from the board now."""
        holder = ft.Container(left=4, top=4)
        self.slots[index] = (row_id, holder)
        self._fill(index, row_id, holder)
        return holder

    def _fill(self, index: int, row_id: str, holder: ft.Container) -> None:
        files = self.board.for_row("attachments", row_id) if self.board is not None else []
        badge = upload_badge(self.tr, index, files, self.retry)
        holder.content = badge.content if badge is not None else None
        holder.visible = badge is not None

    def refresh(self) -> None:
        for index, (row_id, holder) in list(self.slots.items()):
            self._fill(index, row_id, holder)
            with contextlib.suppress(RuntimeError):  # not on a page (any more)
                holder.update()

    async def retry(self, files: Sequence[FileUpload]) -> None:
        session = self.session
        if session is None:
            return

        def run() -> None:
            for file in files:
                session.retry_upload(file.sha256)

        await asyncio.to_thread(run)
        self.refresh()
