"""The domain model: every entity exists, with its keys and constraints."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import peewee
import pytest

from app.models import (
    ALL_MODELS,
    MODELS_BY_TABLE,
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
    Quote,
    Site,
    Technician,
    TimeEntry,
    User,
    VanStockLine,
)
from app.models.base import plural_table_name

EXPECTED_TABLES = {
    "companies", "users", "technicians", "vehicles", "customers", "sites", "contacts",
    "equipment", "meters", "contracts", "contract_equipment", "contract_intervention_types",
    "intervention_types", "procedures", "procedure_steps", "checklist_items", "interventions",
    "checklist_answers", "measurements", "meter_readings", "time_entries", "parts",
    "van_stock_lines", "planned_parts", "part_usages", "attachments", "comments", "signatures",
    "report_versions", "quotes", "quote_lines", "follow_ups", "parts_to_order_lines",
}  # fmt: skip


def test_every_entity_of_the_mission_has_a_table(database):
    assert set(MODELS_BY_TABLE) == EXPECTED_TABLES
    assert set(database.get_tables()) >= EXPECTED_TABLES


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_synced_rows_have_uuid_timestamps_and_soft_delete(database, model):
    columns = {c.name: c for c in database.get_columns(model._meta.table_name)}
    assert {"id", "created_at", "updated_at", "deleted"} <= set(columns)
    assert columns["id"].primary_key
    assert not columns["deleted"].null


def test_plural_table_names():
    assert plural_table_name(type("Company", (), {})) == "companies"
    assert plural_table_name(type("Equipment", (), {})) == "equipment"
    assert plural_table_name(type("FollowUp", (), {})) == "follow_ups"
    assert plural_table_name(type("Survey", (), {})) == "surveys"


@pytest.fixture
def world(database):
    """A minimal consistent set of rows to hang constraint tests on."""
    company = Company.create(name="Thermo", siret="12345678900011")
    user = User.create(username="t", password_hash="x", display_name="T", role="technician")
    tech = Technician.create(user=user)
    customer = Customer.create(code="C1", name="Client")
    site = Site.create(
        customer=customer, name="Siège", address_line="1 rue A", postal_code="69001", city="Lyon"
    )
    equipment = Equipment.create(site=site, equipment_type="boiler")
    itype = InterventionType.create(code="MAINT", label="Entretien")
    start = datetime(2026, 11, 28, 9, 0)
    intervention = Intervention.create(
        reference="INT-1", customer=customer, site=site, equipment=equipment,
        intervention_type=itype, technician=tech, scheduled_start=start,
        scheduled_end=start + timedelta(hours=1),
    )  # fmt: skip
    return locals()


def test_ids_are_uuids_generated_locally_and_updated_at_moves(world):
    intervention = world["intervention"]
    assert uuid.UUID(intervention.id).version == 4
    before = intervention.updated_at
    intervention.diagnosis = "Thermocouple HS"
    intervention.save()
    assert intervention.updated_at > before
    assert intervention.created_at <= before


def test_soft_deleted_rows_are_hidden_from_live(world):
    customer = world["customer"]
    customer.deleted = True
    customer.save()
    assert Customer.live().count() == 0
    assert Customer.select().count() == 1


@pytest.mark.parametrize(
    ("model", "field", "bad"),
    [
        (User, "role", "janitor"),
        (Intervention, "status", "done-ish"),
        (Intervention, "priority", "whenever"),
    ],
)
def test_closed_value_sets_are_enforced_by_the_database(world, model, field, bad):
    row = {"User": world["user"], "Intervention": world["intervention"]}[model.__name__]
    with pytest.raises(peewee.IntegrityError):
        model.update({field: bad}).where(model.id == row.id).execute()


def test_unique_keys(world):
    with pytest.raises(peewee.IntegrityError):
        User.create(username="t", password_hash="y", display_name="Other", role="office")
    with pytest.raises(peewee.IntegrityError):
        Customer.create(code="C1", name="Duplicate")
    part = _part("P1")
    VanStockLine.create(technician=world["tech"], part=part)
    with pytest.raises(peewee.IntegrityError):
        VanStockLine.create(technician=world["tech"], part=part)


def _part(ref: str, **kw) -> Part:
    return Part.create(reference=ref, name=ref, unit_price_cents=kw.pop("price", 100), **kw)


def test_money_and_vat_ranges(database):
    with pytest.raises(peewee.IntegrityError):
        _part("NEG", price=-1)
    with pytest.raises(peewee.IntegrityError):
        _part("VAT", vat_rate_bp=10001)
    assert _part("OK", vat_rate_bp=550).vat_rate_bp == 550


def test_company_siret_has_14_digits(database):
    with pytest.raises(peewee.IntegrityError):
        Company.create(name="Bad", siret="123")


def test_foreign_keys_are_enforced(world):
    with pytest.raises(peewee.IntegrityError):
        Site.create(
            customer="no-such-customer", name="x", address_line="x", postal_code="1", city="x"
        )


def test_schedule_and_time_entries_cannot_go_backwards(world):
    intervention = world["intervention"]
    with pytest.raises(peewee.IntegrityError):
        Intervention.update(
            scheduled_end=intervention.scheduled_start - timedelta(minutes=1)
        ).where(Intervention.id == intervention.id).execute()
    start = datetime(2026, 11, 28, 9, 0)
    with pytest.raises(peewee.IntegrityError):
        TimeEntry.create(
            intervention=intervention, technician=world["tech"], kind="work",
            started_at=start, ended_at=start - timedelta(seconds=1),
        )  # fmt: skip
    with pytest.raises(peewee.IntegrityError):
        TimeEntry.create(
            intervention=intervention, technician=world["tech"], kind="pause", started_at=start
        )


def test_procedure_steps_and_items_are_ordered_and_typed(world):
    proc = Procedure.create(code="P", name="Entretien", intervention_type=world["itype"])
    step = ProcedureStep.create(
        procedure=proc, position=1, title="Sécurité", explanation="Couper le gaz"
    )
    with pytest.raises(peewee.IntegrityError):
        ProcedureStep.create(procedure=proc, position=1, title="Doublon")
    item = ChecklistItem.create(
        step=step,
        position=1,
        label="CO ambiant",
        kind="numeric",
        unit="ppm",
        min_value=0,
        max_value=20,
    )
    assert [s.title for s in proc.steps.order_by(ProcedureStep.position)] == ["Sécurité"]
    assert item.kind == "numeric"
    with pytest.raises(peewee.IntegrityError):
        ChecklistItem.create(step=step, position=2, label="x", kind="essay")
    with pytest.raises(peewee.IntegrityError):
        ChecklistItem.create(
            step=step, position=3, label="x", kind="numeric", min_value=5, max_value=1
        )


def test_choice_items_keep_their_choices_as_json(world):
    proc = Procedure.create(code="P2", name="x", intervention_type=world["itype"])
    step = ProcedureStep.create(procedure=proc, position=1, title="x")
    ChecklistItem.create(
        step=step, position=1, label="État", kind="choice", choices=["Bon", "Usé", "HS"]
    )
    assert ChecklistItem.get(ChecklistItem.label == "État").choices == ["Bon", "Usé", "HS"]


def test_meters_are_unique_per_equipment_and_readings_non_negative(world):
    meter = Meter.create(equipment=world["equipment"], name="Heures", unit="h")
    with pytest.raises(peewee.IntegrityError):
        Meter.create(equipment=world["equipment"], name="Heures", unit="h")
    with pytest.raises(peewee.IntegrityError):
        MeterReading.create(meter=meter, value=-1, read_at=datetime(2026, 1, 1))


def test_comments_need_a_body_and_a_visibility(world):
    with pytest.raises(peewee.IntegrityError):
        Comment.create(
            intervention=world["intervention"], author=world["user"], visibility="client", body=""
        )
    with pytest.raises(peewee.IntegrityError):
        Comment.create(
            intervention=world["intervention"], author=world["user"], visibility="public", body="x"
        )


def test_contract_and_quote_periods(world):
    with pytest.raises(peewee.IntegrityError):
        Contract.create(
            customer=world["customer"], reference="K1", label="x",
            start_date=date(2026, 1, 1), end_date=date(2025, 1, 1),
        )  # fmt: skip
    with pytest.raises(peewee.IntegrityError):
        Quote.create(
            reference="D1", customer=world["customer"], site=world["site"],
            issued_on=date(2026, 1, 2), valid_until=date(2026, 1, 1),
        )  # fmt: skip
