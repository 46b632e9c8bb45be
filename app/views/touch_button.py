"""A tagged, touch-sized action button (the test id on its own semantics node)."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET


def touch_button(
    identifier: str,
    text: str,
    icon: ft.IconData,
    on_click: Callable,
    *,
    filled: bool = True,
) -> ft.Control:
    """A filled (or outlined) button of ``TOUCH_TARGET`` height, tagged ``identifier``."""
    kind = ft.FilledButton if filled else ft.OutlinedButton
    button = kind(text, icon=icon, on_click=on_click, height=TOUCH_TARGET)
    return tagged(identifier, button, button=True)
