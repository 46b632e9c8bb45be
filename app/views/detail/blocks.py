"""Small building blocks the intervention sections share: titles, numbers, dialogs, refusals."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import flet as ft

from app.i18n import Translator
from app.views.semantic_ids import tagged
from app.views.theme import TOUCH_TARGET

FLAG_COLOR = ft.Colors.RED_700
SAVED_COLOR = ft.Colors.GREEN_700


@dataclass(frozen=True)
class Refused:
    """A service refusal the section answers with a question (counter replaced? elsewhere?)."""

    error: Exception


def attempt(refusal: type[Exception], fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """``fn(*args, **kw)``, returning ``Refused(err)`` instead of raising ``refusal``; run it
    through ``ctx.call`` so every other error is shown as usual."""
    try:
        return fn(*args, **kw)
    except refusal as err:
        return Refused(err)


def refresh(control: ft.Control) -> None:
    """Send ``control``'s changes to the client, if it is on a page yet."""
    with contextlib.suppress(RuntimeError):  # not mounted yet: the container updates it
        control.update()


def number(tr: Translator, value: float | None) -> str:
    """``1.5`` as the user writes it: ``1,5`` in French."""
    if value is None:
        return ""
    text = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if tr.locale != "fr":
        return text
    return text.replace(",", "\u202f").replace(".", ",")  # 12 345,5


def tolerance(tr: Translator, lo: float | None, hi: float | None, unit: str) -> str:
    """``1,0 – 2,0 bar``, ``≥ 55 °C``, or "" when there is no tolerance."""
    unit = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f"{number(tr, lo)} – {number(tr, hi)}{unit}"
    if lo is not None:
        return f"≥ {number(tr, lo)}{unit}"
    if hi is not None:
        return f"≤ {number(tr, hi)}{unit}"
    return ""


def section_title(text: str, icon: ft.IconData) -> ft.Control:
    return ft.Row(
        [
            ft.Icon(icon, color=ft.Colors.PRIMARY, size=26),
            ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_LARGE, weight=ft.FontWeight.W_600),
        ],
        spacing=10,
    )


def subtitle(text: str) -> ft.Control:
    return ft.Text(text, theme_style=ft.TextThemeStyle.TITLE_MEDIUM, weight=ft.FontWeight.W_600)


def muted(text: str, ident: str | None = None) -> ft.Control:
    control = ft.Text(text, size=15, italic=True, color=ft.Colors.ON_SURFACE_VARIANT)
    return tagged(ident, control) if ident else control


def big_button(
    ident: str,
    text: str,
    on_click: Callable[[ft.Event], Awaitable[None]] | None,
    *,
    icon: ft.IconData | None = None,
    filled: bool = True,
    disabled: bool = False,
) -> ft.Control:
    """A button large enough for gloved fingers, tagged ``ident``."""
    cls = ft.FilledButton if filled else ft.OutlinedButton
    button = cls(content=text, icon=icon, on_click=on_click, height=TOUCH_TARGET, disabled=disabled)
    return tagged(ident, button, button=True)


def question_dialog(
    tr: Translator,
    *,
    title: str,
    text: str,
    confirm_id: str,
    confirm_text: str,
    on_confirm: Callable[[], Awaitable[None]],
    cancel_text: str | None = None,
) -> ft.AlertDialog:
    """A modal yes/no question; ``on_confirm`` runs after the dialog is closed."""

    async def confirmed(e: ft.Event) -> None:
        e.page.pop_dialog()
        await on_confirm()

    async def cancelled(e: ft.Event) -> None:
        e.page.pop_dialog()

    return ft.AlertDialog(
        modal=True,
        title=ft.Text(title),
        content=ft.Text(text, size=16),
        actions=[
            tagged(
                f"{confirm_id}-cancel",
                ft.TextButton(
                    cancel_text or tr("action.cancel"), on_click=cancelled, height=TOUCH_TARGET
                ),
                button=True,
            ),
            big_button(confirm_id, confirm_text, confirmed),
        ],
    )


def slug(text: str) -> str:
    """``Énergie produite`` -> ``energie-produite`` (for test ids)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
