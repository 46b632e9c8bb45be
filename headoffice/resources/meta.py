"""Health check and the OpenAPI document (both public)."""

from __future__ import annotations

from app import __version__
from app.models.migrations import LATEST_VERSION
from app.sync import schema
from app.sync.wire import dumps
from headoffice.http import JSON, send_json
from headoffice.openapi import openapi_document


class HealthResource:
    public = True

    def on_get(self, req, resp) -> None:
        send_json(
            resp,
            {
                "status": "ok",
                "version": __version__,
                "schema_version": schema.current().version,  # what pull and push exchange
                "database_version": LATEST_VERSION,
            },
        )


class OpenAPIResource:
    public = True

    def __init__(self) -> None:
        self._body = dumps(openapi_document())

    def on_get(self, req, resp) -> None:
        resp.content_type = JSON
        resp.data = self._body
