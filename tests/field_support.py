"""Helpers for the field-service tests: demo users as CurrentUser, and their jobs."""

from __future__ import annotations

from datetime import datetime, time

from conftest import DEMO_TODAY

from app.models import Intervention, Technician, TimeEntry, User
from app.models.enums import InterventionStatus, Role
from app.services.auth_service import CurrentUser

NOW = datetime.combine(DEMO_TODAY, time(10, 0))


def as_user(username: str) -> CurrentUser:
    user = User.get(User.username == username)
    tech = Technician.get_or_none(Technician.user == user)
    return CurrentUser(
        id=user.id, username=username, display_name=user.display_name, role=Role(user.role),
        technician_id=tech.id if tech else None,
    )  # fmt: skip


def a_job(
    who: CurrentUser, status: InterventionStatus = InterventionStatus.ASSIGNED
) -> Intervention:
    """One of ``who``'s interventions with a procedure and an equipment, put in ``status``."""
    job = (
        Intervention.select()
        .where(
            (Intervention.technician == who.technician_id)
            & Intervention.procedure.is_null(False)
            & Intervention.equipment.is_null(False)
            & (Intervention.scheduled_start >= datetime.combine(DEMO_TODAY, time.min))
        )
        .order_by(Intervention.scheduled_start)
        .first()
    )
    Intervention.update(status=status, started_at=None, finished_at=None).where(
        Intervention.id == job.id
    ).execute()
    # A clean slate for timers: none of this job's time, no timer running for the technician.
    TimeEntry.delete().where(
        (TimeEntry.intervention == job.id)
        | ((TimeEntry.technician == who.technician_id) & TimeEntry.ended_at.is_null())
    ).execute()
    return Intervention.get_by_id(job.id)
