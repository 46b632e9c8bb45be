"""The services a view may use, passed in (never imported by views), so tests hand in their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from app import clock
from app.jobs import JobRunner
from app.services import (
    auth_service,
    checklist_service,
    comment_service,
    day_service,
    detail_service,
    follow_up_service,
    held_aside_service,
    history_service,
    lifecycle_service,
    media_service,
    meter_service,
    office_service,
    photo_item_service,
    report_service,
    signing_service,
    stock_service,
    storage_service,
    sync_service,
    time_service,
    validation_service,
    video_service,
    work_service,
)


@dataclass
class Services:
    auth: ModuleType = auth_service
    day: ModuleType = day_service
    office: ModuleType = office_service
    sync: ModuleType = sync_service
    detail: ModuleType = detail_service
    lifecycle: ModuleType = lifecycle_service
    time: ModuleType = time_service
    checklist: ModuleType = checklist_service
    meters: ModuleType = meter_service
    work: ModuleType = work_service
    comments: ModuleType = comment_service
    stock: ModuleType = stock_service
    history: ModuleType = history_service
    validation: ModuleType = validation_service
    media: ModuleType = media_service
    video: ModuleType = video_service
    photo_items: ModuleType = photo_item_service
    reports: ModuleType = report_service
    signing: ModuleType = signing_service
    follow_ups: ModuleType = follow_up_service
    storage: ModuleType = storage_service
    held_aside: ModuleType = held_aside_service
    clock: Callable[[], datetime] = field(default=clock.now)
    # Long work off the UI loop (first sync, PDF rendering, media ingest, imports).
    jobs: JobRunner = field(default_factory=JobRunner)
    # The device's SessionService (app.services.session_service): sign-in with head office
    # and background sync. None: local sign-in only, no sync screen (tests, offline demo).
    session: Any = None
