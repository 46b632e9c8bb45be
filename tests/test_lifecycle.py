"""The intervention lifecycle: allowed transitions, who makes them, and their effects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import DEMO_TODAY
from field_support import NOW, a_job, as_user

from app.errors import PermissionDeniedError, TransitionError
from app.models import ChecklistAnswer, Intervention, TimeEntry
from app.models.enums import InterventionStatus as S
from app.services import checklist_service, lifecycle_service, time_service
from app.services.lifecycle_service import IncompleteWorkError


def _answer_everything(job, who):
    for step in checklist_service.checklist(job.id, who).steps:
        for state in step.items:
            item = state.item
            if not item.required:
                continue
            value = {
                "check": True, "yes_no_na": "yes", "text": "RAS", "photo": "photo-id",
                "choice": (item.choices or ["x"])[0],
                "numeric": item.min_value if item.min_value is not None else item.max_value or 1,
            }.get(item.kind)  # fmt: skip
            if item.kind == "meter":
                value = 10**7  # above any demo reading
            checklist_service.answer(job.id, item.id, value, who, NOW)


def test_next_actions_depend_on_status_and_role(demo_db):
    tech, office = as_user("tech1"), as_user("office")
    job = a_job(tech, S.ASSIGNED)
    assert lifecycle_service.next_actions(job, tech) == [S.EN_ROUTE, S.IN_PROGRESS]
    assert lifecycle_service.next_actions(job, office) == [S.CANCELLED]
    job.status = S.WORK_DONE
    assert lifecycle_service.next_actions(job, tech) == [S.IN_PROGRESS]  # signing is elsewhere


def test_a_full_day_on_the_field_moves_timers_and_timestamps(demo_db):
    tech = as_user("tech1")
    job = a_job(tech)
    lifecycle_service.transition(job.id, S.EN_ROUTE, tech, NOW)
    assert time_service.running_entry(tech).kind == "travel"
    lifecycle_service.transition(job.id, S.IN_PROGRESS, tech, NOW + timedelta(minutes=25))
    running = time_service.running_entry(tech)
    assert running.kind == "work"
    assert Intervention.get_by_id(job.id).started_at == NOW + timedelta(minutes=25)
    _answer_everything(job, tech)
    done_at = NOW + timedelta(minutes=95)
    lifecycle_service.transition(job.id, S.WORK_DONE, tech, done_at)
    assert Intervention.get_by_id(job.id).status == S.WORK_DONE
    assert Intervention.get_by_id(job.id).finished_at == done_at
    assert time_service.running_entry(tech) is None
    totals = time_service.totals(job.id, tech, done_at)
    assert (totals.travel_minutes, totals.work_minutes) == (25, 70)


def test_work_done_is_refused_with_the_list_of_what_is_missing(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == job.id).execute()
    with pytest.raises(IncompleteWorkError) as info:
        lifecycle_service.transition(job.id, S.WORK_DONE, tech, NOW)
    required = [
        i.item.label
        for s in checklist_service.checklist(job.id, tech).steps
        for i in s.items
        if i.item.required
    ]
    assert len(info.value.missing) == len(required) > 0
    assert all(any(label in m for m in info.value.missing) for label in required)
    assert Intervention.get_by_id(job.id).status == S.IN_PROGRESS


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.ASSIGNED, S.WORK_DONE), (S.PLANNED, S.IN_PROGRESS), (S.SUBMITTED, S.DELIVERED),
     (S.WORK_DONE, S.SIGNED), (S.CANCELLED, S.IN_PROGRESS)],
)  # fmt: skip
def test_out_of_order_transitions_are_refused_and_change_nothing(demo_db, start, target):
    tech = as_user("tech1")
    job = a_job(tech, start)
    with pytest.raises(TransitionError):
        lifecycle_service.transition(job.id, target, tech, NOW)
    assert Intervention.get_by_id(job.id).status == start
    assert (
        TimeEntry.select()
        .where(TimeEntry.intervention == job.id, TimeEntry.ended_at.is_null())
        .count()
        == 0
    )


def test_office_only_transitions(demo_db):
    tech, office = as_user("tech1"), as_user("office")
    job = a_job(tech, S.SUBMITTED)
    with pytest.raises(TransitionError):
        lifecycle_service.transition(job.id, S.VALIDATED, tech, NOW)
    lifecycle_service.transition(job.id, S.VALIDATED, office, NOW)
    lifecycle_service.transition(job.id, S.DELIVERED, office, NOW)
    assert Intervention.get_by_id(job.id).status == S.DELIVERED


def test_a_technician_cannot_touch_another_technicians_job(demo_db):
    job = a_job(as_user("tech1"))
    with pytest.raises(PermissionDeniedError):
        lifecycle_service.transition(job.id, S.EN_ROUTE, as_user("tech2"), NOW)


def test_my_day_search_and_status_filter(demo_db):
    from app.services import day_service

    tech = as_user("tech1")
    full = day_service.my_day(tech.technician_id, DEMO_TODAY)
    first = (full.today + full.upcoming)[0]
    word = first.customer_name.split()[-1]
    found = day_service.my_day(tech.technician_id, DEMO_TODAY, search=word.lower())
    items = found.today + found.upcoming
    assert first.id in [i.id for i in items]
    assert all(
        word.lower() in (i.customer_name + i.site_name + i.address + i.reference).lower()
        for i in items
    )
    only = day_service.my_day(tech.technician_id, DEMO_TODAY, statuses=(first.status,))
    assert {i.status for i in only.today + only.upcoming} == {first.status}


def test_work_texts_are_saved_until_signature(demo_db):
    from app.errors import ValidationError
    from app.services import work_service

    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    work_service.update_work(
        job.id, tech, diagnosis=" Électrode encrassée ", operations="Nettoyage"
    )
    saved = Intervention.get_by_id(job.id)
    assert (saved.diagnosis, saved.operations) == ("Électrode encrassée", "Nettoyage")
    with pytest.raises(ValidationError):
        work_service.update_work(job.id, tech, price="0")
    saved.status = S.SIGNED
    saved.save()
    with pytest.raises(ValidationError, match="can no longer change"):
        work_service.update_work(job.id, tech, diagnosis="après coup")
