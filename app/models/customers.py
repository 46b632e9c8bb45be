"""Customers, their sites, contacts, installed equipment and contracts."""

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.models.base import SyncedModel, choice_check
from app.models.catalog import InterventionType
from app.models.enums import CustomerKind


class Customer(SyncedModel):
    code = CharField(unique=True)
    name = CharField(index=True)
    kind = CharField(
        default=CustomerKind.COMPANY, constraints=[Check(choice_check("kind", CustomerKind))]
    )
    siret = CharField(default="")
    vat_number = CharField(default="")
    email = CharField(default="")
    phone = CharField(default="")
    billing_address = TextField(default="")
    notes = TextField(default="")


class Site(SyncedModel):
    customer = ForeignKeyField(Customer, backref="sites")
    name = CharField()
    address_line = CharField()
    postal_code = CharField()
    city = CharField()
    country = CharField(default="FR")
    latitude = FloatField(null=True, constraints=[Check("latitude BETWEEN -90 AND 90")])
    longitude = FloatField(null=True, constraints=[Check("longitude BETWEEN -180 AND 180")])
    access_notes = TextField(default="")


class Contact(SyncedModel):
    customer = ForeignKeyField(Customer, backref="contacts")
    site = ForeignKeyField(Site, null=True, backref="contacts")
    first_name = CharField(default="")
    last_name = CharField()
    job_title = CharField(default="")
    phone = CharField(default="")
    email = CharField(default="")


class Equipment(SyncedModel):
    site = ForeignKeyField(Site, backref="equipment")
    equipment_type = CharField(index=True)  # boiler, heat_pump, air_handling_unit, ...
    brand = CharField(default="")
    model = CharField(default="")
    serial_number = CharField(default="", index=True)
    install_date = DateField(null=True)
    power_kw = FloatField(null=True, constraints=[Check("power_kw IS NULL OR power_kw >= 0")])
    location = CharField(default="")  # where on the site: "chaufferie", "toiture", ...
    notes = TextField(default="")


class Meter(SyncedModel):
    """A counter on an equipment (running hours, cycles, kWh)."""

    equipment = ForeignKeyField(Equipment, backref="meters", index=False)  # (equipment, name)
    name = CharField()
    unit = CharField()

    class Meta:
        indexes = ((("equipment", "name"), True),)


class Contract(SyncedModel):
    customer = ForeignKeyField(Customer, backref="contracts")
    reference = CharField(unique=True)
    label = CharField()
    start_date = DateField()
    end_date = DateField(null=True)
    covers_labour = BooleanField(default=True)
    covers_parts = BooleanField(default=False)
    covers_travel = BooleanField(default=True)
    preventive_visits_per_year = IntegerField(
        default=1, constraints=[Check("preventive_visits_per_year >= 0")]
    )
    notes = TextField(default="")

    class Meta:
        constraints = [Check("end_date IS NULL OR end_date >= start_date")]


class ContractEquipment(SyncedModel):
    contract = ForeignKeyField(Contract, backref="equipment_links", index=False)
    equipment = ForeignKeyField(Equipment, backref="contract_links")

    class Meta:
        indexes = ((("contract", "equipment"), True),)


class ContractInterventionType(SyncedModel):
    contract = ForeignKeyField(Contract, backref="type_links", index=False)
    intervention_type = ForeignKeyField(InterventionType, backref="contract_links")

    class Meta:
        indexes = ((("contract", "intervention_type"), True),)
