"""Bounds on the JSON values a device may store at head office (docs/security.md).

A value head office accepts must be one every later pull can encode again: orjson refuses
nesting deeper than 254 levels (a pull page adds four around a value), and a page must stay
a reasonable size. ``check_json`` is the one gate, called for every JSON column of a push
(``app.sync.wire.from_wire``); ``encodable`` tells whether an already stored value can
still be sent (rows stored before these bounds, or written outside the API).
"""

from __future__ import annotations

import json
from typing import Any

from app.errors import ValidationError

try:  # the encoder pull pages use, where available
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the platform
    _orjson = None

MAX_JSON_DEPTH = 32  # nested arrays/objects in one value ([] is depth 1)
MAX_JSON_BYTES = 256 * 1024  # encoded size of one value
_INT_RANGE = (-(2**63), 2**63 - 1)  # what orjson encodes
_WRAPPING = 6  # pull page levels around a value: page, changes, table, list, row (+1 margin)
_ENCODER_DEPTH = 254


def check_json(value: Any, where: str) -> Any:
    """``value`` if it is a bounded JSON value; JSONBoundsError (400) naming ``where`` if not."""
    problem = _problem(value, MAX_JSON_DEPTH)
    if problem is None and _encoded_size(value) > MAX_JSON_BYTES:
        problem = f"is larger than {MAX_JSON_BYTES // 1024} KiB once encoded"
    if problem is not None:
        raise JSONBoundsError(
            f"{where} {problem}.",
            field=where,
            hint=f"Store at most {MAX_JSON_DEPTH} nested levels and "
            f"{MAX_JSON_BYTES // 1024} KiB in one JSON value.",
        )
    return value


class JSONBoundsError(ValidationError):
    """A pushed JSON value over the bounds (answered 400, like any protocol error)."""


def _encoded_size(value: Any) -> int:
    if _orjson is not None:
        return len(_orjson.dumps(value))
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def encodable(value: Any) -> bool:
    """True when ``value`` can be encoded inside a pull page or a push answer."""
    return _problem(value, _ENCODER_DEPTH - _WRAPPING) is None


def _problem(value: Any, max_depth: int) -> str | None:
    """What makes ``value`` unfit (None if nothing), walked without recursion."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            if depth > max_depth:
                return f"is nested more than {max_depth} levels deep"
            if isinstance(item, dict):
                if not all(isinstance(k, str) for k in item):
                    return "has an object key that is not a string"
                stack.extend((v, depth) for v in item.values())
            else:
                stack.extend((v, depth) for v in item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not _INT_RANGE[0] <= item <= _INT_RANGE[1]:
                return "holds an integer out of the 64-bit range"
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                return "holds a number that is not finite"
        elif isinstance(item, str):
            if not _utf8(item):
                return "holds text that is not valid Unicode"
        else:
            return f"holds a {type(item).__name__}, which is not a JSON value"
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
