"""The table policy and the lifecycle are consistent with the models and with each other."""

from __future__ import annotations

import pytest
from peewee import CharField, ForeignKeyField

from app.domain import lifecycle, policy
from app.domain.lifecycle import S
from app.models import ALL_MODELS, MODELS_BY_TABLE
from app.models.enums import InterventionStatus, Role
from app.sync.wire import COLUMNS

TABLES = [m._meta.table_name for m in ALL_MODELS]


def foreign_key(table: str, column: str) -> ForeignKeyField | None:
    field = MODELS_BY_TABLE[table]._meta.columns[column]
    return field if isinstance(field, ForeignKeyField) else None


def target(table: str, column: str) -> str:
    field = foreign_key(table, column)
    assert field is not None, f"{table}.{column} is not a foreign key"
    return field.rel_model._meta.table_name


def test_every_synced_table_has_exactly_one_entry():
    named = [p.table for p in policy.POLICIES]
    assert sorted(named) == sorted(TABLES)
    assert len(named) == len(set(named))


@pytest.mark.parametrize("table", TABLES)
def test_an_entry_names_only_columns_of_its_model(table):
    rules = policy.policy(table)
    wire = set(COLUMNS[table])
    named = (
        set(rules.technician_fields or ())
        | rules.office_fields
        | rules.authorship
        | rules.server_wins
        | {link.column for link in rules.links}
        | {rules.owner} - {None}
        | set(rules.blobs)
    )
    assert named <= wire, named - wire
    if rules.document or rules.server_wins_statuses:
        assert "status" in wire


@pytest.mark.parametrize("table", TABLES)
def test_links_owners_and_authors_are_foreign_keys_to_the_right_tables(table):
    rules = policy.policy(table)
    for link in rules.links:
        assert target(table, link.column) == link.table
        parent = policy.policy(link.table)
        # a link leads to an intervention, directly or through a linked document
        assert link.table == policy.INTERVENTIONS or (parent.links and parent.document)
    if rules.owner:
        assert target(table, rules.owner) == "technicians"
    for column in rules.authorship:
        assert target(table, column) == "users"


@pytest.mark.parametrize("table", sorted(policy.technician_writable()))
def test_a_technician_cannot_name_another_user(table):
    """Every reference to a user in a table technicians write is set by head office
    (authorship) or is the office's: no technician writes a row in someone else's name."""
    rules = policy.policy(table)
    users = {c for c in COLUMNS[table] if foreign_key(table, c) and target(table, c) == "users"}
    assert users <= rules.authorship | rules.office_fields
    assert not rules.authorship & rules.office_fields


@pytest.mark.parametrize("table", TABLES)
def test_shared_technician_and_office_entries_do_not_contradict(table):
    rules = policy.policy(table)
    if rules.shared:
        assert not rules.technician and not rules.links and not rules.owner
    if rules.technician and table != policy.INTERVENTIONS:
        assert rules.links or rules.owner, "a technician's row must hang off something of his"
    if rules.technician_fields is not None:
        assert not rules.technician_fields & rules.office_fields
        assert not rules.technician_fields & rules.server_wins  # planning is the office's
    if rules.insert_only or rules.after_signature or rules.document or rules.author_edits_only:
        assert rules.technician
    if rules.author_edits_only:
        assert rules.authorship
    assert not (rules.insert_only and rules.document)


@pytest.mark.parametrize(("table", "column"), policy.blob_columns())
def test_blob_columns_hold_a_sha256(table, column):
    field = MODELS_BY_TABLE[table]._meta.columns[column]
    assert isinstance(field, CharField) and field.max_length == 64


def test_the_known_blob_references():
    assert policy.blob_columns() == [
        ("attachments", "thumb_sha256"),  # a thumbnail travels before its photo
        ("attachments", "blob_sha256"),
        ("attachments", "original_sha256"),
        ("signatures", "image_blob_sha256"),
        ("report_versions", "pdf_blob_sha256"),
    ]


def test_documents_start_editable_and_by_a_status_the_technician_may_give():
    for table in TABLES:
        document = policy.policy(table).document
        if document is None:
            continue
        default = MODELS_BY_TABLE[table]._meta.columns["status"].default
        assert default in document.editable and default in document.technician_statuses
        assert document.editable <= document.technician_statuses <= document.statuses
    assert lifecycle.REPORT_VERSION.office_only() == {"corrected", "validated", "delivered"}
    assert lifecycle.QUOTE.office_only() == {"expired", "cancelled"}


def test_intervention_children_are_the_tables_with_a_required_intervention():
    assert set(policy.intervention_children()) == {
        "checklist_answers", "measurements", "time_entries", "planned_parts", "part_usages",
        "comments", "report_versions", "follow_ups",
    }  # fmt: skip


def test_conflict_winners():
    assert policy.conflict_winner("interventions", "scheduled_start", None) == policy.SERVER
    assert policy.conflict_winner("planned_parts", "quantity", 2.0) == policy.SERVER
    assert policy.conflict_winner("interventions", "diagnosis", "x") == policy.DEVICE
    for status in InterventionStatus:
        expected = policy.SERVER if status in lifecycle.FINAL else policy.DEVICE
        assert policy.conflict_winner("interventions", "status", status) == expected
    assert policy.conflict_winner("report_versions", "status", "validated") == policy.DEVICE


# --- lifecycle -------------------------------------------------------------------------------


def test_the_status_sets():
    assert set(lifecycle.LOCKED) == {S.SIGNED, S.SUBMITTED, S.VALIDATED, S.DELIVERED}
    assert set(lifecycle.CLOSED) == {*lifecycle.LOCKED, S.CANCELLED}
    assert set(lifecycle.FINAL) == {S.CANCELLED, S.VALIDATED, S.DELIVERED}
    assert lifecycle.FINAL <= lifecycle.CLOSED


@pytest.mark.parametrize("current", list(S))
def test_a_technician_never_reaches_an_office_status_nor_leaves_a_cancelled_job(current):
    for to in S:
        walked = lifecycle.reachable(current, to, Role.TECHNICIAN, signed=True)
        if to in (S.CANCELLED, S.VALIDATED, S.DELIVERED) and to != current:
            assert not walked, (current, to)
        if current == S.CANCELLED and to != current:
            assert not walked, (current, to)
        if current in lifecycle.LOCKED and to != current:
            assert walked == (current == S.SIGNED and to == S.SUBMITTED)


def test_signed_is_reached_only_with_a_signature():
    for current in (S.ASSIGNED, S.EN_ROUTE, S.IN_PROGRESS, S.WORK_DONE):
        assert not lifecycle.reachable(current, S.SIGNED, Role.TECHNICIAN)
        assert lifecycle.reachable(current, S.SIGNED, Role.TECHNICIAN, signed=True)
        assert S.SIGNED not in lifecycle.moves(current, Role.TECHNICIAN)
    assert not lifecycle.may_move(S.WORK_DONE, S.SIGNED, Role.TECHNICIAN)
    assert not lifecycle.reachable(S.PLANNED, S.SIGNED, Role.TECHNICIAN, signed=True)


def test_admins_act_as_the_office():
    assert lifecycle.moves(S.SUBMITTED, Role.ADMIN) == [S.VALIDATED]
    assert lifecycle.moves(S.IN_PROGRESS, Role.TECHNICIAN) == [S.WORK_DONE]
    assert lifecycle.refusal(S.SIGNED, S.CANCELLED, Role.OFFICE) is not None
    assert lifecycle.refusal(S.PLANNED, S.CANCELLED, Role.ADMIN) is None


def test_domain_modules_import_no_ui_nor_database_driver():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "app" / "domain"
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import) else
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            for name in names:
                allowed = name.startswith(("app.models", "app.errors", "app.domain", "__future__"))
                stdlib = {"dataclasses", "typing", "collections", "itertools", "math", "re"}
                assert allowed or name.split(".")[0] in stdlib, f"{path.name} imports {name}"


def test_every_table_but_the_shared_ones_has_a_scope_query(database):
    """A new table is either shared, hangs off an intervention by a required
    ``intervention_id`` (scoped by the policy), or needs its query in headoffice.scope."""
    from datetime import date

    from headoffice.scope import Principal, scope_queries

    who = Principal("u", Role.TECHNICIAN, "t")
    queries = scope_queries(who, date(2026, 3, 2))
    assert set(queries) == set(TABLES) - policy.shared_tables()
