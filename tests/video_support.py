"""Videos the tests make with OpenCV, whose every frame says which one it is.

Frame ``i`` carries ``i`` in binary in eight large black/white blocks across its top half
(robust to the codec's losses) and a mid-grey bottom half; ``frame_index`` reads it back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

BITS = 8
GREY = 128


def counter_video(
    path: Path, *, frames: int = 60, fps: float = 20.0, size: tuple[int, int] = (320, 240),
    fourcc: str = "mp4v",
) -> Path:  # fmt: skip
    import cv2

    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), fourcc
    block = width // BITS
    for i in range(frames):
        frame = np.full((height, width, 3), GREY, dtype=np.uint8)
        for bit in range(BITS):
            frame[: height // 2, bit * block : (bit + 1) * block] = 255 if i >> bit & 1 else 0
        writer.write(frame)
    writer.release()
    return path


def frame_index(rgb) -> int:
    """The number a counter frame carries (RGB or BGR: the blocks are grey levels)."""
    pixels = np.asarray(rgb)
    height, width = pixels.shape[:2]
    block = width // BITS
    row = height // 4
    return sum(1 << b for b in range(BITS) if pixels[row, b * block + block // 2].mean() > 128)


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video (BGR), decoded one after the other (tests only)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames
