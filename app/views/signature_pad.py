"""The signature pad: finger, stylus or mouse on a ``flet.canvas.Canvas``.

A ``GestureDetector`` over the canvas reports pan events; each stroke is one ``cv.Points``
shape (a polyline) and the points ``[x, y, t]`` (pad pixels, milliseconds since the first
touch) the signing service checks. While drawing, only the shape of the stroke being drawn
is sent to the client (``shape.update()``), never the whole canvas (FLET_NOTES: 2 ms per
update instead of tens of ms at 10k points). Keep the pad out of scrolling parents: they
take vertical drags for themselves.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import flet as ft
import flet.canvas as cv

from app.views.semantic_ids import tagged

INK = "#14235A"  # the PNG's ink (app.reports.signature.INK)
DRAG_INTERVAL_MS = 8


class SignaturePad:
    def __init__(
        self, width: int, height: int, *, on_change: Callable[[], None] | None = None
    ) -> None:
        self.width, self.height = int(width), int(height)
        self.on_change = on_change
        self.strokes: list[list[list[float]]] = []
        self._origin: float | None = None  # the first touch's time, in ms
        self._shape: cv.Points | None = None
        self.detector = ft.GestureDetector(
            on_pan_start=self._start,
            on_pan_update=self._move,
            on_pan_end=self._end,
            drag_interval=DRAG_INTERVAL_MS,
            mouse_cursor=ft.MouseCursor.PRECISE,
        )
        self.canvas = cv.Canvas(
            shapes=[], content=self.detector, width=self.width, height=self.height
        )
        self.control = tagged(
            "signature-pad",
            ft.Container(
                self.canvas,
                width=self.width,
                height=self.height,
                bgcolor=ft.Colors.WHITE,
                border=ft.Border.all(2, ft.Colors.OUTLINE),
                border_radius=ft.BorderRadius.all(8),
            ),
        )

    @property
    def pad(self) -> tuple[int, int]:
        return self.width, self.height

    @property
    def is_empty(self) -> bool:
        return not self.strokes

    def _time(self, e) -> float:
        stamp = getattr(e, "timestamp", None)  # a Duration (microseconds on the wire)
        if isinstance(stamp, int | float):
            ms = stamp / 1000
        elif stamp is not None:
            ms = stamp.in_microseconds / 1000
        else:  # proxied events (accessibility) carry no time stamp
            ms = time.monotonic() * 1000
        if self._origin is None:
            self._origin = ms
        return round(max(ms - self._origin, 0.0), 1)

    def _point(self, e) -> list[float]:
        position = e.local_position
        return [round(position.x, 1), round(position.y, 1), self._time(e)]

    def _start(self, e: ft.DragStartEvent) -> None:
        point = self._point(e)
        self.strokes.append([point])
        self._shape = cv.Points(
            points=[ft.Offset(point[0], point[1])],
            point_mode=cv.PointMode.POLYGON,
            paint=ft.Paint(
                color=INK,
                stroke_width=3,
                stroke_cap=ft.StrokeCap.ROUND,
                stroke_join=ft.StrokeJoin.ROUND,
                style=ft.PaintingStyle.STROKE,
            ),
        )
        self.canvas.shapes.append(self._shape)
        _send(self.canvas)  # one new shape
        if self.on_change:
            self.on_change()

    def _move(self, e: ft.DragUpdateEvent) -> None:
        if self._shape is None or not self.strokes:
            return
        point = self._point(e)
        stroke = self.strokes[-1]
        if point[2] < stroke[-1][2]:  # never back in time within a stroke
            point[2] = stroke[-1][2]
        stroke.append(point)
        self._shape.points.append(ft.Offset(point[0], point[1]))
        _send(self._shape)  # only the stroke being drawn

    def _end(self, _e: ft.DragEndEvent) -> None:
        self._shape = None

    def clear(self) -> None:
        self.strokes = []
        self._origin, self._shape = None, None
        self.canvas.shapes = []
        _send(self.canvas)
        if self.on_change:
            self.on_change()


def _send(control: ft.Control) -> None:
    with contextlib.suppress(RuntimeError):  # not on a page yet
        control.update()
