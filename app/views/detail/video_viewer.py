"""A video in the full-screen viewer: play it, annotate a chosen frame, notes, a clip.

The player is ``flet_video.Video`` (media_kit). In the browser it loads a short-lived link the
app serves (``video_service.play_source``: ``/media-files/<token>/<name>``, docs/media.md);
in a built app, the file's path. Under it: play / pause and the position over the duration
stored by the probe; a slider over the duration to choose a frame ("Annoter cette image":
the service extracts it, stores it as a photo linked to the video and its time, and the
media section opens the photo editor on it); the video's time-stamped notes; and "Exporter
un extrait annoté", a background job (progress, cancel) burning the drawings of the latest
annotated still into the clip. Everything slow runs off the UI loop.

Test ids: ``video-player``, ``video-play``, ``video-position``, ``video-frame``,
``video-frame-time``, ``video-annotate``, ``video-clip``, ``video-clip-job``,
``video-notes``, ``video-note-text``, ``video-note-add``, ``video-note-<i>``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import flet as ft
import flet_video as ftv

from app.views.detail.blocks import big_button, muted, refresh, subtitle
from app.views.detail.context import DetailContext
from app.views.job_progress import JobProgress
from app.views.semantic_ids import tagged

log = logging.getLogger(__name__)


def clock_text(ms: int | float | None) -> str:
    seconds = max(0, int(ms or 0)) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def event_ms(data: object) -> int | None:
    """A position or duration sent by the player: milliseconds, or a Duration's parts."""
    if isinstance(data, bool):
        return None
    if isinstance(data, (int, float)):
        return int(data)
    if isinstance(data, dict):
        parts = {"microseconds": 0.001, "milliseconds": 1, "seconds": 1000, "minutes": 60000}
        return int(sum(float(data.get(k) or 0) * f for k, f in parts.items()))
    for name in ("in_milliseconds", "milliseconds"):
        value = getattr(data, name, None)
        if isinstance(value, (int, float)):
            return int(value)
    return None


class VideoViewer:
    def __init__(
        self,
        ctx: DetailContext,
        row,
        *,
        editable: bool,
        width: float,
        on_still: Callable[[object], Awaitable[None]],
        on_changed: Callable[[], Awaitable[None]],
    ) -> None:
        self.ctx, self.row, self.editable = ctx, row, editable
        self.on_still, self.on_changed = on_still, on_changed
        tr = ctx.tr
        self.duration_ms = round((row.duration_s or 0) * 1000)
        self.width = width
        aspect = (row.height or 9) / (row.width or 16)
        self.height = max(160, min(width * aspect, 420))
        self.player_box = ft.Container(
            ft.ProgressRing(), width=width, height=self.height, alignment=ft.Alignment.CENTER,
            bgcolor=ft.Colors.BLACK,
        )  # fmt: skip
        self.video: ftv.Video | None = None
        self.position_ms = 0
        self.position = ft.Text(self._position_text(), size=15)
        self.play_button = ft.IconButton(
            ft.Icons.PLAY_ARROW, on_click=self._play, tooltip=tr("video.play"), disabled=True
        )
        self.frame_ms = 0
        self.frame_time = ft.Text(tr("video.frame", time=clock_text(0)), size=15)
        self.slider = ft.Slider(
            min=0, max=max(1, self.duration_ms), value=0, on_change=self._slid,
            on_change_end=self._slid, disabled=self.duration_ms <= 0,
        )  # fmt: skip
        self.annotate_button = big_button(
            "video-annotate", tr("video.annotate_frame"), self._annotate_frame,
            icon=ft.Icons.DRAW_OUTLINED, filled=False,
        )  # fmt: skip
        self.clip_seconds = round(ctx.services.video.clip_seconds())
        self.clip_button = big_button(
            "video-clip", self._clip_label(), self._export, icon=ft.Icons.MOVIE_FILTER_OUTLINED,
            filled=False,
        )  # fmt: skip
        self.clip_help = muted(tr("video.clip_help"))
        self.clip_job = JobProgress(tr, on_update=self._job_changed, identifier="video-clip-job")
        self.note_text = ft.TextField(
            label=tr("video.note_text", time=clock_text(0)), text_size=16, max_length=200
        )
        self.notes = ft.Column(spacing=4)
        self.stills: list = []

    # --- layout -------------------------------------------------------------------------------

    def build(self) -> ft.Control:
        tr = self.ctx.tr
        controls: list[ft.Control] = [
            tagged("video-player", self.player_box),
            ft.Row(
                [tagged("video-play", self.play_button, button=True),
                 tagged("video-position", self.position)],
                spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        ]  # fmt: skip
        if self.editable:
            controls += [
                muted(tr("video.frame_help")),
                tagged("video-frame", self.slider),
                tagged("video-frame-time", self.frame_time),
                ft.Row([self.annotate_button, self.clip_button], wrap=True, spacing=10),
                self.clip_help,
                self.clip_job.control,
            ]
        controls.append(tagged("video-notes", self.notes))
        if self.editable:
            controls += [
                tagged("video-note-text", self.note_text),
                big_button("video-note-add", tr("video.note_add"), self._add_note, filled=False),
            ]
        self._show_notes()
        self.root = ft.Column(controls, spacing=8, tight=True, width=self.width)
        return self.root

    def _position_text(self) -> str:
        return self.ctx.tr(
            "video.position", position=clock_text(self.position_ms),
            duration=clock_text(self.duration_ms),
        )  # fmt: skip

    def _clip_label(self) -> str:
        return self.ctx.tr("video.clip", seconds=self.clip_seconds, time=clock_text(self.frame_ms))

    def _show_notes(self) -> None:
        tr = self.ctx.tr
        notes = self.row.video_notes or []
        lines: list[ft.Control] = [subtitle(tr("video.notes", count=len(notes)))]
        for i, note in enumerate(notes):
            remove = (
                [tagged(f"video-note-{i}-remove", ft.IconButton(
                    ft.Icons.DELETE_OUTLINE, data=i, on_click=self._remove_note,
                    tooltip=tr("video.note_remove")), button=True)]
                if self.editable else []
            )  # fmt: skip
            lines.append(
                tagged(f"video-note-{i}", ft.Row(
                    [ft.TextButton(clock_text(note["t_ms"]), data=note["t_ms"],
                                   on_click=self._seek_note),
                     ft.Text(note["text"], size=15, expand=True), *remove],
                    spacing=6, vertical_alignment=ft.CrossAxisAlignment.CENTER,
                ))
            )  # fmt: skip
        if self.stills:
            lines.append(muted(tr("video.stills", count=len(self.stills))))
        self.notes.controls = lines

    # --- loading the player (off the UI loop: the video may download first) -------------------

    async def load(self, page: ft.Page | None) -> None:
        services = self.ctx.services
        web = bool(getattr(page, "web", True))

        def read():
            store = services.media.device_store()
            source = services.video.play_source(store, self.row, services.session, web=web)
            return source, services.video.stills_of(self.row.id, self.ctx.who)

        try:
            source, self.stills = await asyncio.to_thread(read)
        except Exception:  # a damaged row or store: the viewer still shows the rest
            log.warning("video %s not loaded", self.row.id, exc_info=True)
            source = None
        if source is None:
            self.player_box.content = ft.Text(
                self.ctx.tr("video.not_here"), color=ft.Colors.WHITE, size=15,
                text_align=ft.TextAlign.CENTER,
            )  # fmt: skip
        else:
            self.video = ftv.Video(
                playlist=[ftv.VideoMedia(source)], autoplay=False, fill_color=ft.Colors.BLACK,
                width=self.width, height=self.height, wakelock=False, controls=None,
                on_position_change=self._moved, on_error=self._failed, on_complete=self._ended,
            )  # fmt: skip
            self.player_box.content = self.video
            self.play_button.disabled = False
        self._show_notes()
        refresh(self.root)

    # --- player -------------------------------------------------------------------------------

    async def _play(self, e=None) -> None:
        if self.video is None:
            return
        await self.video.play_or_pause()
        playing = self.play_button.icon == ft.Icons.PLAY_ARROW
        self.play_button.icon = ft.Icons.PAUSE if playing else ft.Icons.PLAY_ARROW
        refresh(self.play_button)

    async def _moved(self, e) -> None:
        ms = event_ms(e.data)
        if ms is None or ms // 1000 == self.position_ms // 1000:
            self.position_ms = ms if ms is not None else self.position_ms
            return  # the text changes once a second, not at every event
        self.position_ms = ms
        self.position.value = self._position_text()
        refresh(self.position)

    async def _ended(self, e=None) -> None:
        self.play_button.icon = ft.Icons.PLAY_ARROW
        refresh(self.play_button)

    async def _failed(self, e) -> None:
        log.info("video %s not playable here: %s", self.row.id, e.data)
        self.player_box.content = ft.Text(
            self.ctx.tr("video.cannot_play", codec=self.row.mime_type or "?"),
            color=ft.Colors.WHITE, size=15, text_align=ft.TextAlign.CENTER,
        )  # fmt: skip
        self.video = None
        self.play_button.disabled = True
        refresh(self.root)

    async def _seek_note(self, e) -> None:
        self._choose(int(e.control.data))
        if self.video is not None:
            await self.video.seek(self.frame_ms)

    # --- the frame ----------------------------------------------------------------------------

    async def _slid(self, e) -> None:
        self._choose(int(e.control.value or 0))

    def _choose(self, ms: int) -> None:
        self.frame_ms = max(0, min(ms, self.duration_ms))
        self.slider.value = self.frame_ms
        self.frame_time.value = self.ctx.tr("video.frame", time=clock_text(self.frame_ms))
        self.note_text.label = self.ctx.tr("video.note_text", time=clock_text(self.frame_ms))
        self.clip_button.content.content = self._clip_label()
        for control in (self.slider, self.frame_time, self.note_text, self.clip_button):
            refresh(control)

    async def _annotate_frame(self, e=None) -> None:
        ctx = self.ctx

        def run():
            store = ctx.services.media.device_store()
            return ctx.services.video.still_at(self.row.id, self.frame_ms, ctx.who, store=store)

        still = await ctx.call(run, saved="video.frame_saved")
        if still is not None:
            await self.on_still(still)

    # --- notes --------------------------------------------------------------------------------

    async def _add_note(self, e=None) -> None:
        ctx = self.ctx
        text = self.note_text.value or ""
        row = await ctx.call(ctx.services.video.add_note, self.row.id, ctx.who, self.frame_ms,
                             text, saved="video.note_added")  # fmt: skip
        if row is not None:
            self.row = row
            self.note_text.value = ""
            self._show_notes()
            refresh(self.root)

    async def _remove_note(self, e) -> None:
        ctx = self.ctx
        row = await ctx.call(ctx.services.video.remove_note, self.row.id, ctx.who,
                             int(e.control.data), saved="video.note_removed")  # fmt: skip
        if row is not None:
            self.row = row
            self._show_notes()
            refresh(self.root)

    # --- the clip -----------------------------------------------------------------------------

    async def _export(self, e=None) -> None:
        ctx = self.ctx
        annotated = [s for s in self.stills if s.kind == "photo" and s.annotations]
        if not annotated:
            ctx.notify(ctx.tr("video.clip_needs_still"), True)
            return
        still = max(annotated, key=lambda s: (s.updated_at, s.id))
        store = await asyncio.to_thread(ctx.services.media.device_store)
        job = ctx.services.jobs.submit(
            ctx.services.video.export_clip, self.row.id, ctx.who, store=store,
            start_ms=self.frame_ms, still_id=still.id, name="clip",
            message=ctx.tr("video.clip_running", percent=0),
        )  # fmt: skip
        self.clip_button.content.disabled = True
        self.clip_job.follow(job)
        refresh(self.root)

    def _job_changed(self) -> None:
        job = self.clip_job.job
        if job is not None and job.progress is not None and not job.state.finished:
            self.clip_job.message.value = self.ctx.tr(
                "video.clip_running", percent=round(100 * job.progress)
            )
        if job is None:  # finished: the JobProgress stopped following it
            self.clip_button.content.disabled = False
        refresh(self.root)
        finished = self.clip_job.job is None and self.clip_job.bar.value == 1.0
        if finished:
            self.ctx.notify(self.ctx.tr("video.clip_done"), False)
            asyncio.get_running_loop().create_task(self.on_changed())

    def stop(self) -> None:
        """The viewer closes: stop following the job (it goes on and stores its clip)."""
        self.clip_job.stop()
