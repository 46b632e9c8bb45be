"""The one clock of Terrain: every "now" and "today" of the app and of head office comes from here.

Tests set it (``set_now``, ``frozen``) so that nothing depends on the day they run. A process
started with ``TERRAIN_CLOCK=<ISO date-time>`` in its environment starts its clock at that
local time and lets it run from there (the test suite uses this to move the date for every
process it starts: a month end near midnight, a leap day, the night the clocks change).

- ``now()``: local wall-clock time, naive (business times: schedules, time entries);
- ``utcnow()``: naive UTC (audit times: ``created_at``/``updated_at``, tokens, throttles);
- ``today()``: the local date.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

ENV = "TERRAIN_CLOCK"

_lock = threading.Lock()
_offset = timedelta(0)  # added to the system's time
_frozen: datetime | None = None  # a fixed local time (tests), or None


def _system_local() -> datetime:
    return datetime.now()


def now() -> datetime:
    """The local time, naive."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return _system_local() + _offset


def utcnow() -> datetime:
    """Naive UTC, the form every audit timestamp is stored in."""
    frozen = _frozen
    if frozen is not None:
        return _local_to_utc(frozen)
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def today() -> date:
    return now().date()


def aware_now() -> datetime:
    """The local time with its UTC offset (for schedulers that want aware datetimes)."""
    return (utcnow().replace(tzinfo=UTC)).astimezone()


def _local_to_utc(local: datetime) -> datetime:
    stamp = time.mktime(local.timetuple()) + local.microsecond / 1e6
    return datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)


def set_now(moment: datetime | None, *, tick: bool = True) -> None:
    """Move the clock to ``moment`` (local, naive). ``tick``: it runs on from there;
    otherwise it stays frozen there. ``None`` brings the system's time back."""
    global _offset, _frozen
    with _lock:
        if moment is None:
            _offset, _frozen = timedelta(0), None
        elif tick:
            _offset, _frozen = moment - _system_local(), None
        else:
            _offset, _frozen = timedelta(0), moment


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """The clock stands still at ``moment`` inside the block, then comes back."""
    global _offset, _frozen
    saved = (_offset, _frozen)
    set_now(moment, tick=False)
    try:
        yield
    finally:
        with _lock:
            _offset, _frozen = saved


def env_for(moment: datetime) -> dict[str, str]:
    """Environment entries that start a child process's clock at ``moment``."""
    return {ENV: moment.isoformat(timespec="seconds")}


def configure_from_env(environ: os._Environ | dict | None = None) -> None:
    """Apply ``TERRAIN_CLOCK`` if set (called once at process start by ``app.cli``)."""
    value = (environ if environ is not None else os.environ).get(ENV, "").strip()
    if not value:
        return
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{ENV}={value!r} is not an ISO date-time (YYYY-MM-DDTHH:MM:SS).") from exc
    set_now(moment.replace(tzinfo=None), tick=True)
