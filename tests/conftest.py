"""Shared fixtures: a fresh database per test, and the strict mode used by CI."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.models import db
from app.models.database import open_sqlite

pytest_plugins = ["server_support", "watchdog"]  # head office fixtures; the hang watchdog


def _move_the_date() -> None:
    """``TERRAIN_CLOCK=2028-02-29T23:58:00 bash scripts/test.sh`` runs the whole suite at that
    local time: this process through time-machine (the tests' own dates too), every process it
    starts through app.clock (the variable is anchored to the real time now, so they agree)."""
    value = os.environ.get(clock.ENV, "").strip()
    if not value:
        return
    moment = datetime.fromisoformat(value.partition("@")[0])
    if "@" not in value:
        os.environ.update(clock.env_for(moment))
    import time_machine

    anchor = float(os.environ[clock.ENV].partition("@")[2])
    real = time.time()
    start = (moment + timedelta(seconds=real - anchor)).astimezone()  # naive = local
    time_machine.travel(start, tick=True).start()
    clock.mark_env_applied(system_shift=start.timestamp() - real)


_move_the_date()

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


PARTS = ("browser", "other")


def pytest_addoption(parser):
    parser.addoption(
        "--part",
        choices=PARTS,
        default=None,
        help="run only the browser tests (marked `browser`) or only the other ones; "
        "scripts/test.sh runs `--part other` in two processes, then `--part browser` alone",
    )


def pytest_collection_modifyitems(config, items):
    """``--part``: keep one part of the suite, the rest is deselected (so it composes with
    ``-m`` and ``-k``; scripts/test.sh runs the two parts one after the other)."""
    part = config.getoption("part")
    if part is None:
        return
    keep, drop = [], []
    for item in items:
        is_browser = item.get_closest_marker("browser") is not None
        (keep if is_browser == (part == "browser") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


BROWSER_MOMENT = datetime(2026, 3, 11, 9, 0)  # the demo day (a Wednesday), at 09:00


@pytest.fixture(scope="module", autouse=True)
def _browser_tests_on_one_day(request):
    """Browser tests drive whole apps (``main.py run``/``serve --demo``) whose demo data is
    generated for the day they start: without this their job, its procedure and its times
    would change with the day and the hour of the run. A module of browser tests, and every
    process it starts, runs from ``BROWSER_MOMENT`` (the clock ticking on from there), unless
    the whole suite is moved with ``TERRAIN_CLOCK`` (then that moment holds for them too).
    Module-scoped, so that it is in place before the modules' own app-starting fixtures."""
    if next(request.node.iter_markers("browser"), None) is None or os.environ.get(clock.ENV):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(clock.ENV, clock.env_for(BROWSER_MOMENT)[clock.ENV])
        clock.set_now(BROWSER_MOMENT)
        try:
            yield
        finally:
            clock.set_now(None)


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


DEMO_TODAY = date(2026, 3, 11)  # a Wednesday: the demo day of the shared demo database


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The small demo database, generated once per test session (read it, never bind it)."""
    from app.demo import generate

    path = tmp_path_factory.mktemp("demo-template") / "terrain.db"
    database = open_sqlite(path)
    generate(size="small", seed=42, today=DEMO_TODAY)
    database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    db.initialize(None)
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path):
    """A private copy of the small demo database, bound for one test (writes allowed)."""
    path = tmp_path / "terrain.db"
    shutil.copy(demo_template, path)
    database = open_sqlite(path)
    yield database
    database.close()
    db.initialize(None)
