"""A push is applied in batches (headoffice/push.py: rows read in chunks, decided in memory,
written in chunks, a chunk the database refuses split until its bad rows are found): a
5,000-row push, the largest allowed, is applied exactly as the row-by-row rules say, on
SQLite and PostgreSQL, over the real HTTP server on a private copy of the demo data.

The batch mixes new rows, rows refused by the rules (outside the technician's
interventions) and rows refused by the database (an empty comment breaks a CHECK), in the
middle of chunks; then a second push updates them all, one field each, and a third is
replayed. Checked: every applied row stored as pushed, the refused ones absent, versions
contiguous above the counter's previous value with the counter at the last one, the
per-field metadata (rule 4) naming each row's version and device, the rows held by the
device (rule 1).
"""

from __future__ import annotations

import uuid

import pytest
from server_support import copy_demo_database, open_intervention_of, tech_interventions

from app.models import Comment, db
from app.sync.push_request import MAX_PUSH_ROWS
from headoffice.models import DeviceRow, RowMeta
from headoffice.versions import committed_version

NOW = "2026-03-02T10:00:00"
DATABASE_REFUSED = {17, 499, 500, 2501, MAX_PUSH_ROWS - 1}  # empty body: CHECK length > 0
OUTSIDE = {3, 1000, 4998}  # on another technician's intervention


@pytest.fixture
def server(demo_db_url, make_server, tmp_path):
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    server = make_server(url)
    server.bind()
    yield server
    server.stop()
    db.initialize(None)
    cleanup()


def _versions_of(answer: dict) -> list[int]:
    return [a["version"] for a in answer["applied"]]


def test_a_5000_row_push_is_applied_row_by_row_as_the_rules_say(server):
    tech1 = server.login("tech1")
    job = open_intervention_of("tech1").id
    foreign = sorted(tech_interventions("tech2") - tech_interventions("tech1"))[0]
    author = tech1.user["id"]
    rows = []
    for i in range(MAX_PUSH_ROWS):
        body = "" if i in DATABASE_REFUSED else f"Relevé {i}"
        fields = {
            "intervention_id": foreign if i in OUTSIDE else job,
            "author_id": author,
            "visibility": "internal",
            "body": body,
            "created_at": NOW,
            "updated_at": NOW,
        }
        rows.append({"id": str(uuid.uuid4()), "base_version": 0, "fields": fields})
    before = committed_version()

    answer = tech1.push({"comments": rows})
    assert answer.status_code == 200, answer.text[:500]
    body = answer.json()
    refused = {r["id"]: r["reason"] for r in body["rejected"]}
    expected_refused = {rows[i]["id"] for i in DATABASE_REFUSED | OUTSIDE}
    assert set(refused) == expected_refused
    assert all("outside your interventions" in refused[rows[i]["id"]] for i in OUTSIDE)
    assert all("head office's database" in refused[rows[i]["id"]] for i in DATABASE_REFUSED)
    kept = [r for i, r in enumerate(rows) if i not in DATABASE_REFUSED | OUTSIDE]
    assert [a["id"] for a in body["applied"]] == [r["id"] for r in kept]  # in push order
    versions = _versions_of(body)
    assert versions == list(range(before + 1, before + 1 + len(kept)))  # contiguous, no gap
    assert committed_version() == versions[-1]

    stored = {c.id: c for c in Comment.select().where(Comment.id.in_([r["id"] for r in rows]))}
    assert set(stored) == {r["id"] for r in kept}
    by_id = {a["id"]: a["version"] for a in body["applied"]}
    for row in kept:
        comment = stored[row["id"]]
        assert (comment.body, comment.intervention_id, comment.author_id) == (
            row["fields"]["body"],
            job,
            author,
        )
        assert comment.sync_version == by_id[row["id"]] and not comment.deleted
    meta = {
        m.row_id: m.fields
        for m in RowMeta.select().where(
            (RowMeta.table_name == "comments") & RowMeta.row_id.in_(list(stored))
        )
    }
    assert set(meta) == set(stored)
    for row_id, fields in meta.items():
        assert fields == {c: [by_id[row_id], tech1.device_id] for c in kept[0]["fields"]}
    held = DeviceRow.select(DeviceRow.row_id).where(
        (DeviceRow.device_id == tech1.device_id) & (DeviceRow.table_name == "comments")
    )
    assert {r.row_id for r in held} == set(stored)

    # every row again, one field changed: updates, contiguous versions, metadata of that field
    edits = [
        {
            "id": r["id"],
            "base_version": by_id[r["id"]],
            "fields": {"body": f"{r['fields']['body']}!"},
        }
        for r in kept
    ]
    batch_id = str(uuid.uuid4())
    second = tech1.push({"comments": edits}, batch_id=batch_id)
    assert second.status_code == 200, second.text[:500]
    again = second.json()
    assert again["rejected"] == [] and again["conflicts"] == []
    assert _versions_of(again) == list(range(versions[-1] + 1, versions[-1] + 1 + len(kept)))
    new_version = {a["id"]: a["version"] for a in again["applied"]}
    sample = [kept[0], kept[len(kept) // 2], kept[-1]]
    for row in sample:
        assert Comment.get_by_id(row["id"]).body == row["fields"]["body"] + "!"
        fields = RowMeta.get(
            (RowMeta.table_name == "comments") & (RowMeta.row_id == row["id"])
        ).fields
        assert fields["body"] == [new_version[row["id"]], tech1.device_id]
        assert fields["created_at"] == [by_id[row["id"]], tech1.device_id]
    high = committed_version()
    assert tech1.push({"comments": edits}, batch_id=batch_id).json() == again  # replayed
    assert committed_version() == high
