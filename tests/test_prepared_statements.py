"""Head office's statements planned once per PostgreSQL connection (headoffice.database.run);
on SQLite the same call is a plain execute."""

from __future__ import annotations

import pytest

from headoffice.database import _numbered, open_database, run

SQL = "SELECT %s::int + 1, '100%%', %s::text"


def test_placeholders_become_postgresqls_and_percent_signs_stay_single():
    assert _numbered(SQL) == "SELECT $1::int + 1, '100%', $2::text"
    assert _numbered("SELECT 1") == "SELECT 1"


@pytest.mark.postgres
def test_a_statement_is_prepared_once_per_connection_then_executed(pg_url):
    database = open_database(pg_url)
    try:
        assert run(SQL, (41, "a")).fetchone() == (42, "100%", "a")
        assert run(SQL, (1, None)).fetchone() == (2, "100%", None)  # the same, prepared
        connection = database.connection()
        assert list(connection.prepared) == [SQL]
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, statement FROM pg_prepared_statements")
            [(name, statement)] = cursor.fetchall()
        assert name == connection.prepared[SQL] and "$2::text" in statement
        with database.atomic() as transaction:  # a rollback keeps what was prepared
            run(SQL, (5, "b"))
            transaction.rollback()
        assert run(SQL, (6, "c")).fetchone() == (7, "100%", "c")
        assert list(connection.prepared) == [SQL]
    finally:
        database.close()


def test_on_sqlite_it_is_a_plain_execute(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'headoffice.db'}")
    try:
        assert run("SELECT ? + 1", (41,)).fetchone() == (42,)
    finally:
        database.close()
