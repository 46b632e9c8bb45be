"""Screens and components of the app. Views call services; they hold no SQL and no rules.

``build_app(services)`` returns the ``main(page)`` coroutine given to ``ft.run``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from app.services.registry import Services
from app.views.day_item_card import day_item_card
from app.views.job_progress import JobProgress
from app.views.my_day import MyDayView
from app.views.no_access import NoAccessView
from app.views.office_home import OfficeHomeView
from app.views.settings import SettingsView
from app.views.shell import ShellView
from app.views.sign_in import SignInView
from app.views.state import AppState, Change, Section, is_phone_width, sections_for
from app.views.terrain_app import TerrainApp

__all__ = [
    "AppState",
    "Change",
    "JobProgress",
    "MyDayView",
    "NoAccessView",
    "OfficeHomeView",
    "Section",
    "SettingsView",
    "ShellView",
    "SignInView",
    "TerrainApp",
    "build_app",
    "day_item_card",
    "is_phone_width",
    "sections_for",
]


def build_app(
    services: Services, prefill_user: str | None = None
) -> Callable[[ft.Page], Awaitable[None]]:
    """The ``main`` coroutine of ``ft.run``: one ``TerrainApp`` per browser session."""

    async def main(page: ft.Page) -> None:
        app = TerrainApp(page, services, prefill_user=prefill_user)
        page.data = app  # keeps the app alive with its page, and lets tests reach it
        app.start()

    return main
