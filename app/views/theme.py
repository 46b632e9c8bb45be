"""Look and feel: Material 3 theme, status colours, sizes for gloved fingers."""

from __future__ import annotations

import flet as ft

from app.assets import FONT_FAMILY, FONTS

SEED_COLOR = "#0B6E8A"  # a deep teal-blue, readable outdoors
# Material's minimum touch target is 48 px; technicians may wear gloves: go larger.
TOUCH_TARGET = 56
CONTENT_MAX_WIDTH = 760
PAGE_PADDING = 16

# (background, foreground) per intervention status value.
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "planned": (ft.Colors.BLUE_GREY_100, ft.Colors.BLUE_GREY_900),
    "assigned": (ft.Colors.BLUE_100, ft.Colors.BLUE_900),
    "en_route": (ft.Colors.AMBER_100, ft.Colors.BROWN_900),
    "in_progress": (ft.Colors.ORANGE_100, ft.Colors.DEEP_ORANGE_900),
    "work_done": (ft.Colors.LIGHT_GREEN_100, ft.Colors.GREEN_900),
    "signed": (ft.Colors.TEAL_100, ft.Colors.TEAL_900),
    "submitted": (ft.Colors.INDIGO_100, ft.Colors.INDIGO_900),
    "validated": (ft.Colors.GREEN_100, ft.Colors.GREEN_900),
    "delivered": (ft.Colors.GREY_200, ft.Colors.GREY_800),
    "cancelled": (ft.Colors.RED_50, ft.Colors.RED_900),
}

# Colour of the priority marker (left edge of an item and its label); none for low/normal.
PRIORITY_COLORS: dict[str, str] = {
    "high": ft.Colors.ORANGE_800,
    "urgent": ft.Colors.RED_700,
}


def app_theme() -> ft.Theme:
    return ft.Theme(
        color_scheme_seed=SEED_COLOR,
        font_family=FONT_FAMILY,  # shipped in assets/fonts: no glyph waits for a CDN font
        use_material3=True,
        visual_density=ft.VisualDensity.COMFORTABLE,
    )


def apply_theme(page: ft.Page) -> None:
    page.fonts = dict(FONTS)
    page.theme = app_theme()
    page.theme_mode = ft.ThemeMode.LIGHT
    page.padding = 0
    page.spacing = 0
