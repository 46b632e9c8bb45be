"""Choosing a section: large buttons, tagged ``section-<name>``.

Phone: a row of pill buttons above the section, scrolling sideways, with a fading arrow at
the edges where more are hidden (``ScrollRow``). Tablet/desktop: a vertical list in the left
pane. Sections still to come (media) are shown disabled.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import flet as ft

from app.i18n import Translator
from app.views.detail.sections import SectionSpec
from app.views.scroll_row import ScrollRow
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET

PHONE_BUTTON_HEIGHT = 48
ROW_SPACING = 8
PILL_CHAR_WIDTH = 7.6  # px per character of a 15 px label, on average (Roboto)


def section_button(
    tr: Translator,
    spec: SectionSpec,
    *,
    compact: bool,
    on_select: Callable[[str], Awaitable[None]],
) -> ft.Semantics:
    """One button, not selected; ``mark(button, selected)`` changes its look in place."""
    disabled = not spec.available
    label = tr(spec.label_key)
    if disabled:
        label = tr("detail.section.later", section=label)

    async def clicked(_e: ft.Event) -> None:
        await on_select(spec.name)

    button = ft.Container(
        content=ft.Row(
            [ft.Icon(spec.icon, size=22), ft.Text(label, size=15 if compact else 16)],
            spacing=8,
            tight=compact,
        ),
        height=PHONE_BUTTON_HEIGHT if compact else TOUCH_TARGET,
        padding=ft.Padding.symmetric(horizontal=14),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT) if compact else None,
        border_radius=ft.BorderRadius.all(24 if compact else 12),
        alignment=None if compact else ft.Alignment.CENTER_LEFT,  # phone: as wide as the label
        on_click=None if disabled else clicked,
        ink=not disabled,
        disabled=disabled,
    )
    tagged_button = tagged(f"section-{spec.name}", button, button=True)
    mark(tagged_button, False)
    return tagged_button


def mark(button: ft.Semantics, selected: bool) -> None:
    container = button.content
    icon, text = container.content.controls
    fg = ft.Colors.ON_SECONDARY_CONTAINER if selected else ft.Colors.ON_SURFACE
    if container.disabled:
        fg = ft.Colors.OUTLINE
    icon.color = text.color = fg
    text.weight = ft.FontWeight.W_600 if selected else None
    container.bgcolor = ft.Colors.SECONDARY_CONTAINER if selected else None
    button.selected = selected


class SectionNav:
    """The section buttons, built once per layout and then only re-marked, so the phone row
    keeps its scroll offset when a section is chosen.

    ``switcher`` (phone: one row of pills scrolling sideways, like scrollable tabs) and
    ``list`` (tablet/desktop: a vertical list) are refreshed by ``show``.
    """

    def __init__(self, tr: Translator, on_select: Callable[[str], Awaitable[None]]) -> None:
        self.tr, self.on_select = tr, on_select
        self.row = ft.Row(scroll=ft.ScrollMode.AUTO, spacing=ROW_SPACING)
        self.column = ft.Column(spacing=4, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
        self.pills = ScrollRow("detail-switcher", self.row)  # arrows where pills are hidden
        self.switcher = self.pills.control
        self.list = tagged("detail-section-list", self.column)
        self.buttons: dict[str, ft.Semantics] = {}
        self.phone: bool | None = None

    def show(self, specs: list[SectionSpec], current: str, *, phone: bool) -> ft.Control:
        """The buttons for ``phone`` or not, ``current`` selected; returns the control."""
        if phone != self.phone:
            self.phone = phone
            self.buttons = {
                s.name: section_button(self.tr, s, compact=phone, on_select=self.on_select)
                for s in specs
            }
            buttons = list(self.buttons.values())
            self.row.controls, self.column.controls = (buttons, []) if phone else ([], buttons)
            self.pills.show(before=False, after=True)  # a new row starts at its beginning
        for name, button in self.buttons.items():
            mark(button, name == current)
        return self.switcher if phone else self.list

    async def reveal(self, name: str) -> None:
        """Phone: scroll the row of pills so that ``name``'s is in view (a section opened by
        its address may be far right). By an estimated offset: a ``ScrollKey`` on the pills
        would do it exactly, but keyed pills no longer follow a DOM scroll of the semantics
        tree (the browser tests' taps then miss them)."""
        if not self.phone or name not in self.buttons:
            return
        names = list(self.buttons)
        offset = sum(_pill_width(self.buttons[n]) + ROW_SPACING for n in names[: names.index(name)])
        with contextlib.suppress(RuntimeError):  # not on a page (any more)
            await self.row.scroll_to(offset=max(offset - ROW_SPACING, 0))


def _pill_width(button: ft.Semantics) -> float:
    """About how wide a phone pill is drawn: icon, gap, label at 15 px, padding, border."""
    label = button.content.content.controls[1].value or ""
    return 22 + 8 + len(label) * PILL_CHAR_WIDTH + 28 + 2
