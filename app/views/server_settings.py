"""Settings, "Siège": head office's address — checked as typed, tested ("Tester": one
``GET /health`` off the UI loop), saved in the device's settings and used by the sync from
then on. Saving while changes are not sent yet asks first: they will go to that address.

Test ids: settings-server-url, settings-server-test, settings-server-save,
settings-server-result, server-change-confirm (and -cancel) in the question.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import flet as ft

from app.services.server_address import normalize
from app.views.detail.blocks import big_button, question_dialog
from app.views.semantic_ids import tagged
from app.views.unsent import unsent_text

log = logging.getLogger(__name__)


class ServerSettings:
    """``session``: the device's ``SessionService``; ``sync``: ``app.services.sync_service``
    (what is not sent yet)."""

    def __init__(self, tr, session, sync) -> None:
        self.tr, self.session, self.sync = tr, session, sync
        self.dialog: ft.AlertDialog | None = None
        self.field = ft.TextField(
            label=tr("settings.server.url"),
            hint_text=tr("settings.server.hint"),
            value=session.server_url,
            keyboard_type=ft.KeyboardType.URL,
            text_size=17,
            on_change=self._edited,
            on_submit=self.save,
        )
        self.result_icon = ft.Icon(ft.Icons.INFO_OUTLINE, size=22)
        self.result_text = ft.Text("", size=15, expand=True)
        self.result = tagged(
            "settings-server-result",
            ft.Row([self.result_icon, self.result_text], spacing=8),
            visible=False,
        )
        self.test_button = big_button(
            "settings-server-test", tr("settings.server.test"), self.test,
            icon=ft.Icons.NETWORK_CHECK, filled=False,
        )  # fmt: skip
        self.save_button = big_button(
            "settings-server-save", tr("settings.server.save"), self.save, icon=ft.Icons.SAVE
        )
        self.control = ft.Column(
            [
                ft.Text(tr("settings.server"), theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
                tagged("settings-server-url", self.field),
                ft.Row([self.test_button, self.save_button], wrap=True, spacing=8, run_spacing=8),
                self.result,
            ],
            spacing=10,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    # -- showing -----------------------------------------------------------------------------

    def _show(self, text: str, kind: str) -> None:
        """``kind``: "ok", "error" or "busy"."""
        icons = {"ok": ft.Icons.CHECK_CIRCLE, "error": ft.Icons.ERROR_OUTLINE}
        colors = {"ok": ft.Colors.GREEN_800, "error": ft.Colors.ERROR}
        self.result_icon.icon = icons.get(kind, ft.Icons.HOURGLASS_TOP)
        self.result_icon.color = self.result_text.color = colors.get(kind)
        self.result_text.value = text
        self.result.visible = True
        self.field.error = text.splitlines()[0] if kind == "error" else None
        self._refresh()

    def _refresh(self) -> None:
        with contextlib.suppress(RuntimeError):  # not on a page yet
            self.control.update()

    async def _edited(self, _e: ft.Event) -> None:
        if self.result.visible:
            self.result.visible, self.field.error = False, None
            self._refresh()

    # -- acting ------------------------------------------------------------------------------

    def _url(self) -> str | None:
        """The typed address as stored, or None (the refusal is shown)."""
        try:
            return normalize(self.field.value or "")
        except Exception as err:
            self._show(self.tr.error(err), "error")
            return None

    async def test(self, _e: ft.Event | None = None) -> None:
        url = self._url()
        if url is None:
            return
        self._show(self.tr("settings.server.testing", url=url), "busy")
        try:
            await asyncio.to_thread(self.session.test_server, url)
        except Exception as err:
            if not hasattr(err, "hint"):
                log.exception("testing head office at %s failed", url)
            self._show(self.tr("settings.server.unreachable", url=url) + "\n"
                       + self.tr.error(err), "error")  # fmt: skip
            return
        self._show(self.tr("settings.server.ok", url=url), "ok")

    async def save(self, e: ft.Event | None = None) -> None:
        url = self._url()
        if url is None:
            return
        if url == self.session.server_url:
            self.field.value = url
            self._show(self.tr("settings.server.same"), "ok")
            return
        unsent = await asyncio.to_thread(self.session.unsent)
        if unsent.nothing:
            await self._store(url)
            return

        async def confirmed() -> None:
            await self._store(url)

        tr = self.tr
        self.dialog = question_dialog(
            tr, title=tr("unsent.title"),
            text=tr("settings.server.pending", what=unsent_text(tr, unsent), url=url),
            confirm_id="server-change-confirm", confirm_text=tr("settings.server.confirm"),
            on_confirm=confirmed, cancel_text=tr("unsent.cancel"),
        )  # fmt: skip
        self.control.page.show_dialog(self.dialog)

    async def _store(self, url: str) -> None:
        try:
            stored = await asyncio.to_thread(self.session.set_server_url, url)
        except Exception as err:
            if not hasattr(err, "hint"):
                log.exception("storing head office's address failed")
            self._show(self.tr.error(err), "error")
            return
        self.field.value = stored
        self._show(self.tr("settings.server.saved", url=stored), "ok")
        self.session.sync_now()  # try the new address at once
