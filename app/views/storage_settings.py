"""Settings, "Stockage des médias": what the device's media files use (originals, photos and
videos, thumbnails, media downloaded from other devices and their limit, signatures and
PDFs) and "Libérer les originaux envoyés", which asks first, then deletes only the originals
head office confirmed holding and says how much was freed (``storage_service``).

Test ids: settings-storage, settings-storage-<kind> (originals, photos, thumbnails, cache,
other, total), settings-storage-free, settings-storage-result, storage-free-confirm (and
-cancel) in the question.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import big_button, question_dialog
from app.views.semantic_ids import tagged
from app.views.upload_follow import human_size

log = logging.getLogger(__name__)

KINDS = ("originals", "photos", "thumbnails", "cache", "other")


class StorageSettings:
    """``media``: ``media_service`` (the device's blob store); ``storage``:
    ``storage_service``; ``session``: the device's ``SessionService`` (asks head office about
    originals not confirmed yet; None: only recorded confirmations count)."""

    def __init__(self, tr: Translator, media, storage, session=None) -> None:
        self.tr, self.media, self.storage, self.session = tr, media, storage, session
        self.use = None
        self.dialog: ft.AlertDialog | None = None
        self.lines = ft.Column(spacing=6, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.lines.controls = [ft.Text(tr("storage.loading"), italic=True)]
        self.help = ft.Text("", size=14, color=ft.Colors.ON_SURFACE_VARIANT)
        self.free_button = big_button(
            "settings-storage-free", tr("storage.free"), self.ask, icon=ft.Icons.DELETE_SWEEP,
            filled=False,
        )  # fmt: skip
        self.free_button.content.disabled = True
        self.result_text = ft.Text("", size=15)
        self.result = tagged("settings-storage-result", self.result_text, visible=False)
        self.control = tagged(
            "settings-storage",
            ft.Column(
                [
                    ft.Text(tr("storage.title"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                    self.lines,
                    self.help,
                    ft.Row([self.free_button], wrap=True),
                    self.result,
                ],
                spacing=10,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
        )

    async def load(self) -> None:
        def read():
            return self.storage.usage(self.media.device_store())

        try:
            self.use = await asyncio.to_thread(read)
        except Exception:
            log.exception("reading the media storage failed")
            self.control.visible = False
            return
        self._show()

    def _line(self, kind: str, size: int, detail: str) -> ft.Control:
        tr = self.tr
        weight = ft.FontWeight.BOLD if kind == "total" else None
        return tagged(
            f"settings-storage-{kind}",
            ft.Row(
                [
                    ft.Column(
                        [
                            ft.Text(tr(f"storage.{kind}"), size=15, weight=weight),
                            *([ft.Text(detail, size=13, color=ft.Colors.ON_SURFACE_VARIANT)]
                              if detail else []),
                        ],
                        spacing=0, expand=True,
                    ),
                    ft.Text(human_size(tr, size), size=15, weight=weight),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )  # fmt: skip

    def _show(self) -> None:
        tr, use = self.tr, self.use
        lines = []
        for kind in KINDS:
            part = getattr(use, kind)
            detail = tr("storage.files", count=part.files)
            if kind == "cache":
                detail += " · " + tr("storage.cache_limit", size=human_size(tr, use.cache_limit))
            lines.append(self._line(kind, part.bytes, detail))
        lines.append(ft.Divider(height=1))
        lines.append(self._line("total", use.total, ""))
        self.lines.controls = lines
        freeable = use.freeable
        self.help.value = (
            tr("storage.free.help", size=human_size(tr, freeable.bytes))
            if freeable.files
            else tr("storage.free.nothing")
        )
        # Originals not confirmed yet may be confirmed by asking head office: offer it when
        # there are originals at all and someone is signed in with head office.
        can_ask = self.session is not None and use.originals.files > 0
        self.free_button.content.disabled = not (freeable.files or can_ask)

    async def ask(self, e: ft.Event | None = None) -> None:
        tr = self.tr
        size = human_size(tr, self.use.freeable.bytes if self.use else 0)
        self.dialog = question_dialog(
            tr, title=tr("storage.free.title"), text=tr("storage.free.question", size=size),
            confirm_id="storage-free-confirm", confirm_text=tr("storage.free.confirm"),
            on_confirm=self.free,
        )  # fmt: skip
        self.control.page.show_dialog(self.dialog)

    async def free(self) -> None:
        tr = self.tr

        def run():
            return self.storage.free_originals(self.media.device_store(), self.session)

        self.free_button.content.disabled = True
        self._update()
        try:
            freed = await asyncio.to_thread(run)
        except Exception as err:
            log.exception("freeing originals failed")
            self.result_text.value = tr.error(err)
            self.result_text.color = ft.Colors.ERROR
        else:
            text = tr("storage.freed", count=freed.files, size=human_size(tr, freed.bytes))
            if freed.kept:
                text += " " + tr("storage.kept", count=freed.kept)
            self.result_text.value = text
            self.result_text.color = None
        self.result.visible = True
        await self.load()
        self._update()

    def _update(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.control.update()
