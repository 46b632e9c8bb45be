"""The services a view may use, passed in (never imported by views), so tests hand in their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType

from app.services import auth_service, day_service, office_service


@dataclass
class Services:
    auth: ModuleType = auth_service
    day: ModuleType = day_service
    office: ModuleType = office_service
    clock: Callable[[], datetime] = field(default=datetime.now)
