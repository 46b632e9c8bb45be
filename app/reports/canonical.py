"""The canonical JSON of a report's content, and its SHA-256.

The signature evidence and the PDF carry the SHA-256 of these bytes, so anyone holding the
content can recompute it (docs/reports.md, "Canonical content"). The form:

- UTF-8, no BOM; no whitespace outside strings; no trailing newline;
- objects: keys are strings, sorted by Unicode code point, each key once;
- strings: NFC-normalised; escaped as JSON requires (``"`` ``\\`` and U+0000–U+001F, the
  latter as ``\\b \\f \\n \\r \\t`` or ``\\u00XX`` lowercase hex); every other character
  (accents, €, emoji) written as itself;
- ``true``, ``false``, ``null``; arrays keep their order;
- numbers: an integral value (``3``, ``3.0``, ``-0.0``) is written as an integer (``3``,
  ``0``); any other value is rounded to 6 decimal places (half to even) and written in
  plain decimal notation, trailing zeros removed (``12.5``, ``0.000125``; never ``1e-05``).
  NaN and infinities are refused;
- a date is the string ``YYYY-MM-DD``; a date-time is ``YYYY-MM-DDTHH:MM:SS`` (seconds, no
  fraction, no offset: business times are the site's local time, audit times naive UTC).

``plain(value)`` turns Python values (dates, tuples, floats) into this JSON data model, so
the content stored in ``ReportVersion.content`` is already canonical data.
"""

from __future__ import annotations

import hashlib
import json
import math
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from app.errors import ValidationError

DECIMALS = 6
_QUANTUM = Decimal(1).scaleb(-DECIMALS)


def plain(value: object) -> object:
    """``value`` as JSON data in the canonical forms (dates as strings, rounded numbers)."""
    if value is None or isinstance(value, bool | str):
        return unicodedata.normalize("NFC", value) if isinstance(value, str) else value
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"Report content keys must be text, not {key!r}.")
            out[unicodedata.normalize("NFC", key)] = plain(item)
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise ValidationError(f"{type(value).__name__} cannot be part of a report's content.")


def _number(value: float | Decimal) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("A report cannot contain NaN or infinite numbers.")
    exact = Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    if exact == exact.to_integral_value():
        return int(exact)
    return float(exact)


def _encode_number(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    number = _number(value)
    if isinstance(number, int):
        return str(number)
    text = format(Decimal(number).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN), "f")
    return text.rstrip("0").rstrip(".")


def _encode(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        out.append(_encode_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(unicodedata.normalize("NFC", value), ensure_ascii=False))
    elif isinstance(value, Mapping):
        keys = sorted(value)
        if len({unicodedata.normalize("NFC", k) for k in keys}) != len(keys):
            raise ValidationError("Two keys of the report content are the same text.")
        out.append("{")
        for index, key in enumerate(keys):
            if index:
                out.append(",")
            _encode(key, out)
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        _encode(plain(value), out)


def canonical_bytes(content: object) -> bytes:
    """The canonical JSON of ``content`` (see the module doc), as UTF-8 bytes."""
    out: list[str] = []
    _encode(plain(content), out)
    return "".join(out).encode("utf-8")


def content_sha256(content: object) -> str:
    """Lowercase hex SHA-256 of ``canonical_bytes(content)``."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()
