"""Database handle, base model and shared field types.

The database is deferred (``db`` is a proxy) so the same models serve the device (SQLite)
and the head office (SQLite or PostgreSQL). Conventions, for every table:

- ``id``: UUID text generated where the row is created (device or office), so rows can be
  made offline without collisions;
- ``created_at`` / ``updated_at``: naive UTC timestamps, ``updated_at`` refreshed on save;
- ``deleted``: soft-delete flag (a tombstone that sync carries);
- ``sync_version``: the head-office version of the row (see docs/sync-protocol.md);
- business date-times (an intervention's schedule, a reading's time) are naive local wall
  time of the site, as in any calendar.

Money is stored in integer cents and VAT rates in basis points (2000 = 20 %), so totals are
exact; quantities are floats rounded by the services to the part's unit.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

from peewee import (
    SQL,
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    Model,
    TextField,
)

from app import clock


class RoutedDatabaseProxy(DatabaseProxy):
    """The models' database handle; a thread may route it to another database.

    ``db.initialize(database)`` sets the database of the process. ``with db.using(other):``
    makes the current thread use ``other`` instead: tests and simulations run a head office
    and several devices, each with its own database, in one process.
    """

    __slots__ = ("_default", "_local")

    def __init__(self):
        object.__setattr__(self, "_local", threading.local())
        object.__setattr__(self, "_default", None)
        super().__init__()

    @property
    def obj(self):
        routed = getattr(self._local, "database", None)
        return routed if routed is not None else self._default

    @obj.setter
    def obj(self, value):
        object.__setattr__(self, "_default", value)

    def __setattr__(self, attr, value):
        object.__setattr__(self, attr, value)

    @contextmanager
    def using(self, database):
        previous = getattr(self._local, "database", None)
        self._local.database = database
        try:
            yield database
        finally:
            self._local.database = previous


db = RoutedDatabaseProxy()


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Naive UTC now, the form every audit timestamp is stored in (from ``app.clock``)."""
    return clock.utcnow()


class JSONField(TextField):
    """JSON stored as text: portable across SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


_UNCOUNTABLE = ("equipment",)


def plural_table_name(model_class) -> str:
    """Tables are the plural snake_case of the model: ``PartUsage`` -> ``part_usages``.

    The sync API uses the same names, so there is no mapping to keep in step.
    """
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model_class.__name__).lower()
    if snake.endswith(_UNCOUNTABLE):
        return snake
    if snake.endswith("y") and not snake.endswith(("ay", "ey", "oy", "uy")):
        return snake[:-1] + "ies"
    return snake + "s"


class BaseModel(Model):
    class Meta:
        database = db
        table_function = plural_table_name


# Called inside the saving transaction as ``listener(row, columns, inserted)`` after a
# ``SyncedModel.save`` wrote ``columns`` (column names). The device installs one at startup to
# feed its sync outbox (``app.sync.tracking``); head office never does. The models layer knows
# nothing more about sync.
ChangeListener = Callable[["SyncedModel", list[str], bool], None]
_change_listener: ChangeListener | None = None


def set_change_listener(listener: ChangeListener | None) -> ChangeListener | None:
    """Install (or remove, with None) the change listener; returns the previous one."""
    global _change_listener
    previous, _change_listener = _change_listener, listener
    return previous


class SyncedModel(BaseModel):
    """A row that exists on devices and at head office and travels between them."""

    id = CharField(primary_key=True, max_length=36, default=new_id)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)
    deleted = BooleanField(default=False)
    # Head office version of the row (docs/sync-protocol.md): the row's current version at
    # head office; on a device, the version of the last server state applied. 0 = never synced.
    sync_version = BigIntegerField(default=0, index=True, constraints=[SQL("DEFAULT 0")])

    def save(self, force_insert: bool = False, only=None):
        self.updated_at = utcnow()
        listener = _change_listener
        if listener is None:
            return super().save(force_insert=force_insert, only=only)
        inserting = force_insert or self._pk is None
        if only is None and not inserting:
            # Write only what changed, so a stale instance never reverts other columns
            # (or sync_version) that sync applied since it was loaded.
            only = self.dirty_fields
        fields = (
            self._meta.sorted_fields
            if inserting
            else [f if not isinstance(f, str) else self._meta.fields[f] for f in only]
        )
        columns = [f.column_name for f in fields]
        with self._meta.database.atomic():
            rows = super().save(force_insert=force_insert, only=only)
            if rows:
                listener(self, columns, inserting)
        return rows

    @classmethod
    def live(cls):
        """Rows that are not soft-deleted."""
        return cls.select().where(cls.deleted == False)


def choice_check(field_name: str, values) -> str:
    """A SQL CHECK constraint limiting a text column to ``values``."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{field_name} IN ({quoted})"
