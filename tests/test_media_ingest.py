"""The ingest pipeline on files the tests make: what is accepted, how it is changed, what is
refused and why."""

from __future__ import annotations

import io
import os

import pytest
from media_support import (
    GPS_IFD,
    ORIENTATION,
    jpeg_with_orientation,
    photo_12mp,
    png_bomb,
    png_with_alpha,
    truncated_jpeg,
    video,
)
from PIL import Image

from app.media.ingest import (
    DecompressionBombError,
    EmptyMediaError,
    IngestSettings,
    MediaTooLargeError,
    NotMediaError,
    TruncatedMediaError,
    UnsupportedVideoError,
    ingest,
)
from app.models.enums import MediaKind


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _colour(image: Image.Image, x: float, y: float) -> tuple[int, int, int]:
    return image.convert("RGB").getpixel((int(x * (image.width - 1)), int(y * (image.height - 1))))


def _close(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(tmp_path, orientation):
    source = jpeg_with_orientation(tmp_path / f"o{orientation}.jpg", orientation)
    media = ingest(source)
    stored = _open(media.data)
    assert (stored.width, stored.height) == (120, 80)  # landscape again, whatever was stored
    assert _close(_colour(stored, 0.05, 0.05), (220, 0, 0))  # red top-left
    assert _close(_colour(stored, 0.95, 0.05), (0, 0, 220))  # blue top-right
    assert _close(_colour(stored, 0.5, 0.9), (255, 255, 255))
    assert stored.getexif().get(ORIENTATION, 1) == 1  # nobody rotates it a second time
    assert stored.getexif().get(0x010F) == "TestCam"  # the rest of EXIF is kept


def test_gps_position_is_dropped_unless_the_company_keeps_it(tmp_path):
    source = jpeg_with_orientation(tmp_path / "gps.jpg", 1, gps=True)
    assert Image.open(source).getexif().get_ifd(GPS_IFD)  # the test file has a position
    assert not _open(ingest(source).data).getexif().get_ifd(GPS_IFD)
    kept = _open(ingest(source, IngestSettings(keep_gps=True)).data).getexif().get_ifd(GPS_IFD)
    assert kept[1] == "N" and tuple(float(v) for v in kept[2]) == (48.0, 51.0, 24.0)


def test_a_12_megapixel_photo_is_reduced_and_thumbnailed(tmp_path):
    source = photo_12mp(tmp_path / "big.jpg")
    media = ingest(source)
    stored, thumb = _open(media.data), _open(media.thumbnail)
    assert media.kind == MediaKind.PHOTO and media.mime_type == "image/jpeg"
    assert stored.format == "JPEG" and 0.95 * 2048 <= max(stored.size) <= 2048
    assert stored.size == (media.width, media.height)
    assert stored.width / stored.height == pytest.approx(4 / 3, rel=0.01)
    assert max(thumb.size) <= 320 and thumb.format == "JPEG"
    assert media.size_bytes == len(media.data) < os.path.getsize(source)
    assert media.original is None  # not kept by default


def test_the_maximum_size_and_the_original_follow_the_settings(tmp_path):
    source = photo_12mp(tmp_path / "big.jpg")
    media = ingest(source, IngestSettings(max_px=1000, keep_original=True, jpeg_quality=60))
    assert 950 <= max(_open(media.data).size) <= 1000
    assert media.original == source.read_bytes()


def test_a_png_with_transparency_is_flattened_on_white(tmp_path):
    media = ingest(png_with_alpha(tmp_path / "alpha.png"))
    stored = _open(media.data)
    assert stored.mode == "RGB"
    assert _close(_colour(stored, 0.1, 0.1), (0, 128, 0))
    assert _close(_colour(stored, 0.9, 0.9), (255, 255, 255))


def test_a_truncated_jpeg_is_refused(tmp_path):
    with pytest.raises(TruncatedMediaError) as caught:
        ingest(truncated_jpeg(tmp_path / "cut.jpg"))
    assert "cut.jpg" in caught.value.message and caught.value.hint


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 1000
    with pytest.raises(DecompressionBombError):
        ingest(bomb)


def test_a_text_file_renamed_jpg_is_refused(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("Ceci n'est pas une photo.\n" * 20)
    with pytest.raises(NotMediaError) as caught:
        ingest(fake)
    assert caught.value.key == "error.media.not_media"


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(EmptyMediaError):
        ingest(tmp_path / "empty.jpg")


def test_a_photo_over_the_byte_limit_is_refused_before_reading(tmp_path):
    source = photo_12mp(tmp_path / "big.jpg")
    with pytest.raises(MediaTooLargeError):
        ingest(source, IngestSettings(max_photo_bytes=100_000))


@pytest.mark.parametrize("name", ["clip.mp4", "clip.avi"])
def test_a_short_video_is_probed_and_thumbnailed_from_its_middle_frame(tmp_path, name):
    source = video(tmp_path / name, frames=30, fps=10.0)
    media = ingest(source)
    assert media.kind == MediaKind.VIDEO
    assert media.mime_type == ("video/mp4" if name.endswith("mp4") else "video/x-msvideo")
    assert (media.width, media.height) == (160, 120)
    assert media.duration_s == pytest.approx(3.0, abs=0.11)
    assert media.codec in ("FMP4", "mp4v", "MJPG")  # FMP4: how FFmpeg names mp4v (MPEG-4 part 2)
    assert media.data is None and media.source == source  # stored as it is
    level = _open(media.thumbnail).convert("L").getpixel((40, 30))
    assert abs(level - 8 * 15) <= 12  # frame 15 of 30, not the first (0) nor the last (232)


def test_a_video_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as handle:
        handle.write(b"\0\0\0\x18ftypmp42")
        handle.truncate(2 * 1024**3)  # 2 GB, sparse: nothing is written to disk
    with pytest.raises(MediaTooLargeError) as caught:
        ingest(huge)
    assert "2048.0 MB" in caught.value.message


def test_a_video_longer_than_allowed_is_refused(tmp_path):
    source = video(tmp_path / "long.avi", frames=30, fps=10.0)
    with pytest.raises(MediaTooLargeError):
        ingest(source, IngestSettings(max_video_s=2))


def test_a_video_with_an_unknown_codec_is_refused(tmp_path):
    broken = tmp_path / "unknown.mp4"
    broken.write_bytes(b"\0\0\0\x18ftypmp42" + os.urandom(4096))
    with pytest.raises(UnsupportedVideoError) as caught:
        ingest(broken)
    assert "MP4" in caught.value.hint
