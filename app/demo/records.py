"""In-memory records the generator keeps while it builds rows, and the bulk writer."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from app.models import ALL_MODELS, SyncedModel

# SQLite accepts at most 32766 bound variables per statement.
_MAX_VARIABLES = 32_000
_MAX_ROWS = 500
_FLUSH_EVERY = 20_000


class Writer:
    """Collects rows per model and bulk-inserts them, parents before children.

    Ids come from ``rng`` and timestamps are given, so the output is deterministic.
    """

    def __init__(self, rng: random.Random, origin: datetime) -> None:
        self.rng = rng
        self.origin = origin  # "now" of the generation: the newest timestamp we write
        self.counts: Counter[str] = Counter()
        self._pending: dict[type[SyncedModel], list[dict]] = {}
        self._size = 0

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(
        self,
        model: type[SyncedModel],
        created: datetime,
        updated: datetime | None = None,
        /,
        **values,
    ) -> str:
        """Queue a row; returns its id. ``updated`` defaults to ``created``."""
        row_id = values.pop("id", None) or self.new_id()
        created = min(created, self.origin)
        updated = min(max(updated or created, created), self.origin)
        values.update(id=row_id, created_at=created, updated_at=updated)
        self._pending.setdefault(model, []).append(values)
        self.counts[model._meta.table_name] += 1
        self._size += 1
        if self._size >= _FLUSH_EVERY:
            self.flush()
        return row_id

    def flush(self) -> None:
        """Insert everything queued, in the dependency order of ``ALL_MODELS``."""
        for model in ALL_MODELS:
            rows = self._pending.pop(model, None)
            if not rows:
                continue
            groups: dict[tuple[str, ...], list[dict]] = {}
            for row in rows:
                groups.setdefault(tuple(row), []).append(row)
            for keys, group in groups.items():
                chunk = max(1, min(_MAX_ROWS, _MAX_VARIABLES // len(keys)))
                for start in range(0, len(group), chunk):
                    model.insert_many(group[start : start + chunk]).execute()
        self._size = 0


@dataclass
class TechRec:
    id: str
    user_id: str
    index: int
    name: str


@dataclass
class TypeRec:
    code: str
    id: str
    label: str
    minutes: int
    preventive: bool
    equipment_types: tuple[str, ...]
    procedure_id: str
    items: list[tuple[str, dict]]  # (checklist item id, its spec)


@dataclass
class MeterRec:
    id: str
    name: str
    per_day: float  # average increase per day since install
    install: date

    def value_on(self, day: date) -> float:
        return round(max(0, (day - self.install).days) * self.per_day, 0)


@dataclass
class ContractRec:
    id: str
    start: date
    end: date | None
    type_codes: set[str]
    visits_per_year: int
    covers_parts: bool

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class EquipmentRec:
    id: str
    kind: str
    brand: str
    label: str
    serial: str
    energy: str
    install: date
    meters: list[MeterRec]
    site: SiteRec | None = None


@dataclass
class SiteRec:
    id: str
    name: str
    customer: CustomerRec
    sector: int  # index of the technician who usually covers it
    equipment: list[EquipmentRec] = field(default_factory=list)
    busy: bool = False  # a large site with frequent visits (benchmarks)


@dataclass
class CustomerRec:
    id: str
    name: str
    kind: str  # individual or a company kind: syndic, restaurant, ...
    contact: str
    sites: list[SiteRec] = field(default_factory=list)
    contract: ContractRec | None = None
