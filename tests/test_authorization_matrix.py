"""Head office's write decisions, table x role x operation x state of the intervention.

For every synced table, every role (the technician owning the job, another technician, the
office, an admin), every operation (create, update of each field group, delete) and every
state of the parent intervention (open, signed, validated, cancelled), the decision of
``headoffice.permissions.decide`` is compared with the one derived by ``expected`` below: a
small truth table written from the rules of docs/sync-protocol.md (rule 6), without reading
``app.domain.policy``. The decision reads the rows as a push does (``BatchRows``), from a
real head office database holding them, on SQLite and on PostgreSQL (``backend``; one
database per module and backend, built once: decisions write nothing).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from conftest import require
from report_support import signature_strokes
from server_support import create_pg_database, drop_pg_database, pg_reachable

from app.models import MODELS_BY_TABLE, Technician, User
from app.models.enums import Role
from app.sync.schema import TABLES
from headoffice.database import open_database
from headoffice.permissions import OUTSIDE, Refused, decide, stamp_authorship
from headoffice.rows import BatchRows
from headoffice.scope import Principal

NOW = datetime(2026, 3, 2, 10, 0)
STATES = {"open": "in_progress", "signed": "signed", "validated": "validated",
          "cancelled": "cancelled"}  # fmt: skip
ROLES = ("owner", "other", "office", "admin")

# --- the truth table -------------------------------------------------------------------------
# Tables a technician writes, and how each hangs off his job.
ON_THE_JOB = {
    "checklist_answers", "measurements", "meter_readings", "time_entries", "part_usages",
    "parts_to_order_lines", "quotes", "quote_lines", "attachments", "comments", "signatures",
    "report_versions", "follow_ups",
}  # fmt: skip
HIS_OWN = {"van_stock_lines"}  # his van: no intervention
ADDED_AFTER_SIGNATURE = {"follow_ups", "attachments"}
INSERT_ONLY = {"signatures"}
# Field groups a test updates: table -> group -> column. "theirs": the row was written by the
# office (a comment the office left on the job).
GROUPS: dict[str, dict[str, str]] = {
    "interventions": {"work": "diagnosis", "planning": "priority"},
    "checklist_answers": {"plain": "comment", "authorship": "answered_by_id"},
    "measurements": {"plain": "value"},
    "meter_readings": {"plain": "note"},
    "time_entries": {"plain": "correction_reason", "owner": "technician_id"},
    "van_stock_lines": {"plain": "minimum", "owner": "technician_id"},
    "part_usages": {"plain": "serial_number", "owner": "technician_id"},
    "parts_to_order_lines": {"plain": "reason", "owner": "technician_id"},
    "quotes": {"plain": "title", "authorship": "created_by_id"},
    "quote_lines": {"plain": "description"},
    "attachments": {"plain": "caption", "authorship": "created_by_id"},
    "comments": {"plain": "body", "authorship": "author_id", "theirs": "body"},
    "signatures": {"plain": "signer_name"},
    "report_versions": {"plain": "content", "office": "validated_at"},
    "follow_ups": {"plain": "description", "authorship": "created_by_id"},
}
ALLOW = "applied"


def expected(table: str, role: str, op: str, group: str, state: str) -> str:
    """ALLOW, or a word the refusal's reason must contain."""
    if role in ("office", "admin"):
        if table == "report_versions" and group == "office":  # app/domain/corrections.py
            return "Only a validated report version carries who validated it"
        return ALLOW
    if table != "interventions" and table not in ON_THE_JOB | HIS_OWN:
        return f"Technicians cannot change {table}"
    if table == "interventions" and op == "create":
        return "Only the office creates"
    if role == "other" or group == "owner":
        return OUTSIDE
    if table == "interventions":
        if op == "delete":
            return "Only the office"
        if group == "planning":
            return "set by the office"
        return ALLOW if state == "open" else state
    if group == "theirs":
        return "Only its author"
    if group in ("authorship", "office"):
        return "author" if group == "authorship" else "Only the office"
    if table in HIS_OWN:
        return ALLOW
    if table in INSERT_ONLY and op != "create":
        return "cannot be changed"
    if state == "open":
        return ALLOW
    if state in ("signed", "validated") and op == "create" and table in ADDED_AFTER_SIGNATURE:
        return ALLOW
    return state


# --- the world -------------------------------------------------------------------------------


class World:
    """Users, one job of the owner per state, and one stored row per table and job."""

    def __init__(self) -> None:
        from app.models import (
            ChecklistItem,
            Customer,
            Equipment,
            InterventionType,
            Meter,
            Part,
            Procedure,
            ProcedureStep,
            Site,
        )

        self.users, self.techs = {}, {}
        for name, role in (("owner", Role.TECHNICIAN), ("other", Role.TECHNICIAN),
                           ("office", Role.OFFICE), ("admin", Role.ADMIN)):  # fmt: skip
            user = User.create(username=name, password_hash="", display_name=name, role=role)
            self.users[name] = user.id
            if role == Role.TECHNICIAN:
                self.techs[name] = Technician.create(user=user.id).id
        customer = Customer.create(code="C1", name="Client")
        self.customer = customer.id
        self.site = Site.create(
            customer=customer, name="Site", address_line="1 rue", postal_code="69001", city="Lyon"
        ).id
        kind = InterventionType.create(code="MAINT", label="Entretien")
        self.kind = kind.id
        procedure = Procedure.create(code="P1", name="Gamme", intervention_type=kind)
        step = ProcedureStep.create(procedure=procedure, position=1, title="Étape")
        self.item = ChecklistItem.create(step=step, position=1, label="Contrôle", kind="check").id
        equipment = Equipment.create(site=self.site, equipment_type="boiler")
        self.meter = Meter.create(equipment=equipment, name="heures", unit="h").id
        self.parts = [
            Part.create(reference=f"P{i}", name=f"Pièce {i}", unit_price_cents=100).id
            for i in range(2)
        ]
        self.jobs = {state: self._job(status) for state, status in STATES.items()}
        self.quotes = {state: self._store("quotes", self.fields("quotes", job))
                       for state, job in self.jobs.items()}  # fmt: skip
        self.theirs = {
            state: self._store("comments", {**self.fields("comments", job),
                                            "author_id": self.users["office"]})
            for state, job in self.jobs.items()
        }  # fmt: skip
        self.rows = {
            (table, state): self._store(table, self.fields(table, job, self.quotes[state]))
            for table in GROUPS
            if table != "interventions"
            for state, job in self.jobs.items()
        }

    def _job(self, status: str) -> str:
        fields = {
            "reference": f"INT-{uuid.uuid4().hex[:8]}", "customer_id": self.customer,
            "site_id": self.site, "intervention_type_id": self.kind,
            "technician_id": self.techs["owner"], "status": status,
            "scheduled_start": NOW, "scheduled_end": NOW,
        }  # fmt: skip
        return self._store("interventions", fields)["id"]

    def fields(self, table: str, job: str, quote: dict | None = None) -> dict:
        """Wire values of a valid new row of ``table`` on ``job`` (made by the owner)."""
        me, tech = self.users["owner"], self.techs["owner"]
        quote_id = (quote or {}).get("id")
        return {
            "checklist_answers": {"intervention_id": job, "item_id": self.item,
                                  "value_text": "done", "answered_by_id": me},
            "measurements": {"intervention_id": job, "label": "Pression", "value": 1.5,
                             "measured_at": NOW},
            "meter_readings": {"meter_id": self.meter, "intervention_id": job, "value": 10.0,
                               "read_at": NOW},
            "time_entries": {"intervention_id": job, "technician_id": tech, "kind": "work",
                             "started_at": NOW},
            "van_stock_lines": {"technician_id": tech, "part_id": self.parts[1],
                                "quantity": 1.0},
            "part_usages": {"intervention_id": job, "part_id": self.parts[0],
                            "technician_id": tech, "quantity": 1.0, "recorded_at": NOW},
            "parts_to_order_lines": {"part_id": self.parts[0], "technician_id": tech,
                                     "intervention_id": job, "quantity": 1.0},
            "quotes": {"reference": f"DEV-{uuid.uuid4().hex[:8]}", "intervention_id": job,
                       "customer_id": self.customer, "site_id": self.site, "status": "draft",
                       "issued_on": date(2026, 3, 2), "valid_until": date(2026, 4, 2),
                       "created_by_id": me},
            "quote_lines": {"quote_id": quote_id, "position": 1, "description": "Pompe",
                            "quantity": 1.0, "unit_price_cents": 100, "vat_rate_bp": 2000},
            "attachments": {"intervention_id": job, "kind": "photo", "source": "camera",
                            "blob_sha256": "a" * 64, "mime_type": "image/jpeg",
                            "size_bytes": 1, "created_by_id": me},
            "comments": {"intervention_id": job, "author_id": me, "visibility": "internal",
                         "body": "RAS"},
            "signatures": {"document_kind": "visit_report", "intervention_id": job,
                           "signer_name": "M. Durand", "signed_at": NOW,
                           "content_sha256": "b" * 64, "strokes": signature_strokes()},
            "report_versions": {"intervention_id": job, "kind": "visit_report",
                                "version": 1,
                                "status": "draft", "content": {"s": 1}, "created_by_id": me},
            "follow_ups": {"intervention_id": job, "kind": "other", "created_by_id": me},
        }[table]  # fmt: skip

    def _store(self, table: str, fields: dict) -> dict:
        model = MODELS_BY_TABLE[table]
        row_id = str(uuid.uuid4())
        values = {model._meta.columns[c].name: v for c, v in fields.items()}
        if table == "van_stock_lines":  # one line per (technician, part): a new part each time
            part = MODELS_BY_TABLE["parts"].create(
                reference=f"V{uuid.uuid4().hex[:6]}", name="Van", unit_price_cents=1
            )
            values["part"] = part.id
        model.insert(id=row_id, **values).execute()
        row = model.select().where(model.id == row_id).dicts().first()
        fields_by_name = model._meta.fields
        return {fields_by_name[k].column_name if k in fields_by_name else k: v
                for k, v in row.items()}  # fmt: skip

    def principal(self, role: str) -> Principal:
        roles = {"owner": Role.TECHNICIAN, "other": Role.TECHNICIAN, "office": Role.OFFICE,
                 "admin": Role.ADMIN}  # fmt: skip
        return Principal(self.users[role], roles[role], self.techs.get(role))


@pytest.fixture(scope="module")
def world(backend, tmp_path_factory):
    from app.models import db

    if backend == "sqlite":
        url, name = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'headoffice.db'}", None
    else:
        require(pg_reachable(), "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres)")
        name, url = create_pg_database()
    database = open_database(url)
    db.initialize(database)
    try:
        with database.connection_context():
            yield World()
    finally:
        close_all = getattr(database, "close_all", None)  # the PostgreSQL pool
        close_all() if close_all is not None else database.close()
        db.initialize(None)
        if name:
            drop_pg_database(name)


# --- the cases -------------------------------------------------------------------------------


def cases():
    for table in TABLES:
        groups = GROUPS.get(table, {"any": ""})
        ops = [("create", ""), *((f"update:{g}", g) for g in groups), ("delete", "")]
        states = STATES if table in GROUPS and table not in HIS_OWN else {"-": None}
        for role in ROLES:
            for op, group in ops:
                for state in states:
                    yield pytest.param(table, role, op, group, state,
                                       id=f"{table}-{role}-{op}-{state}")  # fmt: skip


def new_value(world: World, table: str, column: str, current):
    if column == "technician_id":
        return world.techs["other"]
    if column.endswith("_by_id") or column == "author_id":
        return world.users["office"]
    if column == "priority":
        return "urgent"
    if column == "validated_at":
        return NOW
    if column == "content":
        return {"s": 2}
    if isinstance(current, float):
        return current + 1.0
    return f"{current or ''} changed"


def decision(world: World, table: str, role: str, op: str, group: str, state: str) -> str:
    who = world.principal(role)
    if table not in GROUPS:  # the office's tables: the decision does not depend on the row
        current = None if op == "create" else {"id": str(uuid.uuid4())}
        effective = {"deleted": True} if op == "delete" else {"created_at": NOW}
    elif table == "interventions":
        current = None if op == "create" else _intervention(world, state)
        effective = _intervention_change(world, op, group)
    else:
        job = world.jobs[state if state != "-" else "open"]
        if op == "create":
            current = None
            quote = world.quotes[state if state != "-" else "open"]
            effective = world.fields(table, job, quote)
            stamp_authorship(who, table, effective)  # as the push does for a new row
        else:
            current = world.rows[(table, state if state != "-" else "open")]
            if group == "theirs":
                current = world.theirs[state]
            if op == "delete":
                effective = {"deleted": True}
            else:
                column = GROUPS[table][group]
                effective = {column: new_value(world, table, column, current[column])}
    row_id = (current or {}).get("id") or str(uuid.uuid4())
    try:
        decide(who, table, row_id, current, effective, deleted=op == "delete", rows=BatchRows())
    except Refused as refused:
        return refused.reason
    return ALLOW


def _intervention(world: World, state: str) -> dict:
    model = MODELS_BY_TABLE["interventions"]
    row = model.select().where(model.id == world.jobs[state]).dicts().first()
    fields = model._meta.fields
    return {fields[k].column_name if k in fields else k: v for k, v in row.items()}


def _intervention_change(world: World, op: str, group: str) -> dict:
    if op == "create":
        return {"reference": "INT-NEW", "customer_id": world.customer, "site_id": world.site,
                "intervention_type_id": world.kind, "status": "planned",
                "scheduled_start": NOW, "scheduled_end": NOW}  # fmt: skip
    if op == "delete":
        return {"deleted": True}
    return {"diagnosis": "Brûleur encrassé"} if group == "work" else {"priority": "urgent"}


@pytest.mark.parametrize("table, role, op, group, state", list(cases()))
def test_head_office_decides_as_the_rules_say(world, table, role, op, group, state):
    want = expected(table, role, op, group, state)
    got = decision(world, table, role, op, group, state)
    if want == ALLOW:
        assert got == ALLOW
    else:
        assert got != ALLOW and want in got, got


def test_the_matrix_covers_every_synced_table():
    assert {c.values[0] for c in cases()} == set(TABLES)
