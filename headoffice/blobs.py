"""Head office's blobs (sync rule 8): the files, the ``blobs`` table, uploads and read access.

The bytes are in a ``BlobFiles`` store, one interface with two implementations:

- ``LocalBlobFiles`` (the default): the content-addressed directory shared with the device
  (``app.media.blob_store.BlobStore``: ``<blob_dir>/<aa>/<bb>/<sha256>``, written aside while
  hashed and renamed into place only once verified, so a reader never sees a partial or
  wrong blob); a resumable upload's bytes in ``<blob_dir>/partial/<upload>``. Several
  processes may share it on one machine (or one shared file system).
- ``headoffice.s3.S3BlobFiles``: an S3-compatible bucket (``serve --blob-store s3://...``),
  the same key layout under an optional prefix; a resumable upload's chunks are objects
  ``partial/<upload>/<first byte>``, so any process can take the next chunk.

The ``blobs`` table says a blob is complete and who uploaded it; a resumable upload
(``Content-Range``) keeps its progress in ``blob_uploads`` (per user): no upload state lives
in one process's memory. The finished file is verified and placed in the store.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, Protocol

from app.domain import policy
from app.errors import PayloadTooLargeError, ValidationError
from app.media.blob_store import BlobStore, Placed, check_sha256, copy_chunked
from app.models import MODELS_BY_TABLE, db, utcnow
from headoffice.http import ConflictError
from headoffice.models import Blob, BlobUpload
from headoffice.scope import Principal, scope_queries

__all__ = [
    "BlobFiles",
    "HeadOfficeBlobs",
    "LocalBlobFiles",
    "Partial",
    "Stored",
    "check_sha256",
    "parse_content_range",
]

CONTENT_RANGE_RE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    created: bool  # False when the blob was already there (deduplicated)


@dataclass(frozen=True)
class Partial:
    received: int
    total: int


def parse_content_range(header: str) -> tuple[int, int, int]:
    match = CONTENT_RANGE_RE.fullmatch(header.strip())
    if not match:
        raise ValidationError(
            "Content-Range must be 'bytes <first>-<last>/<total>'.", field="Content-Range"
        )
    first, last, total = map(int, match.groups())
    if not first <= last < total:
        raise ValidationError(
            "Content-Range is not a range inside the file.", field="Content-Range"
        )
    return first, last, total


class BlobFiles(Protocol):
    """Where head office keeps blob bytes. ``upload`` names one resumable upload
    (``<sha256>.<owner>``); its chunks are written with ``write_part`` and, once all are
    there, ``assemble`` checks their hash and places the blob (or refuses it)."""

    def has(self, sha256: str) -> bool: ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable stream of the blob (NotFoundError if it is not stored)."""

    def put_stream(
        self, stream: BinaryIO, length: int | None = None, *, expected: str | None = None
    ) -> Placed:
        """Store ``length`` bytes of ``stream``, placed only if they hash to ``expected``
        (else HashMismatchError; a short body is a ValidationError)."""

    def put_bytes(self, data: bytes) -> str: ...

    def start_parts(self, upload: str) -> None:
        """Forget what an earlier attempt of ``upload`` left (a client starting again)."""

    def write_part(self, upload: str, first: int, stream: BinaryIO, length: int) -> int:
        """Write up to ``length`` bytes of ``stream`` at offset ``first``; the count read."""

    def assemble(self, upload: str, total: int, sha256: str) -> bool:
        """Place the ``total`` bytes of ``upload`` as blob ``sha256`` after checking their
        hash (HashMismatchError); False when the blob was already stored. The parts are
        removed either way."""

    def discard_parts(self, upload: str) -> None: ...

    def close(self) -> None: ...


class LocalBlobFiles(BlobStore):
    """Blobs in a local directory (``BlobStore``); an upload's bytes in one file
    ``<root>/partial/<upload>``, written at the chunk's offset."""

    def __init__(self, root: Path | str) -> None:
        super().__init__(root)
        for sub in ("tmp", "partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def _partial(self, upload: str) -> Path:
        return self.root / "partial" / upload

    def start_parts(self, upload: str) -> None:
        self._partial(upload).write_bytes(b"")

    def write_part(self, upload: str, first: int, stream: BinaryIO, length: int) -> int:
        path = self._partial(upload)
        if not path.exists():  # e.g. removed by hand: the chunk still finds a file
            path.write_bytes(b"")
        with path.open("r+b") as out:
            out.seek(first)
            written = copy_chunked(stream, out, length)
            out.truncate(first + written)
        return written

    def assemble(self, upload: str, total: int, sha256: str) -> bool:
        path = self._partial(upload)
        try:
            return self.put_verified(path, sha256)
        finally:
            path.unlink(missing_ok=True)

    def discard_parts(self, upload: str) -> None:
        self._partial(upload).unlink(missing_ok=True)

    def close(self) -> None:
        pass


class HeadOfficeBlobs:
    """The ``/blobs`` resource's store: bytes in ``self.files`` (a local directory by
    default, or any ``BlobFiles``), metadata in the database."""

    def __init__(self, root: Path | None, max_bytes: int, files: BlobFiles | None = None) -> None:
        if files is None and root is None:
            raise ValueError("HeadOfficeBlobs needs a directory or a BlobFiles store")
        self.files: BlobFiles = files if files is not None else LocalBlobFiles(Path(root))
        self.max_bytes = max_bytes

    def close(self) -> None:
        self.files.close()

    # --- metadata ---------------------------------------------------------------------------

    @staticmethod
    def _upload_name(sha256: str, user_id: str) -> str:
        owner = hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]
        return f"{sha256}.{owner}"

    def find(self, sha256: str) -> Blob | None:
        blob = Blob.get_or_none(Blob.sha256 == sha256)
        return blob if blob is not None and self.files.has(sha256) else None

    def partial(self, sha256: str, user_id: str) -> Partial | None:
        upload = BlobUpload.get_or_none(
            (BlobUpload.sha256 == sha256) & (BlobUpload.user_id == user_id)
        )
        return None if upload is None else Partial(upload.received, upload.total)

    def may_read(self, who: Principal, blob: Blob, today: date) -> bool:
        """Office sees all; others the blobs they uploaded or that a row in scope references."""
        if who.sees_everything or blob.uploaded_by == who.user_id:
            return True
        scope = scope_queries(who, today) or {}
        for table, column_name in policy.blob_columns():  # the rows referencing blobs
            model = MODELS_BY_TABLE[table]
            column = model._meta.columns[column_name]
            if model.select().where((column == blob.sha256) & model.id.in_(scope[table])).exists():
                return True
        return False

    # --- writing ----------------------------------------------------------------------------

    def check_size(self, size: int) -> None:
        if size > self.max_bytes:
            raise PayloadTooLargeError(
                f"The file has {size} bytes; the limit is {self.max_bytes}.",
                hint="Shorten or compress the video, or ask the office to raise the limit.",
            )

    def put(self, sha256: str, stream: BinaryIO, length: int, user_id: str) -> Stored:
        """Store a whole upload of ``length`` bytes read from ``stream``."""
        self.check_size(length)
        placed = self.files.put_stream(stream, length, expected=sha256)
        return self._record(sha256, placed.size, user_id)

    def put_range(
        self, sha256: str, stream: BinaryIO, first: int, last: int, total: int, user_id: str
    ) -> Stored | Partial:
        """Store bytes ``first..last`` of a resumable upload of ``total`` bytes."""
        self.check_size(total)
        where = (BlobUpload.sha256 == sha256) & (BlobUpload.user_id == user_id)
        upload = BlobUpload.get_or_none(where)
        name = self._upload_name(sha256, user_id)
        if first == 0:  # a new upload, or a client starting again
            BlobUpload.delete().where(where).execute()
            BlobUpload.create(sha256=sha256, user_id=user_id, total=total, received=0)
            self.files.start_parts(name)
            received = 0
        elif upload is None:
            raise ConflictError("No upload of this blob is in progress.", upload_offset=0)
        else:
            received = upload.received
            if upload.total != total:
                raise ConflictError(
                    f"The upload in progress has {upload.total} bytes, not {total}.",
                    upload_offset=received,
                )
        if first != received:
            raise ConflictError(
                f"The chunk starts at {first}; the server has {received} bytes.",
                upload_offset=received,
            )
        expected = last - first + 1
        written = self.files.write_part(name, first, stream, expected)
        if written != expected:
            raise ValidationError(f"The chunk ended after {written} of {expected} bytes.")
        moved = (
            BlobUpload.update(received=first + written, updated_at=utcnow())
            .where(where & (BlobUpload.received == first))
            .execute()
        )
        if not moved:  # another request of the same upload got there first
            current = self.partial(sha256, user_id)
            raise ConflictError(
                "Another request changed this upload.",
                upload_offset=current.received if current else 0,
            )
        if first + written < total:
            return Partial(first + written, total)
        try:
            self.files.assemble(name, total, sha256)
            return self._record(sha256, total, user_id)
        finally:
            BlobUpload.delete().where(where).execute()
            self.files.discard_parts(name)

    def _record(self, sha256: str, size: int, user_id: str) -> Stored:
        """The file is in the store: say so in ``blobs`` (once; later uploads deduplicate)."""
        with db.atomic():
            created = (
                Blob.insert(sha256=sha256, size=size, uploaded_by=user_id)
                .on_conflict_ignore()
                .as_rowcount()
                .execute()
            )
        return Stored(sha256, size, created=bool(created))

    def open(self, blob: Blob) -> BinaryIO:
        return self.files.open(blob.sha256)
