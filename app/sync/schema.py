"""What travels: the synced tables, and the columns each schema version of the wire holds.

The wire's *schema version* (docs/sync-protocol.md, rule 9) is derived from ``HISTORY``, the
declared list of columns added to the wire after the first version: a release that makes a
model column travel adds ``Added(version, table, (column, ...))`` with the next version.
Head office serves a device in the shape of the version the device sends (only the columns
that version knows), down to ``HISTORY.oldest``; a device above ``HISTORY.version`` is
refused. Tests declare another history with ``declared(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from app.errors import TerrainError
from app.models import ALL_MODELS

PROTOCOL_VERSION = 1  # the HTTP API's version: /api/v1
SCHEMA_HEADER = "X-Terrain-Schema"  # a device's schema version, on every pull and push
FIRST_SCHEMA = 1  # the wire before versions were exchanged: a request without the header

TABLES: list[str] = [m._meta.table_name for m in ALL_MODELS]  # dependency order
TABLE_INDEX: dict[str, int] = {name: i for i, name in enumerate(TABLES)}
MODELS = {m._meta.table_name: m for m in ALL_MODELS}

# Columns that exist in the models but never travel: bookkeeping, or secrets.
BOOKKEEPING = {"id", "sync_version", "deleted"}
SERVER_ONLY: dict[str, set[str]] = {"users": {"password_hash"}}


def model_columns(table: str) -> tuple[str, ...]:
    """Every column of ``table`` that travels today, in the models' field order."""
    hidden = BOOKKEEPING | SERVER_ONLY.get(table, set())
    fields = MODELS[table]._meta.sorted_fields
    return tuple(f.column_name for f in fields if f.column_name not in hidden)


@dataclass(frozen=True)
class Added:
    """Schema ``version`` made ``columns`` of ``table`` travel."""

    version: int
    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class History:
    """The wire's schema versions: the first one holds every column not added later."""

    added: Sequence[Added] = ()
    oldest: int = FIRST_SCHEMA  # the oldest version head office still serves

    def __post_init__(self) -> None:
        versions = [a.version for a in self.added]
        if versions != sorted(versions) or any(v <= FIRST_SCHEMA for v in versions):
            raise ValueError("schema versions must be above the first one, in order")
        for a in self.added:
            unknown = set(a.columns) - set(model_columns(a.table))
            if unknown:
                raise ValueError(f"{a.table} has no travelling column {sorted(unknown)}")
        if not FIRST_SCHEMA <= self.oldest <= self.version:
            raise ValueError("the oldest served version must be a known one")

    @property
    def version(self) -> int:
        """The current schema version (what this code speaks)."""
        return max([FIRST_SCHEMA, *(a.version for a in self.added)])

    @cached_property
    def _shapes(self) -> dict[int, dict[str, tuple[str, ...]]]:
        shapes = {}
        for version in range(FIRST_SCHEMA, self.version + 1):
            later = {(a.table, c) for a in self.added if a.version > version for c in a.columns}
            shapes[version] = {
                t: tuple(c for c in model_columns(t) if (t, c) not in later) for t in TABLES
            }
        return shapes

    def columns(self, version: int) -> dict[str, tuple[str, ...]]:
        """The wire columns of every table at schema ``version`` (a served version)."""
        return self._shapes[version]

    def changed_tables(self, old: int, new: int) -> set[str]:
        """Tables whose columns differ between the shapes of versions ``old`` and ``new``."""
        low, high = sorted((old, new))
        return {a.table for a in self.added if low < a.version <= high}

    def check(self, version: int) -> int:
        """``version`` if head office serves it; raises SchemaOutdatedError/SchemaTooNewError."""
        if version < self.oldest:
            raise SchemaOutdatedError(
                f"This app speaks sync schema {version}; head office serves schema "
                f"{self.oldest} to {self.version}.",
                device=version,
                server=self.version,
            )
        if version > self.version:
            raise SchemaTooNewError(
                f"This app speaks sync schema {version}, newer than head office's "
                f"({self.version}).",
                device=version,
                server=self.version,
            )
        return version


class SchemaOutdatedError(TerrainError):
    """The device's schema is older than head office serves (answered 426)."""

    hint = "Update the app, then sync again; your work stays saved on this device."


class SchemaTooNewError(TerrainError):
    """The device's schema is newer than head office's (answered 400)."""

    hint = "Ask your administrator to update head office; your work stays saved on this device."


# Columns made to travel after the first version: see the module docstring.
HISTORY = History(
    added=[
        Added(2, "attachments", ("thumb_sha256", "original_sha256")),  # issue 11: media
        # The signing flow: a refusal or absence record, the follow-up's details (issue 10).
        Added(2, "signatures", ("outcome", "reason")),
        Added(2, "follow_ups", ("urgency", "lines")),
        # Issue 11, videos: a still or clip names its video and time; a video's notes.
        Added(3, "attachments", ("source_attachment_id", "source_time_ms", "video_notes")),
    ]
)


def current() -> History:
    """The declared history (read at call time, so that ``declared`` reaches every user)."""
    return HISTORY


@contextmanager
def declared(history: History) -> Iterator[History]:
    """Use ``history`` for the duration of the block (tests: a version adding a column)."""
    global HISTORY
    previous, HISTORY = HISTORY, history
    try:
        yield history
    finally:
        HISTORY = previous
