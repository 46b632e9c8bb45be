"""A small run of the 1,000-device load simulation (``bench/bench_sim.py``, ``sim_1000``):
a few light-weight devices against a real head office process on loopback (SQLite)."""

from __future__ import annotations

from bench.bench_sim import KINDS, simulate


def test_a_small_simulation_runs_every_kind_of_request_without_errors():
    out = simulate(
        devices=12, seconds=4, clients=3, first_syncs=2, push_share=0.5, database_kind="sqlite"
    )
    assert out["errors"] == 0, out["error_examples"]
    assert out["cycles"] > 0
    kinds = out["kinds"]
    assert set(kinds) == set(KINDS)
    # the copies of the template devices hold a valid cursor: their pulls are served
    assert kinds["pull_idle"]["count"] + kinds["pull_changes"]["count"] > 0
    assert kinds["push"]["count"] > 0
    # every device is registered at head office (12, plus one template per user)
    assert out["headoffice_devices"] == 12 + out["users"]
    assert out["headoffice_device_rows"] > 0
    # every push that was answered without error is at head office, once
    pushes = kinds["push"]["count"] - kinds["push"]["errors"]
    assert out["headoffice_pushed_comments"] == pushes
    # first syncs that began ended with their sign-in counted
    assert kinds["login"]["count"] <= 2
    assert (kinds["first_pull"]["count"] > 0) == (kinds["login"]["count"] > 0)
    server = out["server"]
    assert server["rss_end_mb"] > 0 and server["run_cpu_s"] > 0
