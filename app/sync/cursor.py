"""The pull cursor (docs/sync-protocol.md, "Cursor") and the pull page limits."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass

from app.sync.schema import TABLES
from app.sync.wire import INT_RANGE, ProtocolError

DEFAULT_PULL_LIMIT = 2000
MAX_PULL_LIMIT = 10000


@dataclass(frozen=True)
class Cursor:
    s: int = 0  # pull sequence number of the device (acknowledges earlier pages)
    v0: int = 0  # every version <= v0 has been received (in scope)
    v1: int = 0  # high water of the current session
    o: int = 0  # 1 while a session is open (more pages to come)
    f: int = 0  # 1: this session also looks for in-scope rows the device does not hold
    fp: str = ""  # scope fingerprint when the session opened
    t: int = 0  # table index inside the session
    lv: int = 0  # last version sent in table t
    d: str = ""  # date the scope was evaluated on
    sv: int = 0  # schema version of the rows sent (0: the first one, before rule 9)
    r: int = 0  # tables this session sends whole, whatever v0 (bit i: TABLES[i]; rule 9)

    def encode(self) -> str:
        raw = json.dumps(asdict(self), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = json.loads(raw)
            cursor = cls(**data)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise ProtocolError("The cursor is not valid.", field="cursor") from exc
        ints = (cursor.s, cursor.v0, cursor.v1, cursor.o, cursor.f, cursor.t, cursor.lv)
        ints += (cursor.sv, cursor.r)
        if not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i <= INT_RANGE[1] for i in ints
        ):
            raise ProtocolError("The cursor is not valid.", field="cursor")
        if (
            not isinstance(cursor.d, str)
            or not isinstance(cursor.fp, str)
            or cursor.t > len(TABLES)
            or cursor.r >= 1 << len(TABLES)
        ):
            raise ProtocolError("The cursor is not valid.", field="cursor")
        return cursor
