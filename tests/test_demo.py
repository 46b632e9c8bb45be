"""Demo data: deterministic, realistic, consistent, and usable from the command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, time
from pathlib import Path

import pytest
from peewee import fn

from app.demo import ACCOUNTS_HELP, DEMO_PASSWORD, generate, is_empty
from app.errors import AuthError, ValidationError
from app.models import (
    ChecklistItem,
    Comment,
    Company,
    Contract,
    Customer,
    Equipment,
    Intervention,
    InterventionType,
    Meter,
    MeterReading,
    Part,
    Procedure,
    ProcedureStep,
    Site,
    Technician,
    User,
    VanStockLine,
    db,
)
from app.models.database import open_sqlite
from app.models.enums import InterventionStatus, ItemKind
from app.services.auth_service import sign_in
from app.services.day_service import my_day

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 11)  # a Wednesday
COMPARED_TABLES = (
    "users",
    "customers",
    "sites",
    "equipment",
    "contracts",
    "checklist_items",
    "parts",
    "interventions",
    "checklist_answers",
    "measurements",
    "part_usages",
)


def _snapshot(path: Path, seed: int) -> dict[str, list[tuple]]:
    database = open_sqlite(path)
    try:
        generate(seed=seed, today=TODAY)
        return {
            table: sorted(database.execute_sql(f"SELECT * FROM {table}").fetchall())
            for table in COMPARED_TABLES
        }
    finally:
        database.close()
        db.initialize(None)


@pytest.fixture(scope="module")
def small_db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "terrain.db"
    database = open_sqlite(path)
    generate(size="small", seed=42, today=TODAY)
    database.close()
    db.initialize(None)
    return path


@pytest.fixture
def demo(small_db_path):
    """The small demo database (generated once per module), bound for one test."""
    database = open_sqlite(small_db_path)
    yield database
    database.close()
    db.initialize(None)


def test_same_seed_and_day_give_identical_rows_and_another_seed_does_not(tmp_path):
    first = _snapshot(tmp_path / "a.db", seed=7)
    second = _snapshot(tmp_path / "b.db", seed=7)
    other = _snapshot(tmp_path / "c.db", seed=8)
    for table in COMPARED_TABLES:
        assert first[table], f"{table} is empty"
        assert first[table] == second[table], f"{table} differs between two runs"
    assert first["customers"] != other["customers"]
    assert first["interventions"] != other["interventions"]


def test_is_empty_before_and_not_after(database):
    assert is_empty()
    summary = generate(seed=1, today=TODAY)
    assert not is_empty()
    assert "interventions" in summary and "customers" in summary


def test_refuses_a_database_that_is_not_empty(database):
    generate(seed=1, today=TODAY)
    count = Intervention.select().count()
    with pytest.raises(ValidationError, match="demo --reset"):
        generate(seed=2, today=TODAY)
    assert Intervention.select().count() == count


def test_unknown_size_is_refused_and_writes_nothing(database):
    with pytest.raises(ValidationError) as info:
        generate(size="huge", today=TODAY)
    assert info.value.field == "size"
    assert is_empty()


def test_counts_are_in_the_expected_ranges(demo):
    assert Technician.select().count() == 3
    assert User.select().count() == 4
    assert Customer.select().count() == 40
    assert 45 <= Site.select().count() <= 120
    assert 90 <= Equipment.select().count() <= 180
    assert 400 <= Intervention.select().count() <= 3000
    assert 150 <= Part.select().count() <= 250
    assert InterventionType.select().count() >= 6
    kinds = {c.kind for c in Customer.select()}
    assert kinds == {"company", "individual"}
    contracts = Contract.select().count()
    assert 20 <= contracts < 40  # most customers have a contract, not all
    coverages = {(c.covers_labour, c.covers_parts, c.covers_travel) for c in Contract.select()}
    assert len(coverages) >= 3


def test_company_has_valid_legal_identifiers(demo):
    company = Company.get()
    assert re.fullmatch(r"\d{14}", company.siret)
    assert _luhn_ok(company.siret)
    siren = company.siret[:9]
    assert company.vat_number == f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    assert company.payment_terms
    for customer in Customer.select().where(Customer.kind == "company"):
        assert _luhn_ok(customer.siret), customer.siret


def _luhn_ok(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def test_every_technician_has_a_day_and_a_week(demo):
    statuses = set()
    for tech in Technician.select():
        day = my_day(tech.id, TODAY)
        assert len(day.today) >= 3, tech.user.username
        assert day.upcoming, tech.user.username
        for item in day.today + day.upcoming:
            assert time(8) <= item.scheduled_start.time()
            assert item.scheduled_end.time() <= time(18)
        statuses |= {item.status for item in day.today}
    assert {InterventionStatus.ASSIGNED, InterventionStatus.PLANNED} <= statuses
    assert statuses & {InterventionStatus.EN_ROUTE, InterventionStatus.IN_PROGRESS}


def test_demo_accounts_sign_in_with_the_demo_password(demo):
    for username in ("tech1", "tech2", "tech3", "office"):
        user = sign_in(username, DEMO_PASSWORD)
        assert (user.technician_id is not None) == username.startswith("tech")
        assert username in ACCOUNTS_HELP
    with pytest.raises(AuthError):
        sign_in("tech1", "not-the-password")


def test_procedures_are_complete_and_use_every_item_kind(demo):
    meter_names = {m.name for m in Meter.select(Meter.name).distinct()}
    for procedure in Procedure.select():
        steps = list(procedure.steps)
        assert 5 <= len(steps) <= 15, procedure.code
        assert sorted(s.position for s in steps) == list(range(1, len(steps) + 1))
        for step in steps:
            assert step.explanation.strip(), step.title
            assert list(step.items), step.title
    items = list(ChecklistItem.select())
    assert {i.kind for i in items} == set(ItemKind)
    assert any(not i.required for i in items) and any(i.required for i in items)
    for item in items:
        if item.kind == ItemKind.NUMERIC:
            assert item.min_value is not None or item.max_value is not None, item.label
            if item.min_value is not None and item.max_value is not None:
                assert item.min_value <= item.max_value, item.label
        if item.kind == ItemKind.METER:
            assert item.meter_name in meter_names
        if item.kind == ItemKind.CHOICE:
            assert len(item.choices) >= 2
    co = ChecklistItem.get(ChecklistItem.label == "CO ambiant")
    assert (co.unit, co.max_value) == ("ppm", 20)


def test_interventions_are_consistent(demo):
    assert demo.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    site_customer = {s.id: s.customer_id for s in Site.select()}
    equipment_site = {e.id: e.site_id for e in Equipment.select()}
    procedure_type = {p.id: p.intervention_type_id for p in Procedure.select()}
    contract_customer = {c.id: c.customer_id for c in Contract.select()}
    references = set()
    for i in Intervention.select():
        assert site_customer[i.site_id] == i.customer_id
        assert equipment_site[i.equipment_id] == i.site_id
        assert procedure_type[i.procedure_id] == i.intervention_type_id
        if i.contract_id:
            assert contract_customer[i.contract_id] == i.customer_id
        assert re.fullmatch(rf"INT-{i.scheduled_start.year}-\d{{6}}", i.reference)
        references.add(i.reference)
        if i.status in (InterventionStatus.DELIVERED, InterventionStatus.VALIDATED):
            assert i.scheduled_start.date() < TODAY
            assert i.finished_at >= i.started_at and i.summary
    statuses = [i.status for i in Intervention.select(Intervention.status)]
    past_done = statuses.count("delivered") + statuses.count("validated")
    assert past_done > len(statuses) / 2
    assert "cancelled" in statuses


def test_the_days_ahead_mix_maintenance_repairs_and_commissioning(demo):
    ahead = list(
        Intervention.select(Intervention, InterventionType, Equipment)
        .join_from(Intervention, InterventionType)
        .join_from(Intervention, Equipment)
        .where(Intervention.scheduled_start >= TODAY)
    )
    codes = [i.intervention_type.code for i in ahead]
    preventive = [i for i in ahead if i.intervention_type.preventive]
    assert len(preventive) > len(ahead) * 0.4 and codes.count("DEP") < len(ahead) * 0.5
    assert len(set(codes)) >= 5 and "MES" in codes
    for job in ahead:
        if job.intervention_type.code == "MES":  # a newly installed appliance
            assert job.equipment.install_date <= job.scheduled_start.date()
            assert (job.scheduled_start.date() - job.equipment.install_date).days <= 60
    to_plan = [i for i in ahead if i.technician_id is None]
    assert to_plan and all(i.intervention_type.preventive and i.contract_id for i in to_plan)
    for tech in Technician.select():
        today = my_day(tech.id, TODAY).today
        assert "urgent" in {i.priority for i in today}, tech.user.username
        assert len({i.type_label for i in today}) >= 3, tech.user.username
    without = Customer.select().where(~fn.EXISTS(Contract.select().where(
        Contract.customer == Customer.id)))  # fmt: skip
    assert without.count() >= 1
    assert any(i.contract_id is None for i in ahead)  # work billed in full, too


def test_some_jobs_carry_internal_and_client_notes(demo):
    office = User.get(User.username == "office")
    notes = list(Comment.select())
    assert {c.visibility for c in notes} == {"internal", "client"}
    assert any(c.author_id == office.id for c in notes)  # the office's notes before a visit
    jobs = Intervention.select().count()
    noted = {c.intervention_id for c in notes}
    assert 0.05 * jobs < len(noted) < 0.6 * jobs
    ahead = Intervention.select(Intervention.id).where(Intervention.scheduled_start >= TODAY)
    assert noted & {i.id for i in ahead}  # some of this week's jobs come with a note
    for tech in Technician.select():  # the first job of the day comes without
        first = my_day(tech.id, TODAY).today[0]
        assert first.id not in noted


def test_history_has_measurements_and_rising_meter_readings(demo):
    readings = defaultdict(list)
    for reading in MeterReading.select().order_by(MeterReading.read_at):
        readings[reading.meter_id].append(reading.value)
    assert len(readings) > 20
    for values in readings.values():
        assert values == sorted(values)
    assert any(len(values) >= 3 for values in readings.values())
    out = demo.execute_sql("SELECT count(*) FROM measurements WHERE out_of_tolerance").fetchone()
    total = demo.execute_sql("SELECT count(*) FROM measurements").fetchone()
    assert 0 < out[0] < total[0] / 5
    steps = ProcedureStep.select().count()
    assert steps >= 6 * 5


def test_parts_and_van_stock(demo):
    parts = list(Part.select())
    assert {p.vat_rate_bp for p in parts} == {2000, 1000, 550}
    assert any(p.has_serial for p in parts)
    assert {p.unit for p in parts if p.fractional} >= {"kg", "m"}
    for tech in Technician.select():
        lines = list(VanStockLine.select().where(VanStockLine.technician == tech))
        assert len(lines) == 40
        assert any(line.quantity < line.minimum for line in lines)


def run_main(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_cli_demo_creates_refuses_then_resets(tmp_path):
    first = run_main("demo", "--data-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert "tech1" in first.stdout and "office" in first.stdout and "demo" in first.stdout
    again = run_main("demo", "--data-dir", str(tmp_path))
    assert again.returncode != 0
    assert "--reset" in again.stderr
    assert "Traceback" not in again.stderr + again.stdout
    reset = run_main("demo", "--data-dir", str(tmp_path), "--reset", "--seed", "3")
    assert reset.returncode == 0, reset.stderr
    assert "interventions" in reset.stdout


@pytest.mark.slow
def test_large_demo_has_100k_interventions_and_a_busy_site(tmp_path):
    database = open_sqlite(tmp_path / "large.db")
    try:
        generate(size="large", seed=42, today=TODAY)
        assert Intervention.select().count() >= 100_000
        busiest = database.execute_sql(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM interventions "
            "WHERE scheduled_start < ? GROUP BY site_id)",
            (TODAY.isoformat(),),
        ).fetchone()[0]
        assert busiest >= 200
        assert database.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        tech1 = Technician.get(Technician.user == User.get(User.username == "tech1"))
        assert len(my_day(tech1.id, TODAY).today) >= 3
    finally:
        database.close()
        db.initialize(None)
