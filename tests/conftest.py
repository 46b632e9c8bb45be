"""Shared fixtures: a fresh database per test, and the strict mode used by CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.models import db
from app.models.database import open_sqlite

pytest_plugins = ["server_support"]  # head office fixtures: live servers, PostgreSQL

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"

# In CI (CI=true), what a test needs from the machine (Chromium, PostgreSQL) must be there:
# a missing dependency fails the test instead of skipping it.
STRICT = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a machine dependency is missing."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"{reason} (CI=true: missing dependencies fail the run)")
    pytest.skip(reason)


@pytest.fixture
def database(tmp_path):
    """A fresh, migrated SQLite database bound to the models, closed after the test."""
    database = open_sqlite(tmp_path / "terrain.db")
    yield database
    database.close()
    db.initialize(None)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
