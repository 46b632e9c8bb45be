"""The OpenAPI 3.1 document of head office's API (served at ``/api/v1/openapi.json``).

The endpoints, bodies and errors are written out by hand; the row and change schemas of the
33 synced tables are derived from ``app.sync.wire.COLUMNS``, the one definition of the wire
columns (today's schema version), so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

from typing import Any

from app import __version__
from app.sync import schema
from app.sync.bounds import MAX_JSON_BYTES, MAX_JSON_DEPTH
from app.sync.cursor import MAX_PULL_LIMIT
from app.sync.push_request import MAX_PUSH_ROWS
from app.sync.schema import SCHEMA_HEADER, TABLES
from app.sync.wire import (
    COLUMNS,
    INT_RANGE,
    K_BOOL,
    K_DATE,
    K_DATETIME,
    K_FLOAT,
    K_INT,
    K_JSON,
    MAX_TEXT_CHARS,
    Column,
)

# A real calendar day (29 February in leap years only), hours 00-23, no offset: exactly what
# datetime.fromisoformat accepts for a wire date-time.
_YEAR = r"(?:000[1-9]|00[1-9]\d|0[1-9]\d{2}|[1-9]\d{3})"
_LEAP = r"(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
_DAY = (
    rf"(?:{_YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    rf"|(?:0[13578]|1[02])-31)|{_LEAP}-02-29)"
)
DATETIME_PATTERN = rf"^{_DAY}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{{1,6}})?)?$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"  # base64url without padding
TEXT_PATTERN = r"^[^\u0000]*$"  # PostgreSQL text cannot hold NUL
SHA256_PATTERN = r"^[0-9a-f]{64}$"
ID = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[ -~]+$"}
MAX_FLOAT = 1e15  # wire.from_wire refuses larger magnitudes


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


JSON_VALUE = {
    "description": f"Any JSON value nested at most {MAX_JSON_DEPTH} levels deep and at most "
    f"{MAX_JSON_BYTES // 1024} KiB once encoded (app/sync/bounds.py); refused (400) beyond."
}


def _value_schema(column: Column) -> dict:
    if column.kind == K_JSON:
        return JSON_VALUE
    schema: dict[str, Any] = {
        K_INT: {"type": "integer", "minimum": INT_RANGE[0], "maximum": INT_RANGE[1]},
        K_FLOAT: {"type": "number", "minimum": -MAX_FLOAT, "maximum": MAX_FLOAT},
        K_BOOL: {"type": "boolean"},
        K_DATE: {"type": "string", "format": "date", "pattern": rf"^{_DAY}$"},
        K_DATETIME: {"type": "string", "pattern": DATETIME_PATTERN},
    }.get(column.kind, {"type": "string", "maxLength": MAX_TEXT_CHARS, "pattern": TEXT_PATTERN})
    if column.null:
        schema = {**schema, "type": [schema["type"], "null"]}
    return schema


def _table_schemas() -> dict[str, dict]:
    schemas: dict[str, dict] = {}
    for table in TABLES:
        values = {name: _value_schema(c) for name, c in COLUMNS[table].items()}
        schemas[f"Row_{table}"] = {
            "type": "object",
            "description": f"A pulled row: the columns of the device's {SCHEMA_HEADER} version",
            "properties": {
                "id": ID,
                **values,
                "_version": {"type": "integer"},
                "_deleted": {"type": "boolean"},
            },
            "required": ["id", "_version", "_deleted"],
        }
        schemas[f"Change_{table}"] = {
            "type": "object",
            "properties": {
                "id": ID,
                "base_version": {"type": "integer", "minimum": 0, "default": 0},
                "deleted": {"type": "boolean", "default": False},
                "fields": {"type": "object", "properties": values, "additionalProperties": False},
            },
            "required": ["id"],
            "additionalProperties": False,
        }
    return schemas


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


ERRORS = {
    "BadRequest": _error(
        "Malformed JSON, non-UTF-8 body, unknown table or field, wrong type, bad value; "
        "code schema_too_new: the device's schema version is newer than head office's"
    ),
    "Unauthorized": _error(
        "Missing, malformed, unknown, revoked or expired token; bad credentials"
    ),
    "Forbidden": _error("Not allowed for this user or device"),
    "NotFound": _error("No such resource (or not visible to this user)"),
    "Conflict": _error("The request clashes with the server's state"),
    "TooLarge": _error("Body, batch or file above the limit"),
    "UnsupportedMediaType": _error("The body must be application/json"),
    "SchemaOutdated": _error(
        "code schema_outdated: the device's schema version is older than head office serves; "
        "update the app"
    ),
    "Throttled": {
        **_error("Too many failed sign-ins"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
    "Busy": {
        **_error("The database is busy (a lock was not granted in time); nothing was done"),
        "headers": {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
        },
    },
}


def _responses(ok: dict, *errors: str) -> dict:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "Conflict": "409",
        "TooLarge": "413",
        "UnsupportedMediaType": "415",
        "SchemaOutdated": "426",
        "Throttled": "429",
        "Busy": "503",
    }
    out = dict(ok)
    for name in (*errors, "Busy"):  # every operation that reads the database may be busy
        out[codes[name]] = {"$ref": f"#/components/responses/{name}"}
    return out


def _json_ok(schema: dict, description: str = "OK", status: str = "200") -> dict:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


SHA256_PARAM = {
    "name": "sha256",
    "in": "path",
    "required": True,
    "description": "SHA-256 of the blob's bytes, lowercase hexadecimal",
    "schema": {"type": "string", "pattern": SHA256_PATTERN},
}
UPLOAD_OFFSET = {
    "Upload-Offset": {"schema": {"type": "integer"}, "description": "bytes received so far"}
}


def _schema_param() -> dict:
    history = schema.current()
    return {
        "name": SCHEMA_HEADER,
        "in": "header",
        "required": False,
        "description": "the device's sync schema version (rule 9); absent: "
        f"{schema.FIRST_SCHEMA}. Head office serves {history.oldest} to {history.version} "
        "(426 below, 400 above), each in its own shape",
        "schema": {"type": "integer", "minimum": history.oldest, "maximum": history.version},
    }


def _paths() -> dict:
    authed_errors = ("Unauthorized",)
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Is the server up; its version and schema version",
                "security": [],
                "responses": _json_ok(_ref("Health")),
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": _json_ok({"type": "object"}),
            }
        },
        "/auth/login": {
            "post": {
                "operationId": "login",
                "summary": "Sign in on a device; returns a bearer token bound to that device",
                "security": [],
                "requestBody": _json_body(_ref("LoginRequest")),
                "responses": _responses(
                    _json_ok(_ref("LoginResponse")),
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "TooLarge",
                    "UnsupportedMediaType",
                    "Throttled",
                ),
            }
        },
        "/auth/logout": {
            "post": {
                "operationId": "logout",
                "summary": "Revoke the token of this request",
                "responses": _responses(
                    {"204": {"description": "Revoked"}}, *authed_errors, "TooLarge"
                ),
            }
        },
        "/auth/revoke": {
            "post": {
                "operationId": "revokeDevice",
                "summary": "Office and admins: revoke every token of a device",
                "requestBody": _json_body(_ref("RevokeRequest")),
                "responses": _responses(
                    _json_ok(_ref("RevokeResponse")),
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                    "TooLarge",
                    "UnsupportedMediaType",
                ),
            }
        },
        "/sync/pull": {
            "get": {
                "operationId": "pull",
                "summary": "Next page of changes in the user's scope (sync rules 1, 2)",
                "parameters": [
                    {
                        "name": "cursor",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                        "description": "the cursor of the previous page (base64url, as "
                        "received); empty: from the start",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PULL_LIMIT},
                    },
                    _schema_param(),
                ],
                "responses": _responses(
                    _json_ok(_ref("PullPage")),
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "Conflict",
                    "TooLarge",
                    "SchemaOutdated",
                ),
            }
        },
        "/sync/push": {
            "post": {
                "operationId": "push",
                "summary": "Apply a batch of changes (sync rules 3 to 6)",
                "parameters": [_schema_param()],
                "requestBody": _json_body(_ref("PushRequest")),
                "responses": _responses(
                    _json_ok(_ref("PushResponse")),
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "TooLarge",
                    "UnsupportedMediaType",
                    "SchemaOutdated",
                ),
            }
        },
        "/blobs/{sha256}": {
            "parameters": [SHA256_PARAM],
            "put": {
                "operationId": "putBlob",
                "summary": "Upload a file whole, or one chunk of it with Content-Range (rule 8)",
                "parameters": [
                    {
                        "name": "Content-Range",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "pattern": r"^bytes \d+-\d+/\d+$"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": _responses(
                    {
                        **_json_ok(_ref("BlobStored"), "Already stored (deduplicated)"),
                        **_json_ok(_ref("BlobStored"), "Stored", "201"),
                        "202": {
                            "description": "Chunk stored; the upload goes on",
                            "headers": UPLOAD_OFFSET,
                            "content": {"application/json": {"schema": _ref("BlobPartial")}},
                        },
                        "409": {
                            **_error("The chunk does not start where the upload stands"),
                            "headers": UPLOAD_OFFSET,
                        },
                        "411": _error("Content-Length is required"),
                        "422": _error("The bytes do not have this SHA-256"),
                    },
                    "BadRequest",
                    "Unauthorized",
                    "TooLarge",
                ),
            },
            "head": {
                "operationId": "headBlob",
                "summary": "Does the file exist (and may I read it); progress of my upload",
                "responses": {
                    "200": {"description": "Stored and readable"},
                    "400": {"description": "Not a SHA-256"},
                    "401": {"description": "Token missing or not valid"},
                    "413": {"description": "A body above the server's request limit"},
                    "503": {"description": "The database is busy; see Retry-After"},
                    "404": {
                        "description": "Not stored or not readable; with Upload-Offset while "
                        "this user's resumable upload is in progress",
                        "headers": UPLOAD_OFFSET,
                    },
                },
            },
            "get": {
                "operationId": "getBlob",
                "summary": "Download a file the user may see",
                "responses": _responses(
                    {
                        "200": {
                            "description": "The bytes",
                            "content": {
                                "application/octet-stream": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        }
                    },
                    "BadRequest",
                    "Unauthorized",
                    "NotFound",
                    "TooLarge",
                ),
            },
        },
        "/office/deliveries": {
            "get": {
                "operationId": "officeDeliveries",
                "summary": "Office: the e-mail deliveries of an intervention's validated slip",
                "parameters": [
                    {
                        "name": "intervention_id",
                        "in": "query",
                        "required": True,
                        "schema": ID,
                    }
                ],
                "responses": _responses(
                    _json_ok(_ref("Deliveries")), "BadRequest", "Unauthorized", "Forbidden"
                ),
            }
        },
        "/office/held-aside": {
            "get": {
                "operationId": "officeHeldAside",
                "summary": "Office: the signed PDFs received that do not match their record "
                "(held aside, newest first)",
                "parameters": [
                    {
                        "name": "include_resolved",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["true", "false"]},
                    }
                ],
                "responses": _responses(
                    _json_ok(_ref("HeldAside")), "BadRequest", "Unauthorized", "Forbidden"
                ),
            }
        },
        "/office/held-aside/{held_id}/resolve": {
            "post": {
                "operationId": "resolveHeldAside",
                "summary": "Office: mark a PDF held aside as looked at (the version's PDF may "
                "be made again from its record)",
                "parameters": [
                    {
                        "name": "held_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                    }
                ],
                "responses": _responses(
                    _json_ok(
                        {
                            "type": "object",
                            "required": ["id", "resolved"],
                            "properties": {
                                "id": {"type": "integer"},
                                "resolved": {"type": "boolean"},
                            },
                        }
                    ),
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                ),
            }
        },
        "/report-versions/{version_id}/pdf": {
            "get": {
                "operationId": "getReportVersionPdf",
                "summary": "A report version's PDF, sealed with the company's certificate "
                "(PAdES); made on first request, then kept (docs/reports.md)",
                "description": "The office reads every version; a technician the versions "
                "of his own interventions (any other answers 404, as for an unknown id). "
                "A signed version is the PDF its device uploaded, checked against the "
                "version's content_sha256 and signature, then sealed; a PDF (or record) that "
                "does not match is held aside for the office and answers 422 held_aside.",
                "parameters": [
                    {
                        "name": "version_id",
                        "in": "path",
                        "required": True,
                        "description": "the report version's id",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                    },
                    {
                        "name": "language",
                        "in": "query",
                        "required": False,
                        "description": "fr or en (default: the language the client read "
                        "it in, else fr)",
                        "schema": {"enum": ["fr", "en"]},
                    },
                ],
                "responses": _responses(
                    {
                        "200": {
                            "description": "The sealed PDF",
                            "content": {
                                "application/pdf": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        },
                        "422": _error(
                            "code held_aside: the PDF received for this version, or its "
                            "record, does not match its hashes; kept aside for the office"
                        ),
                    },
                    "BadRequest",
                    "Unauthorized",
                    "NotFound",
                    "TooLarge",
                ),
            }
        },
    }


def _schemas() -> dict:
    change_tables = {
        t: {"type": "array", "items": _ref(f"Change_{t}"), "maxItems": MAX_PUSH_ROWS}
        for t in TABLES
    }
    row_tables = {t: {"type": "array", "items": _ref(f"Row_{t}")} for t in TABLES}
    id_lists = {t: {"type": "array", "items": {"type": "string"}} for t in TABLES}
    return {
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                    "required": ["code", "message"],
                }
            },
            "required": ["error"],
        },
        "Health": {
            "type": "object",
            "properties": {
                "status": {"const": "ok"},
                "version": {"type": "string"},
                "schema_version": {
                    "type": "integer",
                    "description": f"the sync schema version head office speaks ({SCHEMA_HEADER})",
                },
                "database_version": {
                    "type": "integer",
                    "description": "the migration version of head office's domain tables",
                },
            },
            "required": ["status", "version", "schema_version", "database_version"],
        },
        "LoginRequest": {
            "type": "object",
            "properties": {
                "username": {"type": "string", "minLength": 1, "maxLength": 150},
                "password": {"type": "string", "minLength": 1, "maxLength": 1024},
                "device_id": ID,
            },
            "required": ["username", "password", "device_id"],
        },
        "LoginResponse": {
            "type": "object",
            "properties": {
                "token": {"type": "string"},
                "user": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "role": {"enum": ["technician", "office", "admin"]},
                        "name": {"type": "string"},
                    },
                    "required": ["id", "role", "name"],
                },
            },
            "required": ["token", "user"],
        },
        "RevokeRequest": {
            "type": "object",
            "properties": {"device_id": ID},
            "required": ["device_id"],
        },
        "RevokeResponse": {
            "type": "object",
            "properties": {"revoked": {"type": "integer", "minimum": 0}},
            "required": ["revoked"],
        },
        "PullPage": {
            "type": "object",
            "properties": {
                "changes": {"type": "object", "properties": row_tables},
                "evicted": {"type": "object", "properties": id_lists},
                "cursor": {"type": "string", "pattern": CURSOR_PATTERN},
                "has_more": {"type": "boolean"},
                "skipped": {
                    "type": "object",
                    "properties": id_lists,
                    "description": "Rows passed over because head office cannot encode "
                    "them (stored before the value bounds, or written outside the API); "
                    "logged at head office.",
                },
            },
            "required": ["changes", "evicted", "cursor", "has_more"],
        },
        "PushRequest": {
            "type": "object",
            "properties": {
                "batch_id": ID,
                "device_id": ID,
                "changes": {
                    "type": "object",
                    "properties": change_tables,
                    "additionalProperties": False,
                },
            },
            "required": ["batch_id", "device_id", "changes"],
        },
        "PushResponse": {
            "type": "object",
            "properties": {
                "applied": {"type": "array", "items": _ref("Applied")},
                "conflicts": {"type": "array", "items": _ref("Conflict")},
                "rejected": {"type": "array", "items": _ref("Rejected")},
            },
            "required": ["applied", "conflicts", "rejected"],
        },
        "Applied": {
            "type": "object",
            "properties": {
                "table": {"enum": TABLES},
                "id": {"type": "string"},
                "version": {"type": "integer"},
            },
            "required": ["table", "id", "version"],
        },
        "Conflict": {
            "type": "object",
            "properties": {
                "table": {"enum": TABLES},
                "id": {"type": "string"},
                "field": {"type": "string"},
                "winner": {"enum": ["server", "device"]},
                "kept": {},
                "lost": {},
                "version": {"type": "integer"},
            },
            "required": ["table", "id", "field", "winner", "kept", "lost", "version"],
        },
        "Rejected": {
            "type": "object",
            "properties": {
                "table": {"enum": TABLES},
                "id": {"type": "string"},
                "reason": {"type": "string", "description": "the rule's words, in English"},
                "code": {
                    "type": "string",
                    "description": "the refusal's stable code, for the device to translate "
                    "(absent when the rule gave none; docs/sync-protocol.md rule 6)",
                },
                "params": {
                    "type": "object",
                    "description": "the values the code's text names; `cause`: the "
                    "refusal it wraps, {code, params}",
                },
                "row": {
                    "type": ["object", "null"],
                    "description": "Head office's state of the row (a pulled row), when the "
                    "user may see it; the device takes it back.",
                },
            },
            "required": ["table", "id", "reason"],
        },
        "Deliveries": {
            "type": "object",
            "required": ["deliveries"],
            "properties": {
                "deliveries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "report_version_id": {"type": "string"},
                            "intervention_id": {"type": "string"},
                            "recipient": {"type": "string"},
                            "state": {"enum": ["pending", "sent", "failed", "no_recipient"]},
                            "attempts": {"type": "integer"},
                            "last_error": {"type": "string"},
                            "next_attempt_at": {"type": ["string", "null"]},
                            "sent_at": {"type": ["string", "null"]},
                            "updated_at": {"type": ["string", "null"]},
                        },
                    },
                }
            },
        },
        "HeldAside": {
            "type": "object",
            "required": ["held_aside"],
            "properties": {
                "held_aside": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "report_version_id", "reason", "resolved"],
                        "properties": {
                            "id": {"type": "integer"},
                            "report_version_id": {"type": "string"},
                            "intervention_id": {"type": ["string", "null"]},
                            "reference": {"type": "string"},
                            "technician": {"type": "string"},
                            "kind": {"type": ["string", "null"]},
                            "version": {"type": ["integer", "null"]},
                            "expected_sha256": {
                                "type": ["string", "null"],
                                "description": "the content SHA-256 the version's record holds",
                            },
                            "blob_sha256": {
                                "type": ["string", "null"],
                                "description": "the SHA-256 of the PDF file received",
                            },
                            "reason": {"type": "string"},
                            "code": {
                                "type": ["string", "null"],
                                "description": "the reason's code (null: held before codes)",
                            },
                            "params": {"type": "object"},
                            "detected_at": {"type": ["string", "null"]},
                            "resolved": {"type": "boolean"},
                        },
                    },
                }
            },
        },
        "BlobStored": {
            "type": "object",
            "properties": {"sha256": {"type": "string"}, "size": {"type": "integer"}},
            "required": ["sha256", "size"],
        },
        "BlobPartial": {
            "type": "object",
            "properties": {"received": {"type": "integer"}},
            "required": ["received"],
        },
        **_table_schemas(),
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Terrain head office",
            "version": __version__,
            "description": "Sync API between Terrain devices and head office. The rules are in "
            'docs/sync-protocol.md; every error is {"error": {"code", "message"}}. A push '
            f"carries at most {MAX_PUSH_ROWS} rows in all and 16 MiB; a blob PUT at most "
            "16 MiB (larger files in Content-Range chunks).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "responses": ERRORS,
            "schemas": _schemas(),
        },
    }
