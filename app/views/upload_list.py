"""The sync screen's list of files to send (``app.sync.uploads``): one line per file with
what it is, whose it is, its size and state (waiting, sending n %, sent, failed with the
reason), and "Réessayer" on a failed one. Follows the board while the screen shows.

Test ids: sync-uploads (the list), sync-upload-<n> (a line), sync-upload-retry-<n>.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from app.i18n import Translator
from app.services.uploads import FileState, FileUpload
from app.views.detail.upload_badge import label
from app.views.semantic_ids import tagged
from app.views.upload_follow import BoardFollower, human_size

log = logging.getLogger(__name__)

_COLOURS = {
    FileState.WAITING: ft.Colors.ON_SURFACE_VARIANT,
    FileState.UPLOADING: ft.Colors.PRIMARY,
    FileState.SENT: ft.Colors.GREEN_800,
    FileState.FAILED: ft.Colors.ERROR,
}
_ICONS = {
    FileState.WAITING: ft.Icons.SCHEDULE,
    FileState.UPLOADING: ft.Icons.CLOUD_UPLOAD_OUTLINED,
    FileState.SENT: ft.Icons.CLOUD_DONE_OUTLINED,
    FileState.FAILED: ft.Icons.ERROR_OUTLINE,
}


class UploadList:
    def __init__(self, tr: Translator, session, sync_service) -> None:
        self.tr = tr
        self.session = session
        self.sync = sync_service
        self.board = getattr(session, "uploads", None)
        self.labels: dict[tuple[str, str], str] = {}
        self.follower: BoardFollower | None = None
        self.lines = ft.Column(spacing=8, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.control = tagged("sync-uploads", self.lines)
        self.show()

    async def load(self) -> None:
        """Plan the board from the outbox and read the rows' names (off the UI loop)."""
        if self.board is None:
            return

        def read() -> dict:
            if hasattr(self.session, "refresh_uploads"):
                self.session.refresh_uploads()
            rows = sorted({r for f in self.board.snapshot() for r in f.rows})
            return self.sync.file_labels(rows)

        try:
            self.labels = await asyncio.to_thread(read)
        except Exception:
            log.exception("reading the files to send failed")
        if self.follower is None:
            self.follower = BoardFollower(self.board, self.refresh)
        self.show()

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def refresh(self) -> None:
        self.show()
        with contextlib.suppress(RuntimeError):  # not on a page (any more)
            self.lines.update()

    def show(self) -> None:
        files = self.board.snapshot() if self.board is not None else []
        self.lines.controls = [self._line(n, f) for n, f in enumerate(files)] or [
            ft.Text(self.tr("uploads.none"), italic=True, color=ft.Colors.ON_SURFACE_VARIANT)
        ]

    def _line(self, n: int, file: FileUpload) -> ft.Control:
        tr = self.tr
        kind_key = f"uploads.kind.{file.column}"
        kind = tr(kind_key) if tr.has(kind_key) else tr("uploads.kind.other")
        owner = ", ".join(
            dict.fromkeys(self.labels.get(r, r[1][:8]) for r in file.rows)
        )  # several rows may share one file
        title = tr("uploads.line", kind=kind, label=owner, size=human_size(tr, file.size))
        colour = _COLOURS[file.state]
        status = [
            ft.Icon(_ICONS[file.state], color=colour, size=20),
            ft.Text(label(tr, file.state, file.percent), color=colour, weight=ft.FontWeight.BOLD),
        ]
        body: list[ft.Control] = [
            ft.Text(title, size=15),
            ft.Row(status, spacing=6),
        ]
        if file.state == FileState.UPLOADING:
            body.append(ft.ProgressBar(value=file.percent / 100, border_radius=4))
        if file.state == FileState.FAILED:
            if file.error is not None:
                reason = tr.error(file.error).split("\n")[0]  # what to do: the sync's error box
                body.append(ft.Text(reason, size=13, color=ft.Colors.ERROR))

            async def retry(_e: ft.Event, sha256: str = file.sha256) -> None:
                await asyncio.to_thread(self.session.retry_upload, sha256)
                self.refresh()

            body.append(
                ft.Row(
                    [
                        tagged(
                            f"sync-upload-retry-{n}",
                            ft.OutlinedButton(
                                content=tr("uploads.retry"), icon=ft.Icons.REFRESH,
                                on_click=retry, height=44,
                            ),
                            button=True,
                        )
                    ],
                    alignment=ft.MainAxisAlignment.END,
                )
            )  # fmt: skip
        return tagged(
            f"sync-upload-{n}",
            ft.Card(ft.Container(ft.Column(body, spacing=4), padding=12)),
        )
