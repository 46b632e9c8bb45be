"""A row scrolling sideways that shows it does: at each edge where more is hidden, the row
fades out under an arrow (on a phone a row simply cut at the edge — "Mesures e" — says
nothing of what lies beyond). The fades let taps through to what is under them.

    pills = ScrollRow("detail-switcher", ft.Row(buttons, scroll=ft.ScrollMode.AUTO))
    column.controls.append(pills.control)

The arrows follow the scroll position the client reports; before the first scroll the row is
taken to overflow at its end, so use it where the content is wider than the screen (a phone's
section switcher), and a wrapping row where it may fit.
"""

from __future__ import annotations

import contextlib

import flet as ft

from app.views.semantic_ids import tagged

EDGE = 48  # px: the fade's width
SCROLL_INTERVAL = 100  # ms between scroll reports: enough to follow a swipe


class ScrollRow:
    """``control`` (tagged ``ident``) holds ``row``, a row that scrolls sideways; the fades are
    tagged ``<ident>-before`` and ``<ident>-after`` and shown when there is more that way."""

    def __init__(self, ident: str, row: ft.Row | None = None) -> None:
        self.row = row or ft.Row(scroll=ft.ScrollMode.AUTO, spacing=8)
        self.row.scroll = self.row.scroll or ft.ScrollMode.AUTO
        self.row.on_scroll = self._scrolled
        self.row.scroll_interval = SCROLL_INTERVAL
        self.before = self._edge(f"{ident}-before", ft.Icons.CHEVRON_LEFT, start=True)
        self.after = self._edge(f"{ident}-after", ft.Icons.CHEVRON_RIGHT, start=False)
        self.before.visible = False
        self.control = tagged(ident, ft.Stack([self.row, self.before, self.after]))

    @staticmethod
    def _edge(ident: str, icon: ft.IconData, *, start: bool) -> ft.TransparentPointer:
        near, far = ft.Alignment.CENTER_LEFT, ft.Alignment.CENTER_RIGHT
        if not start:
            near, far = far, near
        fade = ft.Container(
            tagged(ident, ft.Icon(icon, color=ft.Colors.PRIMARY, size=28)),
            width=EDGE,
            alignment=near,
            gradient=ft.LinearGradient(
                begin=near,
                end=far,
                colors=[ft.Colors.SURFACE, ft.Colors.with_opacity(0, ft.Colors.SURFACE)],
            ),
        )
        side = {"left": 0} if start else {"right": 0}
        return ft.TransparentPointer(fade, top=0, bottom=0, **side)

    def show(self, *, before: bool, after: bool) -> None:
        """Show the fade at the start and/or the end; refreshes only on a change."""
        if (self.before.visible, self.after.visible) == (before, after):
            return
        self.before.visible, self.after.visible = before, after
        with contextlib.suppress(RuntimeError):  # not on a page yet: shown when it is
            self.control.update()

    async def _scrolled(self, e: ft.OnScrollEvent) -> None:
        self.show(before=e.pixels > 1, after=e.pixels < e.max_scroll_extent - 1)
