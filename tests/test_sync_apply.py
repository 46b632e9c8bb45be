"""The apply step: bulk upserts in one transaction with the cursor, and rule 7 on a device."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import pytest
from sync_support import open_device

from app.models import ChecklistItem, Customer, Measurement, db
from app.sync import apply, tracking
from app.sync.apply import CURSOR, apply_page
from app.sync.store import SyncOutbox, get_state, set_state
from app.sync.wire import (
    COLUMNS,
    K_BOOL,
    K_DATE,
    K_DATETIME,
    K_FLOAT,
    K_INT,
    K_JSON,
    K_TEXT,
)

SAMPLE = {
    K_TEXT: "x",
    K_INT: 1,
    K_FLOAT: 2.5,
    K_BOOL: False,
    K_DATE: "2026-03-02",
    K_DATETIME: "2026-03-02T08:30:00",
    K_JSON: {"b": [1, 2], "a": "é"},
}


def wire_row(table: str, version: int, **values) -> dict:
    row = {"id": str(uuid.uuid4())}
    for name, column in COLUMNS[table].items():
        row[name] = None if column.null else SAMPLE[column.kind]
    row.update(values, _version=version, _deleted=False)
    return row


def page(changes=None, evicted=None, cursor="c1", has_more=False) -> dict:
    return {
        "changes": changes or {},
        "evicted": evicted or {},
        "cursor": cursor,
        "has_more": has_more,
    }


@pytest.fixture
def device(tmp_path):
    database = open_device(tmp_path / "device.db")
    tracking.install()
    yield database
    tracking.uninstall()
    database.close()
    db.initialize(None)


def measurements(n: int) -> list[dict]:
    # The intervention does not exist on the device: a page may reference rows not yet here.
    intervention = str(uuid.uuid4())
    return [
        wire_row("measurements", i + 1, intervention_id=intervention, label=f"T{i}", value=i / 3)
        for i in range(n)
    ]


def test_values_are_stored_as_the_models_store_them(device):
    item = wire_row(
        "checklist_items", 7, kind="choice", step_id=str(uuid.uuid4()), choices=SAMPLE[K_JSON]
    )
    customer = wire_row("customers", 8, code="C1", kind="company")
    apply_page(page({"customers": [customer], "checklist_items": [item]}))
    stored = ChecklistItem.get_by_id(item["id"])
    assert stored.choices == {"a": "é", "b": [1, 2]} and stored.sync_version == 7
    got = Customer.get_by_id(customer["id"])
    assert got.created_at == datetime(2026, 3, 2, 8, 30) and got.deleted is False
    assert SyncOutbox.select().count() == 0  # applied rows are not local changes
    assert get_state(CURSOR) == "c1"
    customer.update(name="Nouveau nom", _version=9, _deleted=True)
    apply_page(page({"customers": [customer]}, cursor="c2"))
    got = Customer.get_by_id(customer["id"])
    assert (got.name, got.sync_version, got.deleted) == ("Nouveau nom", 9, True)


def test_a_20k_row_page_applies_whole(device):
    """Speed is the benchmarks' business (bench/bench_sync.py initial_sync), not this test's."""
    rows = measurements(20_000)
    started = time.perf_counter()
    result = apply_page(page({"measurements": rows}))
    elapsed = time.perf_counter() - started
    rate = len(rows) / elapsed
    print(f"\napply: {len(rows)} rows in {elapsed:.3f} s = {rate:,.0f} rows/s")
    assert result.rows == 20_000 and Measurement.select().count() == 20_000
    assert Measurement.get_by_id(rows[-1]["id"]).measured_at == datetime(2026, 3, 2, 8, 30)
    assert db.connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_a_row_missing_a_column_is_stored_with_null_and_the_rest_of_its_table_too(device):
    """Most tables bind straight from the wire rows; a row without one of the columns
    (nullable here) takes the slower path for its whole table, and nothing is lost."""
    rows = measurements(5)
    assert not apply.PLANS["measurements"].converts  # the fast path applies to this table
    rows[2]["min_value"] = 1.5
    del rows[3]["min_value"]
    result = apply_page(page({"measurements": rows}))
    assert result.rows == 5 and Measurement.select().count() == 5
    assert Measurement.get_by_id(rows[3]["id"]).min_value is None
    assert Measurement.get_by_id(rows[2]["id"]).min_value == 1.5
    assert [Measurement.get_by_id(r["id"]).label for r in rows] == [f"T{i}" for i in range(5)]


def test_a_crash_during_apply_keeps_the_previous_cursor_and_no_rows(device, monkeypatch):
    set_state(CURSOR, "before")
    real = apply.set_state

    def crash(key, value):
        if key == CURSOR:
            raise RuntimeError("killed in the middle")
        real(key, value)

    monkeypatch.setattr(apply, "set_state", crash)
    with pytest.raises(RuntimeError):
        apply_page(page({"measurements": measurements(20_000)}, cursor="after"))
    assert Measurement.select().count() == 0
    assert get_state(CURSOR) == "before"
    assert db.connection().execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert not db.connection().in_transaction


def test_pending_columns_are_not_overwritten_and_the_version_does_not_move(device):
    row = wire_row("customers", 5, code="C1", name="Server", notes="n1", kind="company")
    apply_page(page({"customers": [row]}))
    local = Customer.get_by_id(row["id"])
    local.name = "Mine"
    local.save()
    row.update(name="Server 2", notes="n2", phone="0102", _version=6)
    apply_page(page({"customers": [row]}, cursor="c2"))
    got = Customer.get_by_id(row["id"])
    assert (got.name, got.notes, got.phone) == ("Mine", "n2", "0102")
    assert got.sync_version == 5  # pending local columns: the version stays (rule 7)


def test_evicted_rows_are_deleted_unless_pending(device):
    a = wire_row("customers", 1, code="A", kind="company")
    b = wire_row("customers", 2, code="B", kind="company")
    apply_page(page({"customers": [a, b]}))
    pending = Customer.get_by_id(b["id"])
    pending.notes = "local work"
    pending.save()
    result = apply_page(page(evicted={"customers": [a["id"], b["id"]]}, cursor="c2"))
    assert (result.evicted, result.kept_evicted) == (1, 1)
    assert Customer.get_or_none(Customer.id == a["id"]) is None
    assert Customer.get_by_id(b["id"]).notes == "local work"


def test_apply_refuses_to_run_inside_a_transaction(device):
    with db.atomic(), pytest.raises(RuntimeError):
        apply_page(page())


def test_a_first_sync_builds_the_indexes_once_and_a_killed_one_gets_them_back(tmp_path):
    from app.sync import bulk
    from app.sync.store import open_device_db

    database = open_device_db(tmp_path / "device.db")
    try:

        def indexes() -> set[str]:
            return {
                r[0]
                for r in database.execute_sql(
                    "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
                ).fetchall()
            }

        before = indexes()
        assert bulk.device_is_empty()
        dropped = bulk.drop_secondary_indexes()
        assert dropped > 50 and len(indexes()) == len(before) - dropped
        assert all("UNIQUE" in database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
            for name in indexes())  # fmt: skip
        database.close()
        database = open_device_db(tmp_path / "device.db")  # the app starts again
        assert indexes() == before
        assert bulk.restore_indexes() == 0  # nothing left to rebuild
    finally:
        database.close()
        db.initialize(None)
