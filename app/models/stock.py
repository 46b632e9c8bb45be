"""Van stock, planned parts, part usage and parts to order."""

from peewee import CharField, Check, DateTimeField, FloatField, ForeignKeyField, TextField

from app.models.base import SyncedModel, choice_check
from app.models.catalog import Part
from app.models.enums import OrderStatus, StockSource, UsageKind
from app.models.interventions import Intervention
from app.models.org import Technician


class VanStockLine(SyncedModel):
    technician = ForeignKeyField(Technician, backref="stock_lines", index=False)
    part = ForeignKeyField(Part, backref="stock_lines")
    quantity = FloatField(default=0, constraints=[Check("quantity >= 0")])
    minimum = FloatField(default=0, constraints=[Check("minimum >= 0")])

    class Meta:
        indexes = ((("technician", "part"), True),)


class PlannedPart(SyncedModel):
    """A part reserved when the intervention was created."""

    intervention = ForeignKeyField(Intervention, backref="planned_parts")
    part = ForeignKeyField(Part)
    quantity = FloatField(constraints=[Check("quantity > 0")])


class PartUsage(SyncedModel):
    """A part used (or returned) during an intervention; it moves the van stock."""

    intervention = ForeignKeyField(Intervention, backref="part_usages")
    part = ForeignKeyField(Part, backref="usages")
    technician = ForeignKeyField(Technician)
    kind = CharField(default=UsageKind.USED, constraints=[Check(choice_check("kind", UsageKind))])
    quantity = FloatField(constraints=[Check("quantity > 0")])
    serial_number = CharField(default="")
    source = CharField(
        default=StockSource.VAN, constraints=[Check(choice_check("source", StockSource))]
    )
    recorded_at = DateTimeField()


class PartsToOrderLine(SyncedModel):
    part = ForeignKeyField(Part)
    technician = ForeignKeyField(Technician, null=True, backref="parts_to_order")
    intervention = ForeignKeyField(Intervention, null=True, backref="parts_to_order")
    quantity = FloatField(constraints=[Check("quantity > 0")])
    reason = TextField(default="")
    status = CharField(
        default=OrderStatus.NEW, constraints=[Check(choice_check("status", OrderStatus))]
    )
