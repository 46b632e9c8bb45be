"""The device's content-addressed blob store: ``<data-dir>/blobs/<sha[:2]>/<sha256>``.

A file is named by the SHA-256 of its bytes (sync rule 8), so storing the same photo twice
keeps one copy. Writes go to a temporary file in ``<root>/tmp`` and are renamed into place,
so a reader never sees a partial file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1024 * 1024


class BlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            tmp = self._tmp()
            try:
                tmp.write_bytes(data)
                self._place(tmp, sha256)
            finally:
                tmp.unlink(missing_ok=True)
        return sha256

    def put_file(self, source: Path | str) -> str:
        """Copy the file at ``source`` into the store (hashed while copied); returns its SHA-256."""
        tmp = self._tmp()
        try:
            digest = hashlib.sha256()
            with Path(source).open("rb") as src, tmp.open("wb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            sha256 = digest.hexdigest()
            if not self.has(sha256):
                self._place(tmp, sha256)
            return sha256
        finally:
            tmp.unlink(missing_ok=True)

    def _tmp(self) -> Path:
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.root / "tmp")
        os.close(fd)
        return Path(name)

    def _place(self, tmp: Path, sha256: str) -> None:
        final = self.path_for(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
