"""The guided procedure: typed answers, tolerances, and what blocks "work done"."""

from __future__ import annotations

import pytest
from field_support import NOW, a_job, as_user

from app.errors import ValidationError
from app.models import ChecklistAnswer, ChecklistItem, Measurement, ProcedureStep
from app.models.enums import InterventionStatus as S
from app.services import checklist_service


def _item(job, kind, **where):
    query = (
        ChecklistItem.select()
        .join(ProcedureStep)
        .where((ProcedureStep.procedure == job.procedure_id) & (ChecklistItem.kind == kind))
    )
    for name, value in where.items():
        query = query.where(getattr(ChecklistItem, name) == value)
    return query.first()


@pytest.fixture
def job(demo_db):
    tech = as_user("tech1")
    job = a_job(tech, S.IN_PROGRESS)
    ChecklistAnswer.delete().where(ChecklistAnswer.intervention == job.id).execute()
    Measurement.delete().where(Measurement.intervention == job.id).execute()
    return job


def test_steps_come_in_order_with_their_explanations(job):
    steps = checklist_service.checklist(job.id, as_user("tech1")).steps
    assert [s.step.position for s in steps] == sorted(s.step.position for s in steps)
    assert all(s.step.explanation.strip() for s in steps)
    assert checklist_service.checklist(job.id, as_user("tech1")).answered == 0


def test_a_value_out_of_tolerance_is_flagged_kept_as_measurement_and_needs_a_comment(job):
    tech = as_user("tech1")
    item = ChecklistItem.select().join(ProcedureStep).where(
        (ProcedureStep.procedure == job.procedure_id)
        & (ChecklistItem.kind == "numeric") & ChecklistItem.max_value.is_null(False)
    ).first()  # fmt: skip
    too_high = item.max_value + 1
    answer = checklist_service.answer(job.id, item.id, str(too_high).replace(".", ","), tech, NOW)
    assert answer.value_number == too_high and answer.out_of_tolerance
    measurement = Measurement.get(Measurement.intervention == job.id, Measurement.item == item.id)
    assert measurement.out_of_tolerance and measurement.value == too_high
    missing = checklist_service.checklist(job.id, tech).missing()
    assert any(item.label in m and "comment" in m for m in missing)
    checklist_service.comment_answer(job.id, item.id, "Vase d'expansion à regonfler", tech)
    assert not any(item.label in m for m in checklist_service.checklist(job.id, tech).missing())
    assert Measurement.get_by_id(measurement.id).comment == "Vase d'expansion à regonfler"


def test_a_value_within_tolerance_is_not_flagged(job):
    tech = as_user("tech1")
    item = ChecklistItem.select().join(ProcedureStep).where(
        (ProcedureStep.procedure == job.procedure_id)
        & (ChecklistItem.kind == "numeric") & ChecklistItem.max_value.is_null(False)
    ).first()  # fmt: skip
    inside = item.max_value if item.min_value is None else (item.min_value + item.max_value) / 2
    assert not checklist_service.answer(job.id, item.id, inside, tech, NOW).out_of_tolerance


@pytest.mark.parametrize("raw", ["abc", "12..5", "nan", "inf", True, "1e300"])
def test_non_numeric_values_are_refused_and_nothing_is_saved(job, raw):
    tech = as_user("tech1")
    item = _item(job, "numeric")
    with pytest.raises(ValidationError) as info:
        checklist_service.answer(job.id, item.id, raw, tech, NOW)
    assert item.label in str(info.value)
    assert not ChecklistAnswer.select().where(ChecklistAnswer.intervention == job.id).exists()
    assert not Measurement.select().where(Measurement.intervention == job.id).exists()


def test_absurd_values_are_refused(job):
    item = ChecklistItem.select().join(ProcedureStep).where(
        (ProcedureStep.procedure == job.procedure_id)
        & (ChecklistItem.kind == "numeric") & ChecklistItem.max_value.is_null(False)
    ).first()  # fmt: skip
    with pytest.raises(ValidationError, match="plausible"):
        checklist_service.answer(
            job.id, item.id, item.max_value * 10_000 + 10_000, as_user("tech1"), NOW
        )


def test_yes_no_na_and_choice_accept_only_their_values(job):
    tech = as_user("tech1")
    yes_no = _item(job, "yes_no_na")
    assert checklist_service.answer(job.id, yes_no.id, "na", tech, NOW).value_text == "na"
    with pytest.raises(ValidationError):
        checklist_service.answer(job.id, yes_no.id, "maybe", tech, NOW)
    choice = ChecklistItem.select().where(ChecklistItem.kind == "choice").first()
    job.procedure = choice.step.procedure_id  # a job following the procedure with a choice
    job.save()
    with pytest.raises(ValidationError):
        checklist_service.answer(job.id, choice.id, "not a choice", tech, NOW)
    picked = choice.choices[-1]
    assert checklist_service.answer(job.id, choice.id, picked, tech, NOW).value_text == picked


def test_answers_are_refused_once_signed(job):
    tech = as_user("tech1")
    item = _item(job, "check")
    job.status = S.SIGNED
    job.save()
    with pytest.raises(ValidationError, match="can no longer change"):
        checklist_service.answer(job.id, item.id, True, tech, NOW)


def test_an_item_of_another_procedure_is_refused(job):
    foreign = ChecklistItem.select().join(ProcedureStep).where(
        ProcedureStep.procedure != job.procedure_id
    ).first()  # fmt: skip
    with pytest.raises(Exception, match="not part of"):
        checklist_service.answer(job.id, foreign.id, True, as_user("tech1"), NOW)
