"""The parts-to-order rule shared by the device's follow-up service and head office
(``app.domain.follow_up``): every hostile value refused with a clear reason."""

from __future__ import annotations

import math

import pytest

from app.domain import follow_up

PART = "0b4e3f1a-0000-4000-8000-000000000001"
WHOLE = "0b4e3f1a-0000-4000-8000-000000000002"
CATALOGUE = {PART: {"fractional": True}, WHOLE: {"fractional": False}}


def line(**change) -> dict:
    return {"part_id": PART, "reference": "CBL-10", "name": "Câble", "unit": "m",
            "quantity": 2.5, **change}  # fmt: skip


def test_a_good_list_passes_with_and_without_the_catalogue():
    lines = [line(), line(part_id=WHOLE, quantity=3), {"label": "Joint 20 mm", "quantity": 1}]
    assert follow_up.lines_refusal(lines) is None
    assert follow_up.lines_refusal(lines, CATALOGUE.get) is None
    assert follow_up.row_refusal({"kind": "parts_order", "lines": lines}) is None
    assert follow_up.row_refusal({"kind": "quote", "lines": None}) is None


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        (None, "at least one line"),
        ([], "at least one line"),
        ("CBL-10 x 2", "at least one line"),
        ({"part_id": PART}, "at least one line"),
        ([line()] * 0 + [line(part_id=f"p{i}") for i in range(51)], "At most 50"),
        ([["CBL-10", 2]], "a line with a part and a quantity"),
        ([line(quantity=-1)], "above 0"),
        ([line(quantity=0)], "above 0"),
        ([line(quantity=math.nan)], "above 0"),
        ([line(quantity=math.inf)], "at most 10 000"),
        ([line(quantity=10**400)], "at most 10 000"),
        ([line(quantity=10_001)], "at most 10 000"),
        ([line(quantity="2")], "must be a number"),
        ([line(quantity=True)], "must be a number"),
        ([line(quantity=None)], "must be a number"),
        ([line(quantity={"value": 2})], "must be a number"),
        ([line(quantity=[2])], "must be a number"),
        ([line(name={"nested": {"deep": 1}})], "name must be text"),
        ([line(reference=["a"])], "reference must be text"),
        ([line(part_id=42)], "part id must be text"),
        ([line(name="x" * 201)], "name is too long"),
        ([line(part_id="x" * 65)], "part id is too long"),
        ([line(extra={"a": 1})], "unknown fields: extra"),
        ([line(part_id=None)], "names a catalogue part"),
        ([line(), line(quantity=1)], "ordered once"),
    ],
)
def test_hostile_lines_are_refused_with_a_clear_reason(lines, words):
    reason = follow_up.lines_refusal(lines)
    assert reason is not None and words in reason, reason
    row = follow_up.row_refusal({"kind": "parts_order", "lines": lines})
    assert row == f"The parts to order cannot be accepted: {reason}"


def test_the_catalogue_says_which_parts_exist_and_which_are_whole():
    assert "not in the catalogue" in follow_up.lines_refusal([line(part_id="nope")], CATALOGUE.get)
    whole = [line(part_id=WHOLE, quantity=1.5)]
    assert follow_up.lines_refusal(whole) is None  # without the catalogue, whole is unknown
    assert "whole units" in follow_up.lines_refusal(whole, CATALOGUE.get)


def test_only_parts_to_order_have_lines():
    assert "Only a parts-to-order" in follow_up.row_refusal({"kind": "quote", "lines": [line()]})


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("2", 2.0),
        (" 1,5 ", 1.5),
        (3, 3.0),
        ("abc", math.nan),
        (True, math.nan),
        ("9" * 40, math.nan),
    ],
)
def test_what_the_technician_types_is_parsed_then_judged_by_the_rule(typed, value):
    parsed = follow_up.parse_quantity(typed)
    assert parsed == value or (math.isnan(value) and math.isnan(parsed))
