"""Pull and push (docs/sync-protocol.md), for the device of the request's token."""

from __future__ import annotations

from app import clock
from app.sync.protocol import parse_push
from headoffice.http import read_json, send_json
from headoffice.pull import parse_limit, pull
from headoffice.push import push


class PullResource:
    def on_get(self, req, resp) -> None:
        session = req.context.session
        limit = parse_limit(req.get_param("limit"))
        page = pull(session.who, session.device_id, req.get_param("cursor"), limit, clock.today())
        send_json(resp, page.to_json())


class PushResource:
    def __init__(self, max_body_bytes: int) -> None:
        self.max_body_bytes = max_body_bytes

    def on_post(self, req, resp) -> None:
        session = req.context.session
        request = parse_push(read_json(req, self.max_body_bytes))
        send_json(resp, push(session.who, session.device_id, request, clock.today()))
