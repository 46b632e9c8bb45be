"""Blobs in an S3-compatible object store (AWS S3, MinIO, Ceph, Garage, ...) with boto3.

``serve --blob-store s3://bucket[/prefix]`` (or ``TERRAIN_BLOB_STORE``) with the endpoint,
region and credentials of ``S3Settings.from_env`` (``TERRAIN_S3_ENDPOINT``,
``TERRAIN_S3_REGION``, ``TERRAIN_S3_ACCESS_KEY_ID`` / ``TERRAIN_S3_SECRET_ACCESS_KEY``, else
boto3's own chain: ``AWS_*`` variables, ``~/.aws``, an instance role).

Keys, under the prefix: ``<aa>/<bb>/<sha256>`` for a blob (the layout of the local store),
``tmp/<random>`` for bytes being checked, ``partial/<upload>/<first byte, 20 digits>`` for
the chunks of a resumable upload. A blob's key is only ever written with bytes already
checked against its name: a whole ``PUT`` (at most 16 MiB) is spooled and hashed before it is
sent; a finished resumable upload is streamed from its chunks into ``tmp/`` while hashed,
then copied into place inside the store. Chunks are objects, not S3 multipart parts, because
a device's chunks may be smaller than S3's 5 MiB minimum part; the upload's progress is in the
``blob_uploads`` table, so any head office process takes the next chunk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urlsplit

from app.errors import ConfigError, HashMismatchError, NotFoundError
from app.media.blob_store import CHUNK, SHA256_RE, Placed, check_sha256, copy_chunked, copy_hashed

SPOOL_BYTES = 8 * 1024 * 1024  # a whole PUT is kept in memory up to this, then on disk
PART_DIGITS = 20


@dataclass(frozen=True)
class S3Settings:
    """Where the blobs are: ``bucket`` (and ``prefix``) at ``endpoint_url`` (None: AWS)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    @classmethod
    def from_url(cls, url: str, environ=os.environ) -> S3Settings:
        """``s3://bucket[/prefix]``, with the endpoint and credentials of the environment."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError(
                f"Not an object store address: {url!r}.",
                hint="Write s3://bucket or s3://bucket/prefix.",
            )
        prefix = parts.path.strip("/")
        return cls(
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint_url=environ.get("TERRAIN_S3_ENDPOINT") or None,
            region=environ.get("TERRAIN_S3_REGION") or None,
            access_key_id=environ.get("TERRAIN_S3_ACCESS_KEY_ID") or None,
            secret_access_key=environ.get("TERRAIN_S3_SECRET_ACCESS_KEY") or None,
        )


class S3BlobFiles:
    """``headoffice.blobs.BlobFiles`` in a bucket. One boto3 client per instance (per
    process: head office builds its app after forking); boto3 clients are thread-safe."""

    def __init__(self, settings: S3Settings) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - the server extra has it
            raise ConfigError(
                "Blobs in an object store need boto3.",
                hint="Install the server extra: pip install '.[server]'.",
            ) from exc
        self.settings = settings
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            config=Config(
                retries={"max_attempts": 4, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
                max_pool_connections=32,
                s3={"addressing_style": "path"} if settings.endpoint_url else None,
            ),
        )

    # --- keys ------------------------------------------------------------------------------

    def key(self, sha256: str) -> str:
        check_sha256(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _parts_prefix(self, upload: str) -> str:
        return f"{self.prefix}partial/{upload}/"

    def _errors(self):
        from botocore.exceptions import ClientError

        return ClientError

    @staticmethod
    def _missing(exc) -> bool:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    # --- checks ------------------------------------------------------------------------------

    def check(self) -> None:
        """Reach the bucket now (``serve`` at start): a clear error instead of a failing
        first upload."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ConfigError(
                f"The object store refused bucket {self.bucket!r} ({code}).",
                hint="Create the bucket, or check TERRAIN_S3_ENDPOINT and the credentials "
                "(TERRAIN_S3_ACCESS_KEY_ID / TERRAIN_S3_SECRET_ACCESS_KEY).",
            ) from exc
        except BotoCoreError as exc:
            raise ConfigError(
                f"Cannot reach the object store of bucket {self.bucket!r}: {exc}.",
                hint="Check TERRAIN_S3_ENDPOINT and the credentials.",
            ) from exc

    # --- reading -----------------------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256):
            return False  # as the local store: not a blob name, so not stored
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self._errors() as exc:
            if self._missing(exc):
                return False
            raise
        return True

    def open(self, sha256: str) -> BinaryIO:
        if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256):
            raise NotFoundError("This file is not stored here.")
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
        except self._errors() as exc:
            if self._missing(exc):
                raise NotFoundError("This file is not stored here.") from exc
            raise
        return answer["Body"]  # botocore's StreamingBody: read(n), close()

    # --- writing -----------------------------------------------------------------------------

    def put_stream(
        self, stream: BinaryIO, length: int | None = None, *, expected: str | None = None
    ) -> Placed:
        if expected is not None:
            check_sha256(expected)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            sha256, size = copy_hashed(stream, spool, length, expected)
            if self.has(sha256):
                return Placed(sha256, size, False)
            spool.seek(0)
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(sha256), Body=spool, ContentLength=size
            )
            return Placed(sha256, size, True)

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data)
        return sha256

    # --- resumable uploads -----------------------------------------------------------------

    def start_parts(self, upload: str) -> None:
        self.discard_parts(upload)

    def write_part(self, upload: str, first: int, stream: BinaryIO, length: int) -> int:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            written = copy_chunked(stream, spool, length)
            if written == length:  # a short chunk is refused: nothing kept
                spool.seek(0)
                key = f"{self._parts_prefix(upload)}{first:0{PART_DIGITS}d}"
                self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=spool, ContentLength=written
                )
        return written

    def _parts(self, upload: str) -> list[tuple[int, str]]:
        """(first byte, key) of the upload's chunks, in order."""
        prefix = self._parts_prefix(upload)
        parts = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                offset = item["Key"][len(prefix) :]
                if offset.isdigit():
                    parts.append((int(offset), item["Key"]))
        return sorted(parts)

    def assemble(self, upload: str, total: int, sha256: str) -> bool:
        check_sha256(sha256)
        parts = self._parts(upload)
        tmp = f"{self.prefix}tmp/{uuid.uuid4().hex}"
        reader = _PartsReader(self, parts, total)
        try:
            from boto3.s3.transfer import TransferConfig

            try:
                self.client.upload_fileobj(
                    reader, self.bucket, tmp, Config=TransferConfig(use_threads=False)
                )
            finally:
                reader.close()
            actual = reader.digest.hexdigest()
            if reader.size != total or actual != sha256:
                raise HashMismatchError(f"The bytes have SHA-256 {actual}, not {sha256}.")
            if self.has(sha256):
                return False
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self.key(sha256),
                CopySource={"Bucket": self.bucket, "Key": tmp},
            )
            return True
        finally:
            self._delete([tmp])
            self.discard_parts(upload)

    def discard_parts(self, upload: str) -> None:
        self._delete([key for _, key in self._parts(upload)])

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def list_keys(self) -> Iterator[str]:
        """Every key under the prefix (tests, inventories)."""
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        ):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def close(self) -> None:
        self.client.close()


class _PartsReader:
    """The chunks of an upload read in order as one stream, hashed as they pass: each chunk
    gives the bytes up to the next one's start (the last, up to ``total``)."""

    def __init__(self, files: S3BlobFiles, parts: list[tuple[int, str]], total: int) -> None:
        self.files = files
        self.spans = []
        for index, (first, key) in enumerate(parts):
            end = parts[index + 1][0] if index + 1 < len(parts) else total
            self.spans.append((first, end, key))
        self.total = total
        self.digest = hashlib.sha256()
        self.size = 0
        self._body = None
        self._left = 0
        self._index = 0
        self._position = 0  # bytes taken from the chunks so far

    def _next_body(self) -> bool:
        while self._index < len(self.spans):
            first, end, key = self.spans[self._index]
            self._index += 1
            if first != self._position or end <= first:  # a gap or overlap: the hash tells
                continue
            answer = self.files.client.get_object(Bucket=self.files.bucket, Key=key)
            self._body, self._left = answer["Body"], end - first
            return True
        return False

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        want = self.total + 1 if size is None or size < 0 else size  # -1: all that is left
        while len(out) < want:
            if self._body is None or self._left == 0:
                if self._body is not None:
                    self._body.close()
                    self._body = None
                if not self._next_body():
                    break
            data = self._body.read(min(want - len(out), self._left, CHUNK))
            if not data:
                self._left = 0
                continue
            self._left -= len(data)
            self._position += len(data)
            out += data
        self.digest.update(out)
        self.size += len(out)
        return bytes(out)
