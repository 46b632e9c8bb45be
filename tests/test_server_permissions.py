"""Head office decides every technician write from the shared rules (docs/sync-protocol.md
rule 6): each refusal of a hostile technician's push, over the real HTTP server, on SQLite
and PostgreSQL (the ``backend`` behind ``demo_server``).

The tests work on tech3's interventions (the other modules work on tech1's and tech2's), one
job each, taken from a list made once per server so that they do not shift each other.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from report_support import signature_strokes

from app.domain import lifecycle
from app.errors import PermissionDeniedError, TransitionError
from app.models import (
    Comment,
    Intervention,
    Measurement,
    ReportVersion,
    Signature,
    Technician,
    User,
)
from app.sync import schema
from headoffice.auth import principal_of
from headoffice.services import interventions as office_interventions

_JOBS: dict[tuple[str, str], list[str]] = {}
NOW = "2026-03-02T10:00:00"
# How many jobs of a status the demo data holds depends on the day it was made for (head
# office's demo follows the real date: tech3 has 4 to 12 assigned jobs). When a test asks for
# more than there are, spare jobs of the same technician are moved into the status: the
# latest ones of these statuses (unsigned ones for "assigned", signed ones for "submitted"),
# never one of the first RESERVED of a status, which the tests take themselves.
SPARES = {"assigned": ("planned", "cancelled"), "submitted": ("validated",)}
RESERVED = 4


def _ids(username: str, status: str) -> list[str]:
    query = (
        Intervention.select(Intervention.id)
        .where((Intervention.technician == technician(username)) & (Intervention.status == status))
        .order_by(Intervention.scheduled_start, Intervention.id)
    )
    return [r[0] for r in query.tuples()]


def job(server, index: int, status: str = "assigned", username: str = "tech3") -> Intervention:
    """The ``index``-th intervention of ``username`` in ``status`` (earliest first)."""
    key = (server.base, f"{username}:{status}")
    if key not in _JOBS:
        _JOBS[key] = _ids(username, status)
    jobs = _JOBS[key]
    for source in SPARES.get(status, ()):
        while len(jobs) <= index and (spare := _ids(username, source)[RESERVED:]):
            jobs.append(in_status(Intervention.get_by_id(spare[-1]), status).id)
            for other, ids in _JOBS.items():  # no longer in its old status
                if other != key and jobs[-1] in ids:
                    ids.remove(jobs[-1])
    return Intervention.get_by_id(jobs[index])


def in_status(row: Intervention, status: str) -> Intervention:
    """``row`` put in ``status`` directly in head office's database (test arrangement)."""
    Intervention.update(status=status).where(Intervention.id == row.id).execute()
    return Intervention.get_by_id(row.id)


def technician(username: str) -> str:
    return Technician.get(Technician.user == user_id(username)).id


def user_id(username: str) -> str:
    return User.get(User.username == username).id


def push(client, table: str, row_id: str, fields: dict, *, base: int | None = None, **extra):
    """Push one row; returns (applied ids, {id: rejection})."""
    if base is None:
        model = {"interventions": Intervention, "comments": Comment}.get(table)
        row = model.get_or_none(model.id == row_id) if model else None
        base = row.sync_version if row else 0
    change = {"id": row_id, "base_version": base, "fields": fields, **extra}
    return push_many(client, {table: [change]})


def push_many(client, changes: dict) -> tuple[set[str], dict[str, dict]]:
    answer = client.push(changes)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {a["id"] for a in body["applied"]}, {r["id"]: r for r in body["rejected"]}


def comment_fields(intervention_id: str, author: str, body: str = "RAS") -> dict:
    return {"intervention_id": intervention_id, "author_id": author, "visibility": "internal",
            "body": body}  # fmt: skip


def signature_fields(intervention_id: str) -> dict:
    return {"document_kind": "visit_report", "intervention_id": intervention_id,
            "signer_name": "M. Durand", "signed_at": NOW, "content_sha256": "b" * 64,
            "strokes": signature_strokes()}  # fmt: skip


# --- lifecycle -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["validated", "cancelled", "delivered"])
def test_a_technician_cannot_move_his_job_to_an_office_status(demo_server, target):
    tech3 = demo_server.login("tech3")
    target_job = job(demo_server, ["validated", "cancelled", "delivered"].index(target))
    applied, refused = push(tech3, "interventions", target_job.id, {"status": target})
    assert not applied
    reason = refused[target_job.id]["reason"]
    assert reason == f"Only the office can mark an intervention {target}."
    assert refused[target_job.id]["row"]["status"] == "assigned"  # head office's row, put back
    assert Intervention.get_by_id(target_job.id).status == "assigned"


def test_signed_needs_a_signature_in_the_batch_or_stored(demo_server):
    tech3 = demo_server.login("tech3")
    unsigned, signed = job(demo_server, 3), job(demo_server, 4)
    applied, refused = push(tech3, "interventions", unsigned.id, {"status": "signed"})
    assert not applied
    assert "signature" in refused[unsigned.id]["reason"]
    assert Intervention.get_by_id(unsigned.id).status == "assigned"
    # offline, the device walked assigned -> in progress -> work done -> signed, recording a
    # measurement on the way: one push carries the last status, the measurement, the signature
    measurement, signature = str(uuid.uuid4()), str(uuid.uuid4())
    applied, refused = push_many(tech3, {
        "interventions": [{"id": signed.id, "base_version": signed.sync_version,
                           "fields": {"status": "signed", "diagnosis": "Joint changé"}}],
        "measurements": [{"id": measurement, "fields": {
            "intervention_id": signed.id, "label": "Pression", "value": 1.4, "unit": "bar",
            "measured_at": NOW}}],
        "signatures": [{"id": signature, "fields": signature_fields(signed.id)}],
    })  # fmt: skip
    assert refused == {} and applied == {signed.id, measurement, signature}
    assert Intervention.get_by_id(signed.id).status == "signed"
    assert Measurement.get_by_id(measurement).value == 1.4  # recorded before the lock
    # and once signed, the job's records are frozen, the submission is his
    applied, refused = push(tech3, "measurements", str(uuid.uuid4()), {
        "intervention_id": signed.id, "label": "Débit", "value": 2.0, "measured_at": NOW,
    }, base=0)  # fmt: skip
    assert "signed" in next(iter(refused.values()))["reason"]
    applied, refused = push(tech3, "interventions", signed.id, {"status": "submitted"})
    assert applied == {signed.id} and refused == {}


def test_a_record_cannot_be_moved_out_of_a_signed_job(demo_server):
    tech3 = demo_server.login("tech3")
    done, open_job = job(demo_server, 0, status="work_done"), job(demo_server, 0, "in_progress")
    measurement = str(uuid.uuid4())
    applied, refused = push_many(tech3, {
        "interventions": [{"id": done.id, "base_version": done.sync_version,
                           "fields": {"status": "signed"}}],
        "measurements": [{"id": measurement, "fields": {
            "intervention_id": done.id, "label": "Pression", "value": 1.4, "measured_at": NOW}}],
        "signatures": [{"id": str(uuid.uuid4()), "fields": signature_fields(done.id)}],
    })  # fmt: skip
    assert refused == {} and len(applied) == 3
    applied, refused = push(
        tech3, "measurements", measurement, {"intervention_id": open_job.id}, base=0
    )
    assert "signed" in refused[measurement]["reason"]
    assert Measurement.get_by_id(measurement).intervention_id == done.id


def test_a_cancelled_job_cannot_be_reopened_nor_changed(demo_server):
    tech3, office = demo_server.login("tech3"), demo_server.login("office")
    cancelled = job(demo_server, 5)
    applied, _ = push(office, "interventions", cancelled.id, {"status": "cancelled"})
    assert applied == {cancelled.id}
    for fields in ({"status": "in_progress"}, {"diagnosis": "J'y suis allé quand même"}):
        applied, refused = push(tech3, "interventions", cancelled.id, fields)
        assert not applied
        assert "cancelled" in refused[cancelled.id]["reason"]
        assert refused[cancelled.id]["row"]["status"] == "cancelled"
    applied, refused = push(
        tech3, "comments", str(uuid.uuid4()), comment_fields(cancelled.id, user_id("tech3"))
    )
    assert "cancelled" in next(iter(refused.values()))["reason"]


def test_a_planned_job_is_the_offices_until_assigned(demo_server):
    tech3 = demo_server.login("tech3")
    planned = job(demo_server, 0, status="planned")
    applied, refused = push(tech3, "interventions", planned.id, {"status": "en_route"})
    assert not applied
    assert "cannot go from planned to en_route" in refused[planned.id]["reason"]


# --- authorship ------------------------------------------------------------------------------


def test_a_new_comment_is_written_in_the_pushing_users_name(demo_server):
    tech3 = demo_server.login("tech3")
    mine = job(demo_server, 6)
    comment = str(uuid.uuid4())
    applied, _ = push(tech3, "comments", comment, comment_fields(mine.id, user_id("office")))
    assert applied == {comment}
    assert Comment.get_by_id(comment).author_id == user_id("tech3")  # not the office's name
    applied, refused = push(tech3, "comments", comment, {"author_id": user_id("office")})
    assert "author" in refused[comment]["reason"]
    assert Comment.get_by_id(comment).author_id == user_id("tech3")


def test_only_its_author_edits_or_deletes_a_comment(demo_server):
    tech3, office = demo_server.login("tech3"), demo_server.login("office")
    mine = job(demo_server, 6)
    theirs = str(uuid.uuid4())
    applied, _ = push(office, "comments", theirs, comment_fields(mine.id, user_id("office"), "x"))
    assert applied == {theirs}
    for change in ({"fields": {"body": "rewritten"}}, {"fields": {}, "deleted": True}):
        applied, refused = push(tech3, "comments", theirs, change["fields"],
                                deleted=change.get("deleted", False))  # fmt: skip
        assert not applied
        assert refused[theirs]["reason"] == "Only its author can change or delete this comment."
        assert refused[theirs]["row"]["body"] == "x" and refused[theirs]["row"]["_deleted"] is False
    stored = Comment.get_by_id(theirs)
    assert (stored.body, stored.deleted) == ("x", False)


# --- documents -------------------------------------------------------------------------------


def report_fields(intervention_id: str, version: int, **values) -> dict:
    return {"intervention_id": intervention_id, "kind": "visit_report", "version": version,
            "status": "draft", "content": {"summary": "ok"}, **values}  # fmt: skip


@pytest.mark.parametrize(
    "values, words",
    [
        ({"status": "validated"}, "Only the office can mark a report version validated."),
        ({"status": "corrected"}, "Only the office can mark a report version corrected."),
        ({"validated_at": NOW}, "Only the office sets the validated at of a report version."),
    ],
)
def test_office_statuses_and_fields_of_a_report_version_are_refused(demo_server, values, words):
    tech3 = demo_server.login("tech3")
    mine = job(demo_server, 7)
    version = {"validated": 1, "corrected": 2}.get(values.get("status"), 3)
    report = str(uuid.uuid4())
    applied, refused = push(
        tech3, "report_versions", report, report_fields(mine.id, version, **values)
    )
    assert not applied and refused[report]["reason"] == words
    assert refused[report]["row"] is None  # not at head office
    assert ReportVersion.get_or_none(ReportVersion.id == report) is None


def test_a_draft_report_version_is_the_technicians_and_its_validation_the_offices(demo_server):
    tech3 = demo_server.login("tech3")
    mine = job(demo_server, 7)
    report = str(uuid.uuid4())
    applied, _ = push(tech3, "report_versions", report, report_fields(mine.id, 4))
    assert applied == {report}
    assert ReportVersion.get_by_id(report).created_by_id == user_id("tech3")
    applied, refused = push(tech3, "report_versions", report, {"validated_by_id": user_id("tech3")})
    assert "Only the office sets the validated by" in refused[report]["reason"]


# --- scope first -----------------------------------------------------------------------------


def test_outside_his_interventions_is_said_before_any_status_reason(demo_server):
    tech3 = demo_server.login("tech3")
    # Other technicians' jobs put in these states here: the demo's own depend on the day.
    signed = in_status(job(demo_server, 0, username="tech2"), "signed")
    validated = in_status(job(demo_server, 0, username="tech1"), "validated")
    changes = {
        "interventions": [{"id": signed.id, "base_version": signed.sync_version,
                           "fields": {"status": "submitted"}}],
        "comments": [{"id": str(uuid.uuid4()), "fields": comment_fields(x.id, user_id("tech3"))}
                     for x in (signed, validated)],
    }  # fmt: skip
    applied, refused = push_many(tech3, changes)
    assert not applied and len(refused) == 3
    assert {r["reason"] for r in refused.values()} == {"This row is outside your interventions."}
    assert Intervention.get_by_id(signed.id).status == "signed"


# --- the office ------------------------------------------------------------------------------


def test_office_pushes_follow_the_offices_lifecycle_moves(demo_server):
    office = demo_server.login("office")
    submitted, planned = job(demo_server, 0, status="submitted"), job(demo_server, 1, "planned")
    applied, refused = push(office, "interventions", planned.id, {"status": "signed"})
    assert refused[planned.id]["reason"] == (
        "The office cannot move an intervention from planned to signed."
    )
    applied, refused = push(office, "interventions", submitted.id, {"status": "validated"})
    assert applied == {submitted.id} and refused == {}


def test_office_services_assign_validate_and_cancel_through_the_lifecycle(demo_server):
    office = principal_of(User.get(User.username == "office"))
    tech = principal_of(User.get(User.username == "tech3"))
    planned, submitted = job(demo_server, 2, "planned"), job(demo_server, 1, "submitted")
    assigned = office_interventions.assign(office, planned.id, technician("tech3"))
    assert (assigned.status, assigned.technician_id) == ("assigned", technician("tech3"))
    assert assigned.sync_version > planned.sync_version  # devices receive it at their pull
    validated = office_interventions.validate(office, submitted.id)
    assert validated.status == "validated"
    with pytest.raises(TransitionError, match="cannot go from validated to cancelled"):
        office_interventions.cancel(office, submitted.id)
    with pytest.raises(PermissionDeniedError):
        office_interventions.cancel(tech, assigned.id)
    assert office_interventions.cancel(office, assigned.id).status == "cancelled"
    assert lifecycle.moves("cancelled", "office") == []


def test_a_signature_is_insert_only_even_on_an_open_job(demo_server):
    tech3 = demo_server.login("tech3")
    mine = job(demo_server, 0, status="in_progress")
    signature = str(uuid.uuid4())
    applied, _ = push(tech3, "signatures", signature, signature_fields(mine.id), base=0)
    assert applied == {signature}
    applied, refused = push(
        tech3, "signatures", signature, {"signer_name": "Quelqu'un d'autre"}, base=0
    )
    assert refused[signature]["reason"] == "A signature cannot be changed once recorded."
    assert Signature.get_by_id(signature).signer_name == "M. Durand"
    assert datetime.fromisoformat(NOW) == Signature.get_by_id(signature).signed_at


# --- codes next to the reasons (rule 6): what a device translates ----------------------------


def push_current(client, changes: dict) -> tuple[set[str], dict[str, dict]]:
    """``push_many`` in this code's wire schema (follow-ups' parts to order, ...)."""
    body = {"batch_id": str(uuid.uuid4()), "device_id": client.device_id, "changes": changes}
    headers = {schema.SCHEMA_HEADER: str(schema.current().version)}
    answer = client.post("/sync/push", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {a["id"] for a in body["applied"]}, {r["id"]: r for r in body["rejected"]}


def test_each_refusal_carries_its_code_and_params_next_to_its_words(demo_server):
    tech3, office = demo_server.login("tech3"), demo_server.login("office")
    cancelled, mine = job(demo_server, 8), job(demo_server, 9)
    assert push(office, "interventions", cancelled.id, {"status": "cancelled"})[0]
    other = job(demo_server, 1, username="tech2")
    comment, outside, empty, bad_lines, report = (str(uuid.uuid4()) for _ in range(5))
    _, refused = push(tech3, "interventions", cancelled.id, {"status": "in_progress"})
    assert (refused[cancelled.id]["code"], refused[cancelled.id]["params"]) == (
        "intervention.cancelled",
        {},
    )
    _, refused = push_current(tech3, {
        "comments": [
            {"id": comment, "fields": comment_fields(cancelled.id, user_id("tech3"))},
            {"id": outside, "fields": comment_fields(other.id, user_id("tech3"))}],
        "signatures": [{"id": empty, "fields": {**signature_fields(mine.id), "strokes": []}}],
        "follow_ups": [{"id": bad_lines, "fields": {
            "intervention_id": mine.id, "kind": "parts_order", "lines": []}}],
        "report_versions": [{"id": report, "fields": report_fields(
            mine.id, 5, validated_at=NOW)}],
    })  # fmt: skip
    codes = {row_id: (r["code"], r["params"]) for row_id, r in refused.items()}
    assert codes[comment] == ("intervention.cancelled.records", {})
    assert refused[comment]["reason"] == (  # the words stay, for devices without the codes
        "The office cancelled this intervention: its records can no longer change."
    )
    assert codes[outside] == ("row.outside", {})
    assert codes[empty] == (
        "signature.invalid",
        {"cause": {"code": "error.signature.empty", "params": {}}},
    )
    assert codes[bad_lines] == (
        "parts.invalid",
        {"cause": {"code": "parts.no_lines", "params": {}}},
    )
    assert codes[report] == (
        "row.office_fields",
        {"table": "report_versions", "fields": ["validated_at"]},
    )
    # the office's correction without a reason, and a move the lifecycle has not
    planned = job(demo_server, 3, "planned")
    correction = {"field": "diagnosis", "before": "", "after": "Brûleur"}
    version = str(uuid.uuid4())
    _, refused = push_many(office, {
        "interventions": [{"id": planned.id, "base_version": planned.sync_version,
                           "fields": {"status": "signed"}}],
        "report_versions": [{"id": version, "fields": report_fields(
            mine.id, 6, content={"corrections": [correction]})}],
    })  # fmt: skip
    assert (refused[planned.id]["code"], refused[planned.id]["params"]) == (
        "intervention.office_move",
        {"current": "planned", "to": "signed"},
    )
    assert refused[version]["code"] == "correction.no_reason"
