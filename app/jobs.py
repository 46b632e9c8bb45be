"""Background jobs: long work off the UI loop (PDF rendering, media ingest, imports, a first
sync), each with an observable state a view can show. No Flet here.

    runner = JobRunner()
    job = runner.submit(render_report, intervention_id, name="report")

    def render_report(handle: JobHandle, intervention_id: str) -> Path:
        for i, page in enumerate(pages):
            handle.progress(i / len(pages), f"page {i + 1}")  # raises JobCancelledError
            ...
        return path

    job.subscribe(lambda job: ...)   # called on the job's thread after each change
    job.cancel()                     # cooperative: takes effect at the next handle call
    await asyncio.wrap_future(job.future)   # the result, or the job's error

A job is queued, then running, then done, failed or cancelled. A failure is a
``TerrainError`` (the job's own, or ``JobFailedError`` around anything else, with what to do
next); a cancelled job ends with ``JobCancelledError``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.errors import TerrainError
from app.observable import Observable

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2  # the devices have few cores; the UI loop must keep one


class JobCancelledError(TerrainError):
    """The user cancelled the job; what it finished before stays."""

    hint = "Start it again whenever you like; what was already saved is kept."


class JobFailedError(TerrainError):
    """A job stopped on an unexpected error (the original is its ``__cause__``)."""

    hint = "Try again; if it happens again, contact support."


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(eq=False)
class Job(Observable):
    """One job's observable state; changed only by its runner and its handle."""

    id: int
    name: str
    state: JobState = JobState.QUEUED
    progress: float | None = None  # 0..1; None: not known (indeterminate)
    message: str = ""
    result: Any = None
    error: TerrainError | None = None
    future: Future = field(default_factory=Future, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop: a queued job never starts; a running one stops at its next
        ``handle.progress``/``handle.check``. A finished job is left as it is."""
        self._cancel.set()

    def _final(self) -> bool:
        return self.state.finished  # a finished job calls a new listener once, at once

    def _describe(self) -> str:
        return f"job {self.name}"


class JobHandle:
    """What the job's function gets: report progress, and learn it was cancelled."""

    def __init__(self, job: Job) -> None:
        self._job = job

    @property
    def cancelled(self) -> bool:
        return self._job.cancel_requested

    def check(self) -> None:
        """Raise ``JobCancelledError`` if the job was cancelled (call it between steps)."""
        if self._job.cancel_requested:
            raise JobCancelledError(f"{self._job.name or 'The job'} was cancelled.")

    def progress(self, fraction: float | None, message: str | None = None) -> None:
        """Report ``fraction`` done (0..1, clamped; None: unknown) and what is going on;
        raises ``JobCancelledError`` if the job was cancelled."""
        self.check()
        if fraction is not None:
            fraction = min(max(float(fraction), 0.0), 1.0)
        changes: dict[str, Any] = {"progress": fraction}
        if message is not None:
            changes["message"] = message
        self._job._changed(**changes)


class JobRunner:
    """A thread pool running jobs; one per app process. ``shutdown()`` at exit."""

    def __init__(self, max_workers: int = DEFAULT_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="job")
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._guard = threading.Lock()

    def submit(
        self, fn: Callable[..., Any], *args: Any, name: str = "", message: str = "", **kwargs: Any
    ) -> Job:
        """Queue ``fn(handle, *args, **kwargs)``; returns its ``Job`` at once. ``name`` (for
        logs and errors) and ``message`` (shown until the job reports) are the runner's."""
        job = Job(id=next(self._ids), name=name or getattr(fn, "__name__", "job"), message=message)
        with self._guard:
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, fn, args, kwargs)
        return job

    def active(self) -> list[Job]:
        """Jobs queued or running."""
        with self._guard:
            return [j for j in self._jobs.values() if not j.state.finished]

    def _run(self, job: Job, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        try:
            if job.cancel_requested:
                raise JobCancelledError(f"{job.name} was cancelled before it started.")
            job._changed(state=JobState.RUNNING)
            result = fn(JobHandle(job), *args, **kwargs)
        except JobCancelledError as err:
            self._finish(job, JobState.CANCELLED, error=err)
        except TerrainError as err:
            self._finish(job, JobState.FAILED, error=err)
        except Exception as exc:
            log.exception("job %s failed", job.name)
            err = JobFailedError(f"{job.name} failed: {exc}")
            err.__cause__ = exc
            self._finish(job, JobState.FAILED, error=err)
        else:
            self._finish(job, JobState.DONE, result=result)

    def _finish(self, job: Job, state: JobState, *, result: Any = None, error=None) -> None:
        with self._guard:
            self._jobs.pop(job.id, None)
        progress = 1.0 if state == JobState.DONE else job.progress
        job._changed(state=state, result=result, error=error, progress=progress)
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    def shutdown(self, *, wait: bool = True) -> None:
        """Cancel what is queued or running, then stop the pool (waiting for it by default)."""
        for job in self.active():
            job.cancel()
        self._pool.shutdown(wait=wait)
