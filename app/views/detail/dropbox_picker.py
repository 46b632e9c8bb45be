"""The Dropbox dialog of the "Médias" section: link the account, browse, pick, import.

Not linked: "Ouvrir Dropbox" opens Dropbox's page where the user allows Terrain (OAuth 2
with PKCE: no secret on the device) and copies the code it shows into the field. Linked:
the folders and media files of a folder (thumbnails loaded in the background), ticks, and
"Importer (n)": the section downloads and imports them into the chosen phase. Every call
runs off the UI loop; without network the dialog says so and keeps the ticks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft

from app.views.detail.blocks import big_button, muted, refresh
from app.views.semantic_ids import tagged

log = logging.getLogger(__name__)
THUMBNAILS = 24  # thumbnails fetched per folder shown (the rest show an icon)


class DropboxPicker:
    def __init__(self, ctx, on_import: Callable[[list], Awaitable[list]]) -> None:
        self.ctx, self.tr = ctx, ctx.tr
        self.on_import = on_import
        self.media = ctx.services.media
        self.flow = None
        self.path = ""
        self.entries: list = []
        self.chosen: dict[str, object] = {}  # path -> entry, kept across folders and errors
        self.thumbs: dict[str, bytes | None] = {}
        self.message = tagged("dropbox-message", ft.Text("", size=15), visible=False)
        self.body = ft.Column(spacing=10, tight=True, scroll=ft.ScrollMode.AUTO, height=420)
        self.dialog = ft.AlertDialog(
            title=ft.Text("Dropbox"),
            content=tagged("dropbox", ft.Column([self.message, self.body], tight=True,
                                                width=520)),
            actions=[tagged("dropbox-close", ft.TextButton(self.tr("action.close"),
                                                           on_click=self._close), button=True)],
        )  # fmt: skip

    async def open(self, page: ft.Page) -> None:
        page.show_dialog(self.dialog)
        linked = await self._run(self.media.dropbox_linked)
        if linked:
            await self.browse("")
        elif linked is not None:
            self._show_link()

    # --- helpers ------------------------------------------------------------------------------

    async def _run(self, fn, *args):
        """``fn(*args)`` in a worker thread; a TerrainError is shown in the dialog (None)."""
        try:
            result = await asyncio.to_thread(fn, *args)
        except Exception as err:
            if not hasattr(err, "hint"):
                log.exception("Dropbox call failed")
            self._say(self.tr.error(err), error=True)
            return None
        return result

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.content.value = text
        self.message.content.color = ft.Colors.ERROR if error else None
        self.message.visible = bool(text)
        refresh(self.message)

    async def _close(self, e: ft.Event | None = None) -> None:
        self.dialog.open = False
        refresh(self.dialog)

    # --- linking ------------------------------------------------------------------------------

    def _show_link(self) -> None:
        tr = self.tr
        self.code = ft.TextField(label=tr("dropbox.code"), text_size=16)
        self.body.controls = [
            muted(tr("dropbox.link_help")),
            big_button("dropbox-open", tr("dropbox.open"), self._start,
                       icon=ft.Icons.OPEN_IN_NEW),
            tagged("dropbox-code", self.code),
            big_button("dropbox-finish", tr("dropbox.finish"), self._finish),
        ]  # fmt: skip
        refresh(self.body)

    async def _start(self, e: ft.Event) -> None:
        started = await self._run(self.media.dropbox_start)
        if started is None:
            return
        self.flow, url = started
        self._say(self.tr("dropbox.opened", url=url))
        try:
            await ft.UrlLauncher().launch_url(url)
        except Exception:  # no browser to open: the address is shown to copy
            log.info("could not open %s", url)

    async def _finish(self, e: ft.Event) -> None:
        if self.flow is None:
            self._say(self.tr("dropbox.open_first"), error=True)
            return
        account = await self._run(self.media.dropbox_finish, self.flow, self.code.value or "")
        if account is not None:
            self._say(self.tr("dropbox.linked"))
            await self.browse("")

    async def _unlink(self, e: ft.Event) -> None:
        await self._run(self.media.dropbox_unlink)
        self.chosen.clear()
        self._say(self.tr("dropbox.unlinked"))
        self._show_link()

    # --- browsing -----------------------------------------------------------------------------

    async def browse(self, path: str) -> None:
        entries = await self._run(self.media.dropbox_list, path)
        if entries is None:
            return  # offline or refused: said in the dialog; the ticks stay
        self.path, self.entries = path, entries
        self._say("")
        self._show_folder()
        for entry in [e for e in entries if e.is_media][:THUMBNAILS]:
            if entry.path not in self.thumbs:
                self.thumbs[entry.path] = await self._run(self.media.dropbox_thumbnail, entry.path)
                if self.path == path:
                    self._show_folder()

    def _show_folder(self) -> None:
        tr = self.tr
        rows: list[ft.Control] = [ft.Text(self.path or "/", weight=ft.FontWeight.W_600)]
        if self.path:
            parent = self.path.rsplit("/", 1)[0]
            rows.append(self._row("dropbox-up", ft.Icons.ARROW_UPWARD, tr("dropbox.up"),
                                  lambda e, p=parent: self.browse(p)))  # fmt: skip
        for index, entry in enumerate(self.entries):
            if entry.is_folder:

                def opened(e, p=entry.path):
                    return self.browse(p)

                ident = f"dropbox-folder-{index}"
                rows.append(self._row(ident, ft.Icons.FOLDER_OUTLINED, entry.name, opened))
            else:
                rows.append(self._file(index, entry))
        if not self.entries:
            rows.append(muted(tr("dropbox.empty"), "dropbox-empty"))
        count = len(self.chosen)
        rows.append(
            ft.Row(
                [big_button("dropbox-import", tr("dropbox.import", count=count), self._import,
                            icon=ft.Icons.DOWNLOAD, disabled=not count),
                 tagged("dropbox-unlink", ft.TextButton(tr("dropbox.unlink"),
                                                        on_click=self._unlink), button=True)],
                wrap=True, spacing=10,
            )
        )  # fmt: skip
        self.body.controls = rows
        refresh(self.body)

    def _row(self, ident: str, icon, text: str, handler) -> ft.Control:
        async def clicked(e):
            await handler(e)

        return tagged(ident, ft.ListTile(leading=ft.Icon(icon), title=ft.Text(text),
                                         on_click=clicked, min_height=48), button=True)  # fmt: skip

    def _file(self, index: int, entry) -> ft.Control:
        thumb = self.thumbs.get(entry.path)
        picture = (
            ft.Image(src=thumb, width=56, height=56, fit=ft.BoxFit.COVER)
            if thumb else ft.Icon(ft.Icons.IMAGE_OUTLINED, size=40)
        )  # fmt: skip

        async def ticked(e):
            if e.control.value:
                self.chosen[entry.path] = entry
            else:
                self.chosen.pop(entry.path, None)
            self._show_folder()

        box = ft.Checkbox(value=entry.path in self.chosen, on_change=ticked)
        size = f"{entry.size / 1_048_576:.1f} Mo" if entry.size else ""
        return tagged(
            f"dropbox-file-{index}",
            ft.Row([box, picture, ft.Column([ft.Text(entry.name, size=15),
                                             ft.Text(size, size=13)], spacing=2, expand=True)],
                   spacing=8),
        )  # fmt: skip

    async def _import(self, e: ft.Event) -> None:
        chosen = list(self.chosen.values())
        self._say(self.tr("dropbox.importing", count=len(chosen)))
        results = await self.on_import(chosen)
        if results is None:
            return
        offline = [r for r in results if type(r.error).__name__ == "DropboxOfflineError"]
        done = {r.name for r in results if r not in offline}
        self.chosen = {p: e for p, e in self.chosen.items() if e.name not in done}
        if offline:
            self._say(self.tr.error(offline[0].error), error=True)
            self._show_folder()
        else:
            await self._close()
