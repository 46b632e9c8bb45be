"""A background job's progress (``app.jobs``): a bar, what is going on, and a cancel button.

``follow(job)`` (on the UI loop) subscribes to the job; its changes arrive on the job's
thread and are handed to the loop before any control changes. When the job ends (or
``stop()``), the component unsubscribes: nothing of a closed screen stays registered.

Test ids: ``<identifier>`` (the whole), ``-bar``, ``-message``, ``-cancel``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import flet as ft

from app.i18n import Translator
from app.jobs import Job, JobState
from app.views.semantic_ids import tagged


class JobProgress:
    def __init__(
        self,
        tr: Translator,
        *,
        on_update: Callable[[], None],
        identifier: str = "job",
        cancellable: bool = True,
    ) -> None:
        self.tr, self.on_update, self.cancellable = tr, on_update, cancellable
        self.job: Job | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.bar = ft.ProgressBar(value=None, border_radius=ft.BorderRadius.all(4))
        self.message = ft.Text("", size=15, expand=True)
        self.cancel_button = ft.TextButton(
            content=tr("job.cancel"), icon=ft.Icons.CLOSE, on_click=self._cancel
        )
        # Hide the tagged wrappers, never their content (Semantics needs visible content).
        self.cancel_box = tagged(f"{identifier}-cancel", self.cancel_button, button=True)
        self.bar_box = tagged(f"{identifier}-bar", self.bar)
        self.control = tagged(
            identifier,
            ft.Column(
                [
                    self.bar_box,
                    ft.Row(
                        [
                            tagged(f"{identifier}-message", self.message, expand=True),
                            self.cancel_box,
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                ],
                spacing=6,
                horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
            ),
            live_region=True,
            visible=False,
        )

    def follow(self, job: Job) -> None:
        """Show ``job`` from now on (call on the UI loop)."""
        self.stop()
        self._loop = asyncio.get_running_loop()
        self.job = job
        self._show(job.state, job.progress, job.message, job.error)
        self._unsubscribe = job.subscribe(self._changed)
        if job.state.finished:  # it ended before we looked: nothing more will come
            self.stop()

    def stop(self) -> None:
        """Stop following the current job (the screen closes); the job goes on."""
        self.job = None
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def _changed(self, job: Job) -> None:
        """The job's thread: take a snapshot now, show it on the UI loop."""
        if job is not self.job or self._loop is None:
            return
        snapshot = (job.state, job.progress, job.message, job.error)
        with contextlib.suppress(RuntimeError):  # the loop is closed: the app is ending
            self._loop.call_soon_threadsafe(self._apply, job, snapshot)

    def _apply(self, job: Job, snapshot: tuple) -> None:
        if job is not self.job:
            return  # an older job, replaced meanwhile
        self._show(*snapshot)
        if snapshot[0].finished:
            self.stop()
        self.on_update()

    def _show(self, state: JobState, progress: float | None, message: str, error) -> None:
        running = not state.finished
        self.control.visible = True
        self.bar.value = progress if running else (1.0 if state == JobState.DONE else 0.0)
        self.bar_box.visible = running or state == JobState.DONE
        if error is not None and state != JobState.DONE:
            text = self.tr.error(error)
        else:
            text = message or self.tr(f"job.{state}")
        self.message.value = text
        self.message.color = ft.Colors.ERROR if state == JobState.FAILED else None
        self.cancel_box.visible = self.cancellable and running
        self.cancel_button.disabled = self.job is not None and self.job.cancel_requested

    def hide(self) -> None:
        """Stop following and hide (the screen shows the outcome its own way)."""
        self.stop()
        self.control.visible = False

    def _cancel(self, _e: ft.Event | None = None) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.disabled = True
            self.on_update()
