"""Observable sync status and the background scheduler (no UI)."""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import threading

from sync_support import env, server_template  # noqa: F401

from app.errors import AuthError
from app.models import Intervention
from app.sync.scheduler import SyncScheduler
from app.sync.state import SyncStatus


def test_status_and_progress_are_observable(env):
    status = SyncStatus()
    seen: list[tuple[str, bool, int]] = []
    unsubscribe = status.subscribe(
        lambda s: seen.append((s.step, s.running, s.progress.rows_applied))
    )
    scheduler = SyncScheduler(env.device, lambda: env.transport, status)
    report = scheduler.run_once()
    assert report is not None and report.pull.pages >= 2
    steps = [step for step, _, _ in seen]
    assert steps[0] == "start" and "push" in steps and "pull" in steps and steps[-1] == "done"
    applied = [rows for step, _, rows in seen if step == "pull"]
    assert applied == sorted(applied) and applied[-1] == report.pull.rows  # grows page by page
    assert not status.running and status.online and status.last_error is None
    assert status.last_success_at is not None and status.progress.pages_pulled == report.pull.pages

    mine = Intervention.technician == env.transport.who.technician_id
    job = Intervention.select().where(mine).first()
    job.summary = "edited offline"
    job.save()
    scheduler.refresh_pending()
    assert status.pending == 1

    env.transport.offline = True
    assert scheduler.run_once() is None
    assert status.online is False and status.pending == 1
    assert "network" in status.last_error and "saved on this device" in status.last_error
    unsubscribe()
    count = len(seen)
    env.transport.offline = False
    scheduler.run_once()
    assert len(seen) == count and status.pending == 0 and status.online


def test_an_auth_failure_asks_to_sign_in(env):
    status = SyncStatus()
    env.transport.who = None
    SyncScheduler(env.device, lambda: env.transport, status).run_once()
    assert isinstance(status.error, AuthError) and status.signed_in is False
    assert "Sign in again" in status.last_error


def test_a_broken_listener_does_not_stop_sync(env):
    status = SyncStatus()
    status.subscribe(lambda s: 1 / 0)
    assert SyncScheduler(env.device, lambda: env.transport, status).run_once() is not None
    assert status.last_error is None


def test_the_background_job_runs_off_the_calling_thread_and_sync_now_triggers_it(env):
    status = SyncStatus()
    done = threading.Event()
    threads: list[str] = []

    def listener(s: SyncStatus) -> None:
        threads.append(threading.current_thread().name)
        if s.step == "done":
            done.set()

    status.subscribe(listener)
    scheduler = SyncScheduler(env.device, lambda: env.transport, status, interval=3600)
    scheduler.start(run_now=False)
    try:
        job = scheduler._scheduler.get_job("sync")
        assert (job.max_instances, job.coalesce, job.next_run_time) == (1, True, None)
        scheduler.sync_now()
        assert done.wait(30)
    finally:
        scheduler.shutdown()
    assert threading.current_thread().name not in threads
    assert status.last_success_at is not None


def test_no_transport_means_no_run(env):
    status = SyncStatus()
    assert SyncScheduler(env.device, lambda: None, status).run_once() is None
    assert status.last_success_at is None and not status.running
