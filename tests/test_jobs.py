"""Background jobs without any UI: progress, cancel, failure, many jobs (app.jobs)."""

from __future__ import annotations

import threading
import time

import pytest

from app.errors import TerrainError, ValidationError
from app.i18n import Translator
from app.jobs import JobCancelledError, JobFailedError, JobRunner, JobState

WAIT = 10  # s: a bound on waits for events, never a timing assertion


@pytest.fixture
def runner():
    jobs = JobRunner(max_workers=2)
    yield jobs
    jobs.shutdown()


def states_of(job) -> list:
    seen = []
    job.subscribe(lambda j: seen.append((j.state, j.progress, j.message)))
    return seen


def test_a_job_reports_progress_then_its_result(runner):
    go = threading.Event()

    def work(handle, pages):
        go.wait(WAIT)
        for i in range(pages):
            handle.progress(i / pages, f"page {i + 1}/{pages}")
        return f"{pages} pages"

    job = runner.submit(work, 4, name="report")
    seen = states_of(job)
    assert job.state in (JobState.QUEUED, JobState.RUNNING) and job.name == "report"
    go.set()
    assert job.future.result(WAIT) == "4 pages"
    assert job.state == JobState.DONE and job.result == "4 pages" and job.progress == 1.0
    progress = [(p, m) for s, p, m in seen if s == JobState.RUNNING and m]
    assert progress == [
        (0.0, "page 1/4"),
        (0.25, "page 2/4"),
        (0.5, "page 3/4"),
        (0.75, "page 4/4"),
    ]
    assert seen[-1][0] == JobState.DONE
    assert runner.active() == []


def test_progress_is_clamped_and_may_be_unknown(runner):
    def work(handle):
        handle.progress(7)
        assert handle._job.progress == 1.0
        handle.progress(-1)
        assert handle._job.progress == 0.0
        handle.progress(None, "working")
        assert handle._job.progress is None and handle._job.message == "working"

    runner.submit(work).future.result(WAIT)


def test_a_job_cancelled_while_queued_never_runs(runner):
    gate, ran = threading.Event(), []
    busy = [runner.submit(lambda h: gate.wait(WAIT)) for _ in range(2)]  # both workers taken
    job = runner.submit(lambda h: ran.append("ran"), name="import")
    job.cancel()
    gate.set()
    with pytest.raises(JobCancelledError) as caught:
        job.future.result(WAIT)
    assert ran == [] and job.state == JobState.CANCELLED and job.error is caught.value
    assert all(b.future.result(WAIT) for b in busy)
    text = Translator("fr").error(caught.value)
    assert "Opération annulée." in text and "Relancez" in text


def test_cancel_while_running_stops_at_the_next_progress(runner):
    at_step, resume = threading.Event(), threading.Event()
    steps = []

    def work(handle):
        for step in range(100):
            handle.progress(step / 100)
            steps.append(step)
            if step == 3:
                at_step.set()
                resume.wait(WAIT)
        return "all"

    job = runner.submit(work)
    assert at_step.wait(WAIT)
    job.cancel()
    resume.set()
    with pytest.raises(JobCancelledError):
        job.future.result(WAIT)
    assert steps == [0, 1, 2, 3] and job.state == JobState.CANCELLED


def test_a_terrain_error_is_kept_and_others_become_job_failed(runner):
    def refuse(handle):
        raise ValidationError("Bad file.", hint="Choose a CSV file.")

    def crash(handle):
        raise ZeroDivisionError("boom")

    refused, crashed = runner.submit(refuse), runner.submit(crash, name="import")
    with pytest.raises(ValidationError):
        refused.future.result(WAIT)
    assert refused.state == JobState.FAILED and refused.error.hint == "Choose a CSV file."
    with pytest.raises(JobFailedError) as caught:
        crashed.future.result(WAIT)
    err = caught.value
    assert isinstance(err, TerrainError) and isinstance(err.__cause__, ZeroDivisionError)
    assert crashed.state == JobState.FAILED and crashed.error is err
    assert "contactez le support" in Translator("fr").error(err)


def test_many_jobs_all_finish_with_their_own_results():
    runner = JobRunner(max_workers=3)
    jobs = [runner.submit(lambda h, n=n: n * n, name=f"job{n}") for n in range(200)]
    assert [j.future.result(WAIT) for j in jobs] == [n * n for n in range(200)]
    assert all(j.state == JobState.DONE for j in jobs)
    assert len({j.id for j in jobs}) == 200 and runner.active() == []
    runner.shutdown()


def test_listeners_unsubscribe_and_a_late_one_hears_the_end(runner):
    job = runner.submit(lambda h: "ok")
    job.future.result(WAIT)
    late = []
    unsubscribe = job.subscribe(lambda j: late.append(j.state))
    assert late == [JobState.DONE]
    unsubscribe()
    unsubscribe()  # twice is fine
    assert job.listener_count() == 0


def test_a_broken_listener_does_not_break_the_job(runner):
    go = threading.Event()
    job = runner.submit(lambda h: go.wait(WAIT) and "ok")
    job.subscribe(lambda j: 1 / 0)
    go.set()
    assert job.future.result(WAIT) == "ok" and job.state == JobState.DONE


def test_shutdown_cancels_what_is_queued_or_running():
    runner = JobRunner(max_workers=1)
    gate = threading.Event()
    first = runner.submit(lambda h: gate.wait(WAIT) and h.check())
    queued = runner.submit(lambda h: "should not run")
    stopper = threading.Thread(target=runner.shutdown)
    stopper.start()
    deadline = time.monotonic() + WAIT
    while not first.cancel_requested and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    stopper.join(WAIT)
    with pytest.raises(JobCancelledError):
        queued.future.result(WAIT)
    with pytest.raises(JobCancelledError):  # it checked after the shutdown asked it to stop
        first.future.result(WAIT)
