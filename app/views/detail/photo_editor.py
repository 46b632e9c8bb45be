"""The photo editor: draw over a photo (freehand, arrow, rectangle, ellipse, text), in colour,
with undo / redo; saved as the photo's vector layer (``app.media.annotation``).

The photo is shown in a box of its own aspect ratio, a ``canvas.Canvas`` stacked over it
inside a ``GestureDetector``: a drag draws the chosen tool (only the shape being drawn is
sent to the client while the finger moves), a tap with "Texte" places the typed note.
Positions are kept as fractions of the box, so the layer draws the same on the photo, its
thumbnail and the PDF. Nothing is saved until "Enregistrer"; "Annuler" leaves the photo as
it was.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import flet as ft
import flet.canvas as cv

from app.domain import annotation
from app.views.detail.blocks import big_button, refresh
from app.views.semantic_ids import tagged

TOOLS = ("free", "arrow", "rect", "circle", "text")
TOOL_ICONS = {
    "free": ft.Icons.GESTURE,
    "arrow": ft.Icons.NORTH_EAST,
    "rect": ft.Icons.CROP_SQUARE,
    "circle": ft.Icons.CIRCLE_OUTLINED,
    "text": ft.Icons.TEXT_FIELDS,
}
MIN_MOVE = 0.004  # fraction of the box: finer moves of a freehand stroke are not kept


class PhotoEditor:
    """``build()`` the editor for ``photo`` (bytes) and its ``layer``; ``on_save(layer)``."""

    def __init__(
        self,
        tr,
        photo: bytes,
        size: tuple[int, int],
        layer: dict | None,
        *,
        on_save: Callable[[dict], Awaitable[None]],
        on_cancel: Callable[[], Awaitable[None]],
        box_width: float = 560,
    ) -> None:
        self.tr = tr
        self.on_save, self.on_cancel = on_save, on_cancel
        width, height = size
        self.w = box_width
        self.h = box_width * height / width if width else box_width * 0.75
        self.shapes: list[dict] = list((layer or {}).get("shapes") or [])
        self.undone: list[dict] = []
        self.tool = "arrow"
        self.color = annotation.PALETTE[0]
        self.current: dict | None = None
        self.current_drawn: list[cv.Shape] = []
        self.canvas = cv.Canvas(shapes=self._drawn_all(), width=self.w, height=self.h)
        self.pad = ft.GestureDetector(
            content=ft.Stack(
                [ft.Image(src=photo, width=self.w, height=self.h, fit=ft.BoxFit.FILL),
                 self.canvas],
                width=self.w, height=self.h,
            ),
            on_pan_start=self._start, on_pan_update=self._move, on_pan_end=self._end,
            on_tap_down=self._tap, drag_interval=16,
        )  # fmt: skip
        self.tools = ft.SegmentedButton(
            segments=[
                ft.Segment(value=t, icon=TOOL_ICONS[t], tooltip=tr(f"annotate.tool.{t}"))
                for t in TOOLS
            ],
            selected=[self.tool],
            show_selected_icon=False,
            on_change=self._tool_chosen,
        )
        self.colors = ft.Row([self._swatch(c) for c in annotation.PALETTE], spacing=4, wrap=True)
        self.text = ft.TextField(label=tr("annotate.text"), text_size=16, max_length=120)
        self.undo_button = tagged(
            "annotate-undo",
            ft.IconButton(ft.Icons.UNDO, on_click=self._undo, tooltip=tr("annotate.undo")),
            button=True,
        )
        self.redo_button = tagged(
            "annotate-redo",
            ft.IconButton(ft.Icons.REDO, on_click=self._redo, tooltip=tr("annotate.redo")),
            button=True,
        )
        self.root: ft.Control | None = None

    # --- layout -------------------------------------------------------------------------------

    def build(self) -> ft.Control:
        tr = self.tr
        self.root = tagged(
            "annotate",
            ft.Column(
                [
                    tagged("annotate-pad", self.pad),
                    ft.Row([tagged("annotate-tools", self.tools), self.undo_button,
                            self.redo_button], wrap=True, spacing=6),
                    tagged("annotate-colors", self.colors),
                    tagged("annotate-text", self.text),
                    ft.Row(
                        [big_button("annotate-save", tr("action.save"), self._save),
                         big_button("annotate-cancel", tr("action.cancel"), self._cancel,
                                    filled=False)],
                        wrap=True, spacing=10,
                    ),
                ],
                spacing=10, tight=True, width=self.w,
            ),
        )  # fmt: skip
        self._sync_buttons()
        return self.root

    def _swatch(self, color: str) -> ft.Control:
        selected = color == self.color
        return tagged(
            f"annotate-color-{color[1:]}",
            ft.Container(
                width=40, height=40, border_radius=20, bgcolor=color, data=color,
                border=ft.Border.all(4 if selected else 1,
                                     ft.Colors.PRIMARY if selected else ft.Colors.OUTLINE),
                on_click=self._color_chosen, margin=4,
            ),
            button=True,
        )  # fmt: skip

    def layer(self) -> dict:
        return {"version": annotation.VERSION, "shapes": list(self.shapes)}

    # --- drawing the layer on the canvas ------------------------------------------------------

    def _drawn_all(self) -> list[cv.Shape]:
        return [part for shape in self.shapes for part in self._draw(shape)]

    def _draw(self, shape: dict) -> list[cv.Shape]:
        w, h, side = self.w, self.h, max(self.w, self.h)
        color = shape.get("color", annotation.PALETTE[0])
        if shape["kind"] == "text":
            (x, y), size = shape["at"], shape.get("size", annotation.DEFAULT_SIZE) * side
            style = ft.TextStyle(size=size, color=color, weight=ft.FontWeight.BOLD)
            return [cv.Text(x=x * w, y=y * h, value=shape["text"], style=style)]
        paint = ft.Paint(
            color=color, stroke_width=max(1.5, shape.get("width", annotation.DEFAULT_WIDTH)
                                          * side),
            style=ft.PaintingStyle.STROKE, stroke_cap=ft.StrokeCap.ROUND,
            stroke_join=ft.StrokeJoin.ROUND,
        )  # fmt: skip
        if shape["kind"] == "free":
            points = [ft.Offset(x * w, y * h) for x, y in shape["points"]]
            return [cv.Points(points=points, point_mode=cv.PointMode.POLYGON, paint=paint)]
        (x0, y0), (x1, y1) = shape["from"], shape["to"]
        a, b = (x0 * w, y0 * h), (x1 * w, y1 * h)
        left, top = min(a[0], b[0]), min(a[1], b[1])
        width, height = abs(b[0] - a[0]), abs(b[1] - a[1])
        if shape["kind"] == "rect":
            return [cv.Rect(x=left, y=top, width=width, height=height, paint=paint)]
        if shape["kind"] == "circle":
            return [cv.Oval(x=left, y=top, width=width, height=height, paint=paint)]
        angle = math.atan2(b[1] - a[1], b[0] - a[0])
        head = max(4 * paint.stroke_width, 12)
        wings = [
            (b[0] - head * math.cos(angle + turn), b[1] - head * math.sin(angle + turn))
            for turn in (-0.45, 0.45)
        ]
        fill = ft.Paint(color=color, style=ft.PaintingStyle.FILL)
        return [
            cv.Line(x1=a[0], y1=a[1], x2=b[0], y2=b[1], paint=paint),
            cv.Path(elements=[cv.Path.MoveTo(*b), cv.Path.LineTo(*wings[0]),
                              cv.Path.LineTo(*wings[1]), cv.Path.Close()], paint=fill),
        ]  # fmt: skip

    def _where(self, e) -> list[float]:
        p = e.local_position
        return [min(1.0, max(0.0, round(p.x / self.w, 5))),
                min(1.0, max(0.0, round(p.y / self.h, 5)))]  # fmt: skip

    def _redraw_current(self) -> None:
        for part in self.current_drawn:
            self.canvas.shapes.remove(part)
        self.current_drawn = self._draw(self.current) if self.current else []
        self.canvas.shapes.extend(self.current_drawn)
        refresh(self.canvas)

    # --- gestures -----------------------------------------------------------------------------

    async def _start(self, e: ft.DragStartEvent) -> None:
        if self.tool == "text":
            return
        where = self._where(e)
        if self.tool == "free":
            self.current = {"kind": "free", "points": [where], "color": self.color,
                            "width": annotation.DEFAULT_WIDTH}  # fmt: skip
        else:
            self.current = {"kind": self.tool, "from": where, "to": where, "color": self.color,
                            "width": annotation.DEFAULT_WIDTH}  # fmt: skip
        self._redraw_current()

    async def _move(self, e: ft.DragUpdateEvent) -> None:
        if self.current is None:
            return
        where = self._where(e)
        if self.current["kind"] == "free":
            last = self.current["points"][-1]
            if math.dist(last, where) < MIN_MOVE:
                return
            self.current["points"].append(where)
        else:
            self.current["to"] = where
        self._redraw_current()

    async def _end(self, e: ft.DragEndEvent | None = None) -> None:
        if self.current is None:
            return
        shape, self.current = self.current, None
        try:
            shape = annotation.validate_layer({"shapes": [shape]})["shapes"][0]
        except annotation.AnnotationError:  # a stroke with no length, a box of no size
            shape = None
        self.current_drawn = []
        if shape is not None:
            self.shapes.append(shape)
            self.undone.clear()
        self.canvas.shapes = self._drawn_all()
        refresh(self.canvas)
        self._sync_buttons()

    async def _tap(self, e: ft.TapEvent) -> None:
        text = (self.text.value or "").strip()
        if self.tool != "text" or not text:
            return
        self.shapes.append({"kind": "text", "at": self._where(e), "text": text[:120],
                            "color": self.color, "size": annotation.DEFAULT_SIZE})  # fmt: skip
        self.undone.clear()
        self.canvas.shapes = self._drawn_all()
        refresh(self.canvas)
        self._sync_buttons()

    # --- tools --------------------------------------------------------------------------------

    async def _tool_chosen(self, e) -> None:
        self.tool = e.control.selected[0] if e.control.selected else "free"

    async def _color_chosen(self, e) -> None:
        self.color = e.control.data
        self.colors.controls = [self._swatch(c) for c in annotation.PALETTE]
        refresh(self.colors)

    async def _undo(self, e=None) -> None:
        if self.shapes:
            self.undone.append(self.shapes.pop())
            self._after_edit()

    async def _redo(self, e=None) -> None:
        if self.undone:
            self.shapes.append(self.undone.pop())
            self._after_edit()

    def _after_edit(self) -> None:
        self.canvas.shapes = self._drawn_all()
        refresh(self.canvas)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.undo_button.content.disabled = not self.shapes
        self.redo_button.content.disabled = not self.undone
        if self.root is not None:
            refresh(self.undo_button)
            refresh(self.redo_button)

    async def _save(self, e=None) -> None:
        await self.on_save(self.layer())

    async def _cancel(self, e=None) -> None:
        await self.on_cancel()
