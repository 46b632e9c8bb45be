"""The video migration (stills and clips name their video and time; videos' notes) upgrades
a database of the version before it on SQLite and PostgreSQL, keeping its attachments."""

from __future__ import annotations

import uuid

from test_signing_migration import _one_intervention

from app.models import Attachment, db
from app.models.database import open_sqlite
from app.models.migrations import LATEST_VERSION, MIGRATIONS

# The migration this file tests (renumbered at the merge: found by its name).
VIDEO_MIGRATION = next(m.version for m in MIGRATIONS if m.name.startswith("video stills"))
COLUMNS = ("source_attachment_id", "source_time_ms", "video_notes")


def _as_before(database, postgres: bool) -> str:
    """Drop the migration's columns (the shape before it) and leave one old video."""
    run = database.execute_sql
    for column in COLUMNS:
        run(f"ALTER TABLE attachments DROP COLUMN {column}")
    run(f"DELETE FROM schema_migrations WHERE version >= {VIDEO_MIGRATION}")
    job = run("SELECT id FROM interventions LIMIT 1").fetchone()[0]
    row_id = str(uuid.uuid4())
    mark = "%s" if postgres else "?"
    run(
        "INSERT INTO attachments (id, created_at, updated_at, deleted, sync_version, "
        "intervention_id, kind, phase, source, blob_sha256, mime_type, size_bytes, caption) "
        f"VALUES ({mark}, '2026-01-01', '2026-01-01', false, 0, {mark}, 'video', 'before', "
        f"'camera', {mark}, 'video/mp4', 10, 'Ancienne vidéo')",
        (row_id, job, "b" * 64),
    )
    return row_id


def _check_upgraded(row_id: str) -> None:
    old = Attachment.get_by_id(row_id)
    assert old.caption == "Ancienne vidéo" and old.video_notes is None
    assert old.source_attachment_id is None and old.source_time_ms is None
    old.video_notes = [{"t_ms": 0, "text": "note"}]
    old.save()
    still = Attachment.create(
        intervention=old.intervention_id, kind="photo", source="camera", blob_sha256="c" * 64,
        mime_type="image/jpeg", size_bytes=5, source_attachment_id=row_id, source_time_ms=250,
    )  # fmt: skip
    assert Attachment.get_by_id(still.id).source_time_ms == 250
    assert Attachment.get_by_id(row_id).video_notes == [{"t_ms": 0, "text": "note"}]


def test_sqlite_before_the_video_migration_is_upgraded(tmp_path):
    path = tmp_path / "t.db"
    database = open_sqlite(path)
    _one_intervention()
    row_id = _as_before(database, postgres=False)
    database.close()
    database = open_sqlite(path)
    try:
        version = database.execute_sql("SELECT max(version) FROM schema_migrations").fetchone()
        assert version[0] == LATEST_VERSION
        _check_upgraded(row_id)
    finally:
        database.close()
        db.initialize(None)


def test_postgresql_before_the_video_migration_is_upgraded(pg_url):
    from headoffice.database import open_database

    database = open_database(pg_url)
    _one_intervention()
    row_id = _as_before(database, postgres=True)
    database.close_all() if hasattr(database, "close_all") else database.close()
    database = open_database(pg_url)
    try:
        _check_upgraded(row_id)
    finally:
        database.close_all() if hasattr(database, "close_all") else database.close()
        db.initialize(None)
