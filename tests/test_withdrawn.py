"""Head office takes an intervention away from the technician (reassigned, cancelled) while
he has unsent work on it: nothing he entered is lost — head office refuses it and the device
keeps the refused values on the sync screen — and the device can tell that the intervention
is no longer his to work on (``detail_service.withdrawal``). Real head office over HTTP."""

from __future__ import annotations

import test_session_service as sessions

from app.models import Comment, Intervention, Technician, User
from app.services import comment_service, detail_service, sync_service, work_service
from app.sync.store import SyncRejection

# Fixtures of the sign-in tests: a demo head office on loopback and devices of it.
demo_template, server, devices = sessions.demo_template, sessions.server, sessions.devices
today_interventions = sessions.today_interventions

DIAGNOSIS = "Brûleur encrassé, nettoyé — à revoir"
COMMENT = "Client absent, clé chez la gardienne"


def _office_writes(office, job_id: str, **fields) -> None:
    def write():
        job = Intervention.get_by_id(job_id)
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()

    office(write)
    assert office.session.sync_once() is not None
    assert office.session.status.pending == 0


def _work_offline(tech, who) -> tuple[str, str]:
    """tech1 writes a diagnosis and a comment on his first job; nothing is sent yet."""

    def work():
        job = today_interventions(who.technician_id)[0]
        work_service.update_work(job.id, who, diagnosis=DIAGNOSIS)
        comment = comment_service.add(job.id, COMMENT, "internal", who)
        return job.id, comment.id

    job_id, comment_id = tech(work)
    tech.session.refresh_pending()
    assert tech.session.status.pending == 2
    assert tech(sync_service.unsent).rows == 2
    return job_id, comment_id


def _refused_values(tech) -> list[dict]:
    return tech(lambda: [dict(r.fields) for r in SyncRejection.select()])


def test_a_reassigned_intervention_leaves_the_device_and_its_unsent_work_is_kept(devices):
    tech, office = devices("tech"), devices("office")
    tech1 = tech.session.sign_in("tech1", "demo")
    office.session.sign_in("office", "demo")
    job_id, comment_id = _work_offline(tech, tech1)
    assert tech(lambda: detail_service.withdrawal(job_id, tech1)) is None
    tech2 = office(lambda: Technician.get(Technician.user == User.get(username="tech2")).id)
    _office_writes(office, job_id, technician=tech2)

    assert tech.session.sync_once() is not None
    # Pushed first: head office refused both (not his any more); the values are kept.
    refused = _refused_values(tech)
    assert any(f.get("diagnosis") == DIAGNOSIS for f in refused), refused
    assert any(f.get("body") == COMMENT for f in refused), refused
    assert tech(sync_service.refused_count) >= 2
    assert tech(sync_service.unsent).nothing
    # Then pulled: the intervention is another technician's now. It stays on the device
    # only as the site's history (rule 1), read-only for him, or leaves it.
    job = tech(lambda: Intervention.get_or_none(Intervention.id == job_id))
    found = tech(lambda: detail_service.withdrawal(job_id, tech1, reference="INT-X"))
    if job is None:
        assert found == detail_service.Withdrawal(detail_service.REMOVED, "INT-X")
    else:
        assert job.technician_id == tech2 and job.diagnosis != DIAGNOSIS
        assert found == detail_service.Withdrawal(detail_service.REASSIGNED, job.reference)
    assert tech(lambda: Comment.get_or_none(Comment.id == comment_id)) is None
    # Head office has none of it: the office decides what to do with the refused work.
    assert office(lambda: Intervention.get_by_id(job_id).diagnosis) != DIAGNOSIS


def test_a_cancelled_intervention_stays_cancelled_and_its_unsent_work_is_kept(devices):
    tech, office = devices("tech"), devices("office")
    tech1 = tech.session.sign_in("tech1", "demo")
    office.session.sign_in("office", "demo")
    job_id, _comment_id = _work_offline(tech, tech1)
    _office_writes(office, job_id, status="cancelled")

    assert tech.session.sync_once() is not None
    refused = _refused_values(tech)
    assert any(f.get("diagnosis") == DIAGNOSIS for f in refused), refused
    assert any(f.get("body") == COMMENT for f in refused), refused
    assert tech(sync_service.unsent).nothing
    job = tech(lambda: Intervention.get_by_id(job_id))
    assert job.status == "cancelled" and job.diagnosis != DIAGNOSIS  # head office's row back
    found = tech(lambda: detail_service.withdrawal(job_id, tech1))
    assert found == detail_service.Withdrawal(detail_service.CANCELLED, job.reference)
