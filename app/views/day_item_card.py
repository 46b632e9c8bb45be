"""One intervention of "Ma journée": time, customer, address, type and reference (what the
office says on the phone), status, priority."""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from app.i18n import Translator
from app.services.day_service import DayItem
from app.views.semantic_ids import tagged
from app.views.theme import PRIORITY_COLORS, STATUS_COLORS


def status_chip(tr: Translator, status: str) -> ft.Control:
    bg, fg = STATUS_COLORS.get(status, (ft.Colors.GREY_200, ft.Colors.GREY_900))
    return ft.Container(
        content=ft.Text(tr(f"status.{status}"), color=fg, size=13, weight=ft.FontWeight.W_600),
        bgcolor=bg,
        padding=ft.Padding.symmetric(horizontal=10, vertical=4),
        border_radius=ft.BorderRadius.all(12),
    )


def priority_marker(tr: Translator, priority: str) -> ft.Control | None:
    """A coloured "Haute"/"Urgente" label; None for low and normal priorities."""
    color = PRIORITY_COLORS.get(priority)
    if color is None:
        return None
    return ft.Row(
        [
            ft.Icon(ft.Icons.PRIORITY_HIGH, color=color, size=18),
            ft.Text(tr(f"priority.{priority}"), color=color, weight=ft.FontWeight.BOLD, size=13),
        ],
        spacing=2,
        tight=True,
    )


def _detail(icon: ft.IconData, text: str) -> ft.Row:
    return ft.Row(
        [
            ft.Icon(icon, size=18, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.Text(text, expand=True, size=15, color=ft.Colors.ON_SURFACE_VARIANT),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def day_item_card(
    tr: Translator, item: DayItem, on_open: Callable[[DayItem], None] | None = None
) -> ft.Control:
    time_range = tr(
        "day.time_range", start=tr.time(item.scheduled_start), end=tr.time(item.scheduled_end)
    )
    marker = priority_marker(tr, item.priority)
    top = ft.Row(
        [
            ft.Text(time_range, size=17, weight=ft.FontWeight.BOLD),
            ft.Container(expand=True),
            *([marker] if marker else []),
            status_chip(tr, item.status),
        ],
        spacing=8,
        vertical_alignment=ft.CrossAxisAlignment.CENTER,
    )
    body = ft.Column(
        [
            top,
            ft.Text(item.customer_name, size=18, weight=ft.FontWeight.W_600),
            _detail(ft.Icons.PLACE_OUTLINED, item.address),
            _detail(ft.Icons.BUILD_OUTLINED, item.type_label),
            _detail(ft.Icons.TAG, item.reference),
        ],
        spacing=6,
    )

    async def opened(_e: ft.Event) -> None:
        if on_open is not None:
            on_open(item)

    accent = PRIORITY_COLORS.get(item.priority, ft.Colors.TRANSPARENT)
    card = ft.Card(
        content=ft.Container(
            content=body,
            padding=ft.Padding.only(left=14, top=12, right=14, bottom=14),
            border=ft.Border.only(left=ft.BorderSide(6, accent)),
            border_radius=ft.BorderRadius.all(12),
            on_click=opened,
            ink=True,
        ),
        margin=0,
    )
    return tagged(f"day-item-{item.reference}", card, button=True)
