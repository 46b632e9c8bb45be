"""The media ingest pipeline: check a file really is a photo or a video, then make it fit.

``ingest(path, settings)`` reads one file and returns an ``Ingested`` (what to store) or raises
a ``MediaError`` (what was wrong, and what to do): it stores nothing itself, so a refused file
leaves nothing behind. Photos and videos are told apart by their bytes, never by their name.

Photos (anything Pillow decodes): the pixel count is checked from the header before any
decoding (a decompression bomb is refused, not decoded), the whole image is then decoded (a
truncated file is refused), reduced to at most ``max_px`` on its longer side (a JPEG is
decoded at 1/2, 1/4 or 1/8 scale when that lands within 5 % under ``max_px``: no resize),
turned upright from its EXIF orientation, flattened on white if it has transparency, and
stored as a JPEG of ``jpeg_quality`` with its EXIF minus the orientation and, unless
``keep_gps``, minus the GPS position. A ``thumb_px`` thumbnail is
made from the reduced image. The original bytes are kept only with ``keep_original``.

Videos (a known container: MP4/QuickTime, Matroska/WebM, AVI): the size is checked first,
then OpenCV probes duration, frame size and codec; the thumbnail comes from the middle frame
(one seek, never decoding every frame). A container OpenCV cannot read a frame from is an
unsupported codec. Videos are stored as they are (no re-encoding on a phone).
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import ValidationError
from app.models.enums import MediaKind

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 0x9003
DATETIME = 0x0132
MB = 1024 * 1024
# A JPEG decoded at a reduced scale may end up to 5 % under ``max_px`` (a 4000 px photo gives
# 2000 px, not 2048): a resize of the whole image costs several times the decoding.
DRAFT_SLACK = 0.95


@dataclass(frozen=True)
class IngestSettings:
    max_px: int = 2048  # longer side of a stored photo
    jpeg_quality: int = 85
    thumb_px: int = 320
    keep_original: bool = False
    keep_gps: bool = False
    max_photo_bytes: int = 40 * MB
    max_video_bytes: int = 500 * MB
    max_pixels: int = 100_000_000  # more is a decompression bomb (a 12 MP photo is 12 M)
    max_video_s: float = 15 * 60

    @classmethod
    def from_env(cls) -> IngestSettings:
        """The defaults, with the original kept when ``$TERRAIN_KEEP_ORIGINALS`` is 1 (a
        company that wants the camera's own file at head office; "Libérer les originaux
        envoyés" in the settings then frees the device's copies once head office holds
        them)."""
        keep = os.environ.get("TERRAIN_KEEP_ORIGINALS", "").strip().lower() in ("1", "true", "yes")
        return cls(keep_original=keep)


@dataclass(frozen=True)
class Ingested:
    kind: MediaKind
    mime_type: str
    width: int
    height: int
    thumbnail: bytes  # JPEG
    data: bytes | None = None  # the photo to store (JPEG); None for a video
    source: Path | None = None  # a video's file, stored as it is
    original: bytes | None = None  # the photo as received, when kept
    duration_s: float | None = None
    codec: str = ""
    taken_at: datetime | None = None

    @property
    def size_bytes(self) -> int:
        if self.data is not None:
            return len(self.data)
        return self.source.stat().st_size if self.source else 0


class MediaError(ValidationError):
    """A file that cannot become a photo or a video of the intervention."""

    hint = "Choose another file; the others of the selection are kept."


class EmptyMediaError(MediaError):
    hint = "The file is empty: take the photo again or choose another file."


class NotMediaError(MediaError):
    hint = "Only photos (JPEG, PNG, HEIF…) and videos (MP4, MOV, WebM, AVI) can be added."


class TruncatedMediaError(MediaError):
    hint = "The file is incomplete (an interrupted copy or download): copy it again."


class MediaTooLargeError(MediaError):
    hint = "Reduce the file (a shorter video, a smaller photo) or send it another way."


class DecompressionBombError(MediaError):
    hint = "The image claims an impossible size; it is refused to protect the device."


class UnsupportedVideoError(MediaError):
    hint = "Convert the video to MP4 (H.264) on a computer, then add it again."


def ingest(path: Path | str, settings: IngestSettings | None = None) -> Ingested:
    """Check and prepare the file at ``path``; raises a ``MediaError`` subclass if refused."""
    settings = settings or IngestSettings()
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotMediaError(f"{name}: cannot be read ({exc.strerror or exc}).",
                            key="error.media.unreadable", name=name) from exc  # fmt: skip
    if size == 0:
        raise EmptyMediaError(f"{name}: the file is empty.", key="error.media.empty", name=name)
    with path.open("rb") as handle:
        head = handle.read(64)
    container = video_container(head)
    if container:
        return _video(path, size, container, settings)
    if size > settings.max_photo_bytes:
        raise _too_large(name, size, settings.max_photo_bytes)
    return _photo(path.read_bytes(), name, settings)


def video_container(head: bytes) -> str | None:
    """The MIME type of a video container recognised from its first bytes, or None."""
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm" if b"webm" in head else "video/x-matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video/x-msvideo"
    return None


# --- photos ---------------------------------------------------------------------------------


def _photo(data: bytes, name: str, settings: IngestSettings) -> Ingested:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise NotMediaError(f"{name}: not a photo nor a video.", key="error.media.not_media",
                            name=name) from None  # fmt: skip
    except Image.DecompressionBombError:
        raise _bomb(name) from None
    with image:
        if image.width * image.height > settings.max_pixels:
            raise _bomb(name)
        exif = image.getexif()
        orientation = exif.get(ORIENTATION, 1)
        try:
            if image.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 (DCT scaling, no resize)
                scale = min(1.0, DRAFT_SLACK * settings.max_px / max(image.size))
                image.draft("RGB", (math.ceil(image.width * scale),
                                    math.ceil(image.height * scale)))  # fmt: skip
            image.load()
        except Image.DecompressionBombError:
            raise _bomb(name) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise TruncatedMediaError(
                f"{name}: the image is truncated or damaged ({exc}).",
                key="error.media.truncated",
                name=name,
            ) from None
        reduced = _flatten(image)
        reduced.thumbnail((settings.max_px, settings.max_px), Image.Resampling.HAMMING,
                          reducing_gap=2.0)  # fmt: skip
        if orientation != 1:
            reduced.getexif()[ORIENTATION] = orientation
            reduced = ImageOps.exif_transpose(reduced)
        kept = _kept_exif(exif, settings.keep_gps)
        out = io.BytesIO()
        reduced.save(out, "JPEG", quality=settings.jpeg_quality, optimize=False,
                     exif=kept.tobytes())  # fmt: skip
        return Ingested(
            kind=MediaKind.PHOTO,
            mime_type="image/jpeg",
            width=reduced.width,
            height=reduced.height,
            thumbnail=_thumbnail(reduced, settings.thumb_px),
            data=out.getvalue(),
            original=data if settings.keep_original else None,
            taken_at=_taken_at(exif),
        )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB; transparency composited on white (a JPEG has no alpha)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB") if image.mode != "RGB" else image.copy()


def _kept_exif(exif: Image.Exif, keep_gps: bool) -> Image.Exif:
    kept = Image.Exif()
    for tag, value in exif.items():
        if tag in (ORIENTATION, GPS_IFD, EXIF_IFD):
            continue
        kept[tag] = value
    sub = exif.get_ifd(EXIF_IFD)
    if sub:
        kept.get_ifd(EXIF_IFD).update(sub)
    if keep_gps:
        gps = exif.get_ifd(GPS_IFD)
        if gps:
            kept.get_ifd(GPS_IFD).update(gps)
    return kept


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    try:
        return datetime.strptime(str(raw).strip("\0 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def _thumbnail(image: Image.Image, px: int) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((px, px), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    thumb.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


# --- videos ---------------------------------------------------------------------------------


def _video(path: Path, size: int, mime: str, settings: IngestSettings) -> Ingested:
    import cv2  # imported on first video: the app starts without loading OpenCV

    name = path.name
    if size > settings.max_video_bytes:
        raise _too_large(name, size, settings.max_video_bytes)
    capture = cv2.VideoCapture(os.fspath(path))
    try:
        if not capture.isOpened():
            raise _unsupported(name)
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        fourcc = int(capture.get(cv2.CAP_PROP_FOURCC) or 0)
        duration = frames / fps if fps > 0 and frames > 0 else None
        if duration is not None and duration > settings.max_video_s:
            raise MediaTooLargeError(
                f"{name}: {duration:.0f} s of video, over {settings.max_video_s:.0f} s.",
                key="error.media.too_long", name=name,
                seconds=round(duration), limit=round(settings.max_video_s),
            )  # fmt: skip
        if frames > 2:
            capture.set(cv2.CAP_PROP_POS_FRAMES, frames // 2)
        ok, frame = capture.read()
        if not ok and frames > 2:  # some containers do not seek: take the first frame
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
        if not ok or frame is None:
            raise _unsupported(name)
    finally:
        capture.release()
    still = Image.fromarray(frame[:, :, ::-1])  # OpenCV gives BGR
    return Ingested(
        kind=MediaKind.VIDEO,
        mime_type=mime,
        width=still.width,
        height=still.height,
        thumbnail=_thumbnail(still, settings.thumb_px),
        source=path,
        duration_s=round(duration, 3) if duration is not None else None,
        codec=_fourcc(fourcc),
    )


def _fourcc(code: int) -> str:
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else ""


# --- errors ---------------------------------------------------------------------------------


def _too_large(name: str, size: int, limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"{name}: {size / MB:.1f} MB, over the {limit / MB:.0f} MB allowed.",
        key="error.media.too_large", name=name, size_mb=f"{size / MB:.1f}",
        limit_mb=f"{limit / MB:.0f}",
    )  # fmt: skip


def _bomb(name: str) -> DecompressionBombError:
    return DecompressionBombError(
        f"{name}: the image claims too many pixels to be a photo.",
        key="error.media.bomb", name=name,
    )  # fmt: skip


def _unsupported(name: str) -> UnsupportedVideoError:
    return UnsupportedVideoError(
        f"{name}: this video cannot be read (unknown codec or damaged file).",
        key="error.media.codec", name=name,
    )  # fmt: skip
