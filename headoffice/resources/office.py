"""The office's own reads: the e-mail delivery state of a slip (office users and admins)."""

from __future__ import annotations

import re

from app.errors import PermissionDeniedError
from app.sync.wire import ProtocolError
from headoffice.http import send_json
from headoffice.mail import delivery_json
from headoffice.services.validation import deliveries

ID_RE = re.compile(r"[ -~]{1,64}")  # the OpenAPI document's ID


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
