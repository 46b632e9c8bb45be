"""HTTP plumbing shared by the resources: JSON bodies, JSON answers, the error mapping.

Every error leaves as ``{"error": {"code", "message"}}`` (plus ``field`` when one is known).
Terrain errors map to a status by type; Falcon's own errors (unknown route, wrong method)
get the same shape; anything unexpected is logged and answered 500 without its traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import falcon

from app.errors import (
    AuthError,
    HashMismatchError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TerrainError,
    ThrottledError,
    ValidationError,
)
from app.sync.schema import SchemaOutdatedError, SchemaTooNewError
from app.sync.wire import ProtocolError, dumps, loads
from headoffice.pull import CursorInvalidError

log = logging.getLogger(__name__)

JSON = "application/json"


class ConflictError(TerrainError):
    """A request that clashes with the server's state (409); may carry an upload offset."""

    hint = "Ask the server for its state and continue from there."

    def __init__(self, message: str, *, upload_offset: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.upload_offset = upload_offset


class HeldAsideError(HashMismatchError):
    """A report version whose PDF (received from a device) or record does not match: held
    aside for the office (``headoffice.documents``); 422 ``held_aside``."""

    hint = "The office sees it among the PDFs held aside; the device should sync again."


# Most specific first: the first matching type decides status and code.
STATUS_BY_ERROR: list[tuple[type[TerrainError], str, str]] = [
    (CursorInvalidError, falcon.HTTP_409, "cursor_invalid"),
    (SchemaOutdatedError, falcon.HTTP_426, "schema_outdated"),
    (SchemaTooNewError, falcon.HTTP_400, "schema_too_new"),
    (ConflictError, falcon.HTTP_409, "conflict"),
    (PayloadTooLargeError, falcon.HTTP_413, "payload_too_large"),
    (HeldAsideError, falcon.HTTP_422, "held_aside"),
    (HashMismatchError, falcon.HTTP_422, "hash_mismatch"),
    (ProtocolError, falcon.HTTP_400, "bad_request"),
    (ValidationError, falcon.HTTP_400, "bad_request"),
    (ThrottledError, falcon.HTTP_429, "throttled"),
    (AuthError, falcon.HTTP_401, "unauthorized"),
    (PermissionDeniedError, falcon.HTTP_403, "forbidden"),
    (NotFoundError, falcon.HTTP_404, "not_found"),
]


def error_body(code: str, message: str, field: str | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return dumps({"error": error})


def handle_terrain_error(req, resp, ex: TerrainError, params) -> None:
    status, code = falcon.HTTP_400, "bad_request"
    for error_type, error_status, error_code in STATUS_BY_ERROR:
        if isinstance(ex, error_type):
            status, code = error_status, error_code
            break
    else:  # a TerrainError nobody mapped: the server's fault
        log.error("unmapped error on %s %s: %s", req.method, req.path, ex)
        status, code = falcon.HTTP_500, "internal"
    resp.status = status
    resp.content_type = JSON
    message = f"{ex.message} {ex.hint}" if ex.hint else ex.message
    resp.data = error_body(code, message, getattr(ex, "field", None))
    if isinstance(ex, ThrottledError):
        resp.set_header("Retry-After", str(ex.retry_after))
    if isinstance(ex, ConflictError) and ex.upload_offset is not None:
        resp.set_header("Upload-Offset", str(ex.upload_offset))
    if isinstance(ex, AuthError) and not isinstance(ex, ThrottledError):
        resp.set_header("WWW-Authenticate", 'Bearer realm="terrain"')


BUSY_RETRY_AFTER = 2  # seconds a client waits before retrying after a 503
# SQLite's messages for a lock it could not get within busy_timeout; PostgreSQL's SQLSTATEs
# for lock_timeout, deadlock, serialization failure and a cancelled statement.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_PG_BUSY = {"55P03", "40P01", "40001", "57014"}


def is_busy(ex: Exception) -> bool:
    """True when a database error means "busy, try again" rather than a fault."""
    cause = getattr(ex, "orig", None) or ex.__cause__ or ex
    if getattr(cause, "pgcode", None) in _PG_BUSY:
        return True
    return any(text in str(ex).lower() for text in _SQLITE_BUSY)


def handle_database_error(req, resp, ex: Exception, params) -> None:
    """A busy or locked database answers 503 with Retry-After (the device retries by
    itself); any other database failure is a 500, logged, its text never sent."""
    if not is_busy(ex):
        handle_unexpected(req, resp, ex, params)
        return
    log.warning("database busy on %s %s: %s", req.method, req.path, _first_line(ex))
    resp.status = falcon.HTTP_503
    resp.content_type = JSON
    resp.set_header("Retry-After", str(BUSY_RETRY_AFTER))
    resp.data = error_body("busy", f"Head office is busy; try again in {BUSY_RETRY_AFTER} seconds.")


def _first_line(ex: Exception) -> str:
    return (str(ex).strip().splitlines() or [type(ex).__name__])[0][:200]


def handle_unexpected(req, resp, ex: Exception, params) -> None:
    log.exception("unexpected error on %s %s", req.method, req.path)
    resp.status = falcon.HTTP_500
    resp.content_type = JSON
    resp.data = error_body("internal", "Internal server error; it has been logged.")


def serialize_http_error(req, resp, ex: falcon.HTTPError) -> None:
    """Falcon's own errors (404 route, 405 method, ...) in Terrain's error shape."""
    title = ex.title or "Error"
    number, _, phrase = title.partition(" ")
    if number.isdigit() and phrase:
        title = phrase
    code = title.lower().replace(" ", "_")
    message = ex.description or f"{title}."
    resp.content_type = JSON
    resp.data = error_body(code, message)


def read_body(req, limit: int) -> bytes:
    """The raw body, refusing (413) above ``limit`` bytes before reading it."""
    length = req.content_length
    if length is not None and length > limit:
        raise PayloadTooLargeError(f"The body has {length} bytes; the limit is {limit}.")
    data = req.bounded_stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(f"The body is above the limit of {limit} bytes.")
    return data


def read_json(req, limit: int) -> Any:
    """Decode a JSON body (400 if malformed or not UTF-8, 415 if not declared JSON)."""
    media = (req.content_type or "").split(";")[0].strip().lower()
    if media != JSON:
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type", description="Send the body as application/json."
        )
    data = read_body(req, limit)
    if not data:
        raise ProtocolError("The request body is empty.")
    return loads(data)


def read_object(req, limit: int) -> dict:
    body = read_json(req, limit)
    if not isinstance(body, dict):
        raise ProtocolError("The body must be a JSON object.")
    return body


def send_json(resp, obj: Any, status: str = falcon.HTTP_200) -> None:
    send_bytes(resp, dumps(obj), status)


def send_bytes(resp, data: bytes, status: str = falcon.HTTP_200) -> None:
    """Send ``data``, a JSON document already encoded."""
    resp.status = status
    resp.content_type = JSON
    resp.data = data
