"""Head office decides media made from a video and video notes from the shared rule
(``app.domain.video``, the table policy's ``row_rule``), for technicians and the
office alike, on SQLite and PostgreSQL: a still or clip must name a video of the same
intervention and a time within it; notes are bounded. A still pushed in the same batch as
its video is accepted whatever their order."""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import requests

from app.models import Attachment, Intervention, Technician, User
from app.sync import schema
from app.sync.schema import SCHEMA_HEADER


def _sha() -> str:
    return hashlib.sha256(os.urandom(16)).hexdigest()


def _media(job: str, kind: str = "video", **fields) -> dict:
    row = {
        "intervention_id": job, "kind": kind, "phase": "before", "source": "camera",
        "blob_sha256": _sha(), "mime_type": "video/mp4" if kind == "video" else "image/jpeg",
        "size_bytes": 1000,
    }  # fmt: skip
    if kind == "video":
        row["duration_s"] = 12.0
    return {"id": str(uuid.uuid4()), "fields": {**row, **fields}}


def _push(client, rows: list[dict], version: int | None = None) -> requests.Response:
    body = {"batch_id": str(uuid.uuid4()), "device_id": client.device_id,
            "changes": {"attachments": rows}}  # fmt: skip
    headers = {SCHEMA_HEADER: str(version or schema.current().version)}
    return client.post("/sync/push", json=body, headers=headers)


def _outcome(answer: requests.Response) -> tuple[set[str], dict[str, str]]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return {a["id"] for a in body["applied"]}, {r["id"]: r["reason"] for r in body["rejected"]}


def _two_jobs() -> tuple[str, str]:
    """Two open interventions of tech1 (the latest: other tests pick the earliest)."""
    tech = Technician.get(Technician.user == User.get(User.username == "tech1").id)
    jobs = (
        Intervention.select(Intervention.id)
        .where((Intervention.technician == tech.id)
               & Intervention.status.in_(["planned", "assigned"]))
        .order_by(Intervention.scheduled_start.desc())
        .limit(2)
    )  # fmt: skip
    first, second = (j.id for j in jobs)
    return first, second


def test_a_still_must_come_from_a_video_of_its_intervention_within_its_duration(demo_server):
    tech1 = demo_server.login("tech1")
    job, other_job = _two_jobs()
    video = _media(job)
    photo = _media(job, "photo")
    elsewhere = _media(other_job)
    applied, rejected = _outcome(_push(tech1, [video, photo, elsewhere]))
    assert applied == {video["id"], photo["id"], elsewhere["id"]}, rejected

    def still(**link) -> dict:
        return _media(job, "photo", **link)

    hostile = {
        "of a photo": still(source_attachment_id=photo["id"], source_time_ms=0),
        "of another job's video": still(source_attachment_id=elsewhere["id"], source_time_ms=0),
        "of nothing": still(source_attachment_id=str(uuid.uuid4()), source_time_ms=0),
        "past the end": still(source_attachment_id=video["id"], source_time_ms=12_100),
        "before the start": still(source_attachment_id=video["id"], source_time_ms=-1),
        "a time without a video": still(source_time_ms=500),
        "a video without a time": still(source_attachment_id=video["id"]),
    }
    good = still(source_attachment_id=video["id"], source_time_ms=12_000)
    applied, rejected = _outcome(_push(tech1, [*hostile.values(), good]))
    assert applied == {good["id"]}
    assert set(rejected) == {r["id"] for r in hostile.values()}
    reasons = {what: rejected[row["id"]] for what, row in hostile.items()}
    assert "video of this intervention" in reasons["of a photo"]
    assert "video of this intervention" in reasons["of another job's video"]
    assert "past the end" in reasons["past the end"]
    assert "needs the video" in reasons["a time without a video"]
    assert Attachment.get_by_id(good["id"]).source_attachment_id == video["id"]
    assert not Attachment.select().where(Attachment.id.in_([r["id"] for r in hostile.values()]))
    # an existing still cannot be moved onto another job's video either
    moved = {"id": good["id"], "base_version": 0,
             "fields": {"source_attachment_id": elsewhere["id"]}}  # fmt: skip
    _, rejected = _outcome(_push(tech1, [moved]))
    assert good["id"] in rejected
    assert Attachment.get_by_id(good["id"]).source_attachment_id == video["id"]


def test_the_office_is_held_to_the_same_rule(demo_server):
    office = demo_server.login("office")
    job, _ = _two_jobs()
    photo = _media(job, "photo")
    bad = _media(job, "photo", source_attachment_id=photo["id"], source_time_ms=0)
    applied, rejected = _outcome(_push(office, [photo, bad]))
    assert applied == {photo["id"]} and bad["id"] in rejected


def test_a_still_pushed_with_its_video_is_decided_after_it_whatever_the_order(demo_server):
    tech1 = demo_server.login("tech1")
    job, _ = _two_jobs()
    video = _media(job)
    still = _media(job, "photo", source_attachment_id=video["id"], source_time_ms=4_000)
    clip = _media(job, "video", source_attachment_id=video["id"], source_time_ms=4_000,
                  caption="Extrait annoté", duration_s=8.0)  # fmt: skip
    applied, rejected = _outcome(_push(tech1, [still, clip, video]))
    assert applied == {video["id"], still["id"], clip["id"]}, rejected


@pytest.mark.parametrize(
    ("notes", "why"),
    [
        ([{"t_ms": 1000, "text": "x" * 201}], "1 to 200 characters"),
        ([{"t_ms": 13_000, "text": "après la fin"}], "past the end"),
        ([{"t_ms": i, "text": "n"} for i in range(51)], "At most 50"),
        ([{"t_ms": 10, "text": "ok", "html": "<b>"}], "not readable"),
        ({"t_ms": 10, "text": "pas une liste"}, "not readable"),
    ],
)
def test_hostile_video_notes_are_refused(demo_server, notes, why):
    tech1 = demo_server.login("tech1")
    job, _ = _two_jobs()
    video = _media(job, video_notes=notes)
    _, rejected = _outcome(_push(tech1, [video]))
    assert why in rejected[video["id"]]


def test_notes_belong_to_videos_and_good_ones_are_kept(demo_server):
    tech1 = demo_server.login("tech1")
    job, _ = _two_jobs()
    on_photo = _media(job, "photo", video_notes=[{"t_ms": 0, "text": "non"}])
    notes = [{"t_ms": 500, "text": "Vanne"}, {"t_ms": 11_900, "text": "Fuite"}]
    video = _media(job, video_notes=notes)
    applied, rejected = _outcome(_push(tech1, [on_photo, video]))
    assert applied == {video["id"]} and "Only a video" in rejected[on_photo["id"]]
    assert Attachment.get_by_id(video["id"]).video_notes == notes


def test_a_schema_2_device_cannot_send_the_new_columns(demo_server):
    tech1 = demo_server.login("tech1")
    job, _ = _two_jobs()
    video = _media(job, video_notes=[{"t_ms": 0, "text": "v2"}])
    answer = _push(tech1, [video], version=2)
    assert answer.status_code == 400 and "video_notes" in answer.json()["error"]["message"]
