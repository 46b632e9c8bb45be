"""Interventions (work orders) and what is recorded during them."""

from peewee import (
    BooleanField,
    CharField,
    Check,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.models.base import SyncedModel, choice_check
from app.models.catalog import ChecklistItem, InterventionType, Procedure
from app.models.customers import Contract, Customer, Equipment, Meter, Site
from app.models.enums import InterventionStatus, Priority, TimeKind
from app.models.org import Technician, User


class Intervention(SyncedModel):
    reference = CharField(unique=True)
    customer = ForeignKeyField(Customer, backref="interventions")
    site = ForeignKeyField(Site, backref="interventions", index=False)  # (site, start)
    equipment = ForeignKeyField(Equipment, null=True, backref="interventions", index=False)
    intervention_type = ForeignKeyField(InterventionType, backref="interventions")
    procedure = ForeignKeyField(Procedure, null=True, backref="interventions")
    contract = ForeignKeyField(Contract, null=True, backref="interventions")
    technician = ForeignKeyField(Technician, null=True, backref="interventions", index=False)
    status = CharField(
        default=InterventionStatus.PLANNED,
        constraints=[Check(choice_check("status", InterventionStatus))],
    )
    priority = CharField(
        default=Priority.NORMAL, constraints=[Check(choice_check("priority", Priority))]
    )
    scheduled_start = DateTimeField()
    scheduled_end = DateTimeField()
    requested_by = CharField(default="")
    problem_reported = TextField(default="")
    diagnosis = TextField(default="")
    operations = TextField(default="")
    summary = TextField(default="")
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("technician", "scheduled_start"), False),
            (("site", "scheduled_start"), False),
            (("equipment", "scheduled_start"), False),
        )
        constraints = [Check("scheduled_end >= scheduled_start")]


class ChecklistAnswer(SyncedModel):
    intervention = ForeignKeyField(Intervention, backref="answers", index=False)
    item = ForeignKeyField(ChecklistItem, backref="answers")
    value_text = TextField(null=True)  # check: "done"; yes_no_na: yes/no/na; text; choice
    value_number = FloatField(null=True)  # numeric and meter items
    out_of_tolerance = BooleanField(default=False)
    comment = TextField(default="")
    answered_by = ForeignKeyField(User, null=True)
    answered_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("intervention", "item"), True),)


class Measurement(SyncedModel):
    """A numeric value with unit and tolerance, from a checklist item or free."""

    intervention = ForeignKeyField(Intervention, backref="measurements")
    equipment = ForeignKeyField(Equipment, null=True, backref="measurements")
    item = ForeignKeyField(ChecklistItem, null=True)
    label = CharField()
    value = FloatField()
    unit = CharField(default="")
    min_value = FloatField(null=True)
    max_value = FloatField(null=True)
    out_of_tolerance = BooleanField(default=False)
    comment = TextField(default="")
    measured_at = DateTimeField()


class MeterReading(SyncedModel):
    meter = ForeignKeyField(Meter, backref="readings", index=False)  # (meter, read_at)
    intervention = ForeignKeyField(Intervention, null=True, backref="meter_readings")
    value = FloatField(constraints=[Check("value >= 0")])
    read_at = DateTimeField()
    counter_replaced = BooleanField(default=False)
    note = TextField(default="")

    class Meta:
        indexes = ((("meter", "read_at"), False),)


class TimeEntry(SyncedModel):
    intervention = ForeignKeyField(Intervention, backref="time_entries")
    technician = ForeignKeyField(Technician, backref="time_entries")
    kind = CharField(constraints=[Check(choice_check("kind", TimeKind))])
    started_at = DateTimeField()
    ended_at = DateTimeField(null=True)  # null while the timer runs
    corrected_minutes = IntegerField(null=True, constraints=[Check("corrected_minutes >= 0")])
    correction_reason = TextField(default="")

    class Meta:
        constraints = [Check("ended_at IS NULL OR ended_at >= started_at")]
