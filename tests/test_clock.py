"""The one clock: settable in tests, moved for child processes by TERRAIN_CLOCK."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _restore():
    saved = (clock._offset, clock._frozen, clock._env_applied, clock._system_shift)
    yield
    clock._offset, clock._frozen, clock._env_applied, clock._system_shift = saved


def test_frozen_clock_stands_still_and_comes_back():
    real = clock.now()
    with clock.frozen(datetime(2028, 2, 29, 23, 59, 30)):
        assert clock.now() == datetime(2028, 2, 29, 23, 59, 30)
        assert clock.today() == date(2028, 2, 29)
    assert abs(clock.now() - real) < timedelta(seconds=5)


def test_set_now_ticks_from_the_moment_given():
    clock.set_now(datetime(2027, 12, 31, 23, 59, 59))
    first = clock.now()
    assert first >= datetime(2027, 12, 31, 23, 59, 59)
    assert first - datetime(2027, 12, 31, 23, 59, 59) < timedelta(seconds=5)
    assert clock.utcnow() - clock.now() < timedelta(days=1)  # same instant, another zone
    clock.set_now(None)
    assert clock.today().year >= 2026


def test_env_anchored_to_real_time_agrees_across_processes():
    moment = datetime(2028, 2, 29, 23, 58)
    env = clock.env_for(moment)  # anchored to the real time, whatever moves this process
    code = "from app import clock; clock.configure_from_env(); print(clock.now().isoformat())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    there = datetime.fromisoformat(out)
    assert timedelta(0) <= there - moment < timedelta(seconds=30)


def test_env_applies_once_per_process():
    clock._env_applied = False
    clock.configure_from_env({clock.ENV: "2030-01-01T00:00:00"})
    clock.configure_from_env({clock.ENV: "2031-06-01T00:00:00"})
    assert clock.today().year == 2030


def test_bad_env_value_is_a_config_error_saying_what_to_do():
    clock._env_applied = False
    with pytest.raises(ConfigError) as err:
        clock.configure_from_env({clock.ENV: "next tuesday"})
    assert "YYYY-MM-DD" in str(err.value.hint)
