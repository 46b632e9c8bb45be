"""Pull and push (docs/sync-protocol.md), for the device of the request's token."""

from __future__ import annotations

from app import clock
from app.sync.push_request import parse_push
from app.sync.schema import FIRST_SCHEMA, SCHEMA_HEADER
from app.sync.wire import ProtocolError
from headoffice import documents
from headoffice.http import read_json, send_bytes, send_json
from headoffice.pull import parse_limit, pull
from headoffice.push import push


def device_schema(req) -> int:
    """The schema version the device sends (rule 9); a device from before the exchange
    sends none: it speaks the first version."""
    text = req.get_header(SCHEMA_HEADER)
    if text is None:
        return FIRST_SCHEMA
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise ProtocolError(
            f"{SCHEMA_HEADER} must be a schema version number.", field=SCHEMA_HEADER
        )
    return int(text)


class PullResource:
    def on_get(self, req, resp) -> None:
        session = req.context.session
        limit = parse_limit(req.get_param("limit"))
        page = pull(
            session.who, session.device_id, req.get_param("cursor"), limit, clock.today(),
            schema_version=device_schema(req),
        )  # fmt: skip
        send_bytes(resp, page.to_bytes())  # rows encoded once, when the page was filled


class PushResource:
    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    def on_post(self, req, resp) -> None:
        session = req.context.session
        version = device_schema(req)
        request = parse_push(read_json(req, self.max_body_bytes), version)
        answer = push(session.who, session.device_id, request, clock.today())
        documents.versions_pushed(
            [a["id"] for a in answer.get("applied", ()) if a["table"] == "report_versions"]
        )  # a signed version whose PDF is already uploaded: checked, sealed
        send_json(resp, answer)
