"""A follow-up's parts to order (``FollowUp.lines``): one rule for the device and head office.

The device's follow-up service builds the lines from the catalogue and what the technician
typed (``app.services.follow_up_service``), then checks them with ``lines_refusal``; head
office checks every pushed ``follow_ups`` row with ``row_refusal`` (the table's
``row_rule``, ``headoffice.permissions``), so a hostile device cannot slip a huge list, a
nested object, a negative, NaN or text quantity into what head office turns into parts to
order (``headoffice/services/follow_ups.py``).

A line (docs/reports.md, "Follow-up data")::

    {"part_id": "<catalogue part id>", "reference": "PMP-001", "name": "Pompe", "unit": "u",
     "quantity": 2}

- only the keys of ``LINE_KEYS``, each a string of at most ``MAX_LABEL`` characters (the
  part id at most ``MAX_ID``), but ``quantity``;
- a catalogue part (``part_id``) or, without one, a ``label`` saying what to order; a part
  at most once in the list; when the caller can look parts up (``part_of``), the part
  exists and a part that is not ``fractional`` is ordered in whole units;
- ``quantity`` a number (not text, not a boolean), finite, above 0 and at most
  ``MAX_QUANTITY``;
- 1 to ``MAX_LINES`` lines for a ``parts_order`` follow-up; none (null) for the other kinds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from app.domain.reasons import Reason, wrapped
from app.errors import ValidationError
from app.models.enums import FollowUpKind

MAX_LINES = 50
MAX_QUANTITY = 10_000
MAX_LABEL = 200
MAX_ID = 64
LINE_KEYS = frozenset({"part_id", "reference", "name", "unit", "quantity", "label"})

PartLookup = Callable[[str], dict | None]  # part id -> the part's row ({"fractional", ...})


class FollowUpError(ValidationError):
    """A follow-up that cannot be recorded as given."""

    hint = "Correct the follow-up and save again."


def parse_quantity(raw: object) -> float:
    """A quantity as typed ("2", "1,5", " 3 ") or given (a number) -> float; NaN when it is
    no number (the rule then refuses it)."""
    if isinstance(raw, bool):
        return math.nan
    if isinstance(raw, int | float):
        try:
            return float(raw)
        except OverflowError:
            return math.nan
    if isinstance(raw, str) and len(raw) <= 32:
        try:
            return float(raw.strip().replace(",", "."))
        except ValueError:
            return math.nan
    return math.nan


def quantity_refusal(value: object, *, fractional: bool = True) -> str | None:
    """Why ``value`` is not a quantity to order (None: it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Reason("parts.quantity_number", "The quantity must be a number.")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isnan(number) or number <= 0:
        return Reason("parts.quantity_positive", "The quantity must be above 0.")
    if number > MAX_QUANTITY:  # infinity too
        return Reason(
            "parts.quantity_max",
            f"The quantity is at most {MAX_QUANTITY:,}.".replace(",", " "),
            limit=MAX_QUANTITY,
        )
    if not fractional and number != int(number):
        return Reason("parts.quantity_whole", "This part is ordered in whole units.")
    return None


def line_refusal(line: Any, part_of: PartLookup | None = None) -> str | None:
    """Why one line of parts to order is not acceptable (None: it is)."""
    if not isinstance(line, dict):
        return Reason("parts.line", "Each part to order must be a line with a part and a quantity.")
    if unknown := sorted(str(k)[:40] for k in line if k not in LINE_KEYS):
        return Reason(
            "parts.line_unknown_fields",
            f"A part to order has unknown fields: {', '.join(unknown[:5])}.",
            fields=", ".join(unknown[:5]),
        )
    for key in LINE_KEYS - {"quantity"}:
        value = line.get(key)
        if value is not None and not isinstance(value, str):
            return Reason(
                "parts.line_text",
                f"A part to order's {key.replace('_', ' ')} must be text.",
                field=key,
            )
        if isinstance(value, str) and len(value) > (MAX_ID if key == "part_id" else MAX_LABEL):
            return Reason(
                "parts.line_too_long",
                f"A part to order's {key.replace('_', ' ')} is too long.",
                field=key,
            )
    part_id = line.get("part_id")
    if not part_id and not (line.get("label") or "").strip():
        return Reason(
            "parts.line_part",
            "Each part to order names a catalogue part (or says what to order).",
        )
    fractional = True
    if part_id and part_of is not None:
        part = part_of(part_id)
        if part is None:
            return Reason(
                "parts.not_in_catalogue",
                "A part to order is not in the catalogue: choose it from the catalogue.",
            )
        fractional = bool(part.get("fractional"))
    return quantity_refusal(line.get("quantity"), fractional=fractional)


def lines_refusal(lines: Any, part_of: PartLookup | None = None) -> str | None:
    """Why a ``parts_order`` follow-up's lines are not acceptable (None: they are)."""
    if not isinstance(lines, list) or not lines:
        return Reason("parts.no_lines", "Add the parts to order (at least one line).")
    if len(lines) > MAX_LINES:
        return Reason(
            "parts.too_many_lines",
            f"At most {MAX_LINES} parts to order in one follow-up.",
            limit=MAX_LINES,
        )
    seen: set[str] = set()
    for line in lines:
        if reason := line_refusal(line, part_of):
            return reason
        part_id = line.get("part_id")
        if part_id and part_id in seen:
            return Reason(
                "parts.duplicate",
                "Each part is ordered once: add up its quantities on one line.",
            )
        if part_id:
            seen.add(part_id)
    return None


def row_refusal(row: dict[str, Any], part_of: PartLookup | None = None) -> str | None:
    """Why a ``follow_ups`` row cannot be stored (None: it can): its ``lines`` as above for
    ``parts_order``, none for another kind."""
    kind, lines = row.get("kind"), row.get("lines")
    if kind == FollowUpKind.PARTS_ORDER:
        if reason := lines_refusal(lines, part_of):
            return wrapped(
                "parts.invalid", f"The parts to order cannot be accepted: {reason}", reason
            )
    elif lines not in (None, []):
        return Reason("parts.lines_not_allowed", "Only a parts-to-order follow-up has lines.")
    return None
