"""The annotation layer of a photo: what it may hold, checked the same way everywhere.

The layer (``Attachment.annotations``, plain JSON that syncs with the row)::

    {"version": 1, "shapes": [
        {"kind": "free", "points": [[x, y], ...], "color": "#e53935", "width": 0.008},
        {"kind": "arrow", "from": [x, y], "to": [x, y], "color": ..., "width": ...},
        {"kind": "rect", "from": [x, y], "to": [x, y], ...},
        {"kind": "circle", "from": [x, y], "to": [x, y], ...},   # the ellipse in that box
        {"kind": "text", "at": [x, y], "text": "Fuite ici", "color": ..., "size": 0.05},
    ]}

Coordinates are fractions of the photo's width and height (0..1), stroke widths and text
sizes fractions of its longer side: the same layer draws on the photo, its thumbnail and the
PDF's copy. ``validate_layer`` checks a layer (bounded: shapes, points, text); the editor,
the media service and the renderer (``app.media.annotation``) all use it.
"""

from __future__ import annotations

import math
import re

from app.errors import ValidationError

VERSION = 1
KINDS = ("free", "arrow", "rect", "circle", "text")
PALETTE = ("#e53935", "#fdd835", "#1e88e5", "#43a047", "#ffffff", "#000000")
MAX_SHAPES = 200
MAX_POINTS = 4000  # in all free strokes
MAX_TEXT = 120
COLOR_RE = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_WIDTH = 0.008
DEFAULT_SIZE = 0.05


class AnnotationError(ValidationError):
    hint = "Undo the last drawing and save again."


def empty_layer() -> dict:
    return {"version": VERSION, "shapes": []}


def validate_layer(raw: object) -> dict:
    """The layer in its normal form, or ``AnnotationError``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("shapes"), list):
        raise _bad("an object with a list of shapes")
    shapes = raw["shapes"]
    if len(shapes) > MAX_SHAPES:
        raise AnnotationError(
            f"At most {MAX_SHAPES} drawings on one photo.",
            key="error.annotation.too_many", limit=MAX_SHAPES,
        )  # fmt: skip
    clean = [_shape(s) for s in shapes]
    points = sum(len(s["points"]) for s in clean if s["kind"] == "free")
    if points > MAX_POINTS:
        raise AnnotationError(
            f"The drawings hold {points} points, over {MAX_POINTS}.",
            key="error.annotation.too_many", limit=MAX_SHAPES,
        )  # fmt: skip
    return {"version": VERSION, "shapes": clean}


def _shape(raw: object) -> dict:
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise _bad(f"a shape of kind {' / '.join(KINDS)}")
    kind = raw["kind"]
    color = raw.get("color", PALETTE[0])
    if not isinstance(color, str) or not COLOR_RE.fullmatch(color):
        raise _bad("a colour #rrggbb")
    shape: dict = {"kind": kind, "color": color.lower()}
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise AnnotationError(
                f"A note on a photo has 1 to {MAX_TEXT} characters.",
                key="error.annotation.text", limit=MAX_TEXT,
            )  # fmt: skip
        shape.update(at=_point(raw.get("at")), text=text.strip(),
                     size=_fraction(raw.get("size", DEFAULT_SIZE), 0.01, 0.3))  # fmt: skip
        return shape
    shape["width"] = _fraction(raw.get("width", DEFAULT_WIDTH), 0.001, 0.05)
    if kind == "free":
        points = raw.get("points")
        if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
            raise _bad("a stroke of 1 to 4000 points")
        shape["points"] = [_point(p) for p in points]
    else:
        shape["from"], shape["to"] = _point(raw.get("from")), _point(raw.get("to"))
    return shape


def _point(raw: object) -> list[float]:
    if (
        isinstance(raw, (list, tuple)) and len(raw) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
        and all(math.isfinite(v) and -0.05 <= v <= 1.05 for v in raw)
    ):  # fmt: skip
        return [round(min(1.0, max(0.0, float(v))), 5) for v in raw]
    raise _bad("points [x, y] as fractions of the photo (0 to 1)")


def _fraction(raw: object, low: float, high: float) -> float:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and low <= raw <= high:
        return round(float(raw), 5)
    raise _bad(f"a size between {low} and {high}")


def _bad(expected: str) -> AnnotationError:
    return AnnotationError(
        f"The drawing is not readable (expected {expected}).", key="error.annotation.malformed"
    )
