"""A hostile device against a live head office: nothing it pushes may break anyone's pull.

Hypothesis sends random batches — random values (deep and large JSON, wrong types, huge
text, garbage) in random columns of every synced table, new and existing ids, deletes,
retries of the same ``batch_id`` — as a technician and as the office (who may write every
table, so what it sends is stored). After each step, the technician's and the office's
next pulls must succeed with every row (none skipped as unencodable), and no answer may
be a 5xx. Bounded: SQLite, 30 examples.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_support import copy_demo_database, open_intervention_of

from app.sync.bounds import MAX_JSON_BYTES, MAX_JSON_DEPTH
from app.sync.schema import MODELS, TABLES
from app.sync.wire import COLUMNS, K_BOOL, K_DATE, K_DATETIME, K_FLOAT, K_INT, K_JSON, K_TEXT


def _nested(depth: int) -> object:
    value: object = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
hostile_json = st.one_of(
    json_values,
    st.integers(1, 400).map(_nested),  # the 603-byte push of issue 9 was 300 deep
    st.sampled_from([MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 250, 254, 300, 1000]).map(_nested),
    st.integers(MAX_JSON_BYTES - 16, MAX_JSON_BYTES + 16).map(lambda n: ["x" * n]),
)
# Values of the column's kind (so that batches get through parsing and are stored)...
BY_KIND = {
    K_TEXT: st.text(max_size=30),
    K_INT: st.integers(-1000, 1000),
    K_FLOAT: st.floats(-1e6, 1e6),
    K_BOOL: st.booleans(),
    K_DATE: st.dates().map(date.isoformat),
    K_DATETIME: st.datetimes().map(datetime.isoformat),
    K_JSON: hostile_json,
}
# ... and anything else, in any column.
hostile_values = st.one_of(
    hostile_json,
    st.sampled_from(["2026-03-11", "2026-03-11T10:00:00", "0000-00-00T00:00", "x" * 100_001]),
    st.integers(-(2**70), 2**70),
    st.text(max_size=50),
)


def value_for(kind: str) -> st.SearchStrategy:
    return st.integers(0, 4).flatmap(lambda n: hostile_values if n == 0 else BY_KIND[kind])


JSON_TABLES = sorted(t for t in TABLES if any(c.kind == K_JSON for c in COLUMNS[t].values()))


@st.composite
def changes(draw, ids: dict[str, list[str]]) -> dict:
    batch: dict[str, list[dict]] = {}
    tables = st.sampled_from(TABLES) | st.sampled_from(JSON_TABLES)  # JSON columns: often
    for table in draw(st.lists(tables, min_size=1, max_size=3, unique=True)):
        rows, used = [], set()
        for _ in range(draw(st.integers(1, 2))):
            columns = draw(
                st.lists(st.sampled_from(sorted(COLUMNS[table])), max_size=3, unique=True)
            )
            json_columns = [c for c, col in COLUMNS[table].items() if col.kind == K_JSON]
            if json_columns and draw(st.booleans()):
                columns = sorted({*columns, draw(st.sampled_from(json_columns))})
            row_id = draw(
                st.sampled_from(ids[table]) if draw(st.integers(0, 3)) else st.uuids().map(str)
            )
            if row_id in used:
                continue
            used.add(row_id)
            fields = {c: draw(value_for(COLUMNS[table][c].kind)) for c in columns}
            change = {"id": row_id, "fields": fields}
            change["base_version"] = draw(st.sampled_from([0, 1, 10**6]))
            if draw(st.booleans()):
                change["deleted"] = draw(st.booleans())
            rows.append(change)
        batch[table] = rows
    return batch


class Device:
    """A signed-in device pulling incrementally from its saved cursor."""

    def __init__(self, client) -> None:
        self.client = client
        self.cursor = ""

    def push(self, batch: dict, batch_id: str) -> requests.Response:
        body = {"batch_id": batch_id, "device_id": self.client.device_id, "changes": batch}
        return self.client.post(
            "/sync/push",
            data=json.dumps(body),  # stdlib: deep values, NaN and big integers go out as sent
            headers={"Content-Type": "application/json"},
        )

    def pull_to_the_end(self) -> None:
        for _ in range(200):
            answer = self.client.get("/sync/pull", params={"cursor": self.cursor, "limit": 500})
            assert answer.status_code == 200, answer.text
            page = answer.json()
            assert "skipped" not in page, page["skipped"]  # the push bounds kept it all sendable
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return
        raise AssertionError("the pull never ended")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_nothing_a_hostile_device_pushes_breaks_a_pull(backend, demo_db_url, make_server, tmp_path):
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        server.bind()
        tech, office = Device(server.login("tech1")), Device(server.login("office"))
        # a draft report of one of tech1's jobs: a JSON column both may write
        draft = {"id": str(uuid.uuid4()), "fields": {
            "intervention_id": open_intervention_of("tech1").id, "kind": "visit_report",
            "version": 1, "content": {"lines": []},
        }}  # fmt: skip
        assert tech.push({"report_versions": [draft]}, str(uuid.uuid4())).json()["applied"]
        ids = {
            t: [r[0] for r in MODELS[t].select(MODELS[t].id).limit(3).tuples()] or ["none"]
            for t in TABLES
        }
        tech.pull_to_the_end()
        office.pull_to_the_end()

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(data=st.data())
        def step(data) -> None:
            pusher = data.draw(st.sampled_from([tech, office, office]), label="pusher")
            batch = data.draw(changes(ids), label="batch")
            batch_id = str(uuid.uuid4())
            first = pusher.push(batch, batch_id)
            assert first.status_code < 500, first.text
            again = pusher.push(batch, batch_id)  # a retry of the same batch
            assert again.status_code == first.status_code, again.text
            if first.status_code == 200:
                assert again.json() == first.json()
            tech.pull_to_the_end()
            office.pull_to_the_end()

        step()
        newcomer = Device(server.login("office"))  # a new office device: its first sync
        newcomer.pull_to_the_end()
    finally:
        cleanup()


# --- the cases of issue 9, one by one ------------------------------------------------------


def _push_json(client, changes: dict, batch_id: str | None = None) -> requests.Response:
    body = {"batch_id": batch_id or str(uuid.uuid4()), "device_id": client.device_id}
    return client.post(
        "/sync/push",
        data=json.dumps({**body, "changes": changes}),
        headers={"Content-Type": "application/json"},
    )


def _pull_pages(client) -> list[dict]:
    pages, cursor = [], ""
    for _ in range(200):
        answer = client.get("/sync/pull", params={"cursor": cursor, "limit": 5000})
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = pages[-1]["cursor"]
        if not pages[-1]["has_more"]:
            return pages
    raise AssertionError("the pull never ended")


def test_a_json_value_nested_too_deep_or_too_large_is_refused_at_push(demo_server):
    from app.models import ChecklistItem

    item = ChecklistItem.select().first()
    office = demo_server.login("office")
    for value in (_nested(300), _nested(MAX_JSON_DEPTH + 1), ["x" * MAX_JSON_BYTES]):
        change = {"id": item.id, "base_version": item.sync_version, "fields": {"choices": value}}
        answer = _push_json(office, {"checklist_items": [change]})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "checklist_items.choices"
    fine = {"id": item.id, "base_version": item.sync_version}
    answer = _push_json(office, {"checklist_items": [{**fine, "fields": {"choices": _nested(32)}}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"]


def _store_unencodable_choices(item_id: str) -> None:
    """A value stored before the bounds existed (or written outside the API)."""
    from app.models import ChecklistItem, db

    with db.atomic():
        ChecklistItem.update(choices=_nested(300)).where(ChecklistItem.id == item_id).execute()


def test_a_stored_row_that_cannot_be_encoded_is_skipped_and_reported(
    make_server, demo_db_url, tmp_path
):
    from app.models import ChecklistItem

    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        server.bind()
        item = ChecklistItem.select().first()
        _store_unencodable_choices(item.id)
        for client in (server.login("office"), server.login("tech1")):
            pages = _pull_pages(client)  # every page answers 200
            skipped = [i for p in pages for i in p.get("skipped", {}).get("checklist_items", [])]
            assert skipped == [item.id]
            sent = {r["id"] for p in pages for r in p["changes"].get("checklist_items", [])}
            assert item.id not in sent and len(sent) == ChecklistItem.select().count() - 1
    finally:
        cleanup()


def test_a_conflict_on_an_unencodable_stored_value_answers_200_and_so_do_its_retries(
    make_server, demo_db_url, tmp_path
):
    from app.models import ChecklistItem

    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        server.bind()
        item = ChecklistItem.select().first()
        first, second = server.login("office"), server.login("office")
        base = item.sync_version
        change = {"id": item.id, "base_version": base, "fields": {"choices": ["a"]}}
        assert _push_json(first, {"checklist_items": [change]}).status_code == 200
        _store_unencodable_choices(item.id)
        batch = str(uuid.uuid4())
        change = {"id": item.id, "base_version": base, "fields": {"choices": ["b"]}}
        answers = [_push_json(second, {"checklist_items": [change]}, batch) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200], answers[0].text
        conflict = answers[0].json()["conflicts"][0]
        assert conflict["field"] == "choices" and conflict["kept"] == ["b"]
        assert conflict["lost"] is None  # the unencodable value travels as null
        assert answers[1].json() == answers[0].json()
    finally:
        cleanup()


def test_pull_pages_are_bounded_in_bytes_and_skip_nothing(
    make_server, demo_db_url, tmp_path, monkeypatch
):
    import headoffice.pull
    from app.models import ChecklistItem

    budget = 300_000
    monkeypatch.setattr(headoffice.pull, "MAX_PAGE_BYTES", budget)
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        server.bind()
        office = server.login("office")
        big = ChecklistItem.select().order_by(ChecklistItem.id).limit(5)
        changes = [
            {"id": i.id, "base_version": i.sync_version, "fields": {"choices": ["x" * 200_000]}}
            for i in big
        ]
        assert _push_json(office, {"checklist_items": changes}).json()["applied"]
        answers = []
        cursor = ""
        while True:
            answer = office.get("/sync/pull", params={"cursor": cursor, "limit": 10000})
            assert answer.status_code == 200
            answers.append(answer)
            cursor = answer.json()["cursor"]
            if not answer.json()["has_more"]:
                break
        for answer in answers:  # a page above the budget holds one row only
            rows = sum(len(r) for r in answer.json()["changes"].values())
            assert len(answer.content) <= budget + 1024 or rows == 1
        pulled = [r["id"] for a in answers for r in a.json()["changes"].get("checklist_items", [])]
        assert sorted(pulled) == sorted(i.id for i in ChecklistItem.select())  # once each
        assert len(answers) >= 5
    finally:
        cleanup()
