"""The client's handwritten signature: checked strokes, a PNG of them, and the evidence record.

A picture of a signature proves little (Code civil art. 1366-1367): what gives it weight is
the evidence kept with it — the SHA-256 of the exact content signed (``app.reports.
canonical``), who signed and in what capacity, when, on which device, with which technician,
and the raw strokes. ``build_evidence`` assembles that record; ``Signature`` rows are made
from ``SignatureEvidence.signature_fields()``.

The strokes and the signer are checked by the rule head office applies too
(``app.domain.signature``, re-exported here); this module draws and records.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, ImageDraw

from app import clock
from app.domain.signature import (  # noqa: F401 (re-exported: the rule lives in the domain)
    MAX_NAME,
    MAX_POINTS,
    MAX_STROKES,
    MIN_DURATION_MS,
    MIN_EXTENT_RATIO,
    MIN_PATH_RATIO,
    MIN_POINTS,
    PAD,
    EmptySignatureError,
    MalformedSignatureError,
    Point,
    SignatureError,
    SignatureTooSmallError,
    SignerError,
    StrokeStats,
    normalize_strokes,
    signer_text,
    stroke_stats,
    validate_strokes,
)
from app.models.enums import DocumentKind
from app.reports.canonical import content_sha256

IMAGE_SIZE = (600, 200)  # the PNG, in pixels
SUPERSAMPLE = 4
INK = (20, 35, 90)


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
    name = signer_text(signer_name, "signer_name", "error.signature.signer_name")
    role = signer_text(signer_role, "signer_role", "error.signature.signer_role")
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
