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


def test_the_customer_record_shows_last_visit_planned_visits_parts_and_notes(demo_db):
    from datetime import datetime, timedelta

    from app import clock
    from app.models import Customer, Part, PartsToOrderLine

    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    visited = (
        Intervention.select()
        .where(
            (Intervention.customer == job.customer_id)
            & Intervention.status.in_([S.SUBMITTED, S.VALIDATED, S.DELIVERED])
        )
        .order_by(Intervention.scheduled_start.desc())
    )
    with clock.frozen(datetime(2026, 3, 11, 9, 0)):  # the demo's day
        before = history_service.customer_record(job.id, tech)
        if visited.exists():
            assert before.last_visit is not None and before.last_reference
        # what head office makes of a follow-up: a planned visit, a part to order, a note
        start = datetime(2026, 4, 2, 8, 0)
        Intervention.create(
            reference="FOLLOW-S1", customer=job.customer_id, site=job.site_id,
            intervention_type=job.intervention_type_id, status=S.PLANNED,
            scheduled_start=start, scheduled_end=start + timedelta(hours=1),
            problem_reported="Remplacer le circulateur",
        )  # fmt: skip
        part = Part.select().first()
        PartsToOrderLine.create(
            part=part, technician=tech.technician_id, intervention=job.id, quantity=2
        )
        Customer.update(notes="• Devis à établir — adoucisseur").where(
            Customer.id == job.customer_id
        ).execute()
        record = history_service.customer_record(job.id, tech)
    assert "FOLLOW-S1" in [p.reference for p in record.planned]
    planned = next(p for p in record.planned if p.reference == "FOLLOW-S1")
    assert planned.status == S.PLANNED and planned.problem == "Remplacer le circulateur"
    assert (part.name, 2, part.unit, "new") in record.parts_to_order
    assert record.notes == "• Devis à établir — adoucisseur"
