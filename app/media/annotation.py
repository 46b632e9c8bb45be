"""Photo annotations drawn with Pillow: the vector layer (``app.domain.annotation``) over
the untouched photo, for thumbnails, the viewer and the report PDF.

``render`` draws a layer over a photo and never fails on a bad stored layer: a shape it
cannot read is skipped and logged (what a device stored must not break a report).
"""

from __future__ import annotations

import io
import logging
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from app.domain.annotation import (  # noqa: F401  (re-exported for the media service)
    DEFAULT_SIZE,
    DEFAULT_WIDTH,
    MAX_SHAPES,
    PALETTE,
    VERSION,
    AnnotationError,
    _shape,
    empty_layer,
    validate_layer,
)

log = logging.getLogger(__name__)


# --- drawing --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _font(px: int) -> ImageFont.ImageFont:
    from app.assets import font_path

    try:
        return ImageFont.truetype(str(font_path(bold=True)), px)
    except OSError:  # no font file: Pillow's own (still readable)
        return ImageFont.load_default(px)


def draw_layer(image: Image.Image, layer: object) -> Image.Image:
    """``image`` (RGB) with ``layer`` drawn over it; shapes that cannot be read are skipped."""
    shapes = layer.get("shapes") if isinstance(layer, dict) else None
    if not shapes:
        return image
    out = image.convert("RGB").copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    side = max(w, h)
    for raw in shapes if isinstance(shapes, list) else ():
        try:
            shape = _shape(raw)
        except AnnotationError as err:
            log.warning("annotation shape skipped (%s): %r", err.message, str(raw)[:80])
            continue
        color = shape["color"]
        if shape["kind"] == "text":
            x, y = shape["at"]
            size = max(8, round(shape["size"] * side))
            draw.text((x * w, y * h), shape["text"], fill=color, font=_font(size),
                      stroke_width=max(1, size // 12), stroke_fill=_contrast(color))  # fmt: skip
            continue
        width = max(1, round(shape["width"] * side))
        if shape["kind"] == "free":
            points = [(x * w, y * h) for x, y in shape["points"]]
            if len(points) == 1:
                (x, y), r = points[0], width / 2
                draw.ellipse([x - r, y - r, x + r, y + r], fill=color)
            else:
                draw.line(points, fill=color, width=width, joint="curve")
            continue
        (x0, y0), (x1, y1) = shape["from"], shape["to"]
        a, b = (x0 * w, y0 * h), (x1 * w, y1 * h)
        box = [min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])]
        if shape["kind"] == "rect":
            draw.rectangle(box, outline=color, width=width)
        elif shape["kind"] == "circle":
            draw.ellipse(box, outline=color, width=width)
        else:
            _arrow(draw, a, b, color, width)
    return out


def _arrow(draw: ImageDraw.ImageDraw, a, b, color: str, width: int) -> None:
    draw.line([a, b], fill=color, width=width)
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    head = max(4 * width, 12)
    left = (b[0] - head * math.cos(angle - 0.45), b[1] - head * math.sin(angle - 0.45))
    right = (b[0] - head * math.cos(angle + 0.45), b[1] - head * math.sin(angle + 0.45))
    draw.polygon([b, left, right], fill=color)


def _contrast(color: str) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if (r * 299 + g * 587 + b * 114) / 1000 > 140 else "#ffffff"


def render(photo: bytes, layer: object, *, quality: int = 88) -> bytes:
    """The JPEG of ``photo`` with ``layer`` drawn over it (the photo itself if no layer)."""
    if not (isinstance(layer, dict) and layer.get("shapes")):
        return photo
    with Image.open(io.BytesIO(photo)) as image:
        drawn = draw_layer(image, layer)
    out = io.BytesIO()
    drawn.save(out, "JPEG", quality=quality)
    return out.getvalue()
