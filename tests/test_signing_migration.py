"""Migration 4 (signature outcome and reason, follow-up urgency, lines, kind next_preventive)
upgrades a version-3 database on SQLite and PostgreSQL, keeping its rows."""

from __future__ import annotations

import uuid

import pytest
from peewee import IntegrityError

from app.models import FollowUp, Signature, db
from app.models.database import open_sqlite
from app.models.migrations import LATEST_VERSION, MIGRATIONS

# The migration this file tests (numbered after the media one at the merge).
SIGNING_MIGRATION = next(m.version for m in MIGRATIONS if m.name.startswith("signature outcome"))

OLD_KINDS = "'none', 'new_visit', 'quote', 'parts_order', 'other'"


def _as_version_3(database, postgres: bool) -> None:
    """Put the database back in the shape of version 3, with one old follow-up row."""
    run = database.execute_sql
    run("ALTER TABLE signatures DROP COLUMN outcome")
    run("ALTER TABLE signatures DROP COLUMN reason")
    if postgres:
        run("ALTER TABLE follow_ups DROP COLUMN urgency")
        run("ALTER TABLE follow_ups DROP COLUMN lines")
        run("ALTER TABLE follow_ups DROP CONSTRAINT follow_ups_kind_check")
        run(
            "ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_kind_check "
            f"CHECK (kind IN ({OLD_KINDS}))"
        )
    else:
        sql = run("SELECT sql FROM sqlite_master WHERE name = 'follow_ups'").fetchone()[0]
        indexes = [
            r[0]
            for r in run(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'follow_ups' AND type = 'index' "
                "AND sql IS NOT NULL"
            ).fetchall()
        ]
        run("DROP TABLE follow_ups")
        sql = sql.replace(', "urgency" VARCHAR(255)', "").replace(', "lines" TEXT', "")
        sql = sql.replace(", 'next_preventive'", "")
        assert "urgency" not in sql and "next_preventive" not in sql, sql
        run(sql)
        for index in indexes:
            run(index)
    run(f"DELETE FROM schema_migrations WHERE version >= {SIGNING_MIGRATION}")
    job = run("SELECT id FROM interventions LIMIT 1").fetchone()
    row_id = str(uuid.uuid4())
    run(
        "INSERT INTO follow_ups (id, created_at, updated_at, deleted, sync_version, "
        "intervention_id, kind, description) VALUES (%s, '2026-01-01', '2026-01-01', false, 0, "
        "%s, 'quote', 'Ancien devis')".replace("%s", "%s" if postgres else "?"),
        (row_id, job[0]),
    )
    return row_id


def _check_upgraded(row_id: str) -> None:
    old = FollowUp.get_by_id(row_id)
    assert old.kind == "quote" and old.description == "Ancien devis" and old.lines is None
    FollowUp.create(
        intervention=old.intervention_id, kind="next_preventive", urgency=None,
        lines=[{"part_id": "p", "quantity": 1}],
    )  # fmt: skip
    with pytest.raises(IntegrityError), db.atomic():
        FollowUp.create(intervention=old.intervention_id, kind="bogus")
    assert Signature._meta.columns["outcome"].default == "signed"


def _one_intervention() -> None:
    from app.models import Customer, Intervention, InterventionType, Site

    customer = Customer.create(code="C1", name="Client")
    site = Site.create(customer=customer, name="S", address_line="1 rue", postal_code="69000",
                       city="Lyon")  # fmt: skip
    kind = InterventionType.create(code="ENT", label="Entretien")
    Intervention.create(reference="INT-1", customer=customer, site=site, status="planned",
                        intervention_type=kind, scheduled_start="2026-03-11 10:00:00",
                        scheduled_end="2026-03-11 11:00:00")  # fmt: skip


def test_sqlite_version_3_is_upgraded(tmp_path):
    path = tmp_path / "t.db"
    database = open_sqlite(path)
    _one_intervention()
    row_id = _as_version_3(database, postgres=False)
    database.close()
    database = open_sqlite(path)
    try:
        assert (
            database.execute_sql("SELECT max(version) FROM schema_migrations").fetchone()[0]
            == LATEST_VERSION
        )
        _check_upgraded(row_id)
    finally:
        database.close()
        db.initialize(None)


def test_postgresql_version_3_is_upgraded(pg_url):
    pg = pg_url
    from headoffice.database import open_database

    database = open_database(pg)
    _one_intervention()
    row_id = _as_version_3(database, postgres=True)
    database.close_all() if hasattr(database, "close_all") else database.close()
    database = open_database(pg)
    try:
        _check_upgraded(row_id)
    finally:
        database.close_all() if hasattr(database, "close_all") else database.close()
        db.initialize(None)
