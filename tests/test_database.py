"""Opening, checking and upgrading databases: refused files are never modified."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.errors import CorruptDatabaseError, SchemaTooNewError
from app.models import Company, User, db
from app.models.database import open_sqlite, read_schema_version
from app.models.migrations import LATEST_VERSION, MIGRATIONS

FIXTURES = Path(__file__).parent / "fixtures"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _schema(path: Path) -> dict[str, tuple]:
    """Columns (name, type, notnull, pk) and index column sets of every table."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        schema = {}
        for table in tables:
            cols = tuple(
                sorted((*r[1:5], r[5]) for r in con.execute(f'PRAGMA table_info("{table}")'))
            )
            indexes = sorted(
                (tuple(c[2] for c in con.execute(f'PRAGMA index_info("{name}")')), unique)
                for _, name, unique, *_ in con.execute(f'PRAGMA index_list("{table}")')
            )
            schema[table] = (cols, tuple(indexes))
        return schema
    finally:
        con.close()


def _make_v1(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.executescript((FIXTURES / "schema_v1.sql").read_text())
    con.close()
    return path


@pytest.fixture(autouse=True)
def _unbind():
    yield
    if db.obj is not None:
        db.obj.close()
    db.initialize(None)


def test_migrations_are_numbered_in_order():
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST_VERSION + 1))


def test_new_database_gets_the_latest_schema(tmp_path):
    path = tmp_path / "new.db"
    open_sqlite(path).close()
    assert read_schema_version(path) == LATEST_VERSION
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_older_database_is_upgraded_keeps_its_data_and_a_backup(tmp_path):
    old = _make_v1(tmp_path / "old.db")
    assert read_schema_version(old) == 1
    open_sqlite(old)
    assert read_schema_version(old) == LATEST_VERSION
    assert Company.get().name == "Thermo Services"
    assert User.get(User.username == "old-user").display_name == "Ancien Utilisateur"
    db.obj.close()
    assert read_schema_version(tmp_path / "old.db.bak-v1") == 1


def test_upgraded_schema_equals_a_new_one(tmp_path):
    upgraded = _make_v1(tmp_path / "old.db")
    open_sqlite(upgraded).close()
    fresh = tmp_path / "fresh.db"
    open_sqlite(fresh).close()
    assert _schema(upgraded) == _schema(fresh)


def test_reopening_a_current_database_changes_nothing(tmp_path):
    path = tmp_path / "t.db"
    open_sqlite(path).close()
    open_sqlite(path).close()
    assert not list(tmp_path.glob("*.bak-*"))


def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "t.db"
    open_sqlite(path).close()
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', '2030')",
        (LATEST_VERSION + 1,),
    )
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(SchemaTooNewError, match="update the app"):
        open_sqlite(path)
    assert _digest(path) == before


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database at all" * 100,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
    ids=["garbage", "damaged"],
)
def test_corrupt_file_is_refused_untouched(tmp_path, content):
    path = tmp_path / "t.db"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError) as info:
        open_sqlite(path)
    assert "backup" in str(info.value)  # says what to do next
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.db"]


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(CorruptDatabaseError, match="not a Terrain database"):
        open_sqlite(path)
    assert _digest(path) == before


def test_a_device_database_of_sync_schema_1_gets_the_media_blob_ledger(tmp_path):
    from app.sync.store import DEVICE_SCHEMA, open_device_db

    old = tmp_path / "device.db"
    open_device_db(old).close()
    db.initialize(None)
    con = sqlite3.connect(old)  # as a device of before the ledger (device sync schema 1)
    con.execute("DROP TABLE media_blobs")
    con.execute("ALTER TABLE sync_rejections DROP COLUMN code")  # device sync schema 3
    con.execute("ALTER TABLE sync_rejections DROP COLUMN params")
    con.execute("DELETE FROM device_schema_migrations WHERE version > 1")
    con.commit()
    con.close()
    open_device_db(old).close()
    db.initialize(None)
    assert read_schema_version(old, "device_schema_migrations") == DEVICE_SCHEMA.latest == 3
    fresh = tmp_path / "fresh.db"
    open_device_db(fresh).close()
    assert _schema(old) == _schema(fresh)


def test_a_new_database_has_16k_pages_and_an_older_one_keeps_its_own(tmp_path):
    path = tmp_path / "new.db"
    open_sqlite(path).close()
    db.initialize(None)
    assert sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0] == 16384
    old = _make_v1(tmp_path / "old.db")
    assert sqlite3.connect(old).execute("PRAGMA page_size").fetchone()[0] == 4096
    open_sqlite(old)
    assert Company.get().name == "Thermo Services"
    assert db.execute_sql("PRAGMA page_size").fetchone()[0] == 4096
