"""One declarative policy per synced table: the rules of sync rule 6 and of the merge (rule 4).

Every table of ``app.models.ALL_MODELS`` has exactly one ``TablePolicy`` in ``POLICIES``
(``tests/test_policy.py`` checks it, and that every column named here exists in the model).
Head office decides a technician's writes from these entries (``headoffice.permissions``),
scopes from them (``headoffice.scope``), finds blob references from them
(``headoffice.blobs``, ``app.sync.blobs``), and the merge asks ``conflict_winner``.

Adding a synced table: its model in ``ALL_MODELS``, and one entry below. A new kind of
document: a ``lifecycle.DocumentRules`` and ``document=`` on its table's entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.domain import follow_up, lifecycle, photo_answer, video
from app.domain.lifecycle import DocumentRules
from app.models import MODELS_BY_TABLE

SERVER = "server"
DEVICE = "device"
INTERVENTIONS = "interventions"
Lookup = Callable[[str, str], dict | None]  # (table, id) -> the row, or None
RowRule = Callable[[dict[str, Any], Lookup | None], str | None]


@dataclass(frozen=True)
class Link:
    """A row hangs off ``table`` by ``column`` (a foreign key)."""

    column: str
    table: str


TO_INTERVENTION = Link("intervention_id", INTERVENTIONS)
TO_QUOTE = Link("quote_id", "quotes")


@dataclass(frozen=True)
class TablePolicy:
    """Who writes a table, how it hangs off an intervention, and when it freezes.

    The office (and admins) may write every table; head office checks technicians' writes
    against the entry: the table is ``technician`` writable; the row hangs, through every
    non-null ``links`` column, off one of his interventions (following parents' own links:
    a quote line hangs off its quote, which hangs off its intervention), and its ``owner``
    column, if any, is his technician id (a row with no link set needs an owner: his van,
    his orders); he sets only ``technician_fields`` (None: every column) minus
    ``office_fields``; ``authorship`` columns are set by head office to the pushing user on
    insert and never change; with ``author_edits_only`` only the author edits or deletes
    the row. Freezing: an ``insert_only`` row never changes; a row of a ``lifecycle.CLOSED``
    intervention or of a parent document past its editable statuses no longer changes,
    except new rows of ``after_signature`` tables while the intervention is ``LOCKED``; a
    ``document`` changes only while its status is editable, and a technician gives it only
    its technician statuses.
    """

    table: str
    technician: bool = False
    shared: bool = False  # everyone receives the whole table (catalogues, the team's names)
    links: tuple[Link, ...] = ()
    owner: str | None = None  # column holding the technician the row belongs to
    technician_fields: frozenset[str] | None = None
    office_fields: frozenset[str] = frozenset()
    authorship: frozenset[str] = frozenset()
    author_edits_only: bool = False
    blobs: tuple[str, ...] = ()  # columns holding the SHA-256 of the row's files (rule 8)
    insert_only: bool = False
    after_signature: bool = False
    document: DocumentRules | None = None
    server_wins: frozenset[str] = frozenset()  # fields whose conflicts head office decides
    # The status conflicts head office decides: when its value of ``status`` is one of these.
    server_wins_statuses: frozenset[str] = frozenset()
    # A check of a row's values (the row as it would be stored), given a way to read other
    # rows (``lookup(table, id)``, or None where there is none): why it is refused, or None.
    row_rule: RowRule | None = None
    # Columns naming another row of the same table: rows setting one are decided after the
    # table's other rows of the same push (the row they name may come in that push).
    same_table_links: tuple[str, ...] = ()
    # Columns naming a row of a table decided later in table order (a photo answer names
    # its attachment): rows setting one are decided after the other rows of the push too.
    later_links: tuple[str, ...] = ()

    def technician_may_set(self, column: str) -> bool:
        if column in self.office_fields:
            return False
        return self.technician_fields is None or column in self.technician_fields


def _signature_rule(row: dict[str, Any], lookup: Lookup | None) -> str | None:
    return lifecycle.signature_record_refusal(row)


def _follow_up_rule(row: dict[str, Any], lookup: Lookup | None) -> str | None:
    parts = (lambda part_id: lookup("parts", part_id)) if lookup is not None else None
    return follow_up.row_refusal(row, parts)


def _set(*names: str) -> frozenset[str]:
    return frozenset(names)


_SHARED = ("companies", "users", "technicians", "intervention_types", "procedures",
           "procedure_steps", "checklist_items", "parts")  # fmt: skip
_CUSTOMER_RECORDS = ("customers", "sites", "contacts", "equipment", "meters", "contracts",
                     "contract_equipment", "contract_intervention_types")  # fmt: skip

# fmt: off
POLICIES: tuple[TablePolicy, ...] = (
    *(TablePolicy(t, shared=True) for t in _SHARED),
    TablePolicy("vehicles", owner="technician_id"),
    *(TablePolicy(t) for t in _CUSTOMER_RECORDS),
    TablePolicy(
        INTERVENTIONS,
        technician=True,
        technician_fields=_set(
            "status", "diagnosis", "operations", "summary", "started_at", "finished_at",
            "problem_reported", "updated_at",
        ),
        server_wins=_set(
            "scheduled_start", "scheduled_end", "technician_id", "priority",
            "intervention_type_id", "site_id", "customer_id", "equipment_id", "procedure_id",
            "contract_id", "reference",
        ),
        server_wins_statuses=lifecycle.FINAL,
    ),
    TablePolicy(
        "checklist_answers", technician=True, links=(TO_INTERVENTION,),
        authorship=_set("answered_by_id"),
        row_rule=photo_answer.answer_refusal, later_links=("value_text",),
    ),
    TablePolicy("measurements", technician=True, links=(TO_INTERVENTION,)),
    TablePolicy("meter_readings", technician=True, links=(TO_INTERVENTION,)),
    TablePolicy("time_entries", technician=True, links=(TO_INTERVENTION,), owner="technician_id"),
    TablePolicy("van_stock_lines", technician=True, owner="technician_id"),
    TablePolicy("planned_parts", links=(TO_INTERVENTION,), server_wins=_set("part_id", "quantity")),
    TablePolicy("part_usages", technician=True, links=(TO_INTERVENTION,), owner="technician_id"),
    TablePolicy(
        "parts_to_order_lines", technician=True, links=(TO_INTERVENTION,), owner="technician_id"
    ),
    TablePolicy(
        "quotes", technician=True, links=(TO_INTERVENTION,), authorship=_set("created_by_id"),
        document=lifecycle.QUOTE,
    ),
    TablePolicy("quote_lines", technician=True, links=(TO_QUOTE,)),
    TablePolicy(
        "attachments", technician=True, links=(TO_INTERVENTION, TO_QUOTE),
        blobs=("thumb_sha256", "blob_sha256", "original_sha256"),  # thumbnails first
        authorship=_set("created_by_id"), after_signature=True,
        row_rule=video.attachment_refusal, same_table_links=("source_attachment_id",),
    ),
    TablePolicy(
        "comments", technician=True, links=(TO_INTERVENTION,), authorship=_set("author_id"),
        author_edits_only=True,
    ),
    TablePolicy(
        "signatures", technician=True, links=(TO_INTERVENTION, TO_QUOTE),
        blobs=("image_blob_sha256",), insert_only=True,
        row_rule=_signature_rule,
    ),
    TablePolicy(
        "report_versions", technician=True, links=(TO_INTERVENTION,),
        blobs=("pdf_blob_sha256",),
        authorship=_set("created_by_id"), office_fields=_set("validated_by_id", "validated_at"),
        document=lifecycle.REPORT_VERSION,
    ),
    TablePolicy(
        "follow_ups", technician=True, links=(TO_INTERVENTION,),
        authorship=_set("created_by_id"), after_signature=True, row_rule=_follow_up_rule,
    ),
)
# fmt: on
POLICY: dict[str, TablePolicy] = {p.table: p for p in POLICIES}


def policy(table: str) -> TablePolicy:
    return POLICY[table]


def shared_tables() -> frozenset[str]:
    """Tables everyone receives whole."""
    return frozenset(p.table for p in POLICIES if p.shared)


def technician_writable() -> frozenset[str]:
    return frozenset(p.table for p in POLICIES if p.technician)


def blob_columns() -> list[tuple[str, str]]:
    """(table, column) of every column referencing a blob, in upload order."""
    return [(p.table, column) for p in POLICIES for column in p.blobs]


def intervention_children() -> tuple[str, ...]:
    """Tables whose every row hangs off one intervention (a required ``intervention_id``,
    no other link): a technician's scope holds those of the interventions it holds."""
    return tuple(
        p.table
        for p in POLICIES
        if p.links == (TO_INTERVENTION,)
        and not MODELS_BY_TABLE[p.table]._meta.columns[TO_INTERVENTION.column].null
    )


def conflict_winner(table: str, column: str, server_value: Any) -> str:
    """Who wins when both sides changed ``table.column`` since the pushed base version."""
    p = POLICY[table]
    if column in p.server_wins:
        return SERVER
    if column == "status" and server_value in p.server_wins_statuses:
        return SERVER
    return DEVICE
