"""Head office decides photo answers from the shared rule (``app.domain.photo_answer``, the
``checklist_answers`` table policy's ``row_rule``), on SQLite and PostgreSQL: a photo item's
answer names a photo of the SAME intervention, not a video, not deleted; a hostile reference
is refused with a clear reason. An answer pushed with its new photo is decided after it,
whatever their order in the push."""

from __future__ import annotations

import hashlib
import os
import uuid

import requests

from app.models import (
    Attachment,
    ChecklistAnswer,
    ChecklistItem,
    Intervention,
    ProcedureStep,
    Technician,
    User,
)
from app.sync import schema
from app.sync.schema import SCHEMA_HEADER


def _media(job: str, kind: str = "photo", **fields) -> dict:
    row = {
        "intervention_id": job, "kind": kind, "phase": "other", "source": "camera",
        "blob_sha256": hashlib.sha256(os.urandom(16)).hexdigest(),
        "mime_type": "video/mp4" if kind == "video" else "image/jpeg", "size_bytes": 1000,
    }  # fmt: skip
    if kind == "video":
        row["duration_s"] = 12.0
    return {"id": str(uuid.uuid4()), "fields": {**row, **fields}}


def _answer(job: str, item: str, value, **fields) -> dict:
    row = {"intervention_id": job, "item_id": item, "value_text": value, **fields}
    return {"id": str(uuid.uuid4()), "fields": row}


def _push(client, changes: dict) -> tuple[set[str], dict[str, str]]:
    body = {"batch_id": str(uuid.uuid4()), "device_id": client.device_id, "changes": changes}
    headers = {SCHEMA_HEADER: str(schema.current().version)}
    answer: requests.Response = client.post("/sync/push", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    return {a["id"] for a in result["applied"]}, {r["id"]: r["reason"] for r in result["rejected"]}


def _jobs_with_photo_items(username: str = "tech2") -> list[tuple[str, str]]:
    """(intervention, photo item) of the user's open jobs whose procedure has a photo item
    not answered yet at head office."""
    tech = Technician.get(Technician.user == User.get(User.username == username).id)
    rows = (
        Intervention.select(Intervention.id, ChecklistItem.id.alias("item"))
        .join(ProcedureStep, on=(ProcedureStep.procedure == Intervention.procedure))
        .join(ChecklistItem, on=(ChecklistItem.step == ProcedureStep.id))
        .where((Intervention.technician == tech.id) & (ChecklistItem.kind == "photo")
               & Intervention.status.in_(["planned", "assigned", "en_route", "in_progress"]))
        .order_by(Intervention.scheduled_start.desc(), ChecklistItem.id)
        .tuples()
    )  # fmt: skip
    out = []
    for job, item in rows:
        taken = ChecklistAnswer.select().where(
            (ChecklistAnswer.intervention == job) & (ChecklistAnswer.item == item)
        )
        if not taken.exists() and job not in {j for j, _ in out}:
            out.append((job, item))
    return out


def test_a_photo_answer_must_name_a_live_photo_of_the_same_intervention(demo_server):
    tech = demo_server.login("tech2")
    (job, item), (other_job, _) = _jobs_with_photo_items()[:2]
    photo, clip, gone = _media(job), _media(job, "video"), _media(job)
    elsewhere = _media(other_job)
    applied, rejected = _push(tech, {"attachments": [photo, clip, gone, elsewhere]})
    assert applied == {photo["id"], clip["id"], gone["id"], elsewhere["id"]}, rejected
    base = Attachment.get_by_id(gone["id"]).sync_version
    tombstone = {"id": gone["id"], "base_version": base, "fields": {}, "deleted": True}
    applied, rejected = _push(tech, {"attachments": [tombstone]})
    assert applied == {gone["id"]}, rejected

    hostile = {
        "a video": _answer(job, item, clip["id"]),
        "another job's photo": _answer(job, item, elsewhere["id"]),
        "a deleted photo": _answer(job, item, gone["id"]),
        "nothing": _answer(job, item, str(uuid.uuid4())),
        "a number": _answer(job, item, None, value_number=3.0),
    }
    reasons = {}
    for what, row in hostile.items():  # one at a time: they share (intervention, item)
        applied, rejected = _push(tech, {"checklist_answers": [row]})
        assert not applied and row["id"] in rejected, what
        reasons[what] = rejected[row["id"]]
    assert "not a video" in reasons["a video"]
    assert "photo of this intervention" in reasons["another job's photo"]
    assert "photo of this intervention" in reasons["nothing"]
    assert "deleted" in reasons["a deleted photo"]
    assert "not a number" in reasons["a number"]
    assert (
        not ChecklistAnswer.select()
        .where(ChecklistAnswer.id.in_([r["id"] for r in hostile.values()]))
        .exists()
    )

    good = _answer(job, item, photo["id"])
    applied, rejected = _push(tech, {"checklist_answers": [good]})
    assert applied == {good["id"]}, rejected
    assert ChecklistAnswer.get_by_id(good["id"]).value_text == photo["id"]
    # an existing answer cannot be moved onto another job's photo, or a video
    for bad in (elsewhere["id"], clip["id"]):
        base = ChecklistAnswer.get_by_id(good["id"]).sync_version
        moved = {"id": good["id"], "base_version": base, "fields": {"value_text": bad}}
        _, rejected = _push(tech, {"checklist_answers": [moved]})
        assert good["id"] in rejected
    assert ChecklistAnswer.get_by_id(good["id"]).value_text == photo["id"]
    # clearing it is allowed (the photo removed from the item, kept in Médias)
    base = ChecklistAnswer.get_by_id(good["id"]).sync_version
    cleared = {"id": good["id"], "base_version": base, "fields": {"value_text": None}}
    applied, rejected = _push(tech, {"checklist_answers": [cleared]})
    assert applied == {good["id"]}, rejected


def test_an_answer_pushed_with_its_new_photo_is_decided_after_it(demo_server):
    tech = demo_server.login("tech2")
    job, item = _jobs_with_photo_items()[2]
    photo = _media(job)
    answer = _answer(job, item, photo["id"])
    # the answer's table comes first in table order: it must wait for the photo
    applied, rejected = _push(tech, {"checklist_answers": [answer], "attachments": [photo]})
    assert applied == {answer["id"], photo["id"]}, rejected


def test_the_office_is_held_to_the_same_rule(demo_server):
    office = demo_server.login("office")
    job, item = _jobs_with_photo_items()[3]
    clip = _media(job, "video")
    bad = _answer(job, item, clip["id"])
    applied, rejected = _push(office, {"attachments": [clip], "checklist_answers": [bad]})
    assert applied == {clip["id"]} and "not a video" in rejected[bad["id"]]
