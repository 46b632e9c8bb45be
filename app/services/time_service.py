"""Time spent: travel and work timers, totals and corrections.

A running timer is a TimeEntry without ``ended_at``: it lives in the database, so it survives
an app restart. A technician runs at most one timer at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.errors import ValidationError
from app.models import TimeEntry, db
from app.models.enums import TimeKind
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention


@dataclass(frozen=True)
class TimeTotals:
    travel_minutes: int
    work_minutes: int
    running: TimeKind | None  # the kind of the timer running on this intervention, if any

    @property
    def total_minutes(self) -> int:
        return self.travel_minutes + self.work_minutes


def running_entry(who: CurrentUser) -> TimeEntry | None:
    """The technician's running timer, on whatever intervention."""
    return (
        TimeEntry.live()
        .where((TimeEntry.technician == who.technician_id) & TimeEntry.ended_at.is_null())
        .first()
    )


def start(intervention_id: str, kind: TimeKind, who: CurrentUser, now: datetime) -> TimeEntry:
    """Start (or resume) a timer; a running one, on any intervention, is stopped first."""
    intervention = editable_intervention(intervention_id, who)
    _require_technician(who)
    with db.atomic():
        stop_running(who, now)
        return TimeEntry.create(
            intervention=intervention, technician=who.technician_id, kind=TimeKind(kind),
            started_at=now,
        )  # fmt: skip


def stop_running(who: CurrentUser, now: datetime) -> TimeEntry | None:
    """Pause/stop: end the technician's running timer. Returns it, or None if none ran."""
    entry = running_entry(who)
    if entry is None:
        return None
    entry.ended_at = max(now, entry.started_at)
    entry.save()
    return entry


def entries(intervention_id: str, who: CurrentUser) -> list[TimeEntry]:
    """The intervention's time entries, oldest first (the running one has no ``ended_at``)."""
    load_intervention(intervention_id, who)
    return list(
        TimeEntry.live()
        .where(TimeEntry.intervention == intervention_id)
        .order_by(TimeEntry.started_at)
    )


def totals(intervention_id: str, who: CurrentUser, now: datetime) -> TimeTotals:
    load_intervention(intervention_id, who)
    minutes = {TimeKind.TRAVEL: 0.0, TimeKind.WORK: 0.0}
    running = None
    for entry in TimeEntry.live().where(TimeEntry.intervention == intervention_id):
        if entry.corrected_minutes is not None:
            minutes[TimeKind(entry.kind)] += entry.corrected_minutes
            continue
        end = entry.ended_at or now
        if entry.ended_at is None:
            running = TimeKind(entry.kind)
        minutes[TimeKind(entry.kind)] += max(0.0, (end - entry.started_at).total_seconds() / 60)
    return TimeTotals(round(minutes[TimeKind.TRAVEL]), round(minutes[TimeKind.WORK]), running)


def correct(entry_id: str, minutes: object, reason: str, who: CurrentUser) -> TimeEntry:
    """Replace an entry's duration by ``minutes``; the reason is required and kept."""
    entry = TimeEntry.live().where(TimeEntry.id == entry_id).first()
    if entry is None:
        raise ValidationError("Time entry not found.", key="error.NotFoundError")
    editable_intervention(entry.intervention_id, who)
    try:
        value = int(str(minutes).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 24 * 60:
        raise ValidationError(
            f"{minutes!r} is not a duration in minutes between 0 and 1440.",
            field="minutes",
            key="error.time.minutes",
            hint="Type the number of minutes, e.g. 45.",
        )
    if not (reason or "").strip():
        raise ValidationError(
            "A correction needs a reason.", field="reason", key="error.time.reason",
            hint="Say why the time is corrected (forgotten timer, break, ...).",
        )  # fmt: skip
    entry.corrected_minutes = value
    entry.correction_reason = reason.strip()
    if entry.ended_at is None:
        entry.ended_at = entry.started_at
    entry.save()
    return entry


def _require_technician(who: CurrentUser) -> None:
    if who.technician_id is None:
        raise ValidationError(
            "Only technicians record time.", key="error.time.technician_only",
            hint="Sign in with a technician account.",
        )  # fmt: skip
