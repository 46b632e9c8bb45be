"""Meter readings: one counter of an equipment; a reading below the last one is confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.errors import NotFoundError, ValidationError
from app.models import Measurement, Meter, MeterReading
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention, parse_number


class MeterRollbackError(ValidationError):
    """A reading lower than the previous one: was the counter replaced?"""

    hint = "Check the value; if the counter was replaced, confirm it."


@dataclass(frozen=True)
class MeterState:
    """One meter of the intervention's equipment: the reading before this visit, and this
    visit's reading (if already taken)."""

    meter: Meter
    previous: MeterReading | None
    current: MeterReading | None


def meters_of(intervention_id: str, who: CurrentUser) -> list[MeterState]:
    intervention = load_intervention(intervention_id, who)
    if not intervention.equipment_id:
        return []
    out = []
    for meter in (
        Meter.live().where(Meter.equipment == intervention.equipment_id).order_by(Meter.name)
    ):
        readings = MeterReading.live().where(MeterReading.meter == meter.id)
        current = readings.where(MeterReading.intervention == intervention_id).first()
        earlier = readings.where(MeterReading.id != (current.id if current else ""))
        if current is not None:  # the reading before this one (a past visit has later ones)
            earlier = earlier.where(MeterReading.read_at < current.read_at)
        previous = earlier.order_by(MeterReading.read_at.desc()).first()
        out.append(MeterState(meter, previous, current))
    return out


def measurements_of(intervention_id: str, who: CurrentUser) -> list[Measurement]:
    """The measurements recorded during this intervention, in the order they were taken."""
    load_intervention(intervention_id, who)
    return list(
        Measurement.live()
        .where(Measurement.intervention == intervention_id)
        .order_by(Measurement.measured_at, Measurement.label)
    )


def last_reading(meter_id: str) -> MeterReading | None:
    return (
        MeterReading.live()
        .where(MeterReading.meter == meter_id)
        .order_by(MeterReading.read_at.desc())
        .first()
    )


def record(
    intervention_id: str,
    meter_id: str,
    raw_value: object,
    who: CurrentUser,
    now: datetime,
    *,
    counter_replaced: bool = False,
    note: str = "",
) -> MeterReading:
    """Record a reading during an intervention; one per meter and intervention (re-entering
    replaces it). Lower than the previous reading: refused unless ``counter_replaced``."""
    intervention = editable_intervention(intervention_id, who)
    meter = Meter.live().where(Meter.id == meter_id).first()
    if meter is None or meter.equipment_id != intervention.equipment_id:
        raise NotFoundError("This meter does not belong to the intervention's equipment.")
    value = parse_number(raw_value, field="meter", label=meter.name)
    if value < 0:
        raise ValidationError(
            f"{meter.name}: a counter cannot be negative.", field="meter",
            key="error.meter.negative", label=meter.name,
        )  # fmt: skip
    mine = (
        MeterReading.live()
        .where((MeterReading.meter == meter_id) & (MeterReading.intervention == intervention_id))
        .first()
    )
    previous = (
        MeterReading.live()
        .where((MeterReading.meter == meter_id) & (MeterReading.id != (mine.id if mine else "")))
        .order_by(MeterReading.read_at.desc())
        .first()
    )
    if previous is not None and value < previous.value and not counter_replaced:
        raise MeterRollbackError(
            f"{meter.name}: {value:g} {meter.unit} is lower than the last reading "
            f"({previous.value:g} {meter.unit} on {previous.read_at:%d/%m/%Y}).",
            field="meter",
            key="error.meter.lower",
            label=meter.name, value=f"{value:g}", last=f"{previous.value:g}", unit=meter.unit,
        )  # fmt: skip
    reading = mine or MeterReading(meter=meter, intervention=intervention)
    reading.value = value
    reading.read_at = now
    reading.counter_replaced = bool(counter_replaced and previous and value < previous.value)
    reading.note = note
    reading.save(force_insert=mine is None)
    return reading
