"""The client's handwritten signature: checked strokes, a PNG of them, and the evidence record.

A picture of a signature proves little (Code civil art. 1366-1367): what gives it weight is
the evidence kept with it — the SHA-256 of the exact content signed (``app.reports.
canonical``), who signed and in what capacity, when, on which device, with which technician,
and the raw strokes. ``build_evidence`` assembles that record; ``Signature`` rows are made
from ``SignatureEvidence.signature_fields()``.

Strokes are what the signature pad reports: a list of strokes, each a list of points
``[x, y, t]`` (or ``{"x", "y", "t"}``) in the pad's pixels, ``t`` in milliseconds. A
signature is accepted when (docs/reports.md, "Signature"):

- it has 1 to ``MAX_STROKES`` strokes and at most ``MAX_POINTS`` points, every coordinate a
  finite number inside the pad (a 5 % margin allowed), times >= 0 and never going back
  within a stroke;
- it has at least ``MIN_POINTS`` points in all;
- its ink is long enough: the total path length is at least ``MIN_PATH_RATIO`` of the pad's
  width, and its bounding box is at least ``MIN_EXTENT_RATIO`` of the pad's width on its
  larger side (a dot, a tap or a scribble in place fails these);
- it took at least ``MIN_DURATION_MS`` of drawing (a tap is shorter).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, ImageDraw

from app import clock
from app.errors import ValidationError
from app.models.enums import DocumentKind
from app.reports.canonical import content_sha256

MAX_STROKES = 50
MAX_POINTS = 5000
MIN_POINTS = 10
MIN_PATH_RATIO = 0.25
MIN_EXTENT_RATIO = 0.08
MIN_DURATION_MS = 150
MARGIN = 0.05
PAD = (600, 200)  # the default pad size, in its pixels
IMAGE_SIZE = (600, 200)  # the PNG, in pixels
SUPERSAMPLE = 4
INK = (20, 35, 90)
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


def normalize_strokes(raw: object, pad: tuple[int, int] = PAD) -> list[list[Point]]:
    """The strokes as lists of ``(x, y, t)`` floats; ``MalformedSignatureError`` otherwise."""
    if raw is None or (isinstance(raw, Sequence) and not isinstance(raw, str) and not raw):
        raise _empty()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise _malformed("a list of strokes")
    if len(raw) > MAX_STROKES:
        raise _malformed(f"at most {MAX_STROKES} strokes")
    width, height = pad
    lo_x, hi_x = -MARGIN * width, (1 + MARGIN) * width
    lo_y, hi_y = -MARGIN * height, (1 + MARGIN) * height
    strokes: list[list[Point]] = []
    count = 0
    for stroke in raw:
        if not isinstance(stroke, Sequence) or isinstance(stroke, str):
            raise _malformed("each stroke a list of points")
        points: list[Point] = []
        for point in stroke:
            x, y, t = _point(point)
            if not (lo_x <= x <= hi_x and lo_y <= y <= hi_y):
                raise _malformed("points inside the signature box")
            if t < 0 or (points and t < points[-1][2]):
                raise _malformed("times that never go back")
            points.append((x, y, t))
        count += len(points)
        if count > MAX_POINTS:
            raise _malformed(f"at most {MAX_POINTS} points")
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
    x, y, t = (float(v) for v in values)
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
    width = pad[0]
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


def render_png(
    strokes: list[list[Point]],
    *,
    pad: tuple[int, int] = PAD,
    size: tuple[int, int] = IMAGE_SIZE,
    background: tuple[int, int, int] | None = None,
    ink: tuple[int, int, int] = INK,
    line_width: float = 3.0,
) -> bytes:
    """A PNG of ``size`` pixels: the strokes scaled to fit (aspect kept, centred), drawn
    anti-aliased (supersampled) in ``ink``, on a transparent background or ``background``."""
    k = SUPERSAMPLE
    width, height = size
    scale = min(width / pad[0], height / pad[1])
    dx, dy = (width - pad[0] * scale) / 2, (height - pad[1] * scale) / 2
    mask = Image.new("L", (width * k, height * k), 0)
    draw = ImageDraw.Draw(mask)
    pen = max(1, round(line_width * k))
    radius = pen / 2
    for stroke in strokes:
        pts = [((x * scale + dx) * k, (y * scale + dy) * k) for x, y, _t in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=pen, joint="curve")
        for x, y in (pts[0], pts[-1]) if len(pts) > 1 else pts:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    mask = mask.resize(size, Image.Resampling.LANCZOS)
    if background is None:
        image = Image.new("RGBA", size, (*ink, 0))
        image.putalpha(mask)
    else:
        image = Image.new("RGB", size, background)
        image.paste(Image.new("RGB", size, ink), (0, 0), mask)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureEvidence:
    """What a ``Signature`` row keeps, and the PNG to store as its image blob."""

    document_kind: str
    signer_name: str
    signer_role: str
    signed_at: datetime  # naive UTC (an audit time)
    content_sha256: str
    image_png: bytes
    image_sha256: str
    strokes: list
    device_id: str
    audit: dict = field(default_factory=dict)

    def signature_fields(self) -> dict:
        """Keyword arguments for ``Signature.create`` (add ``intervention`` or ``quote``)."""
        return {
            "document_kind": self.document_kind,
            "signer_name": self.signer_name,
            "signer_role": self.signer_role,
            "signed_at": self.signed_at,
            "content_sha256": self.content_sha256,
            "image_blob_sha256": self.image_sha256,
            "strokes": self.strokes,
            "audit": self.audit,
            "device_id": self.device_id,
        }


def build_evidence(
    raw_strokes: object,
    *,
    signer_name: str,
    signer_role: str,
    content: dict,
    device_id: str,
    technician_id: str | None,
    technician_name: str,
    user_id: str | None = None,
    document_kind: DocumentKind = DocumentKind.VISIT_REPORT,
    language: str = "fr",
    pad: tuple[int, int] = PAD,
) -> SignatureEvidence:
    """Check the signer and the strokes, then record the evidence of signing ``content``."""
    name = _required(signer_name, "signer_name", "error.signature.signer_name")
    role = _required(signer_role, "signer_role", "error.signature.signer_role")
    strokes = validate_strokes(raw_strokes, pad)
    png = render_png(strokes, pad=pad)
    signed_at, local = clock.utcnow().replace(microsecond=0), clock.now().replace(microsecond=0)
    stats = stroke_stats(strokes)
    digest = content_sha256(content)
    audit = {
        "content_sha256": digest,
        "content_schema": content.get("schema", ""),
        "reference": content.get("reference", ""),
        "language": language,  # the language the client read the document in
        "signed_at_utc": signed_at.isoformat(),
        "signed_at_local": local.isoformat(),
        "device_id": device_id,
        "technician_id": technician_id,
        "technician_name": technician_name,
        "user_id": user_id,
        "pad": {"width": pad[0], "height": pad[1]},
        "strokes": stats.strokes,
        "points": stats.points,
        "path_length": round(stats.path_length, 1),
        "duration_ms": round(stats.duration_ms),
        "events": [{"at": signed_at.isoformat(), "event": "signed"}],
    }
    return SignatureEvidence(
        document_kind=str(DocumentKind(document_kind)),
        signer_name=name,
        signer_role=role,
        signed_at=signed_at,
        content_sha256=digest,
        image_png=png,
        image_sha256=hashlib.sha256(png).hexdigest(),
        strokes=[[[x, y, t] for x, y, t in s] for s in strokes],
        device_id=device_id,
        audit=audit,
    )


def _required(value: str, field_name: str, key: str) -> str:
    text = " ".join((value or "").split())
    if len(text) < 2 or len(text) > MAX_NAME:
        raise SignerError(
            f"{field_name} is required (2 to {MAX_NAME} characters).", field=field_name, key=key
        )
    return text


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
