"""Catalogues shared by everyone: intervention types, procedures and parts."""

from peewee import (
    BooleanField,
    CharField,
    Check,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.models.base import JSONField, SyncedModel, choice_check
from app.models.enums import ItemKind


class InterventionType(SyncedModel):
    code = CharField(unique=True)
    label = CharField()
    default_duration_min = IntegerField(default=60, constraints=[Check("default_duration_min > 0")])
    preventive = BooleanField(default=False)


class Procedure(SyncedModel):
    """A *gamme opératoire*: ordered steps for a kind of job."""

    code = CharField(unique=True)
    name = CharField()
    intervention_type = ForeignKeyField(InterventionType, backref="procedures")
    equipment_type = CharField(default="")
    version = IntegerField(default=1)
    description = TextField(default="")


class ProcedureStep(SyncedModel):
    procedure = ForeignKeyField(Procedure, backref="steps", index=False)  # (procedure, position)
    position = IntegerField(constraints=[Check("position >= 1")])
    title = CharField()
    explanation = TextField(default="")

    class Meta:
        indexes = ((("procedure", "position"), True),)


class ChecklistItem(SyncedModel):
    step = ForeignKeyField(ProcedureStep, backref="items", index=False)  # (step, position)
    position = IntegerField(constraints=[Check("position >= 1")])
    label = CharField()
    explanation = TextField(default="")
    kind = CharField(constraints=[Check(choice_check("kind", ItemKind))])
    required = BooleanField(default=True)
    unit = CharField(default="")
    min_value = FloatField(null=True)
    max_value = FloatField(null=True)
    choices = JSONField(null=True)  # list of labels, for kind == choice
    meter_name = CharField(default="")  # for kind == meter: which equipment meter

    class Meta:
        indexes = ((("step", "position"), True),)
        constraints = [Check("min_value IS NULL OR max_value IS NULL OR min_value <= max_value")]


class Part(SyncedModel):
    reference = CharField(unique=True)
    name = CharField(index=True)
    category = CharField(default="")
    unit = CharField(default="u")  # u (piece), m, l, kg
    fractional = BooleanField(default=False)  # may quantities be fractional (m, l, kg)?
    has_serial = BooleanField(default=False)
    unit_price_cents = IntegerField(constraints=[Check("unit_price_cents >= 0")])
    vat_rate_bp = IntegerField(default=2000, constraints=[Check("vat_rate_bp BETWEEN 0 AND 10000")])
