"""The wire's schema history (app.sync.schema), the cursor's schema fields and the one wire
encoding (app.sync.wire) that head office's pull pages and ``row_to_wire`` share."""

# ruff: noqa: F811  (pytest fixtures imported from sync_support)
from __future__ import annotations

import base64
import json

import pytest
from sync_support import env, server_template, using  # noqa: F401

from app.sync import schema
from app.sync.cursor import Cursor
from app.sync.push_request import parse_push
from app.sync.schema import (
    Added,
    History,
    SchemaOutdatedError,
    SchemaTooNewError,
    model_columns,
)
from app.sync.wire import COLUMNS, ProtocolError, columns_at, row_to_wire, rows_encoder
from headoffice.pull import _selected, select_by_column

TWO = [Added(2, "equipment", ("power_kw",)), Added(3, "sites", ("latitude", "longitude"))]


def test_the_first_version_holds_every_travelling_column():
    history = History()
    assert history.version == schema.FIRST_SCHEMA == 1
    assert history.columns(1) == {t: model_columns(t) for t in schema.TABLES}
    assert "password_hash" not in history.columns(1)["users"]
    assert schema.current().version == max([1, *(a.version for a in schema.HISTORY.added)])


def test_each_version_knows_only_the_columns_added_up_to_it():
    history = History(added=TWO)
    assert history.version == 3
    assert "power_kw" not in history.columns(1)["equipment"]
    assert "latitude" not in history.columns(1)["sites"]
    assert "power_kw" in history.columns(2)["equipment"]
    assert "latitude" not in history.columns(2)["sites"]
    assert history.columns(3) == History().columns(1)  # today's models
    assert history.changed_tables(1, 3) == {"equipment", "sites"}
    assert history.changed_tables(2, 3) == {"sites"}
    assert history.changed_tables(3, 3) == set()


def test_a_history_that_does_not_match_the_models_is_refused():
    with pytest.raises(ValueError, match="no travelling column"):
        History(added=[Added(2, "equipment", ("wattage",))])
    with pytest.raises(ValueError, match="no travelling column"):
        History(added=[Added(2, "users", ("password_hash",))])  # never travels
    with pytest.raises(ValueError, match="in order"):
        History(added=[Added(3, "sites", ("latitude",)), Added(2, "equipment", ("power_kw",))])
    with pytest.raises(ValueError, match="oldest"):
        History(added=TWO, oldest=4)


def test_versions_outside_what_head_office_serves_are_refused():
    history = History(added=TWO, oldest=2)
    assert history.check(2) == 2 and history.check(3) == 3
    with pytest.raises(SchemaOutdatedError) as old:
        history.check(1)
    assert "Update the app" in old.value.hint
    with pytest.raises(SchemaTooNewError) as new:
        history.check(4)
    assert "update head office" in new.value.hint


def test_declared_replaces_the_history_for_the_block_only():
    before = schema.current()
    with schema.declared(History(added=TWO)):
        assert schema.current().version == 3
        assert "power_kw" not in columns_at(1)["equipment"]
        body = {"batch_id": "b", "device_id": "d", "changes": {"equipment": [
            {"id": "e1", "fields": {"power_kw": 2.5}}]}}  # fmt: skip
        assert parse_push(body, 2).changes[0].fields == {"power_kw": 2.5}
        assert parse_push(body).schema == 3  # no version: this code's
        with pytest.raises(ProtocolError, match="power_kw"):
            parse_push(body, 1)
        with pytest.raises(SchemaTooNewError):
            parse_push(body, 4)
    assert schema.current() is before


def test_a_cursor_from_before_rule_9_decodes_as_the_first_version():
    old = {"s": 3, "v0": 10, "v1": 0, "o": 0, "f": 0, "fp": "", "t": 0, "lv": 0, "d": ""}
    text = base64.urlsafe_b64encode(json.dumps(old).encode()).decode().rstrip("=")
    cursor = Cursor.decode(text)
    assert (cursor.sv, cursor.r) == (0, 0)
    assert Cursor.decode(Cursor(sv=2, r=5).encode()) == Cursor(sv=2, r=5)
    with pytest.raises(ProtocolError):
        Cursor.decode(Cursor(r=1 << len(schema.TABLES)).encode())


def as_json(rows: list[dict]) -> str:
    return json.dumps(rows, sort_keys=True)  # as JSON: true is not 1, "T" is not " "


def test_pull_pages_and_row_to_wire_are_the_same_encoding(env):
    """Head office's fast converter (raw database tuples, as pull pages read them) and
    row_to_wire (model values) give the same wire rows for every table of the demo data, in
    every shape."""
    history = History(added=TWO)
    filled = 0
    with using(env.server):
        for table, model in schema.MODELS.items():
            query = select_by_column(model).order_by(model.id).limit(50)
            dicts = list(query.dicts())
            raws = env.server.execute_sql(*query.sql()).fetchall()
            filled += bool(dicts)
            selected, _ = _selected(table)
            for version in (1, 3):
                names = history.columns(version)[table]
                encoded = rows_encoder(table, selected, names)(raws)
                wanted = {n: COLUMNS[table][n] for n in names}
                expected = [row_to_wire(table, r, wanted) for r in dicts]
                assert as_json(encoded) == as_json(expected), table
    assert filled >= 25  # most tables have rows in the demo data
