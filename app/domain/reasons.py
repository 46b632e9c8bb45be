"""Why a rule refuses something, for people of any language.

A rule's refusal is a ``Reason``: its English text (what head office has always sent, and what
devices older than push codes show) and, next to it, a stable ``code`` and its ``params``,
which a device translates with its catalogs (``app/locales/refusals.py``, key
``refusal.<code>``). A ``Reason`` *is* a ``str`` (its English text), so every caller that
compares, logs or wraps a refusal keeps working; only the push answer reads the code.

A refusal that wraps another (a signature that cannot be accepted *because* it has too little
ink) names it in ``params["cause"]``: ``{"code": ..., "params": ...}``, where the code is a
refusal code or the i18n key of the ``TerrainError`` that said why.
"""

from __future__ import annotations

from typing import Any


class Reason(str):
    """The English text of a refusal, carrying its ``code`` and ``params``."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, text: str, **params: Any) -> Reason:
        self = super().__new__(cls, text)
        self.code = code
        self.params = params
        return self

    def wire(self) -> dict[str, Any]:
        """``{"code", "params"}`` as the push answer carries it (JSON values)."""
        return {"code": self.code, "params": _plain(self.params)}


def cause_of(reason: str | BaseException) -> dict[str, Any] | None:
    """The ``params["cause"]`` of a refusal that wraps ``reason`` (a ``Reason`` or an error
    with an i18n key), or None when it has no code (the wrapper then has none either)."""
    if isinstance(reason, Reason):
        return reason.wire()
    key = getattr(reason, "key", None)
    if isinstance(key, str) and key:
        params = {k: v for k, v in (getattr(reason, "params", None) or {}).items() if k != "field"}
        return {"code": key, "params": _plain(params)}
    return None


def wrapped(code: str, text: str, cause: str | BaseException, **params: Any) -> str:
    """A refusal wrapping ``cause``: a ``Reason`` when the cause has a code, else plain text
    (a device then shows the English text, as it cannot translate half a sentence)."""
    found = cause_of(cause)
    if found is None:
        return text
    return Reason(code, text, cause=found, **params)


def code_of(reason: object) -> tuple[str | None, dict[str, Any]]:
    """(code, params) of a refusal; (None, {}) for plain text."""
    if isinstance(reason, Reason):
        return reason.code, _plain(reason.params)
    return None, {}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # a StrEnum or a Reason: its text
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
