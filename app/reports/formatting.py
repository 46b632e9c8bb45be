"""Dates, numbers, amounts and durations as a French (or English) reader expects them (Babel).

French: ``11 mars 2026``, ``11/03/2026 10:00``, ``1 234,50 €``, ``1,5 bar``, ``20 %``.
English (British forms, the company is French): ``11 March 2026``, ``11/03/2026, 10:00``,
``€1,234.50``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


class Formats:
    def __init__(self, language: str = "fr") -> None:
        self.language = language if language in BABEL_LOCALES else "fr"
        self.locale = BABEL_LOCALES[self.language]

    def date(self, value: date | str | None) -> str:
        value = _parse(value)
        if value is None:
            return ""
        day = value.date() if isinstance(value, datetime) else value
        return format_date(day, "long", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        value = _parse(value)
        if value is None:
            return ""
        if not isinstance(value, datetime):
            return self.date(value)
        return format_datetime(value, "short", locale=self.locale)

    def time(self, value: datetime | str | None) -> str:
        value = _parse(value)
        return value.strftime("%H:%M") if isinstance(value, datetime) else ""

    def number(self, value: float | int | None, unit: str = "") -> str:
        if value is None:
            return ""
        text = format_decimal(Decimal(str(value)), "#,##0.###", locale=self.locale)
        return f"{text}\u00a0{unit}" if unit else text

    def money(self, cents: int) -> str:
        return format_currency(Decimal(cents) / 100, "EUR", locale=self.locale)

    def rate(self, basis_points: int) -> str:
        text = format_decimal(Decimal(basis_points) / 100, "#,##0.##", locale=self.locale)
        return f"{text}\u00a0%" if self.language == "fr" else f"{text}%"

    def duration(self, minutes: int) -> str:
        hours, rest = divmod(int(minutes), 60)
        if not hours:
            return f"{rest}\u00a0min"
        if self.language == "fr":
            return f"{hours}\u00a0h\u00a0{rest:02d}"
        return f"{hours}\u00a0h {rest:02d}\u00a0min"


def _parse(value):
    """Content dates are canonical strings (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM:SS``)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return value
