"""A small bar chart of one measurement over past visits: the tolerance band in green behind,
one bar per visit (red when out of tolerance), then the values as text for reading outdoors."""

from __future__ import annotations

import flet as ft

from app.i18n import Translator
from app.views.detail.blocks import FLAG_COLOR, number, tolerance
from app.views.semantic_ids import tagged

HEIGHT = 140


def trend_chart(tr: Translator, points: list) -> ft.Control:
    """``points``: TrendPoint list, oldest first (see history_service.trend)."""
    values = [p.value for p in points]
    wide = len(points) > 12  # many visits: bars share the width; few: narrow bars
    last = points[-1]
    lo_band, hi_band = last.min_value, last.max_value
    low = min(values + [v for v in (lo_band, hi_band) if v is not None])
    high = max(values + [v for v in (lo_band, hi_band) if v is not None])
    pad = (high - low) * 0.1 or max(abs(high) * 0.1, 1.0)
    low, high = low - pad, high + pad

    def y(value: float) -> float:
        return (value - low) / (high - low) * HEIGHT

    layers: list[ft.Control] = []
    if lo_band is not None or hi_band is not None:
        bottom = y(lo_band if lo_band is not None else low)
        top = y(hi_band if hi_band is not None else high)
        layers.append(
            ft.Container(left=0, right=0, bottom=bottom, height=max(top - bottom, 2),
                         bgcolor=ft.Colors.GREEN_100)
        )  # fmt: skip
    bars = [
        tagged(
            f"trend-point-{n}",
            ft.Container(
                height=max(y(p.value), 4),
                width=None if wide else 28,
                expand=wide,
                border_radius=3,
                bgcolor=FLAG_COLOR if p.out_of_tolerance else ft.Colors.PRIMARY,
                tooltip=f"{p.date:%d/%m/%Y} : {number(tr, p.value)} {p.unit}",
            ),
            expand=wide,
        )
        for n, p in enumerate(points, 1)
    ]
    layers.append(
        ft.Row(bars, left=0, right=0, top=0, bottom=0, spacing=3,
               vertical_alignment=ft.CrossAxisAlignment.END)
    )  # fmt: skip
    chart = ft.Container(ft.Stack(layers), height=HEIGHT, padding=ft.Padding.only(top=4))
    band = tolerance(tr, lo_band, hi_band, last.unit)
    summary = tr(
        "history.trend_summary", min=number(tr, min(values)), max=number(tr, max(values)),
        unit=last.unit, count=len(points),
    )  # fmt: skip
    lines: list[ft.Control] = [chart, ft.Text(summary, size=15)]
    if band:
        lines.append(ft.Text(tr("item.tolerance", range=band), size=15, color=ft.Colors.GREEN_900))
    for p in reversed(points[-6:]):  # the latest values, newest first
        text = f"{p.date:%d/%m/%Y} : {number(tr, p.value)} {p.unit}"
        if p.out_of_tolerance:
            text += " — " + tr("meters.flag")
        lines.append(
            ft.Text(text, size=15, color=FLAG_COLOR if p.out_of_tolerance else None,
                    weight=ft.FontWeight.BOLD if p.out_of_tolerance else None)
        )  # fmt: skip
    return tagged("history-trend", ft.Column(lines, spacing=6))
