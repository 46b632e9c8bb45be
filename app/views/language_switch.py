"""FR / EN switch: two large segments, used on the sign-in screen and in settings."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.i18n import LOCALES, Translator
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET


def language_switch(
    tr: Translator, on_select: Callable[[str], None], *, identifier: str
) -> ft.Control:
    """A segmented button showing ``tr.locale``; ``on_select(locale)`` when another is picked."""

    def changed(e: ft.Event[ft.SegmentedButton]) -> None:
        selected = e.control.selected or [tr.locale]
        on_select(selected[0])

    button = ft.SegmentedButton(
        segments=[
            ft.Segment(value=locale, label=ft.Text(tr(f"language.{locale}"))) for locale in LOCALES
        ],
        selected=[tr.locale],
        show_selected_icon=True,
        on_change=changed,
        # Taller than the default 40 px: easier to hit with gloves.
        style=ft.ButtonStyle(
            padding=ft.Padding.symmetric(vertical=TOUCH_TARGET // 4, horizontal=12)
        ),
    )
    return tagged(identifier, button, label=tr("signin.language"))
