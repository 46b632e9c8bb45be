"""The job progress component without a browser: progress, cancel, failure, done."""

from __future__ import annotations

import asyncio
import threading

import pytest
from flet_harness import FletHarness

from app.errors import ValidationError
from app.i18n import Translator
from app.jobs import JobRunner, JobState
from app.views.job_progress import JobProgress

WAIT = 10  # s: a bound on waits, never a timing assertion


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def runner():
    jobs = JobRunner()
    yield jobs
    jobs.shutdown(wait=False)


async def until(condition, what: str) -> None:
    """Let the UI loop run until ``condition()`` holds (job changes arrive thread-safely)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def mounted() -> tuple[FletHarness, JobProgress]:
    async def main(page):
        page.data = JobProgress(Translator("fr"), on_update=page.update, identifier="job")
        page.add(page.data.control)

    h = await FletHarness.start(main)
    return h, h.page.data


def test_shows_progress_and_cancel_stops_the_job(runner):
    step, resume = threading.Event(), threading.Event()

    def work(handle):
        handle.progress(0.4, "Page 2 sur 5")
        step.set()
        resume.wait(WAIT)
        handle.progress(0.6, "Page 3 sur 5")  # raises: cancelled meanwhile
        return "never"

    async def scenario():
        h, progress = await mounted()
        assert not h.has("job")  # nothing to show before a job
        job = runner.submit(work, name="rapport")
        progress.follow(job)
        await until(lambda: progress.message.value == "Page 2 sur 5", "first progress")
        assert h.find("job-bar").value == 0.4 and h.has("job-cancel")
        await h.click("job-cancel")
        assert job.cancel_requested and h.find("job-cancel").disabled
        resume.set()
        await until(lambda: job.state == JobState.CANCELLED, "cancelled")
        await until(lambda: not h.has("job-cancel"), "cancel button hidden")
        assert "Opération annulée." in h.text("job-message")
        assert job.listener_count() == 0  # the component let go of the finished job
        h.close()

    run(scenario())


def test_failure_says_what_to_do(runner):
    def work(handle):
        raise ValidationError(
            "Bad file.", hint="x", key="error.number.invalid", label="A", value="b"
        )

    async def scenario():
        h, progress = await mounted()
        job = runner.submit(work)
        progress.follow(job)
        await until(lambda: job.state.finished and progress.job is None, "failed")
        text = h.text("job-message")
        assert text == Translator("fr").error(job.error) and "\n" in text  # what, then what to do
        assert not h.has("job-bar") and not h.has("job-cancel")
        h.close()

    run(scenario())


def test_done_fills_the_bar_and_a_finished_job_shows_at_once(runner):
    async def scenario():
        h, progress = await mounted()
        job = runner.submit(lambda handle: "ok")
        job.future.result(WAIT)
        progress.follow(job)  # already done: shown now, nothing left subscribed
        assert h.find("job-bar").value == 1.0 and h.text("job-message") == "Terminé"
        assert job.listener_count() == 0 and not h.has("job-cancel")
        h.close()

    run(scenario())


def test_stop_unsubscribes_a_screen_that_closes(runner):
    gate = threading.Event()

    async def scenario():
        h, progress = await mounted()
        job = runner.submit(lambda handle: gate.wait(WAIT))
        progress.follow(job)
        assert job.listener_count() == 1
        progress.stop()
        assert job.listener_count() == 0
        gate.set()
        job.future.result(WAIT)
        h.close()

    run(scenario())
