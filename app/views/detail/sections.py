"""The sections of the intervention screen, in order, and how each one is made.

Each section lives in its own module of this package as a class taking a ``DetailContext``,
with ``build() -> ft.Control`` and ``async load()``. A module that is not there yet (or
fails to import) gives a placeholder instead, so the screen always opens.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

import flet as ft

from app.views.detail.context import DetailContext
from app.views.semantic_ids import tagged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionSpec:
    name: str  # test id "section-<name>", i18n key "detail.section.<name>"
    icon: ft.IconData
    module: str = ""  # app.views.detail.<module>; "" for a section still to come
    class_name: str = ""

    @property
    def label_key(self) -> str:
        return f"detail.section.{self.name}"

    @property
    def available(self) -> bool:
        """False for the sections still to come (shown disabled)."""
        return bool(self.module) or self.name == "summary"


# The phone layout adds "summary" (the header) first: on tablets the header is always shown.
SUMMARY = SectionSpec("summary", ft.Icons.INFO_OUTLINE)
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("procedure", ft.Icons.CHECKLIST, "procedure", "ProcedureSection"),
    SectionSpec("meters", ft.Icons.SPEED, "meters", "MetersSection"),
    SectionSpec("work", ft.Icons.BUILD_OUTLINED, "work", "WorkSection"),
    SectionSpec("time", ft.Icons.TIMER_OUTLINED, "time", "TimeSection"),
    SectionSpec("parts", ft.Icons.INVENTORY_2_OUTLINED, "parts", "PartsSection"),
    SectionSpec("history", ft.Icons.HISTORY, "history", "HistorySection"),
    SectionSpec("comments", ft.Icons.CHAT_BUBBLE_OUTLINE, "comments", "CommentsSection"),
    SectionSpec("media", ft.Icons.PHOTO_LIBRARY_OUTLINED, "media", "MediaSection"),
    SectionSpec("report", ft.Icons.DESCRIPTION_OUTLINED, "report", "ReportSection"),
)
BY_NAME = {spec.name: spec for spec in (SUMMARY, *SECTIONS)}


class PlaceholderSection:
    """Shown for a section whose module is not available (yet)."""

    def __init__(self, ctx: DetailContext, name: str) -> None:
        self.ctx, self.name = ctx, name

    def build(self) -> ft.Control:
        return tagged(
            f"{self.name}-unavailable",
            ft.Text(
                self.ctx.tr("detail.section.unavailable"),
                size=16,
                italic=True,
                color=ft.Colors.ON_SURFACE_VARIANT,
            ),
        )

    async def load(self) -> None:
        return None


def make_section(spec: SectionSpec, ctx: DetailContext):
    """An instance of the section's class, or a placeholder when it cannot be made."""
    if not spec.module:
        return PlaceholderSection(ctx, spec.name)
    path = f"app.views.detail.{spec.module}"
    try:
        module = importlib.import_module(path)
        return getattr(module, spec.class_name)(ctx)
    except ModuleNotFoundError as err:
        if err.name == path:
            log.info("section %s is not written yet", spec.name)
        else:
            log.exception("section %s is not available", spec.name)
    except Exception:  # a section that cannot load must not take the whole screen down
        log.exception("section %s is not available", spec.name)
    return PlaceholderSection(ctx, spec.name)
