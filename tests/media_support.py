"""Media files the tests make: photos with EXIF, PNGs, bombs, broken files, short videos."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825

# What a camera stores for each EXIF orientation, given the upright picture: the inverse of
# what a viewer applies to display it (EXIF 2.32, tag 0x0112), written out independently.
STORED_FOR = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # displayed after a 90° clockwise turn
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_picture(width: int = 120, height: int = 80) -> Image.Image:
    """White, with a red block in the top-left corner and a blue one in the top-right."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    image.paste((220, 0, 0), (0, 0, width // 4, height // 4))
    image.paste((0, 0, 220), (width - width // 4, 0, width, height // 4))
    return image


def jpeg_with_orientation(
    path: Path, orientation: int, *, gps: bool = True, size: tuple[int, int] = (120, 80)
) -> Path:
    image = upright_picture(*size)
    transpose = STORED_FOR[orientation]
    stored = image.transpose(transpose) if transpose is not None else image
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "TestCam"  # Make: kept
    if gps:
        position = exif.get_ifd(GPS_IFD)
        position[1] = "N"
        position[2] = (48.0, 51.0, 24.0)
    stored.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path


def photo_12mp(path: Path, seed: int = 1) -> Path:
    """A 4000 x 3000 photo with smooth content (what phones produce), about 1.5 MB."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8))
    small.resize((4000, 3000), Image.Resampling.BICUBIC).save(path, "JPEG", quality=92)
    return path


def png_with_alpha(path: Path) -> Path:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # transparent
    image.paste((0, 128, 0, 255), (0, 0, 32, 32))  # an opaque green square
    image.save(path, "PNG")
    return path


def png_bomb(path: Path, side: int = 200_000) -> Path:
    """A tiny PNG whose header claims ``side`` x ``side`` pixels (40 G pixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )  # fmt: skip

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    body = zlib.compress(b"\0" * 4096, 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def truncated_jpeg(path: Path) -> Path:
    out = io.BytesIO()
    photo = Image.fromarray(np.random.default_rng(2).integers(0, 255, (400, 600, 3), np.uint8))
    photo.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue()[: len(out.getvalue()) // 2])
    return path


def video(path: Path, *, frames: int = 30, fps: float = 10.0, size=(160, 120)) -> Path:
    """A short video written with OpenCV; frame i is filled with grey level 8 * i."""
    import cv2

    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 8 * i, dtype=np.uint8))
    writer.release()
    return path
