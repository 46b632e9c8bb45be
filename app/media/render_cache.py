"""Annotated thumbnails, rendered once per annotation version and kept on disk.

A thumbnail with drawings is the thumbnail's blob with the vector layer drawn over it
(``annotation.render``). The grid shows many at once, so each is rendered once and kept in
``<data-dir>/renders/<attachment id>-<version>.jpg``; ``version`` is a hash of the
thumbnail's SHA-256, the layer (canonical JSON) and the layer format version, so a changed
drawing, a new thumbnail or a new renderer makes a new file and the older ones of that media
are removed. Losing this folder loses nothing: it is rendered again. No Flet, no database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

RENDERER = 1  # bump when the drawing code changes what it draws


class RenderCache:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @classmethod
    def beside(cls, blob_root: Path | str) -> RenderCache:
        """The cache next to a blob store: ``<data-dir>/renders`` for ``<data-dir>/blobs``."""
        return cls(Path(blob_root).parent / "renders")

    @staticmethod
    def version(thumb_sha256: str, layer: object, layer_version: object = None) -> str:
        canonical = json.dumps(layer, sort_keys=True, separators=(",", ":"), default=str)
        text = f"{RENDERER}:{layer_version}:{thumb_sha256}:{canonical}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def path(self, media_id: str, version: str) -> Path:
        safe = "".join(c for c in str(media_id) if c.isalnum() or c in "-_")[:64] or "media"
        return self.root / f"{safe}-{version}.jpg"

    def get_or_render(self, media_id: str, version: str, render: Callable[[], bytes]) -> bytes:
        """The kept render, else ``render()`` kept for next time (older versions removed)."""
        path = self.path(media_id, version)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        data = render()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for old in self.root.glob(f"{path.name.rsplit('-', 1)[0]}-*.jpg"):
                old.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except OSError:  # a full disk: shown anyway, rendered again next time
            log.warning("annotated thumbnail of %s not kept", media_id, exc_info=True)
        return data

    def size(self) -> int:
        """Bytes kept (the storage screen counts them with the thumbnails)."""
        if not self.root.is_dir():
            return 0
        return sum(p.stat().st_size for p in self.root.glob("*.jpg") if p.is_file())
