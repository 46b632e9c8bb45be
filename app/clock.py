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
    """Environment entries that put a child process's clock at ``moment`` now (anchored to
    the real time of this call, so processes started later agree with this one)."""
    return {ENV: f"{moment.isoformat(timespec='seconds')}@{time.time() - _system_shift:.3f}"}


_env_applied = False
_system_shift = 0.0  # seconds this process's system clock is moved by other means (tests)


def configure_from_env(environ: dict | None = None) -> None:
    """Apply ``TERRAIN_CLOCK`` once per process (called at start by ``app.cli``).

    ``TERRAIN_CLOCK=2028-02-29T23:58:00`` starts the clock there; with ``@<unix time>``
    appended, the clock read that local time at that real instant (every process of a test
    run then shows the same time). A bad value raises ``ConfigError``.
    """
    global _env_applied
    value = (environ if environ is not None else os.environ).get(ENV, "").strip()
    if not value or _env_applied:
        return
    text, _, anchor = value.partition("@")
    try:
        moment = datetime.fromisoformat(text).replace(tzinfo=None)
        real = datetime.fromtimestamp(float(anchor)) if anchor else _system_local()
    except ValueError as exc:
        from app.errors import ConfigError

        raise ConfigError(
            f"{ENV}={value!r} is not a date-time.",
            hint=f"Set {ENV} to YYYY-MM-DDTHH:MM:SS (optionally @<unix time>), or unset it.",
        ) from exc
    global _offset, _frozen
    with _lock:
        _offset, _frozen = moment - real, None
    _env_applied = True


def mark_env_applied(system_shift: float = 0.0) -> None:
    """This process's time is already moved by ``system_shift`` seconds by other means (the
    test suite's time-machine): ``configure_from_env`` must not move it a second time, and
    ``env_for`` anchors child processes to the real time."""
    global _env_applied, _system_shift
    _env_applied, _system_shift = True, system_shift
