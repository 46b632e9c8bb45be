"""The office's validation of slips on its device (app/services/validation_service.py) and the
shared rules head office applies again (app/domain/corrections.py), on the demo database."""

from __future__ import annotations

import pytest

from app.domain.corrections import correction_refusal, office_version_refusal
from app.errors import NotFoundError, PermissionDeniedError, TransitionError, ValidationError
from app.models import Intervention, ReportVersion, Signature, Technician, User
from app.models.enums import DocumentStatus, InterventionStatus, Role
from app.reports.canonical import content_sha256
from app.services import validation_service as validation
from app.services.auth_service import CurrentUser

S = InterventionStatus


def user(username: str) -> CurrentUser:
    row = User.get(User.username == username)
    tech = Technician.get_or_none(Technician.user == row.id)
    return CurrentUser(row.id, row.username, row.display_name, Role(row.role), tech and tech.id)


@pytest.fixture
def office(demo_db) -> CurrentUser:
    return user("office")


def first_slip(office, signed=True) -> validation.QueueItem:
    return next(item for item in validation.queue(office) if item.signed == signed)


def test_the_queue_lists_the_submitted_slips_signed_or_not(office):
    items = validation.queue(office)
    submitted = Intervention.live().where(Intervention.status == S.SUBMITTED).count()
    assert len(items) == submitted == validation.queue_count(office) > 0
    assert {i.signed for i in items} == {True, False}  # the demo has an unsigned slip
    signed = {s.intervention_id for s in Signature.select() if s.outcome == "signed"}
    recorded = {s.intervention_id for s in Signature.select() if s.outcome != "signed"}
    assert any(i.intervention_id in recorded for i in items)  # unsigned, with its reason
    for item in items:
        assert item.signed == (item.intervention_id in signed)
        assert item.customer and item.technician and item.age_days >= 0
    ages = [(i.submitted_at or i.age_days) for i in items]
    assert ages, "sorted oldest first"


def test_a_technician_has_no_queue_and_cannot_correct_or_validate(office):
    item = first_slip(office)
    tech = user("tech1")
    with pytest.raises(PermissionDeniedError):
        validation.queue(tech)
    with pytest.raises(PermissionDeniedError):
        validation.correct(item.intervention_id, "work:diagnosis", "x", "because", tech)
    with pytest.raises(PermissionDeniedError):
        validation.validate(item.intervention_id, tech)


def test_the_slip_shows_the_signed_content_and_its_evidence(office):
    item = first_slip(office)
    slip = validation.slip(item.intervention_id, office)
    assert slip.signed_version.version == 1 and slip.current.id == slip.signed_version.id
    assert slip.content["reference"] == item.reference
    assert slip.evidence.signer_name and slip.evidence.device_id
    assert slip.evidence.matches  # the signature's hash is the signed content's
    assert slip.evidence.content_sha256 == content_sha256(slip.signed_version.content)
    assert {f.id for f in slip.fields} >= {"work:diagnosis", "intervention:problem_reported"}


def test_a_correction_needs_a_reason_and_goes_to_version_2(office):
    item = first_slip(office)
    v1 = validation.slip(item.intervention_id, office).signed_version
    before = (v1.content, v1.content_sha256, v1.status)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            validation.correct(item.intervention_id, "work:diagnosis", "Nouveau", reason, office)
        assert caught.value.key == "error.validation.reason"
    assert (
        ReportVersion.select().where(ReportVersion.intervention == item.intervention_id).count()
        == 1
    )

    slip = validation.correct(
        item.intervention_id,
        "work:diagnosis",
        "Brûleur encrassé, nettoyé",
        "Faute de frappe",
        office,
    )
    assert slip.current.version == 2 and slip.current.status == DocumentStatus.CORRECTED
    [correction] = slip.corrections
    assert correction["field"] == "work:diagnosis" and correction["reason"] == "Faute de frappe"
    assert correction["after"] == "Brûleur encrassé, nettoyé" and correction["by"] == office.id
    assert slip.content["based_on"] == {"version": 1, "content_sha256": v1.content_sha256}
    assert slip.current.content_sha256 == content_sha256(slip.current.content)
    stored = ReportVersion.get_by_id(v1.id)
    assert (stored.content, stored.content_sha256, stored.status) == before  # intact

    slip = validation.correct(
        item.intervention_id,
        "intervention:problem_reported",
        "Pas d'eau chaude",
        "Appel client",
        office,
    )
    assert slip.current.version == 2 and len(slip.corrections) == 2  # the same version 2
    assert next(f for f in slip.fields if f.id == "work:diagnosis").corrected


def test_a_correction_of_an_unknown_or_unchanged_field_is_refused(office):
    item = first_slip(office)
    slip = validation.slip(item.intervention_id, office)
    value = next(f.value for f in slip.fields if f.id == "work:operations")
    with pytest.raises(ValidationError) as caught:
        validation.correct(item.intervention_id, "time:total", "5", "why", office)
    assert caught.value.key == "error.validation.no_field"
    with pytest.raises(ValidationError) as caught:
        validation.correct(item.intervention_id, "work:operations", value, "why", office)
    assert caught.value.key == "error.validation.unchanged"


def test_validating_marks_the_version_and_the_intervention_once(office):
    item = first_slip(office)
    validation.correct(
        item.intervention_id, "work:summary", "Visite conforme", "Résumé vide", office
    )
    slip = validation.validate(item.intervention_id, office)
    assert slip.intervention.status == S.VALIDATED and slip.validated
    assert slip.current.version == 2 and slip.current.status == DocumentStatus.VALIDATED
    assert slip.current.validated_by_id == office.id and slip.current.validated_at is not None
    assert slip.signed_version.status == DocumentStatus.SUBMITTED  # version 1 as it was
    assert item.intervention_id not in {i.intervention_id for i in validation.queue(office)}
    with pytest.raises(TransitionError) as caught:
        validation.validate(item.intervention_id, office)
    assert caught.value.key == "error.validation.already"
    with pytest.raises(TransitionError):
        validation.correct(item.intervention_id, "work:summary", "Autre", "Encore", office)


def test_validating_without_corrections_validates_the_sent_version(office):
    item = first_slip(office, signed=False)
    slip = validation.validate(item.intervention_id, office)
    assert slip.current.version == 1 and slip.current.status == DocumentStatus.VALIDATED
    assert not slip.signed  # an unsigned slip is validated too, marked unsigned


def test_an_unsubmitted_job_is_not_validated(office):
    job = Intervention.live().where(Intervention.status == S.WORK_DONE).first()
    with pytest.raises(TransitionError) as caught:
        validation.validate(job.id, office)
    assert caught.value.key == "error.validation.not_submitted"
    with pytest.raises(NotFoundError):
        validation.slip("no-such-id", office)


# --- the shared rules -----------------------------------------------------------------------


def test_a_signed_version_never_changes_its_content():
    current = {"status": "submitted", "content": {"a": 1}, "content_sha256": "x" * 64}
    assert office_version_refusal(current, {**current, "content": {"a": 2}})
    assert office_version_refusal(current, {**current, "content_sha256": "y" * 64})
    draft = {**current, "status": "corrected"}
    assert office_version_refusal(draft, {**draft, "content": {"a": 2}}) is None


def test_every_correction_needs_a_reason():
    ok = {"field": "work:diagnosis", "before": "a", "after": "b", "reason": "typo"}
    assert correction_refusal(ok) is None
    assert correction_refusal({**ok, "reason": " "})
    assert correction_refusal({**ok, "field": ""})
    assert correction_refusal("text")
    row = {"status": "corrected", "content": {"corrections": [ok, {**ok, "reason": ""}]}}
    assert "reason" in office_version_refusal(None, row)


def test_who_validated_goes_with_the_validated_status():
    base = {"status": "validated", "content": {}}
    assert office_version_refusal(None, base)  # who and when missing
    assert (
        office_version_refusal(None, {**base, "validated_by_id": "u", "validated_at": "t"}) is None
    )
    assert office_version_refusal(
        None, {"status": "corrected", "content": {}, "validated_by_id": "u", "validated_at": "t"}
    )
