"""Every foreign key stays searchable by an index, also where a composite index covers it
(migration 7 dropped the single-column indexes a composite already leads)."""

from __future__ import annotations

import pytest
from peewee import ForeignKeyField

from app.models import ALL_MODELS
from app.models.migrations import COVERED_INDEXES
from headoffice.database import open_database

FOREIGN_KEYS = [
    (model._meta.table_name, field.column_name)
    for model in ALL_MODELS
    for field in model._meta.sorted_fields
    if isinstance(field, ForeignKeyField)
]
FK_IDS = [f"{table}.{column}" for table, column in FOREIGN_KEYS]


def _index_names(database) -> set[str]:
    rows = database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {name for (name,) in rows.fetchall()}


def test_a_new_database_has_no_covered_index(database):
    assert not _index_names(database) & set(COVERED_INDEXES)
    assert "intervention_technician_id_scheduled_start" in _index_names(database)


@pytest.mark.parametrize(("table", "column"), FOREIGN_KEYS, ids=FK_IDS)
def test_sqlite_looks_up_every_foreign_key_through_an_index(database, table, column):
    plan = database.execute_sql(
        f'EXPLAIN QUERY PLAN SELECT id FROM "{table}" WHERE "{column}" = ?', ("x",)
    ).fetchall()
    detail = " ".join(row[-1] for row in plan)
    assert "USING" in detail and "INDEX" in detail, detail


@pytest.mark.postgres
def test_postgresql_has_an_index_led_by_every_foreign_key(pg_url):
    database = open_database(pg_url)  # head office's schema, closed by the fixture
    leading = set(
        database.execute_sql(
            "SELECT t.relname, a.attname FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0]"
        ).fetchall()
    )
    names = {r[0] for r in database.execute_sql("SELECT indexname FROM pg_indexes")}
    missing = [fk for fk in FOREIGN_KEYS if fk not in leading]
    assert not missing
    assert not names & set(COVERED_INDEXES)
