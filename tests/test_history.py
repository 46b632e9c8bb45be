"""History of the site and the equipment, and measurement trends."""

from __future__ import annotations

from field_support import a_job, as_user

from app.models import Intervention, Measurement, PartUsage
from app.models.enums import InterventionStatus as S
from app.services import history_service


def test_site_history_lists_earlier_visits_newest_first_with_parts(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    visits = history_service.site_history(job.id, tech)
    expected = (
        Intervention.select()
        .where(
            (Intervention.site == job.site_id)
            & (Intervention.scheduled_start < job.scheduled_start)
            & (Intervention.status != S.CANCELLED)
        )
        .count()
    )
    assert len(visits) == min(expected, 50) > 0
    assert [v.date for v in visits] == sorted((v.date for v in visits), reverse=True)
    assert all(v.id != job.id and v.date < job.scheduled_start for v in visits)
    with_parts = [v for v in visits if v.parts]
    for visit in with_parts:
        used = PartUsage.select().where(
            PartUsage.intervention == visit.id, PartUsage.kind == "used"
        )
        assert len(visit.parts) == used.count()


def test_equipment_history_and_measurement_trend(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    measured = Measurement.select().where(Measurement.equipment.is_null(False)).first()
    job.equipment = measured.equipment_id
    job.save()
    visits = history_service.equipment_history(job.id, tech)
    assert all(Intervention.get_by_id(v.id).equipment_id == measured.equipment_id for v in visits)
    labels = history_service.measured_labels(job.id, tech)
    assert measured.label in labels
    points = history_service.trend(job.id, measured.label, tech)
    assert points and [p.date for p in points] == sorted(p.date for p in points)
    expected = Measurement.select().where(
        Measurement.equipment == measured.equipment_id, Measurement.label == measured.label
    )
    assert len(points) == min(expected.count(), 30)
