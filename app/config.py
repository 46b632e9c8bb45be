"""Where Terrain keeps its files, and the settings read from the environment.

A built Flet app must never write inside its bundle: when ``FLET_APP_STORAGE_DATA`` is set
(Flet sets it on devices), the data directory lives there.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.errors import DataDirError

APP_NAME = "terrain"
DB_FILENAME = "terrain.db"


def default_data_dir() -> Path:
    """The data directory when none is given: Flet's storage, then XDG, then ~/.terrain."""
    flet_dir = os.environ.get("FLET_APP_STORAGE_DATA")
    if flet_dir:
        return Path(flet_dir)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / APP_NAME


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written in it."""
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirError(
            f"Cannot write in the data directory {path}: {exc.strerror or exc}"
        ) from exc
    return path


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILENAME

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @classmethod
    def for_dir(cls, data_dir: str | Path | None) -> Settings:
        return cls(data_dir=ensure_writable_dir(Path(data_dir) if data_dir else default_data_dir()))


MEDIA_CACHE_MB = 300  # default size of the cache of media downloaded from head office


def media_cache_bytes() -> int:
    """The download cache's size limit: ``$TERRAIN_MEDIA_CACHE_MB`` megabytes, else 300."""
    raw = os.environ.get("TERRAIN_MEDIA_CACHE_MB", "").strip()
    try:
        megabytes = float(raw) if raw else MEDIA_CACHE_MB
    except ValueError:
        megabytes = MEDIA_CACHE_MB
    return max(0, int(megabytes * 1024 * 1024))
