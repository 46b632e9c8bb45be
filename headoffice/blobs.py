"""Content-addressed blob store on disk (sync rule 8).

A blob lives at ``<blob_dir>/<aa>/<bb>/<sha256>``; the ``blobs`` table says it is complete.
Uploads stream to a temporary file in 1 MiB chunks while hashing, and only a verified file is
renamed into place, so a reader never sees a partial or wrong blob. A resumable upload keeps
its bytes in ``<blob_dir>/partial/`` and its progress in ``blob_uploads`` (per user).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from app.errors import HashMismatchError, NotFoundError, PayloadTooLargeError, ValidationError
from app.models import Attachment, ReportVersion, Signature, db, utcnow
from headoffice.http import ConflictError
from headoffice.models import Blob, BlobUpload
from headoffice.scope import Principal, scope_queries

CHUNK = 1024 * 1024
SHA256_RE = re.compile(r"[0-9a-f]{64}")
CONTENT_RANGE_RE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")
# The rows that reference blobs, and by which column.
REFERENCES = (
    ("attachments", Attachment, Attachment.blob_sha256),
    ("signatures", Signature, Signature.image_blob_sha256),
    ("report_versions", ReportVersion, ReportVersion.pdf_blob_sha256),
)


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    created: bool  # False when the blob was already there (deduplicated)


@dataclass(frozen=True)
class Partial:
    received: int
    total: int


def check_sha256(sha256: str) -> str:
    if not SHA256_RE.fullmatch(sha256):
        raise ValidationError(
            "A blob is named by the SHA-256 of its bytes: 64 lowercase hexadecimal characters.",
            field="sha256",
        )
    return sha256


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


class BlobStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        for sub in ("tmp", "partial"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # --- paths and metadata -----------------------------------------------------------------

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _partial_path(self, sha256: str, user_id: str) -> Path:
        owner = hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:16]
        return self.root / "partial" / f"{sha256}.{owner}"

    def find(self, sha256: str) -> Blob | None:
        blob = Blob.get_or_none(Blob.sha256 == sha256)
        return blob if blob is not None and self.path(sha256).exists() else None

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
        for table, model, column in REFERENCES:
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
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        tmp = Path(tmp_name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                while size < length:
                    chunk = stream.read(min(CHUNK, length - size))
                    if not chunk:
                        break
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            if size != length:
                raise ValidationError(f"The body ended after {size} of {length} bytes.")
            return self._commit(sha256, digest.hexdigest(), tmp, size, user_id)
        finally:
            tmp.unlink(missing_ok=True)

    def put_range(
        self, sha256: str, stream: BinaryIO, first: int, last: int, total: int, user_id: str
    ) -> Stored | Partial:
        """Store bytes ``first..last`` of a resumable upload of ``total`` bytes."""
        self.check_size(total)
        where = (BlobUpload.sha256 == sha256) & (BlobUpload.user_id == user_id)
        upload = BlobUpload.get_or_none(where)
        partial = self._partial_path(sha256, user_id)
        if first == 0:  # a new upload, or a client starting again
            BlobUpload.delete().where(where).execute()
            BlobUpload.create(sha256=sha256, user_id=user_id, total=total, received=0)
            partial.write_bytes(b"")
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
        written = 0
        with partial.open("r+b") as out:
            out.seek(first)
            while written < expected:
                chunk = stream.read(min(CHUNK, expected - written))
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
            out.truncate(first + written)
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
            return self._commit(sha256, _hash_file(partial), partial, total, user_id)
        finally:
            BlobUpload.delete().where(where).execute()
            partial.unlink(missing_ok=True)

    def _commit(self, sha256: str, actual: str, source: Path, size: int, user_id: str) -> Stored:
        if actual != sha256:
            raise HashMismatchError(f"The bytes have SHA-256 {actual}, not {sha256}.")
        final = self.path(sha256)
        if self.find(sha256) is not None:
            return Stored(sha256, size, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, final)
        with db.atomic():
            created = (
                Blob.insert(sha256=sha256, size=size, uploaded_by=user_id)
                .on_conflict_ignore()
                .as_rowcount()
                .execute()
            )
        return Stored(sha256, size, created=bool(created))

    def open(self, blob: Blob) -> BinaryIO:
        try:
            return self.path(blob.sha256).open("rb")
        except FileNotFoundError as exc:
            raise NotFoundError("This file is not stored here.") from exc


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
