"""A pytest plugin, the last resort against a hang that pytest-timeout cannot stop.

pytest-timeout's alarm fires once per test: a teardown that hangs after it fired (a browser
that no longer answers, a server thread that never joins), or C code that never returns to
Python, would hang the run until CI's own limit and print nothing. This watchdog waits the
test's limit plus ``TERRAIN_TEST_WATCHDOG_GRACE`` seconds (120 by default); then it prints
which test it was and the stack of every thread, and ends the run at once with exit code 3.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading

import pytest

EXIT_CODE = 3


def grace() -> float:
    return float(os.environ.get("TERRAIN_TEST_WATCHDOG_GRACE", "120"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    limit = _timeout_of(item)
    timer = None
    if limit > 0:
        timer = threading.Timer(limit + grace(), _stop_the_run, (item, limit))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


def _timeout_of(item) -> float:
    """The test's pytest-timeout limit: its marker, else --timeout, else the ini (0: none)."""
    marker = item.get_closest_marker("timeout")
    value = marker.args[0] if marker and marker.args else item.config.getoption("timeout", None)
    try:
        return float(value if value is not None else item.config.getini("timeout") or 0)
    except (TypeError, ValueError):
        return 0.0


def _stop_the_run(item, limit: float) -> None:
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.suspend_global_capture(in_=True)
    print(
        f"\n+++ watchdog: {item.nodeid} still runs {grace():g} s past its {limit:g} s limit; "
        f"the stack of every thread follows, then the run stops (exit code {EXIT_CODE}).",
        file=sys.stderr,
        flush=True,
    )
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()
    os._exit(EXIT_CODE)
