"""The hang watchdog (tests/watchdog.py) ends a run that pytest-timeout could not stop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

STUCK = """
import time
import pytest

@pytest.fixture
def stuck_teardown():
    yield
    while True:  # after the alarm fired: nothing interrupts this any more
        time.sleep(0.05)

def test_hangs(stuck_teardown):
    time.sleep(60)

def test_never_reached():
    pass
"""

QUICK = """
import time

def test_quick():
    time.sleep(0.2)
"""


def run(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_case.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(HERE), "TERRAIN_TEST_WATCHDOG_GRACE": "2"}
    command = [sys.executable, "-m", "pytest", "-p", "watchdog", "-p", "no:cacheprovider"]
    command += ["--timeout", "1", "-q", "--rootdir", str(tmp_path), str(tmp_path)]
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_a_teardown_stuck_after_the_timeout_ends_the_run_with_every_stack(tmp_path):
    result = run(tmp_path, STUCK)
    assert result.returncode == 3
    assert "watchdog: test_case.py::test_hangs still runs 2 s past its 1 s limit" in result.stderr
    assert "stuck_teardown" in result.stderr  # the stack shows where it hangs
    assert "test_never_reached" not in result.stdout + result.stderr


def test_a_test_within_its_limit_is_left_alone(tmp_path):
    result = run(tmp_path, QUICK)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "watchdog" not in result.stderr
