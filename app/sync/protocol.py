"""The sync protocol's shared rules: merge rules and the technicians' write permissions.

Both sides import this module: head office re-checks every push against it, the device
engine follows it (docs/sync-protocol.md, rules 4 and 6). The wire lives in its own modules:
``schema`` (tables, columns, schema versions), ``wire`` (value encoding, JSON), ``cursor``
(the pull cursor) and ``push_request`` (a push and its answer).
"""

from __future__ import annotations

from typing import Any

# --- merge rules and permissions ----------------------------------------------------------

SERVER = "server"
DEVICE = "device"

# Fields whose conflicts head office decides (planning is the office's job).
SERVER_WINS: dict[str, set[str]] = {
    "interventions": {
        "scheduled_start", "scheduled_end", "technician_id", "priority", "intervention_type_id",
        "site_id", "customer_id", "equipment_id", "procedure_id", "contract_id", "reference",
    },
    "planned_parts": {"part_id", "quantity"},
}  # fmt: skip
FINAL_STATUSES = {"cancelled", "validated", "delivered"}


def conflict_winner(table: str, column: str, server_value: Any) -> str:
    """Who wins when both sides changed ``table.column`` since the pushed base version."""
    if column in SERVER_WINS.get(table, ()):
        return SERVER
    if table == "interventions" and column == "status" and server_value in FINAL_STATUSES:
        return SERVER
    return DEVICE


# Tables a technician may write (insert/update/delete), subject to scope and rule 6.
TECHNICIAN_WRITABLE = {
    "interventions", "checklist_answers", "measurements", "meter_readings", "time_entries",
    "van_stock_lines", "part_usages", "parts_to_order_lines", "quotes", "quote_lines",
    "attachments", "comments", "signatures", "report_versions", "follow_ups",
}  # fmt: skip
# Interventions: fields a technician may change (the rest is planning, set by the office).
TECHNICIAN_INTERVENTION_FIELDS = {
    "status", "diagnosis", "operations", "summary", "started_at", "finished_at",
    "problem_reported", "updated_at",
}  # fmt: skip
LOCKED_STATUSES = {"signed", "submitted", "validated", "delivered"}
