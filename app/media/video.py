"""Frames and clips of a stored video, with OpenCV: no Flet, no database.

``frame_at(path, t_ms)`` seeks once (``CAP_PROP_POS_MSEC``) and decodes the frame shown at
that time: never every frame before it. ``export_clip`` reads from a start time for up to
``seconds``, burns an RGBA overlay (the annotation layer of a still, drawn once by
``overlay_for``) into each frame and writes a VP8 WebM (``VP80``: what OpenCV's wheels write
and browsers play) with the source's frame rate and size, then returns the clip's facts and a
thumbnail (its middle frame, overlay included).

A video OpenCV cannot open or read a frame from is an ``UnsupportedVideoError`` (the ingest
pipeline's own refusal); a start past the end is a ``ClipRangeError``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from app.domain.annotation import validate_layer
from app.errors import ValidationError
from app.media.annotation import draw_layer
from app.media.ingest import UnsupportedVideoError

# VP8 WebM: Chromium (the office in the browser) plays it; the MPEG-4 Part 2 ``mp4v`` the
# wheels also write does not play there, and they carry no H.264 encoder.
CLIP_FOURCC = "VP80"
CLIP_MIME = "video/webm"
CLIP_SUFFIX = ".webm"
DEFAULT_CLIP_S = 10.0
MAX_CLIP_S = 30.0  # hard limit, whatever the configuration says


class ClipRangeError(ValidationError):
    hint = "Choose a start inside the video (the slider stops at its end)."


@dataclass(frozen=True)
class Probe:
    fps: float
    frames: int
    width: int
    height: int

    @property
    def duration_ms(self) -> int | None:
        return round(self.frames * 1000 / self.fps) if self.fps > 0 and self.frames > 0 else None


@dataclass(frozen=True)
class Clip:
    frames: int
    fps: float
    width: int
    height: int
    thumbnail: bytes  # JPEG

    @property
    def duration_s(self) -> float:
        return round(self.frames / self.fps, 3) if self.fps > 0 else 0.0


def _open(path: Path, name: str):
    import cv2  # loaded on first use: the app starts without OpenCV

    capture = cv2.VideoCapture(os.fspath(path))
    if not capture.isOpened():
        capture.release()
        raise _unsupported(name)
    return capture


def _probe(capture) -> Probe:
    import cv2

    return Probe(
        fps=float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
        frames=int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
        width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
    )


def _seek(capture, t_ms: int, fps: float) -> None:
    """Seek to the frame shown at ``t_ms``: OpenCV lands on the frame *nearest* the time it
    is given, so it is given the start of that frame (frame ``floor(t * fps)``)."""
    import cv2

    if t_ms <= 0:
        return
    start = math.floor(t_ms * fps / 1000) * 1000 / fps if fps > 0 else float(t_ms)
    capture.set(cv2.CAP_PROP_POS_MSEC, start)


def frame_at(path: Path | str, t_ms: int, *, name: str = "") -> Image.Image:
    """The frame shown ``t_ms`` into the video (RGB): one seek, then one frame decoded. A
    time past the last frame gives the last frame."""
    path = Path(path)
    name = name or path.name
    capture = _open(path, name)
    try:
        probe = _probe(capture)
        end = probe.duration_ms
        if end is not None and probe.fps > 0:  # the last frame starts one frame before the end
            t_ms = min(t_ms, max(0, end - round(1000 / probe.fps)))
        _seek(capture, t_ms, probe.fps)
        ok, frame = capture.read()
        if not ok and t_ms > 0:  # a container that does not seek: the first frame
            capture.release()
            capture = _open(path, name)
            ok, frame = capture.read()
        if not ok or frame is None:
            raise _unsupported(name)
    finally:
        capture.release()
    return Image.fromarray(np.ascontiguousarray(frame[:, :, ::-1]))  # OpenCV gives BGR


def overlay_for(layer: object, size: tuple[int, int]) -> np.ndarray | None:
    """The annotation ``layer`` drawn once at ``size`` (width, height): an (H, W, 4) uint8
    array of premultiplied B, G, R and the alpha; None if it draws nothing. Drawn with
    ``app.media.annotation`` (Pillow) on black and on white: the difference gives the alpha,
    so strokes, arrow heads and outlined text keep their edges."""
    clean = validate_layer(layer)
    if not clean["shapes"]:
        return None
    black = np.asarray(draw_layer(Image.new("RGB", size, (0, 0, 0)), clean), dtype=np.int16)
    white = np.asarray(draw_layer(Image.new("RGB", size, (255, 255, 255)), clean), np.int16)
    alpha = (255 - (white - black)).min(axis=2).clip(0, 255).astype(np.uint8)
    if not alpha.any():
        return None
    rgba = np.dstack([black[:, :, ::-1].clip(0, 255).astype(np.uint8), alpha])  # BGR premult.
    return rgba


@dataclass(frozen=True)
class _Burn:
    """An overlay ready to burn into frames: only the pixels it covers are touched. Strokes
    are thin, so those are a few percent of a frame: the opaque ones (most of them) are
    overwritten, the translucent edges (anti-aliased text) blended in integers."""

    opaque: np.ndarray  # flat pixel indices
    opaque_color: np.ndarray  # (n, 3) uint8, BGR
    edge: np.ndarray  # flat pixel indices
    edge_color: np.ndarray  # (m, 3) uint16, premultiplied BGR
    edge_keep: np.ndarray  # (m, 1) uint16: 255 - alpha

    @classmethod
    def of(cls, rgba: np.ndarray) -> _Burn:
        flat = rgba.reshape(-1, 4)
        alpha = flat[:, 3]
        opaque = np.flatnonzero(alpha == 255)
        edge = np.flatnonzero((alpha > 0) & (alpha < 255))
        return cls(
            opaque, flat[opaque, :3].copy(), edge, flat[edge, :3].astype(np.uint16),
            (255 - alpha[edge]).astype(np.uint16)[:, None],
        )  # fmt: skip

    def into(self, frame: np.ndarray) -> None:
        """Blend in place: frame = overlay + frame * (1 - alpha) where the overlay draws."""
        pixels = frame.reshape(-1, 3)  # a view: the frame is contiguous
        pixels[self.opaque] = self.opaque_color
        if self.edge.size:
            mixed = (pixels[self.edge].astype(np.uint16) * self.edge_keep + 127) // 255
            pixels[self.edge] = np.minimum(mixed + self.edge_color, 255).astype(np.uint8)


def export_clip(
    source: Path | str,
    target: Path | str,
    start_ms: int,
    seconds: float,
    layer: object = None,
    *,
    name: str = "",
    on_progress: Callable[[float], None] | None = None,
) -> Clip:
    """Write ``target`` (VP8 WebM; name it with ``CLIP_SUFFIX``): ``source`` from
    ``start_ms`` for up to ``seconds`` (capped at ``MAX_CLIP_S``) with ``layer`` burned in.
    ``on_progress(fraction)`` after each frame (it may raise to stop: a cancelled job); the
    partial file is then removed."""
    import cv2

    source, target = Path(source), Path(target)
    name = name or source.name
    seconds = min(max(float(seconds), 0.0), MAX_CLIP_S)
    capture = _open(source, name)
    writer = None
    try:
        probe = _probe(capture)
        if probe.fps <= 0 or probe.width <= 0 or probe.height <= 0:
            raise _unsupported(name)
        end = probe.duration_ms
        if start_ms < 0 or (end is not None and start_ms >= end):
            raise ClipRangeError(
                f"{name}: a clip cannot start at {start_ms / 1000:.1f} s, the video lasts "
                f"{(end or 0) / 1000:.1f} s.",
                key="error.video.clip_start", start=f"{start_ms / 1000:.1f}",
                duration=f"{(end or 0) / 1000:.1f}",
            )  # fmt: skip
        wanted = max(1, round(seconds * probe.fps))
        if end is not None:
            wanted = min(wanted, max(1, round((end - start_ms) * probe.fps / 1000)))
        rgba = overlay_for(layer, (probe.width, probe.height)) if layer else None
        burn = _Burn.of(rgba) if rgba is not None else None
        _seek(capture, start_ms, probe.fps)
        writer = cv2.VideoWriter(
            os.fspath(target), cv2.VideoWriter_fourcc(*CLIP_FOURCC), probe.fps,
            (probe.width, probe.height),
        )  # fmt: skip
        if not writer.isOpened():
            raise _unsupported(name)
        written, middle = 0, None
        while written < wanted:
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            if burn is not None:
                frame = np.ascontiguousarray(frame)
                burn.into(frame)
            writer.write(frame)
            if written == wanted // 2:
                middle = frame.copy()
            written += 1
            if on_progress is not None:
                on_progress(written / wanted)
        if written == 0 or middle is None:
            raise _unsupported(name)
        writer.release()
        writer = None
    except BaseException:
        if writer is not None:
            writer.release()
        target.unlink(missing_ok=True)
        raise
    finally:
        capture.release()
    still = Image.fromarray(np.ascontiguousarray(middle[:, :, ::-1]))
    return Clip(written, probe.fps, probe.width, probe.height, jpeg_thumbnail(still))


def jpeg_thumbnail(image: Image.Image, px: int = 320) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((px, px), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def jpeg(image: Image.Image, quality: int = 88) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _unsupported(name: str) -> UnsupportedVideoError:
    return UnsupportedVideoError(
        f"{name}: this video cannot be read (unknown codec or damaged file).",
        key="error.media.codec", name=name,
    )  # fmt: skip
