"""Head office over HTTP: pull and push on the demo data, authorisation, and bad input."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests
from server_support import open_intervention_of, tech_interventions, visible_interventions

from app.models import Intervention
from app.sync.cursor import Cursor
from app.sync.push_request import MAX_BODY_BYTES


def test_pull_pages_through_a_technicians_scope(demo_server):
    client = demo_server.login("tech1")
    rows = client.pull_all(limit=3000)
    pulled = set(rows["interventions"])
    assert pulled == visible_interventions("tech1")
    assert tech_interventions("tech1") & pulled
    assert "password_hash" not in next(iter(rows["users"].values()))
    assert {"_version", "_deleted"} <= set(next(iter(rows["sites"].values())))
    again = client.get("/sync/pull", params={"cursor": "", "limit": 10})
    assert again.status_code == 200


def test_office_pulls_everything(demo_server):
    office = demo_server.login("office")
    rows = office.pull_all(limit=10000)
    assert len(rows["interventions"]) == Intervention.select().count()


def test_a_technician_cannot_pull_another_technicians_interventions(demo_server):
    foreign = tech_interventions("tech2") - visible_interventions("tech1")
    assert foreign, "the demo data should give tech2 sites tech1 never visits"
    rows = demo_server.login("tech1").pull_all()
    assert not foreign & set(rows["interventions"])


def test_push_applies_a_technicians_change_and_is_idempotent(demo_server):
    client = demo_server.login("tech1")
    target = open_intervention_of("tech1")
    change = {"id": target.id, "base_version": target.sync_version}
    changes = {"interventions": [{**change, "fields": {"diagnosis": "Brûleur encrassé, nettoyé."}}]}
    batch = str(uuid.uuid4())
    first = client.push(changes, batch_id=batch)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["rejected"] == [] and answer["conflicts"] == []
    assert answer["applied"][0]["id"] == target.id
    version = answer["applied"][0]["version"]
    assert version > target.sync_version
    assert Intervention.get_by_id(target.id).diagnosis == "Brûleur encrassé, nettoyé."
    assert client.push(changes, batch_id=batch).json() == answer  # same batch: same answer
    assert Intervention.get_by_id(target.id).sync_version == version
    office_rows = demo_server.login("office").pull_all(limit=10000)
    assert office_rows["interventions"][target.id]["diagnosis"] == "Brûleur encrassé, nettoyé."


def test_push_into_another_technicians_intervention_is_rejected(demo_server):
    client = demo_server.login("tech1")
    target = open_intervention_of("tech2", invisible_to="tech1")
    comment = {"id": str(uuid.uuid4()), "fields": {
        "intervention_id": target.id, "author_id": client.user["id"], "visibility": "internal",
        "body": "Pas mon intervention",
    }}  # fmt: skip
    answer = client.push({
        "interventions": [{"id": target.id, "base_version": target.sync_version,
                           "fields": {"diagnosis": "intrusion"}}],
        "comments": [comment],
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["applied"] == []
    assert {r["table"] for r in body["rejected"]} == {"interventions", "comments"}
    assert Intervention.get_by_id(target.id).diagnosis != "intrusion"


def test_push_with_the_device_id_of_another_device_is_forbidden(demo_server):
    client = demo_server.login("tech1")
    body = {"batch_id": str(uuid.uuid4()), "device_id": "someone-else", "changes": {}}
    assert client.post("/sync/push", json=body).status_code == 403


def _push_raw(client, data: bytes, content_type: str = "application/json"):
    return client.post("/sync/push", data=data, headers={"Content-Type": content_type})


def _body(client, changes) -> bytes:
    return json.dumps(
        {"batch_id": str(uuid.uuid4()), "device_id": client.device_id, "changes": changes}
    ).encode()


BAD_CHANGES = {
    "unknown table": {"gadgets": []},
    "unknown field": {"comments": [{"id": "c1", "fields": {"colour": "red"}}]},
    "unknown change key": {"comments": [{"id": "c1", "extra": 1}]},
    "string for int": {
        "measurements": [{"id": "m1", "fields": {"value": 1.0}, "base_version": "0"}]
    },
    "bool for float": {"measurements": [{"id": "m1", "fields": {"value": True}}]},
    "string for float": {"measurements": [{"id": "m1", "fields": {"value": "12.5"}}]},
    "bad date": {"follow_ups": [{"id": "f1", "fields": {"due_date": "2024-02-30"}}]},
    "bad date-time": {"interventions": [{"id": "i1", "fields": {"started_at": "hier"}}]},
    "offset date-time": {
        "interventions": [{"id": "i1", "fields": {"started_at": "2024-01-01T10:00:00+02:00"}}]
    },
    "null for required": {"comments": [{"id": "c1", "fields": {"body": None}}]},
    "no id": {"comments": [{"fields": {}}]},
    "rows not a list": {"comments": {"id": "c1"}},
    "int out of range": {"quote_lines": [{"id": "q1", "fields": {"position": 2**70}}]},
}


@pytest.mark.parametrize("case", sorted(BAD_CHANGES))
def test_push_rejects_malformed_changes_with_400(demo_server, case):
    client = demo_server.login("tech1")
    answer = _push_raw(client, _body(client, BAD_CHANGES[case]))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "bad_request"
    expected = {"unknown table": "Unknown table", "unknown field": "Unknown field",
                "bad date": "YYYY-MM-DD", "bool for float": "number"}  # fmt: skip
    assert expected.get(case, "") in error["message"]


def test_push_rejects_bad_bodies_with_4xx(demo_server):
    client = demo_server.login("tech1")
    assert _push_raw(client, b'{"batch_id": ').status_code == 400
    assert _push_raw(client, b"\xff\xfe\x00{").status_code == 400
    assert _push_raw(client, b"[1, 2]").status_code == 400
    assert _push_raw(client, b"").status_code == 400
    assert _push_raw(client, b"[" * 5000 + b"]" * 5000).status_code == 400
    assert _push_raw(client, _body(client, {}), "text/plain").status_code == 415
    assert _push_raw(client, b'{"batch_id": "b", "device_id": 3, "changes": {}}').status_code == 400


def test_push_of_too_many_rows_is_refused_with_413(demo_server):
    client = demo_server.login("tech1")
    rows = [{"id": f"c{i}", "fields": {}} for i in range(5001)]
    answer = _push_raw(client, _body(client, {"comments": rows}))
    assert answer.status_code == 413  # "413 body or batch too large" (docs/sync-protocol.md)
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert "5000" in answer.json()["error"]["message"]


def test_push_body_over_the_limit_gets_413(demo_server):
    client = demo_server.login("tech1")
    answer = _push_raw(client, b" " * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def _cursor(**fields) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["%%%", "bm90IGpzb24", _cursor(s=-1), _cursor(z=1), _cursor(v0=2**80), _cursor(s="1")],
)
def test_an_invalid_cursor_gets_400(demo_server, cursor):
    client = demo_server.login("tech1")
    answer = client.get("/sync/pull", params={"cursor": cursor})
    assert answer.status_code == 400, answer.text


def test_a_cursor_from_the_future_gets_409(demo_server):
    client = demo_server.login("tech1")
    answer = client.get("/sync/pull", params={"cursor": Cursor(s=99).encode()})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "cursor_invalid"


@pytest.mark.parametrize("limit", ["0", "abc", "-5", "10001", "1.5"])
def test_a_bad_limit_gets_400(demo_server, limit):
    client = demo_server.login("tech1")
    answer = client.get("/sync/pull", params={"limit": limit})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "limit"


def test_unknown_routes_and_methods_answer_json_4xx(demo_server):
    assert requests.get(demo_server.url("/nothing"), timeout=10).json()["error"]["code"]
    answer = requests.delete(demo_server.url("/health"), timeout=10)
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
