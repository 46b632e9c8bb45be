"""Sign-in screen: user name, password, language; errors say what to do next."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import flet as ft

from app.errors import TerrainError
from app.jobs import JobHandle
from app.services.registry import Services
from app.views.job_progress import JobProgress
from app.views.language_switch import language_switch
from app.views.semantic_ids import tagged
from app.views.state import AppState
from app.views.theme import PAGE_PADDING, TOUCH_TARGET

log = logging.getLogger(__name__)

FORM_MAX_WIDTH = 420


class SignInView:
    """Builds the sign-in form; on success hands the user to ``AppState.sign_in``."""

    def __init__(
        self,
        state: AppState,
        services: Services,
        *,
        username: str = "",
        on_update: Callable[[], None],
    ) -> None:
        self.state = state
        self.services = services
        self.on_update = on_update
        tr = state.tr
        self.username = ft.TextField(
            label=tr("signin.username"),
            value=username,
            autofocus=not username,
            prefix_icon=ft.Icons.PERSON_OUTLINE,
            autocorrect=False,
            enable_suggestions=False,
            capitalization=ft.TextCapitalization.NONE,
            on_submit=self.submit,
        )
        self.password = ft.TextField(
            label=tr("signin.password"),
            password=True,
            can_reveal_password=True,
            autofocus=bool(username),
            prefix_icon=ft.Icons.LOCK_OUTLINE,
            on_submit=self.submit,
        )
        self.error = ft.Text("", color=ft.Colors.ON_ERROR_CONTAINER, size=15, expand=True)
        # Semantics needs visible content: hide the tagged wrapper, never the text itself.
        self.error_box = tagged(
            "signin-error",
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ON_ERROR_CONTAINER),
                        self.error,
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                bgcolor=ft.Colors.ERROR_CONTAINER,
                padding=12,
                border_radius=ft.BorderRadius.all(8),
            ),
            live_region=True,
            visible=False,
        )
        # The sign-in runs as a background job (a first sign-in syncs: minutes on a slow
        # network); its progress shows here. Not cancellable: the first sync has to finish.
        self.progress = JobProgress(
            tr, on_update=on_update, identifier="signin-busy", cancellable=False
        )
        self.busy_box = self.progress.control
        self.submit_button = ft.FilledButton(
            content=tr("signin.submit"), height=TOUCH_TARGET, on_click=self.submit
        )

    @property
    def draft_username(self) -> str:
        return self.username.value or ""

    def build(self) -> ft.Control:
        tr = self.state.tr
        form = ft.Column(
            [
                ft.Icon(ft.Icons.ENGINEERING, size=56, color=ft.Colors.PRIMARY),
                ft.Text(
                    tr("app.title"),
                    theme_style=ft.TextThemeStyle.DISPLAY_SMALL,
                    text_align=ft.TextAlign.CENTER,
                ),
                ft.Text(
                    tr("signin.subtitle"),
                    theme_style=ft.TextThemeStyle.BODY_LARGE,
                    text_align=ft.TextAlign.CENTER,
                ),
                ft.Container(height=8),
                ft.Text(tr("signin.title"), theme_style=ft.TextThemeStyle.TITLE_LARGE),
                tagged("signin-username", self.username),
                tagged("signin-password", self.password),
                self.error_box,
                tagged("signin-submit", self.submit_button),
                self.busy_box,
                ft.Container(height=8),
                ft.Text(tr("signin.language"), theme_style=ft.TextThemeStyle.LABEL_LARGE),
                language_switch(tr, self.state.set_locale, identifier="signin-language"),
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            width=FORM_MAX_WIDTH,
        )
        return tagged(
            "signin",
            ft.Container(
                content=ft.Column(
                    [form],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    scroll=ft.ScrollMode.AUTO,
                ),
                padding=PAGE_PADDING,
                alignment=ft.Alignment.TOP_CENTER,
            ),
            expand=True,
        )

    def _sign_in(self, handle: JobHandle, username: str, password: str):
        """A background job: with head office (first sync, progress shown) when the device
        syncs, else against the local users only."""
        session = self.services.session
        if session is None:
            return self.services.auth.sign_in(username, password)
        tr = self.state.tr

        def progress(p) -> None:  # on the job's thread; the component hops to the UI loop
            handle.progress(None, tr("signin.progress", pages=p.pages_pulled, rows=p.rows_applied))

        return session.sign_in(username, password, progress=progress)

    def _set_busy(self, busy: bool) -> None:
        self.submit_button.disabled = busy
        self.username.read_only = busy
        self.password.read_only = busy
        if not busy:
            self.progress.hide()

    def _show_error(self, text: str | None) -> None:
        self.error.value = text or ""
        self.error_box.visible = bool(text)

    async def submit(self, _e: ft.Event | None = None) -> None:
        if self.submit_button.disabled:
            return  # already checking
        self._show_error(None)
        self._set_busy(True)
        username, password = self.username.value or "", self.password.value or ""
        job = self.services.jobs.submit(
            self._sign_in, username, password, name="sign-in", message=self.state.tr("signin.busy")
        )
        self.progress.follow(job)
        self.on_update()
        try:
            user = await asyncio.wrap_future(job.future)
        except TerrainError as err:
            self._set_busy(False)
            self._show_error(self.state.tr.error(err))
            self.password.value = ""
            self.on_update()
            return
        except Exception as err:  # never a traceback on screen
            log.exception("sign-in failed")
            self._set_busy(False)
            self._show_error(self.state.tr.error(err))
            self.on_update()
            return
        self.state.sign_in(user)  # the app re-renders into the shell
