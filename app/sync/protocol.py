"""The sync protocol's merge rules and the technicians' write permissions, by their old names.

The rules themselves live in ``app.domain`` (``policy``: one entry per table; ``lifecycle``:
statuses); head office and the device decide from there. The wire has its own modules:
``schema`` (tables, columns, schema versions), ``wire`` (value encoding, JSON), ``cursor``
(the pull cursor) and ``push_request`` (a push and its answer).
"""

from __future__ import annotations

from app.domain import lifecycle as _lifecycle
from app.domain import policy as _policy

SERVER, DEVICE, conflict_winner = _policy.SERVER, _policy.DEVICE, _policy.conflict_winner
SERVER_WINS: dict[str, set[str]] = {
    p.table: set(p.server_wins) for p in _policy.POLICIES if p.server_wins
}
FINAL_STATUSES = set(_lifecycle.FINAL)
TECHNICIAN_WRITABLE = set(_policy.technician_writable())
TECHNICIAN_INTERVENTION_FIELDS = set(_policy.policy("interventions").technician_fields or ())
LOCKED_STATUSES = set(_lifecycle.LOCKED)
