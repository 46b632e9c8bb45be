"""Van stock: what the technician carries, what is planned, what was used, what to order.

Recording a usage takes the part from the van (stock never goes negative silently: more than
the van holds must be declared "taken from elsewhere"); returning unused parts puts them
back. A van line that falls under its minimum, or that is under it when a part is used from
elsewhere (an empty van line: the count was wrong), gets a parts-to-order line (one open line
per part and technician), which syncs to head office.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from app.errors import NotFoundError, ValidationError
from app.models import (
    Intervention,
    Part,
    PartsToOrderLine,
    PartUsage,
    PlannedPart,
    VanStockLine,
    db,
)
from app.models.enums import OrderStatus, StockSource, UsageKind
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention, parse_number


@dataclass(frozen=True)
class StockLine:
    part: Part
    quantity: float
    minimum: float

    @property
    def below_minimum(self) -> bool:
        return self.quantity < self.minimum

    @property
    def empty(self) -> bool:
        """The van holds none of it by the count. The technician did use one he had (the count
        is wrong), so a usage is recorded as taken from elsewhere: the van count stays at 0
        (it never goes negative) and, under its minimum, the part goes on the order list."""
        return self.quantity <= 0


def van_stock(who: CurrentUser, search: str = "") -> list[StockLine]:
    query = (
        VanStockLine.live()
        .select(VanStockLine, Part)
        .join(Part)
        .where(VanStockLine.technician == who.technician_id)
        .order_by(Part.name)
    )
    if search.strip():
        like = f"%{search.strip()}%"
        query = query.where(Part.name**like | Part.reference**like)
    return [StockLine(line.part, line.quantity, line.minimum) for line in query]


def planned(intervention_id: str, who: CurrentUser) -> list[tuple[Part, float]]:
    load_intervention(intervention_id, who)
    rows = PlannedPart.live().select(PlannedPart, Part).join(Part)
    return [(p.part, p.quantity) for p in rows.where(PlannedPart.intervention == intervention_id)]


def used_before(
    intervention_id: str, who: CurrentUser, limit: int = 20
) -> list[tuple[Part, float, datetime]]:
    """Parts used at this site (or on this equipment) in earlier interventions."""
    current = load_intervention(intervention_id, who)
    earlier = Intervention.select(Intervention.id).where(
        (Intervention.site == current.site_id) & (Intervention.id != current.id)
    )
    rows = (
        PartUsage.live()
        .select(
            Part,
            fn.SUM(PartUsage.quantity).alias("qty"),
            fn.MAX(PartUsage.recorded_at).alias("last"),
        )
        .join(Part)
        .where(PartUsage.intervention.in_(earlier) & (PartUsage.kind == UsageKind.USED))
        .group_by(Part.id)
        .order_by(fn.MAX(PartUsage.recorded_at).desc())
        .limit(limit)
    )
    return [(row.part, row.qty, row.last) for row in rows]


def usages(intervention_id: str, who: CurrentUser) -> list[PartUsage]:
    load_intervention(intervention_id, who)
    return list(
        PartUsage.live()
        .select(PartUsage, Part)
        .join(Part)
        .where(PartUsage.intervention == intervention_id)
        .order_by(PartUsage.recorded_at)
    )


class InsufficientStockError(ValidationError):
    hint = "Use fewer, or confirm that the missing quantity was taken from elsewhere."


def use_part(
    intervention_id: str,
    part_id: str,
    raw_quantity: object,
    who: CurrentUser,
    now: datetime,
    *,
    serial_number: str = "",
    from_elsewhere: bool = False,
) -> PartUsage:
    """Record parts used; they leave the van unless taken from elsewhere."""
    intervention = editable_intervention(intervention_id, who)
    part = _part(part_id)
    quantity = _quantity(part, raw_quantity)
    serial = (serial_number or "").strip()
    if part.has_serial and not serial:
        raise ValidationError(
            f"{part.name} is tracked by serial number: type it.", field="serial",
            key="error.stock.serial_required", part=part.name,
        )  # fmt: skip
    if part.has_serial and quantity != 1:
        raise ValidationError(
            "Record serial-numbered parts one at a time.",
            field="quantity",
            key="error.stock.serial_one",
        )
    with db.atomic():
        line = _line(who, part)
        in_van = line.quantity if line else 0.0
        if quantity > in_van and not from_elsewhere:
            raise InsufficientStockError(
                f"Only {in_van:g} {part.unit} of {part.name} in the van ({quantity:g} asked).",
                field="quantity",
                key="error.stock.insufficient",
                part=part.name, in_van=f"{in_van:g}", asked=f"{quantity:g}", unit=part.unit,
            )  # fmt: skip
        usage = PartUsage.create(
            intervention=intervention, part=part, technician=who.technician_id,
            kind=UsageKind.USED, quantity=quantity, serial_number=serial,
            source=StockSource.ELSEWHERE if from_elsewhere else StockSource.VAN, recorded_at=now,
        )  # fmt: skip
        if not from_elsewhere and line is not None:
            _move(line, -quantity, intervention)
        elif line is not None and line.quantity < line.minimum:
            _order(line, intervention)  # used while the van is short of it: order more
    return usage


def return_part(usage_id: str, raw_quantity: object, who: CurrentUser, now: datetime) -> PartUsage:
    """Give back unused parts of a usage to the van."""
    usage = PartUsage.live().where(PartUsage.id == usage_id).first()
    if usage is None or usage.kind != UsageKind.USED:
        raise NotFoundError("Usage not found.", key="error.NotFoundError")
    intervention = editable_intervention(usage.intervention_id, who)
    part = usage.part
    quantity = _quantity(part, raw_quantity)
    returned = (
        PartUsage.live()
        .select(fn.COALESCE(fn.SUM(PartUsage.quantity), 0))
        .where(
            (PartUsage.intervention == usage.intervention_id)
            & (PartUsage.part == part.id)
            & (PartUsage.kind == UsageKind.RETURNED)
            & (PartUsage.serial_number == usage.serial_number)
        )
        .scalar()
    )
    if quantity > usage.quantity - returned + 1e-9:
        raise ValidationError(
            f"At most {usage.quantity - returned:g} {part.unit} can be returned.",
            field="quantity", key="error.stock.return_too_much",
            most=f"{usage.quantity - returned:g}", unit=part.unit,
        )  # fmt: skip
    with db.atomic():
        back = PartUsage.create(
            intervention=intervention, part=part, technician=who.technician_id,
            kind=UsageKind.RETURNED, quantity=quantity, serial_number=usage.serial_number,
            source=usage.source, recorded_at=now,
        )  # fmt: skip
        if usage.source == StockSource.VAN:
            line = _line(who, part) or VanStockLine.create(
                technician=who.technician_id, part=part, quantity=0, minimum=0
            )
            _move(line, quantity, intervention)
    return back


def _part(part_id: str) -> Part:
    part = Part.live().where(Part.id == part_id).first()
    if part is None:
        raise NotFoundError("Part not found in the catalogue.", key="error.NotFoundError")
    return part


def _quantity(part: Part, raw: object) -> float:
    value = parse_number(raw, field="quantity", label=part.name)
    if value <= 0:
        raise ValidationError(
            "The quantity must be greater than zero.", field="quantity", key="error.stock.positive"
        )
    if not part.fractional and value != int(value):
        raise ValidationError(
            f"{part.name} is counted in whole units ({part.unit}).",
            field="quantity", key="error.stock.whole", part=part.name, unit=part.unit,
        )  # fmt: skip
    if value > 10_000:
        raise ValidationError(
            f"{value:g} {part.unit} is not plausible.", field="quantity", key="error.stock.absurd"
        )
    return round(value, 3)


def _line(who: CurrentUser, part: Part) -> VanStockLine | None:
    return (
        VanStockLine.live()
        .where((VanStockLine.technician == who.technician_id) & (VanStockLine.part == part.id))
        .first()
    )


def _move(line: VanStockLine, delta: float, intervention: Intervention) -> None:
    line.quantity = round(max(0.0, line.quantity + delta), 3)
    line.save()
    if line.quantity < line.minimum:
        _order(line, intervention)


def _order(line: VanStockLine, intervention: Intervention) -> None:
    """One open parts-to-order line per part and technician, for what is missing to reach
    the minimum again."""
    missing = round(line.minimum - line.quantity, 3)
    open_line = (
        PartsToOrderLine.live()
        .where(
            (PartsToOrderLine.technician == line.technician_id)
            & (PartsToOrderLine.part == line.part_id)
            & (PartsToOrderLine.status == OrderStatus.NEW)
        )
        .first()
    )
    if open_line is None:
        PartsToOrderLine.create(
            part=line.part_id, technician=line.technician_id, intervention=intervention,
            quantity=missing, reason="Van stock under its minimum",
        )  # fmt: skip
    elif open_line.quantity < missing:
        open_line.quantity = missing
        open_line.save()
