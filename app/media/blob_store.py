"""The content-addressed file store used by the device and by head office (sync rule 8).

A file is named by the SHA-256 of its bytes and lives at ``<root>/<aa>/<bb>/<sha256>``
(``aa``, ``bb``: the first two pairs of hex digits, so no directory grows past a few thousand
entries even at head office). Storing the same bytes twice keeps one copy. Every write goes
to a temporary file in ``<root>/tmp``, is hashed while written, and only then renamed into
place (atomic on one file system), so a reader never sees a partial or wrong file, and two
writers of the same blob both leave the one complete file.

Devices before this layout stored ``<root>/<aa>/<sha256>``: such files are still found and
read (``locate``), and new writes take the new place.

What is not about files stays with its owner: head office keeps the ``blobs`` table,
resumable uploads (``Content-Range``) and read access in ``headoffice.blobs``; the device
keeps which rows reference which blob in ``app.sync.blobs``. No Flet, no database here.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import HashMismatchError, NotFoundError, ValidationError
from app.models import db

CHUNK = 1024 * 1024
SHA256_RE = re.compile(r"[0-9a-f]{64}")


def copy_hashed(
    stream: BinaryIO, out: BinaryIO, length: int | None, expected: str | None
) -> tuple[str, int]:
    """Copy ``stream`` to ``out`` in chunks (``length`` bytes, or to its end), hashing as it
    goes; returns (SHA-256, size). A short body or another hash than ``expected`` raises."""
    digest, size = hashlib.sha256(), 0
    while length is None or size < length:
        chunk = stream.read(CHUNK if length is None else min(CHUNK, length - size))
        if not chunk:
            break
        digest.update(chunk)
        out.write(chunk)
        size += len(chunk)
    if length is not None and size != length:
        raise ValidationError(f"The body ended after {size} of {length} bytes.")
    sha256 = digest.hexdigest()
    if expected is not None and sha256 != expected:
        raise HashMismatchError(f"The bytes have SHA-256 {sha256}, not {expected}.")
    return sha256, size


def copy_chunked(stream: BinaryIO, out: BinaryIO, length: int) -> int:
    """Copy up to ``length`` bytes of ``stream`` to ``out`` in chunks; returns how many (fewer
    when the stream ends first: the caller decides what a short copy means)."""
    written = 0
    while written < length:
        chunk = stream.read(min(CHUNK, length - written))
        if not chunk:
            break
        out.write(chunk)
        written += len(chunk)
    return written


def check_sha256(sha256: str) -> str:
    """``sha256`` if it names a blob (64 lowercase hex digits); else a ValidationError."""
    if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256):
        raise ValidationError(
            "A blob is named by the SHA-256 of its bytes: 64 lowercase hexadecimal characters.",
            field="sha256",
        )
    return sha256


@dataclass(frozen=True)
class Placed:
    sha256: str
    size: int
    created: bool  # False when the blob was already there (deduplicated)


class BlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # --- where blobs are ----------------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        """Where the blob ``sha256`` is placed (whether it is there yet or not)."""
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _legacy_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def locate(self, sha256: str) -> Path | None:
        """The file holding the blob, in the current or the earlier device layout; None if
        it is not stored (or ``sha256`` is not a blob name)."""
        if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256):
            return None
        for candidate in (self.path(sha256), self._legacy_path(sha256)):
            if candidate.is_file():
                return candidate
        return None

    def has(self, sha256: str) -> bool:
        return self.locate(sha256) is not None

    def path_for(self, sha256: str) -> Path:
        """The blob's file if it is stored, else where it would be placed."""
        return self.locate(sha256) or self.path(sha256)

    def open(self, sha256: str) -> BinaryIO:
        path = self.locate(sha256)
        if path is None:
            raise NotFoundError("This file is not stored here.")
        try:
            return path.open("rb")
        except FileNotFoundError as exc:  # removed since it was located
            raise NotFoundError("This file is not stored here.") from exc

    # --- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def temp_file(self) -> Iterator[Path]:
        """A new empty file in ``<root>/tmp``, removed on exit unless it was placed."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir)
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def place(self, source: Path, sha256: str) -> bool:
        """Move ``source`` (whose bytes the caller has checked hash to ``sha256``) into place;
        False, leaving ``source`` alone, when the blob is already stored."""
        if self.has(sha256):
            return False
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, final)  # atomic; a concurrent writer of the same bytes is harmless
        except PermissionError:  # Windows: a reader holds the same blob open
            if final.is_file():
                return False
            raise
        return True

    def put_stream(
        self, stream: BinaryIO, length: int | None = None, *, expected: str | None = None
    ) -> Placed:
        """Store what ``stream`` holds (``length`` bytes, or until its end), hashed while
        written. ``expected``: the SHA-256 the caller announced; other bytes are refused
        (HashMismatchError) and nothing is stored."""
        if expected is not None:
            check_sha256(expected)
        with self.temp_file() as tmp:
            with tmp.open("wb") as out:
                sha256, size = copy_hashed(stream, out, length, expected)
            return Placed(sha256, size, self.place(tmp, sha256))

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            with self.temp_file() as tmp:
                tmp.write_bytes(data)
                self.place(tmp, sha256)
        return sha256

    def put_file(self, source: Path | str) -> str:
        """Copy the file at ``source`` into the store (hashed while copied); its SHA-256."""
        with Path(source).open("rb") as src:
            return self.put_stream(src).sha256

    def put_verified(self, source: Path, sha256: str) -> bool:
        """Place ``source`` after checking that its bytes hash to ``sha256`` (else
        HashMismatchError); False when the blob was already stored."""
        actual = hash_file(source)
        if actual != sha256:
            raise HashMismatchError(f"The bytes have SHA-256 {actual}, not {sha256}.")
        return self.place(source, sha256)


def default_blob_dir() -> Path | None:
    """``<data-dir>/blobs`` next to the bound device database (None if in memory)."""
    name = getattr(db.obj, "database", None)
    if not name or name == ":memory:" or str(name).startswith("file:"):
        return None
    return Path(name).resolve().parent / "blobs"


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
