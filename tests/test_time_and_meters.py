"""Time spent (timers, totals, corrections) and meter readings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from field_support import NOW, a_job, as_user

from app.errors import ValidationError
from app.models import Meter, MeterReading, TimeEntry, db
from app.models.database import open_sqlite
from app.models.enums import InterventionStatus as S
from app.models.enums import TimeKind
from app.services import meter_service, time_service
from app.services.meter_service import MeterRollbackError


def test_one_timer_at_a_time_and_pause_resume(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    time_service.start(job.id, TimeKind.WORK, tech, NOW)
    time_service.stop_running(tech, NOW + timedelta(minutes=30))  # pause
    time_service.start(job.id, TimeKind.WORK, tech, NOW + timedelta(minutes=40))  # resume
    time_service.start(job.id, TimeKind.TRAVEL, tech, NOW + timedelta(minutes=50))  # switches
    running = TimeEntry.select().where(
        TimeEntry.technician == tech.technician_id, TimeEntry.ended_at.is_null()
    )
    assert [e.kind for e in running] == ["travel"]
    totals = time_service.totals(job.id, tech, NOW + timedelta(minutes=65))
    assert (totals.work_minutes, totals.travel_minutes, totals.running) == (40, 15, TimeKind.TRAVEL)


def test_a_running_timer_survives_an_app_restart(demo_db, tmp_path):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    time_service.start(job.id, TimeKind.WORK, tech, NOW)
    path = demo_db.database
    demo_db.close()
    reopened = open_sqlite(path)  # the app starts again
    try:
        entry = time_service.running_entry(tech)
        assert entry is not None and entry.intervention_id == job.id and entry.started_at == NOW
        assert time_service.totals(job.id, tech, NOW + timedelta(hours=1)).work_minutes == 60
    finally:
        reopened.close()
        db.initialize(demo_db)


def test_manual_correction_needs_a_reason_and_overrides_the_duration(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    entry = time_service.start(job.id, TimeKind.WORK, tech, NOW)
    time_service.stop_running(tech, NOW + timedelta(minutes=200))
    with pytest.raises(ValidationError, match="reason"):
        time_service.correct(entry.id, 90, "  ", tech)
    with pytest.raises(ValidationError, match="minutes"):
        time_service.correct(entry.id, "deux heures", "oubli", tech)
    assert TimeEntry.get_by_id(entry.id).corrected_minutes is None
    time_service.correct(entry.id, 90, "Timer oublié pendant la pause", tech)
    assert time_service.totals(job.id, tech, NOW).work_minutes == 90
    assert TimeEntry.get_by_id(entry.id).correction_reason == "Timer oublié pendant la pause"


def _meter(job):
    """A meter with past readings; the job is pointed at its equipment."""
    meter = Meter.select().join(MeterReading).group_by(Meter.id).first()
    job.equipment = meter.equipment_id
    job.save()
    return meter, meter_service.last_reading(meter.id).value


def test_a_reading_lower_than_the_last_asks_for_confirmation(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    meter, last = _meter(job)
    before = MeterReading.select().where(MeterReading.meter == meter.id).count()
    with pytest.raises(MeterRollbackError, match="lower than the last reading"):
        meter_service.record(job.id, meter.id, last - 1, tech, NOW)
    assert MeterReading.select().where(MeterReading.meter == meter.id).count() == before
    reading = meter_service.record(job.id, meter.id, 3, tech, NOW, counter_replaced=True)
    assert reading.counter_replaced and reading.value == 3
    again = meter_service.record(job.id, meter.id, last + 10, tech, NOW)  # re-entered: replaced
    assert again.id == reading.id and not again.counter_replaced
    assert MeterReading.select().where(MeterReading.meter == meter.id).count() == before + 1


@pytest.mark.parametrize("raw", ["-5", "douze", ""])
def test_bad_meter_values_are_refused(demo_db, raw):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    meter, _ = _meter(job)
    with pytest.raises(ValidationError):
        meter_service.record(job.id, meter.id, raw, tech, NOW)
