"""The signing flow against a real head office (HTTP, in-process server): a device signs (or
records a refusal), records the follow-up and syncs; head office holds the signed version, the
signature, the blobs and the follow-ups, and decides the moves from the shared lifecycle
(``lifecycle.VIA_SIGNATURE`` / ``VIA_REFUSAL``, ``lifecycle.signature_record_refusal``)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from report_support import signature_strokes
from test_session_service import demo_template, devices, server, today_interventions

from app import clock
from app.media.blob_store import BlobStore
from app.models import FollowUp, Intervention, Part, ReportVersion, Signature, db
from app.models.enums import InterventionStatus as S
from app.services import follow_up_service, signing_service
from app.services.follow_up_service import FollowUpInput, PartLine
from app.sync import schema

__all__ = ["demo_template", "devices", "server"]  # fixtures used here


def _work_done(tech1) -> str:
    """A job of today on the device, its work declared done (not tracked: head office still
    has it assigned; the signature's move carries the status)."""
    job = today_interventions(tech1.technician_id)[0]
    Intervention.update(status=S.WORK_DONE).where(Intervention.id == job.id).execute()
    return job.id


def push(client, changes: dict):
    """A push in this code's wire schema (the one that knows ``outcome`` and ``reason``)."""
    body = {"batch_id": str(uuid.uuid4()), "device_id": client.device_id, "changes": changes}
    headers = {schema.SCHEMA_HEADER: str(schema.current().version)}
    answer = client.post("/sync/push", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def on_server(server, fn):
    with db.using(server.database):
        return fn()


def test_a_signed_report_reaches_head_office_with_its_pdf_signature_and_follow_ups(devices, server):
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")

    def sign():
        job_id = _work_done(tech1)
        shown = signing_service.present(job_id, tech1)
        closed = signing_service.sign(
            job_id, tech1, strokes=signature_strokes(), signer_name="M. Petit",
            signer_role="Gérant", shown_sha256=shown.sha256,
        )  # fmt: skip
        return job_id, closed.version.id, closed.signature.id, closed.pdf_sha256, shown.sha256

    job_id, version_id, signature_id, pdf_sha, content_sha = device(sign)
    assert device.session.sync_once() is not None
    assert device.session.status.pending == 0

    def at_head_office():
        job = Intervention.get_by_id(job_id)
        version = ReportVersion.get_by_id(version_id)
        signature = Signature.get_by_id(signature_id)
        return (
            job.status,
            version.status,
            version.content_sha256,
            version.pdf_blob_sha256,
            (signature.outcome, signature.signer_name, signature.image_blob_sha256),
        )

    status, v_status, v_sha, v_pdf, (outcome, signer, image) = on_server(server, at_head_office)
    assert (status, v_status, outcome, signer) == ("signed", "signed", "signed", "M. Petit")
    assert v_sha == content_sha and v_pdf == pdf_sha
    blobs = BlobStore(server.config.blob_dir)
    for sha in (pdf_sha, image):
        with blobs.open(sha) as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == sha

    def follow_up():
        part = Part.get((Part.fractional == False) & (Part.deleted == False))
        follow_up_service.record(job_id, tech1, [
            FollowUpInput("new_visit", "Vase à changer", clock.today() + timedelta(days=3),
                          "urgent"),
            FollowUpInput("parts_order", lines=[PartLine(part.id, 1)]),
        ])  # fmt: skip
        return part.id

    part_id = device(follow_up)
    assert device.session.sync_once() is not None
    assert device.session.status.pending == 0

    def submitted():
        rows = FollowUp.select().where(FollowUp.intervention == job_id).order_by(FollowUp.kind)
        return Intervention.get_by_id(job_id).status, [(r.kind, r.urgency, r.lines) for r in rows]

    status, rows = on_server(server, submitted)
    assert status == "submitted"
    assert rows[0][:2] == ("new_visit", "urgent")
    assert rows[1][0] == "parts_order" and rows[1][2][0]["part_id"] == part_id
    assert device(lambda: Intervention.get_by_id(job_id).status) == "submitted"


def test_an_unsigned_slip_is_accepted_with_its_record_and_refused_without(devices, server):
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")
    client = server.login("tech1", device_id=str(uuid.uuid4()))

    job_id = device(lambda: _work_done(tech1))
    other = device(lambda: next(
        j.id for j in today_interventions(tech1.technician_id)
        if j.status == "assigned" and j.id != job_id
    ))  # fmt: skip

    # A hostile push: submitted with no record at all, or with a record without a reason.
    answer = push(client, {"interventions": [{"id": other, "base_version": 0,
                                             "fields": {"status": "submitted"}}]})  # fmt: skip
    rejected = {r["id"]: r["reason"] for r in answer.json()["rejected"]}
    assert "record of why the client did not sign" in rejected[other]
    bare = {"document_kind": "visit_report", "intervention_id": other, "signer_name": "",
            "signed_at": "2026-03-11T10:00:00", "content_sha256": "c" * 64,
            "outcome": "refused", "reason": " "}  # fmt: skip
    answer = push(client, {"signatures": [{"id": str(uuid.uuid4()), "fields": bare}]})
    assert "Say why the client did not sign" in answer.json()["rejected"][0]["reason"]
    with_strokes = {**bare, "reason": "Refus", "strokes": [[[1, 2, 3]]]}
    answer = push(client, {"signatures": [{"id": str(uuid.uuid4()), "fields": with_strokes}]})
    assert "holds no signature" in answer.json()["rejected"][0]["reason"]
    # a refusal record does not make an intervention signed
    refusal = {**bare, "reason": "Refuse de signer"}
    answer = push(client, {
        "signatures": [{"id": str(uuid.uuid4()), "fields": refusal}],
        "interventions": [{"id": other, "base_version": 0, "fields": {"status": "signed"}}],
    })  # fmt: skip
    assert [r["id"] for r in answer.json()["rejected"]] == [other]
    assert on_server(server, lambda: Intervention.get_by_id(other).status) == "assigned"

    # The device's refusal: record, sync; head office has it submitted, unsigned.
    def refuse():
        closed = signing_service.record_missing(
            job_id, tech1, outcome="refused", reason="Conteste le montant"
        )
        return closed.signature.id, closed.version.id

    signature_id, version_id = device(refuse)
    assert device.session.sync_once() is not None
    assert device.session.status.pending == 0

    def at_head_office():
        s = Signature.get_by_id(signature_id)
        return (
            Intervention.get_by_id(job_id).status,
            ReportVersion.get_by_id(version_id).status,
            s.outcome,
            s.reason,
            s.image_blob_sha256,
        )

    assert on_server(server, at_head_office) == (
        "submitted", "submitted", "refused", "Conteste le montant", None,
    )  # fmt: skip


def test_signed_and_submitted_offline_arrives_in_one_sync(devices, server):
    """Offline, the device signs, records the follow-up and submits: one push carries the
    status ``submitted`` with the signature row (head office counts it for any locked move)."""
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")

    def close():
        job_id = _work_done(tech1)
        signing_service.sign(
            job_id, tech1, strokes=signature_strokes(), signer_name="M. Petit",
            signer_role="Gérant",
        )  # fmt: skip
        follow_up_service.record(job_id, tech1, [FollowUpInput("none")])
        return job_id

    job_id = device(close)
    assert device(lambda: Intervention.get_by_id(job_id).status) == "submitted"
    assert device.session.sync_once() is not None
    assert device.session.status.pending == 0
    assert on_server(server, lambda: Intervention.get_by_id(job_id).status) == "submitted"
    kinds = on_server(
        server, lambda: [f.kind for f in FollowUp.select().where(FollowUp.intervention == job_id)]
    )
    assert kinds == ["none"]


DROP = object()  # the field left out of the pushed row
HOSTILE_SIGNATURES = {
    "no strokes": ({"strokes": DROP}, "The signature box is empty"),
    "empty": ({"strokes": []}, "The signature box is empty"),
    "a dot": ({"strokes": [[[300, 100, 0]]]}, "Too little ink"),
    "a tap": ({"strokes": [[[300, 100, 0], [301, 101, 30], [300, 101, 60]]]}, "Too little ink"),
    "a scribble in place": (
        {"strokes": [[[300 + (i % 2), 100, 10 * i] for i in range(40)]]}, "Too little ink",
    ),
    "no signer name": ({"signer_name": " "}, "signer's name is required"),
    "signer name left out": ({"signer_name": DROP}, "signer's name is required"),
    "not numbers": ({"strokes": [[["a", "b", "c"]] * 12]}, "numeric x, y and t"),
    "a claimed tiny pad": (
        {"strokes": [[[1, 1, 0], [2, 2, 200]] * 6], "audit": {"pad": {"width": 8, "height": 3}}},
        "signature box of 200 to 2400",
    ),
    "outside the pad": ({"strokes": [[[5000, 100, 0]] * 12]}, "inside the signature box"),
    "too many strokes": ({"strokes": [[[1, 1, 0]]] * 51}, "at most 50 strokes"),
}  # fmt: skip


def test_head_office_refuses_a_signed_row_that_is_no_signature(devices, server):
    """The device's rule (``app.domain.signature``) applied to every pushed signed row: each
    hostile variant is rejected with its reason, nothing stored, the job not signed; the same
    row with a real signature is applied."""
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")
    client = server.login("tech1", device_id=str(uuid.uuid4()))
    job_id = device(lambda: _work_done(tech1))
    good = {"document_kind": "visit_report", "intervention_id": job_id,
            "signer_name": "M. Petit", "signer_role": "Gérant",
            "signed_at": "2026-03-11T10:00:00", "content_sha256": "c" * 64,
            "outcome": "signed", "strokes": signature_strokes()}  # fmt: skip
    for name, (change, words) in HOSTILE_SIGNATURES.items():
        row_id = str(uuid.uuid4())
        fields = {k: v for k, v in {**good, **change}.items() if v is not DROP}
        answer = push(client, {
            "signatures": [{"id": row_id, "fields": fields}],
            "interventions": [{"id": job_id, "base_version": 0, "fields": {"status": "signed"}}],
        })  # fmt: skip
        rejected = {r["id"]: r["reason"] for r in answer.json()["rejected"]}
        assert rejected.keys() == {row_id, job_id}, name
        assert rejected[row_id].startswith("This signature cannot be accepted: "), name
        assert words in rejected[row_id], (name, rejected[row_id])
        assert on_server(server, lambda r=row_id: Signature.get_or_none(Signature.id == r)) is None
    assert on_server(server, lambda: Intervention.get_by_id(job_id).status) != "signed"
    row_id = str(uuid.uuid4())
    answer = push(client, {
        "signatures": [{"id": row_id, "fields": good}],
        "interventions": [{"id": job_id, "base_version": 0, "fields": {"status": "signed"}}],
    })  # fmt: skip
    assert answer.json()["rejected"] == []
    assert on_server(server, lambda: Intervention.get_by_id(job_id).status) == "signed"


def test_the_office_cannot_push_a_dot_as_a_signature_either(devices, server):
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")
    job_id = device(lambda: _work_done(tech1))
    office = server.login("office", device_id=str(uuid.uuid4()))
    row_id = str(uuid.uuid4())
    fields = {"document_kind": "visit_report", "intervention_id": job_id,
              "signer_name": "M. Petit", "signed_at": "2026-03-11T10:00:00",
              "content_sha256": "c" * 64, "strokes": [[[300, 100, 0]]]}  # fmt: skip
    answer = push(office, {"signatures": [{"id": row_id, "fields": fields}]})
    assert "Too little ink" in answer.json()["rejected"][0]["reason"]


def test_head_office_refuses_hostile_parts_to_order_from_the_shared_rule(devices, server):
    """A signed job; a hostile device pushes follow-ups whose lines break
    ``app.domain.follow_up``: each is rejected with its reason and not stored; a good one
    (catalogue part, whole units) is applied."""
    device = devices("tech")
    tech1 = device.session.sign_in("tech1", "demo")
    client = server.login("tech1", device_id=str(uuid.uuid4()))

    def signed():
        job_id = _work_done(tech1)
        signing_service.sign(job_id, tech1, strokes=signature_strokes(), signer_name="M. Petit",
                             signer_role="Gérant")  # fmt: skip
        part = Part.get((Part.fractional == False) & (Part.deleted == False))
        return job_id, part.id, part.reference

    job_id, part_id, reference = device(signed)
    assert device.session.sync_once() is not None

    def line(**change):
        return {"part_id": part_id, "reference": reference, "name": "Pièce", "unit": "u",
                "quantity": 2, **change}  # fmt: skip

    hostile = {
        "huge list": ([line(part_id=str(uuid.uuid4())) for _ in range(200)], "At most 50"),
        "nested object": ([line(name={"a": {"b": {"c": 1}}})], "name must be text"),
        "negative": ([line(quantity=-3)], "above 0"),
        "NaN as text": ([line(quantity="NaN")], "must be a number"),
        "a string": ([line(quantity="2")], "must be a number"),
        "not in the catalogue": ([line(part_id=str(uuid.uuid4()))], "not in the catalogue"),
        "half a whole part": ([line(quantity=1.5)], "whole units"),
        "not a list": ({"part_id": part_id}, "at least one line"),
    }
    for name, (lines, words) in hostile.items():
        row_id = str(uuid.uuid4())
        fields = {"intervention_id": job_id, "kind": "parts_order", "lines": lines}
        answer = push(client, {"follow_ups": [{"id": row_id, "fields": fields}]})
        rejected = {r["id"]: r["reason"] for r in answer.json()["rejected"]}
        assert rejected.get(row_id, "").startswith("The parts to order cannot be accepted"), name
        assert words in rejected[row_id], (name, rejected[row_id])
        assert on_server(server, lambda r=row_id: FollowUp.get_or_none(FollowUp.id == r)) is None
    good = str(uuid.uuid4())
    fields = {"intervention_id": job_id, "kind": "parts_order", "lines": [line()]}
    answer = push(client, {"follow_ups": [{"id": good, "fields": fields}]})
    assert answer.json()["rejected"] == []
    # and a later edit of the good row is judged by the same rule
    answer = push(client, {"follow_ups": [{"id": good, "base_version": 0,
                                           "fields": {"lines": [line(quantity=-1)]}}]})  # fmt: skip
    assert "above 0" in answer.json()["rejected"][0]["reason"]
    assert on_server(server, lambda: FollowUp.get_by_id(good).lines)[0]["quantity"] == 2
