"""HTTP transport to head office (docs/sync-protocol.md, "HTTP API"). The only module that
imports ``requests``.

Retries, with exponential backoff, only what is safe to repeat: GET/HEAD, PUT of a
content-addressed blob (a file above ``blob_chunk`` bytes goes up in chunks with
``Content-Range``, resuming from head office's ``Upload-Offset`` after a failure), and push
(idempotent by ``batch_id``, rule 3) — on connection errors, timeouts, 5xx and 429
(honouring ``Retry-After``); and any request (sign-in too) answered 503 with
``Retry-After``: head office's database was busy and did nothing. Failures become
``app.errors`` types: unreachable -> ``TransportError``; 401 -> ``AuthError``; other errors
-> ``RemoteError`` with the server's ``code`` and message (426 ``schema_outdated`` and
``schema_too_new``: the app and head office do not speak the same schema version, rule 9).

Pull and push carry the device's schema version in the ``X-Terrain-Schema`` header.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from app.errors import AuthError, RemoteError, TransportError
from app.sync import schema
from app.sync.schema import PROTOCOL_VERSION, SCHEMA_HEADER
from app.sync.wire import ProtocolError, dumps, loads

log = logging.getLogger(__name__)

API_PREFIX = f"/api/v{PROTOCOL_VERSION}"
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 60.0  # seconds: never sleep longer than this on a Retry-After
_CHUNK = 1024 * 1024
# Files above this size go up in resumable chunks: a phone's original (3-12 MB) resumes
# after a dropped connection, and each acknowledged chunk is real progress.
BLOB_CHUNK = 1024 * 1024
Progress = Callable[[int, int], None]  # (bytes sent, size) of a file being uploaded


class HttpTransport:
    """One ``requests.Session`` to head office at ``base_url`` (with or without /api/v1)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: tuple[float, float] = (5, 60),
        *,
        retries: int = 3,
        backoff: float = 0.5,
        blob_chunk: int = BLOB_CHUNK,
        schema_version: int | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.api = base if base.endswith(API_PREFIX) else base + API_PREFIX
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.blob_chunk = blob_chunk
        self.schema_version = schema_version  # None: this code's (tests set an older one)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "terrain-device"
        self.prefetch = True  # pull: one page may be fetched on a helper thread (app.sync.pull)

    def close(self) -> None:
        self.session.close()

    # --- API ------------------------------------------------------------------------------

    def health(self) -> dict:
        return self._json("GET", "/health", retry=True, auth=False)

    def login(self, username: str, password: str, device_id: str) -> dict:
        body = {"username": username, "password": password, "device_id": device_id}
        answer = self._json("POST", "/auth/login", body=body, retry=False, auth=False)
        self.token = answer.get("token")
        return answer

    def pull(self, cursor: str, limit: int) -> dict:
        params = {"cursor": cursor or "", "limit": limit}
        return self._json("GET", "/sync/pull", params=params, headers=self._schema(), retry=True)

    def push(self, body: dict) -> dict:
        return self._json("POST", "/sync/push", body=body, headers=self._schema(), retry=True)

    def office_deliveries(self, intervention_id: str) -> list[dict]:
        """Office only: the e-mail deliveries of the intervention's validated slip."""
        params = {"intervention_id": intervention_id}
        return self._json("GET", "/office/deliveries", params=params, retry=True)["deliveries"]

    def office_held_aside(self, *, include_resolved: bool = False) -> list[dict]:
        """Office only: the signed PDFs received that do not match their record."""
        params = {"include_resolved": "true" if include_resolved else "false"}
        return self._json("GET", "/office/held-aside", params=params, retry=True)["held_aside"]

    def resolve_held_aside(self, held_id: int) -> dict:
        """Office only: mark a PDF held aside as looked at."""
        return self._json("POST", f"/office/held-aside/{int(held_id)}/resolve", retry=False)

    def _schema(self) -> dict[str, str]:
        version = self.schema_version or schema.current().version
        return {SCHEMA_HEADER: str(version)}

    def has_blob(self, sha256: str) -> bool:
        response = self._request("HEAD", f"/blobs/{sha256}", retry=True, ok=(200, 404))
        return response.status_code == 200

    def upload_offset(self, sha256: str) -> int | None:
        """Bytes head office holds of an upload in progress; None if it has the whole blob."""
        response = self._request("HEAD", f"/blobs/{sha256}", retry=True, ok=(200, 404))
        if response.status_code == 200:
            return None
        try:
            return int(response.headers.get("Upload-Offset", "0"))
        except ValueError:
            return 0

    def put_blob(self, sha256: str, path: Path | str, progress: Progress | None = None) -> dict:
        """Upload the file at ``path``; ``progress(bytes sent, size)`` as it goes."""
        path = Path(path)
        size = path.stat().st_size
        if size > self.blob_chunk:
            return self._put_resumable(sha256, path, size, progress)

        def body():
            return _Reading(path, size, progress)

        response = self._request(
            "PUT",
            f"/blobs/{sha256}",
            data=body,
            headers={"Content-Type": "application/octet-stream"},
            retry=True,
        )
        return _decode(response)

    def _put_resumable(
        self, sha256: str, path: Path, size: int, progress: Progress | None = None
    ) -> dict:
        """Upload ``path`` in chunks, from where head office's last upload of it stopped."""
        offset, failures = self.upload_offset(sha256), 0
        if offset is None:  # already there (complete)
            return {"sha256": sha256, "size": size}
        with path.open("rb") as source:
            while True:
                if progress is not None:
                    progress(offset, size)
                last = min(offset + self.blob_chunk, size) - 1
                source.seek(offset)
                chunk = source.read(last - offset + 1)
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes {offset}-{last}/{size}",
                }
                try:
                    body = _Reading(None, size, progress, data=chunk, offset=offset)
                    response = self._request(
                        "PUT", f"/blobs/{sha256}", data=body, headers=headers, retry=False,
                        ok=(409,),
                    )  # fmt: skip
                except (TransportError, RemoteError) as exc:
                    status = getattr(exc, "status", None)
                    if (status is not None and status not in RETRY_STATUSES) or (
                        failures >= self.retries
                    ):
                        raise
                    failures += 1
                    log.info("blob %s: chunk at %d failed (%s); resuming", sha256[:12], offset, exc)
                    self._sleep(failures - 1, None)
                    offset = self.upload_offset(sha256)  # what head office really has
                    if offset is None:
                        return {"sha256": sha256, "size": size}
                    continue
                if response.status_code in (200, 201):
                    return _decode(response)
                server_offset = response.headers.get("Upload-Offset")
                if response.status_code == 409:  # head office is elsewhere: follow it
                    failures += 1
                    if failures > self.retries or server_offset is None:
                        raise _error(response)
                    offset = int(server_offset)
                    continue
                offset = int(server_offset) if server_offset else last + 1  # 202: partial
                failures = 0

    def get_blob(self, sha256: str, dest_path: Path | str) -> None:
        """Download a blob to ``dest_path`` (written aside, checked, then renamed)."""
        dest = Path(dest_path)
        response = self._request("GET", f"/blobs/{sha256}", retry=True, stream=True)
        part = dest.with_name(dest.name + ".part")
        digest = hashlib.sha256()
        try:
            with response, part.open("wb") as out:
                for chunk in response.iter_content(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except requests.RequestException as exc:
            part.unlink(missing_ok=True)
            raise _unreachable(self.api, exc) from exc
        if digest.hexdigest() != sha256.lower():
            part.unlink(missing_ok=True)
            raise RemoteError(
                f"The file {sha256[:12]}… received from head office is damaged.",
                status=response.status_code,
                code="hash_mismatch",
                hint="Sync again to download it once more.",
            )
        os.replace(part, dest)

    # --- plumbing -------------------------------------------------------------------------

    def _json(self, method: str, path: str, *, body: Any = None, **kwargs) -> dict:
        if body is not None:
            kwargs["data"] = dumps(body)
            kwargs["headers"] = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
        return _decode(self._request(method, path, **kwargs))

    def _request(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        auth: bool = True,
        ok: tuple[int, ...] = (),
        data: Any = None,
        **kwargs,
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        attempts = 1 + self.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1 or not retry
            payload = data() if callable(data) else data
            try:
                response = self.session.request(
                    method,
                    self.api + path,
                    data=payload,
                    headers=headers,
                    timeout=self.timeout,
                    **kwargs,
                )
            except requests.RequestException as exc:
                if last:
                    raise _unreachable(self.api, exc) from exc
                self._sleep(attempt, None)
                continue
            finally:
                if hasattr(payload, "close"):
                    payload.close()
            busy = response.status_code == 503 and "Retry-After" in response.headers
            if (response.status_code in RETRY_STATUSES and not last) or (
                busy and attempt < attempts - 1
            ):
                log.info("%s %s: %s, retrying", method, path, response.status_code)
                self._sleep(attempt, response.headers.get("Retry-After"))
                response.close()
                continue
            if response.status_code < 400 or response.status_code in ok:
                return response
            error = _error(response)
            response.close()
            del response  # a kept traceback must not keep the connection's socket open
            raise error
        raise AssertionError("unreachable")

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        time.sleep(min(delay, MAX_RETRY_AFTER))


class _Reading:
    """A request body that reports the bytes ``requests`` has read from it (sent or
    buffered): the file at ``path``, or ``data`` (a chunk starting at ``offset`` of a file
    of ``size`` bytes)."""

    def __init__(
        self,
        path: Path | None,
        size: int,
        progress: Progress | None,
        *,
        data: bytes | None = None,
        offset: int = 0,
    ) -> None:
        self._file = io.BytesIO(data) if data is not None else path.open("rb")
        self._size, self._done, self._progress = size, offset, progress
        self._step = max(size // 50, 64 * 1024)  # about every 2 %
        self._told = offset
        self.len = len(data) if data is not None else size  # a Content-Length, not chunked

    def read(self, n: int = -1) -> bytes:
        data = self._file.read(n)
        self._done += len(data)
        if self._progress is not None and (self._done - self._told >= self._step or not data):
            self._told = self._done
            # Read is not received: the last byte counts once head office has answered.
            self._progress(min(self._done, max(self._size - 1, 0)), self._size)
        return data

    def close(self) -> None:
        self._file.close()


def _unreachable(api: str, exc: Exception) -> TransportError:
    kind = "timed out" if isinstance(exc, requests.Timeout) else "unreachable"
    return TransportError(
        f"No network or head office {kind} ({api}).", key="sync.unreachable", detail=str(exc)
    )


def _decode(response: requests.Response) -> dict:
    try:
        data = loads(response.content)
    except ProtocolError as exc:
        raise _garbage(response) from exc
    if not isinstance(data, dict):
        raise _garbage(response)
    return data


def _garbage(response: requests.Response) -> RemoteError:
    return RemoteError(
        f"Head office sent an answer that is not valid JSON (HTTP {response.status_code}).",
        status=response.status_code,
        code="bad_answer",
        hint="Check the head office address in the settings; if it is right, contact support.",
    )


SCHEMA_KEYS = {"schema_outdated": "sync.schema_outdated", "schema_too_new": "sync.schema_too_new"}


def _error(response: requests.Response) -> Exception:
    status = response.status_code
    code, message = "", ""
    try:
        error = loads(response.content).get("error") or {}
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    except (ProtocolError, AttributeError):
        pass
    if status == 401:
        return AuthError(
            message or "Head office did not accept the sign-in (HTTP 401).",
            hint="Sign in again.",
            key="sync.signed_out",
        )
    if code in SCHEMA_KEYS:  # the app and head office speak different schemas (rule 9)
        return RemoteError(message, status=status, code=code, key=SCHEMA_KEYS[code])
    if status >= 500 or not message:
        what = f"Head office failed (HTTP {status})" if status >= 500 else f"HTTP {status}"
        message = f"{what}: {message}" if message else f"{what}."
    return RemoteError(message, status=status, code=code or f"http_{status}")
