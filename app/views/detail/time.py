"""Section "Temps": travel and work totals, the running timer, start/pause, corrections.

A timer runs in the database (a time entry without an end), so it survives a restart; the
section shows when it started rather than ticking. Starting one stops any other first.
A correction replaces an entry's duration and needs a reason.
"""

from __future__ import annotations

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import big_button, muted, refresh, section_title, subtitle
from app.views.detail.context import DetailContext
from app.views.detail.time_correction import CorrectionForm
from app.views.semantic_ids import tagged


def duration(tr: Translator, minutes: float) -> str:
    """``25 min`` or ``1 h 05``."""
    minutes = round(minutes)
    if minutes < 60:
        return tr("time.minutes", minutes=minutes)
    return tr("time.hours", hours=minutes // 60, minutes=f"{minutes % 60:02d}")


def entry_minutes(entry, now) -> float:
    if entry.corrected_minutes is not None:
        return entry.corrected_minutes
    return max(0.0, ((entry.ended_at or now) - entry.started_at).total_seconds() / 60)


class TimeSection:
    def __init__(self, ctx: DetailContext) -> None:
        self.ctx = ctx
        tr = ctx.tr
        self.totals = ft.Row(wrap=True, spacing=12, run_spacing=8)
        self.running = ft.Text(size=16, weight=ft.FontWeight.W_600)
        self.running_icon = ft.Icon(ft.Icons.TIMER_OFF_OUTLINED)
        self.entries = ft.Column(spacing=6)
        self.form = CorrectionForm(ctx, on_saved=self.load_and_show)
        self.start_travel = big_button(
            "time-start-travel",
            tr("time.start_travel"),
            self._start_travel,
            icon=ft.Icons.DIRECTIONS_CAR,
            filled=False,
        )
        self.start_work = big_button(
            "time-start-work",
            tr("time.start_work"),
            self._start_work,
            icon=ft.Icons.PLAY_ARROW,
            filled=False,
        )
        self.pause = big_button("time-pause", tr("time.pause"), self._pause, icon=ft.Icons.PAUSE)
        self.root: ft.Control | None = None

    def build(self) -> ft.Control:
        tr = self.ctx.tr
        self.root = ft.Column(
            [
                section_title(tr("detail.section.time"), ft.Icons.TIMER_OUTLINED),
                tagged("time-totals", self.totals),
                tagged("time-running", ft.Row([self.running_icon, self.running], spacing=8)),
                ft.Row([self.start_travel, self.start_work, self.pause], wrap=True, spacing=10),
                subtitle(tr("time.entries")),
                tagged("time-entries", self.entries),
                self.form.control,
            ],
            spacing=14,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        return self.root

    def _read(self):
        ctx, time = self.ctx, self.ctx.services.time
        now = ctx.now()
        return (
            time.totals(ctx.intervention_id, ctx.who, now),
            time.entries(ctx.intervention_id, ctx.who),
            time.running_entry(ctx.who),
            now,
        )

    async def load(self) -> None:
        read = await self.ctx.call(self._read)
        if read is not None:
            self._show(*read)

    async def load_and_show(self) -> None:
        await self.load()
        if self.root is not None:
            refresh(self.root)

    def _show(self, totals, entries, running, now) -> None:
        tr = self.ctx.tr
        self.totals.controls = [
            self._figure("time-travel", tr("time.travel"), duration(tr, totals.travel_minutes)),
            self._figure("time-work", tr("time.work"), duration(tr, totals.work_minutes)),
            self._figure("time-total", tr("time.total"), duration(tr, totals.total_minutes)),
        ]
        here = running is not None and running.intervention_id == self.ctx.intervention_id
        if here:
            kind = tr(f"time.{running.kind}")
            self.running.value = tr("time.running", kind=kind, start=tr.time(running.started_at))
        elif running is not None:
            self.running.value = tr("time.running_elsewhere")
        else:
            self.running.value = tr("time.stopped")
        self.running_icon.icon = ft.Icons.TIMER if here else ft.Icons.TIMER_OFF_OUTLINED
        self.running_icon.color = ft.Colors.DEEP_ORANGE_700 if here else None
        self.running.color = ft.Colors.DEEP_ORANGE_900 if here else None
        self.pause.content.disabled = not here
        self.start_travel.content.disabled = here and running.kind == "travel"
        self.start_work.content.disabled = here and running.kind == "work"
        self.entries.controls = [self._entry(i, e, now) for i, e in enumerate(entries)] or [
            muted(tr("time.no_entries"), "time-no-entries")
        ]

    @staticmethod
    def _figure(ident: str, label: str, value: str) -> ft.Control:
        return tagged(
            ident,
            ft.Container(
                ft.Column(
                    [ft.Text(label, size=14), ft.Text(value, size=22, weight=ft.FontWeight.BOLD)],
                    spacing=2,
                ),
                padding=ft.Padding.symmetric(horizontal=16, vertical=10),
                border_radius=ft.BorderRadius.all(12),
                bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
            ),
        )

    def _entry(self, index: int, entry, now) -> ft.Control:
        tr = self.ctx.tr
        kind = tr(f"time.{entry.kind}")
        when = tr.time(entry.started_at)
        if entry.ended_at is None:
            text = tr("time.entry_running", kind=kind, start=when)
        else:
            text = tr(
                "time.entry",
                kind=kind,
                start=when,
                end=tr.time(entry.ended_at),
                duration=duration(tr, entry_minutes(entry, now)),
            )
        lines = [ft.Text(text, size=15)]
        if entry.corrected_minutes is not None:
            lines.append(muted(tr("time.corrected", reason=entry.correction_reason)))

        async def correct(_e: ft.Event) -> None:
            self.form.open(entry, round(entry_minutes(entry, now)))
            if self.root is not None:
                refresh(self.root)

        button = ft.TextButton(tr("time.correct"), icon=ft.Icons.EDIT, on_click=correct)
        return tagged(
            f"time-entry-{index}",
            ft.Row(
                [
                    ft.Column(lines, spacing=2, expand=True),
                    tagged(f"time-correct-{index}", button, button=True),
                ],
                vertical_alignment=ft.CrossAxisAlignment.CENTER,
            ),
        )

    async def _start(self, kind: str) -> None:
        ctx = self.ctx
        started = await ctx.call(
            ctx.services.time.start,
            ctx.intervention_id,
            kind,
            ctx.who,
            ctx.now(),
            saved="time.started",
        )
        if started is not None:
            await self.load_and_show()

    async def _start_travel(self, _e: ft.Event) -> None:
        await self._start("travel")

    async def _start_work(self, _e: ft.Event) -> None:
        await self._start("work")

    async def _pause(self, _e: ft.Event) -> None:
        ctx = self.ctx
        stopped = await ctx.call(
            ctx.services.time.stop_running, ctx.who, ctx.now(), saved="time.paused"
        )
        if stopped is not None:
            await self.load_and_show()
