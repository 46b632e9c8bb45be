"""The office's own reads: the e-mail delivery state of a slip, the signed PDFs held aside
(and marking one resolved) — office users and admins only."""

from __future__ import annotations

import re

from app.errors import NotFoundError, PermissionDeniedError
from app.sync.wire import ProtocolError
from headoffice.documents import held_aside, resolve_held_aside
from headoffice.http import send_json
from headoffice.mail import delivery_json
from headoffice.services.validation import deliveries

ID_RE = re.compile(r"[ -~]{1,64}")  # the OpenAPI document's ID
HELD_ID_RE = re.compile(r"[0-9]{1,12}")


class DeliveriesResource:
    """``GET /office/deliveries?intervention_id=<id>``: the e-mails of the intervention's
    validated versions, oldest first (state pending / sent / failed / no_recipient)."""

    def on_get(self, req, resp) -> None:
        if not req.context.session.who.sees_everything:
            raise PermissionDeniedError("Only the office sees e-mail deliveries.")
        intervention_id = req.get_param("intervention_id") or ""
        if not ID_RE.fullmatch(intervention_id):  # a NUL byte would make PostgreSQL fail
            raise ProtocolError(
                "Give intervention_id (1 to 64 printable ASCII characters).",
                field="intervention_id",
            )
        send_json(resp, {"deliveries": [delivery_json(d) for d in deliveries(intervention_id)]})


def _require_office(req, what: str) -> None:
    if not req.context.session.who.sees_everything:
        raise PermissionDeniedError(f"Only the office {what}.")


def held_json(item: dict) -> dict:
    """A PDF held aside as the office API sends it (``GET /office/held-aside``)."""
    detected = item["detected_at"]
    return {**item, "detected_at": detected.isoformat() if detected else None}


class HeldAsideResource:
    """``GET /office/held-aside[?include_resolved=true]``: the signed PDFs received that do
    not match their record (refused for their version, kept), newest first."""

    def on_get(self, req, resp) -> None:
        _require_office(req, "sees the PDFs held aside")
        include = (req.get_param("include_resolved") or "false").lower()
        if include not in ("true", "false"):
            raise ProtocolError("include_resolved is true or false.", field="include_resolved")
        items = held_aside(include_resolved=include == "true")
        send_json(resp, {"held_aside": [held_json(i) for i in items]})


class HeldAsideResolveResource:
    """``POST /office/held-aside/{held_id}/resolve``: the office looked at it; the version's
    PDF may be made again from its record. 404 for an unknown id."""

    def on_post(self, req, resp, held_id: str) -> None:
        _require_office(req, "resolves a PDF held aside")
        if not HELD_ID_RE.fullmatch(held_id):  # "¹" is a digit to str.isdigit
            raise NotFoundError(f"No PDF held aside with id {held_id[:20]!r}.")
        resolve_held_aside(int(held_id))
        send_json(resp, {"id": int(held_id), "resolved": True})
