"""The rows head office's decisions read (sync rule 6), by table and id, in wire column names.

A decision about a pushed row reads the row itself, the parents it hangs off (its
intervention, its quote) and whether an intervention has a signature. ``Rows`` reads each
from the database when asked (a single decision, the authorization matrix). A push reads
through ``BatchRows`` (``headoffice.push``): the rows of each table it changes are loaded,
and on PostgreSQL locked, in a few queries (chunks of ids, in id order), the parents its
decisions ask for are read once for the whole batch, and the rows it has written are read
again before the next table is decided, so every decision sees what the batch wrote before it.
"""

from __future__ import annotations

from collections.abc import Iterable

from peewee import CharField, ForeignKeyField, TextField

from app.domain import lifecycle, policy
from app.models import MODELS_BY_TABLE, Signature, db

CHUNK = 500  # ids in one IN list (SQLite's parameter limit is far above)
# The row lock of a writer (PostgreSQL). Not FOR UPDATE: a foreign key check takes FOR KEY
# SHARE on the row it references, which FOR UPDATE would block (ids never change here).
LOCK = "FOR NO KEY UPDATE"
# The fixed order in which a push locks its rows: the other tables by name, then these (the
# parents, after their children).
LOCK_LAST = ("quotes", "interventions")
# ... which holds because every link points to a later table of LOCK_LAST (children first).
assert all(
    link.table in LOCK_LAST[LOCK_LAST.index(p.table) + 1 :]
    if p.table in LOCK_LAST
    else link.table in LOCK_LAST
    for p in policy.POLICIES
    for link in p.links
)
# Tables some row hangs off (interventions, quotes): their rows are read again once written.
PARENT_TABLES = frozenset(link.table for p in policy.POLICIES for link in p.links)


def select_by_column(model):
    """Select every field under its column name (row_to_wire reads foreign keys as <x>_id)."""
    return model.select(*[f.alias(f.column_name) for f in model._meta.sorted_fields])


def read_rows(table: str, ids: Iterable[str], *, lock: bool = False) -> dict[str, dict]:
    """The rows of ``table`` with these ids (id -> row, values as the model reads them),
    in chunks read in id order; ``lock``: ``SELECT ... FOR UPDATE`` where the database has
    it. Plain SQL: building an IN list of 500 values through the ORM costs more than the
    read."""
    model = MODELS_BY_TABLE[table]
    fields = model._meta.sorted_fields
    names = [f.column_name for f in fields]
    convert = [(i, f.python_value) for i, f in enumerate(fields) if not _is_text(f)]
    columns = ", ".join(f'"{n}"' for n in names)
    suffix = f" {LOCK}" if lock and db.obj.for_update else ""
    ordered = sorted(set(filter(None, ids)))
    found: dict[str, dict] = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        marks = ", ".join([db.param] * len(chunk))
        sql = f'SELECT {columns} FROM "{table}" WHERE "id" IN ({marks}) ORDER BY "id"{suffix}'
        for values in db.execute_sql(sql, chunk).fetchall():
            values = list(values)
            for i, python in convert:
                if values[i] is not None:
                    values[i] = python(values[i])
            row = dict(zip(names, values, strict=True))
            found[row["id"]] = row
    return found


def lock_family(changes: Iterable) -> None:
    """PostgreSQL: before a push reads or writes anything, lock every row it changes and
    every parent its decisions read (a row's intervention and quote, a quote's
    intervention), in one fixed order: the other tables by name, then ``LOCK_LAST`` (quotes,
    interventions), ids ascending (docs/sync-protocol.md, "Concurrent pushes"). Children
    before parents: a locked row's links are read by the statement that locks it, so the
    parents to lock next are known for sure. Two pushes touching one intervention's rows run
    one after the other (a signature and an edit of the report cannot both pass on what the
    other did not see yet); pushes of other interventions run in parallel, and no two pushes
    wait for each other in a circle. A row that does not exist yet is not locked (two pushes
    creating the same id: the second is refused as a duplicate). SQLite: nothing (its write
    transaction holds the whole file)."""
    if not db.obj.for_update:
        return
    wanted: dict[str, set] = {}
    for change in changes:
        wanted.setdefault(change.table, set()).add(change.id)
        for link in policy.policy(change.table).links:  # the parents the push names
            wanted.setdefault(link.table, set()).add(change.fields.get(link.column))
    for table in sorted(set(wanted) - set(LOCK_LAST)) + list(LOCK_LAST):
        ids = sorted(
            i for i in wanted.get(table, ()) if isinstance(i, str) and i and "\x00" not in i
        )
        links = policy.policy(table).links
        columns = ", ".join(['"id"', *(f'"{link.column}"' for link in links)])
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join([db.param] * len(chunk))
            sql = f'SELECT {columns} FROM "{table}" WHERE "id" IN ({marks}) ORDER BY "id" {LOCK}'
            for row in db.execute_sql(sql, chunk).fetchall():
                for link, value in zip(links, row[1:], strict=True):
                    wanted.setdefault(link.table, set()).add(value)


def _is_text(field) -> bool:
    """Plain text columns (and references to a text key): the driver's value is the model's."""
    if isinstance(field, ForeignKeyField):
        field = field.rel_field
    return type(field) in (CharField, TextField)


def signature_outcomes(intervention_id: str) -> frozenset[str]:
    """The outcomes (signed, refused, absent) of the live signature rows of the
    intervention's report or slip."""
    query = Signature.select(Signature.outcome).where(
        (Signature.intervention == intervention_id)
        & (Signature.deleted == False)
        & Signature.document_kind.in_(sorted(lifecycle.SIGNING_DOCUMENTS))
    )
    return frozenset(row.outcome for row in query)


class Rows:
    """Every read goes to the database."""

    def row(self, table: str, row_id: str | None) -> dict | None:
        if not row_id:
            return None
        return read_rows(table, [row_id]).get(row_id)

    def signature_outcomes(self, intervention_id: str) -> frozenset[str]:
        return signature_outcomes(intervention_id)


class BatchRows(Rows):
    """The reads of one push: each row read once, read again after the push writes it."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict | None] = {}
        self._signed: dict[str, frozenset[str]] = {}

    def row(self, table: str, row_id: str | None) -> dict | None:
        if not row_id:
            return None
        key = (table, row_id)
        if key not in self._rows:
            self.prefetch(table, [row_id])
        return self._rows[key]

    def signature_outcomes(self, intervention_id: str) -> frozenset[str]:
        if intervention_id not in self._signed:
            self._signed[intervention_id] = signature_outcomes(intervention_id)
        return self._signed[intervention_id]

    def prefetch(self, table: str, ids: Iterable[str]) -> None:
        """Read the rows of these ids not read yet, in a few queries."""
        missing = [i for i in set(filter(None, ids)) if (table, i) not in self._rows]
        if missing:
            self._remember(table, missing, read_rows(table, missing))

    def load(self, table: str, ids: list[str]) -> dict[str, dict]:
        """The rows a push is about to change, read now and locked (PostgreSQL: in id
        order, table after table, so two pushes lock their common rows in the same order)."""
        found = read_rows(table, ids, lock=True)
        self._remember(table, ids, found)
        return found

    def written(self, table: str, ids: list[str]) -> None:
        """The push wrote these rows: later decisions read them as written."""
        if table == "signatures":
            self._signed.clear()
        if not ids:
            return
        for row_id in ids:
            self._rows.pop((table, row_id), None)
        if table in PARENT_TABLES:
            self.prefetch(table, ids)

    def _remember(self, table: str, ids: Iterable[str], found: dict[str, dict]) -> None:
        for row_id in ids:
            self._rows[(table, row_id)] = found.get(row_id)
