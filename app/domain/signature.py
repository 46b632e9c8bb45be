"""What counts as a handwritten signature: one rule for the device and for head office.

The device checks the strokes before it records a signature (``app.reports.signature.
build_evidence``, called by ``app.services.signing_service.sign``); head office checks every
pushed ``signatures`` row with outcome ``signed`` again with ``signed_record_refusal``
(``app.domain.lifecycle.signature_record_refusal``, the table's ``row_rule``): a device is
hostile, and a dot pushed as a signature is refused there with the same words.

Strokes are what the signature pad reports: a list of strokes, each a list of points
``[x, y, t]`` (or ``{"x", "y", "t"}``) in the pad's pixels, ``t`` in milliseconds. A
signature is accepted when (docs/reports.md, "Signature"):

- the pad is between ``MIN_PAD`` and ``MAX_PAD`` pixels (a row says its pad in
  ``audit.pad``; none: the default ``PAD``) — a claimed tiny pad would make a dot look big;
- it has 1 to ``MAX_STROKES`` strokes and at most ``MAX_POINTS`` points, every coordinate a
  finite number inside the pad (a 5 % margin allowed), times >= 0 and never going back
  within a stroke;
- it has at least ``MIN_POINTS`` points in all;
- its ink is long enough: the total path length is at least ``MIN_PATH_RATIO`` of the pad's
  width, and its bounding box is at least ``MIN_EXTENT_RATIO`` of the pad's width on its
  larger side (a dot, a tap or a scribble in place fails these);
- it took at least ``MIN_DURATION_MS`` of drawing (a tap is shorter);
- the signer's name and role have 2 to ``MAX_NAME`` characters (spaces collapsed).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.reasons import wrapped
from app.errors import ValidationError

MAX_STROKES = 50
MAX_POINTS = 5000
MIN_POINTS = 10
MIN_PATH_RATIO = 0.25
MIN_EXTENT_RATIO = 0.08
MIN_DURATION_MS = 150
MARGIN = 0.05
PAD = (600, 200)  # the default pad size, in its pixels
MIN_PAD = (200, 60)  # the smallest pad a phone shows (width, height)
MAX_PAD = (2400, 1200)
MAX_NAME = 120

Point = tuple[float, float, float]


class SignatureError(ValidationError):
    """A signature that cannot be accepted."""

    hint = "Ask the client to sign again, in the box, with a finger or a stylus."


class EmptySignatureError(SignatureError):
    """Nothing was drawn."""


class SignatureTooSmallError(SignatureError):
    """A dot, a tap or a scribble: too little ink to be a signature."""


class MalformedSignatureError(SignatureError):
    """Strokes that are not what a signature pad reports."""

    hint = "Clear the signature box and sign again."


class SignerError(SignatureError):
    """The signer's name or role is missing."""

    hint = "Type the name of the person who signs and their role (client, representative…)."


@dataclass(frozen=True)
class StrokeStats:
    strokes: int
    points: int
    path_length: float
    extent: float
    duration_ms: float


def check_pad(pad: object) -> tuple[int, int]:
    """The pad's ``(width, height)`` in pixels, within ``MIN_PAD`` .. ``MAX_PAD``."""
    if (
        isinstance(pad, Sequence)
        and not isinstance(pad, str)
        and len(pad) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pad)
        and all(math.isfinite(v) for v in pad)
        and MIN_PAD[0] <= pad[0] <= MAX_PAD[0]
        and MIN_PAD[1] <= pad[1] <= MAX_PAD[1]
    ):
        return int(pad[0]), int(pad[1])
    raise _malformed(f"a signature box of {MIN_PAD[0]} to {MAX_PAD[0]} pixels wide")


def normalize_strokes(raw: object, pad: tuple[int, int] = PAD) -> list[list[Point]]:
    """The strokes as lists of ``(x, y, t)`` floats; ``MalformedSignatureError`` otherwise."""
    width, height = check_pad(pad)
    if raw is None or (isinstance(raw, Sequence) and not isinstance(raw, str) and not raw):
        raise _empty()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise _malformed("a list of strokes")
    if len(raw) > MAX_STROKES:
        raise _malformed(f"at most {MAX_STROKES} strokes")
    lo_x, hi_x = -MARGIN * width, (1 + MARGIN) * width
    lo_y, hi_y = -MARGIN * height, (1 + MARGIN) * height
    strokes: list[list[Point]] = []
    count = 0
    for stroke in raw:
        if not isinstance(stroke, Sequence) or isinstance(stroke, str):
            raise _malformed("each stroke a list of points")
        if count + len(stroke) > MAX_POINTS:
            raise _malformed(f"at most {MAX_POINTS} points")
        points: list[Point] = []
        for point in stroke:
            x, y, t = _point(point)
            if not (lo_x <= x <= hi_x and lo_y <= y <= hi_y):
                raise _malformed("points inside the signature box")
            if t < 0 or (points and t < points[-1][2]):
                raise _malformed("times that never go back")
            points.append((x, y, t))
        count += len(points)
        if points:
            strokes.append(points)
    if not strokes:
        raise _empty()
    return strokes


def _point(point: object) -> Point:
    if isinstance(point, dict):
        values = [point.get("x"), point.get("y"), point.get("t")]
    elif isinstance(point, Sequence) and not isinstance(point, str) and len(point) == 3:
        values = list(point)
    else:
        raise _malformed("points [x, y, t]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise _malformed("numeric x, y and t")
    try:
        x, y, t = (float(v) for v in values)
    except OverflowError:  # an integer too large for a float
        raise _malformed("finite numbers") from None
    if not all(math.isfinite(v) for v in (x, y, t)):
        raise _malformed("finite numbers")
    return x, y, t


def stroke_stats(strokes: list[list[Point]]) -> StrokeStats:
    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    path = sum(
        math.hypot(b[0] - a[0], b[1] - a[1]) for s in strokes for a, b in itertools.pairwise(s)
    )
    return StrokeStats(
        strokes=len(strokes),
        points=len(xs),
        path_length=path,
        extent=max(max(xs) - min(xs), max(ys) - min(ys)),
        duration_ms=sum(s[-1][2] - s[0][2] for s in strokes),
    )


def validate_strokes(raw: object, pad: tuple[int, int] = PAD) -> list[list[Point]]:
    """Checked, normalised strokes; a ``SignatureError`` subclass when not a signature."""
    strokes = normalize_strokes(raw, pad)
    stats = stroke_stats(strokes)
    width = check_pad(pad)[0]
    if (
        stats.points < MIN_POINTS
        or stats.path_length < MIN_PATH_RATIO * width
        or stats.extent < MIN_EXTENT_RATIO * width
        or stats.duration_ms < MIN_DURATION_MS
    ):
        raise SignatureTooSmallError(
            f"Too little ink for a signature ({stats.points} points, "
            f"{stats.path_length:.0f} px drawn in {stats.duration_ms:.0f} ms).",
            field="signature",
            key="error.signature.too_small",
        )
    return strokes


def signer_text(value: object, field_name: str, key: str) -> str:
    """The signer's name or role, spaces collapsed; ``SignerError`` unless 2 to MAX_NAME."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if len(text) < 2 or len(text) > MAX_NAME:
        what = "The signer's name" if field_name == "signer_name" else "The signer's role"
        raise SignerError(
            f"{what} is required (2 to {MAX_NAME} characters).", field=field_name, key=key
        )
    return text


def pad_of(audit: object) -> tuple[int, int]:
    """The pad a signature row says it was drawn on (``audit.pad``), else the default."""
    pad = audit.get("pad") if isinstance(audit, dict) else None
    if pad is None:
        return PAD
    if isinstance(pad, dict):
        return check_pad([pad.get("width"), pad.get("height")])
    return check_pad(pad)


def signed_record_refusal(row: dict[str, Any]) -> str | None:
    """Why a ``signatures`` row with outcome ``signed`` is not a signature (None: it is):
    the signer's name and role, and the strokes, on the pad the row names."""
    try:
        signer_text(row.get("signer_name"), "signer_name", "error.signature.signer_name")
        signer_text(row.get("signer_role", "client"), "signer_role", "error.signature.signer_role")
        validate_strokes(row.get("strokes"), pad_of(row.get("audit")))
    except SignatureError as err:
        return wrapped(
            "signature.invalid", f"This signature cannot be accepted: {err.message}", err
        )
    return None


def _empty() -> EmptySignatureError:
    return EmptySignatureError(
        "The signature box is empty.", field="signature", key="error.signature.empty"
    )


def _malformed(expected: str) -> MalformedSignatureError:
    return MalformedSignatureError(
        f"Unreadable signature: expected {expected}.",
        field="signature",
        key="error.signature.malformed",
    )
