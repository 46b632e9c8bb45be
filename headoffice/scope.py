"""Which rows a user may see (sync rule 1), as one id subquery per table.

Office users and admins see everything (``None``). A technician sees his interventions that
are open or scheduled from ``RECENT_DAYS`` ago onwards, the history of their sites, what
hangs off those interventions, their customers' records, the catalogues, the team's names
and his own van. The same predicates authorise his pushes (a row he writes must be in scope).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import Select

from app.domain import lifecycle, policy
from app.models import (
    MODELS_BY_TABLE,
    Attachment,
    Contact,
    Contract,
    ContractEquipment,
    ContractInterventionType,
    Customer,
    Equipment,
    Intervention,
    Meter,
    MeterReading,
    PartsToOrderLine,
    Quote,
    QuoteLine,
    Signature,
    Site,
    VanStockLine,
    Vehicle,
    db,
)
from app.models.enums import Role
from headoffice.database import run
from headoffice.rows import Rows

RECENT_DAYS = 30
# Tables everyone receives whole (catalogues and the team's names): app.domain.policy's
# ``shared`` entries (the name stays for headoffice.pull).
SHARED_TABLES = policy.shared_tables()


@dataclass(frozen=True)
class Principal:
    """Who is asking: enough to scope and authorise."""

    user_id: str
    role: str
    technician_id: str | None
    name: str = ""

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.OFFICE, Role.ADMIN)


class ScopeQueries(dict):
    """Table -> id query, plus ``fingerprint``: a digest of the key sets (interventions,
    sites, customers, ...) the queries were built from. The same fingerprint means the same
    scope membership, but for rows whose own version changed. ``conditions``: table -> the
    query's condition on the table's own columns, for a query that reads that table anyway
    (``model.select(...).where(condition)`` selects the in-scope rows without joining the
    id query back: PostgreSQL plans it in half the time)."""

    fingerprint: str = ""
    conditions: dict


@functools.cache
def _key_sets_sql(n_final: int, p: str) -> str:
    """The scope's key sets in one statement: rows ``(kind, id, customer)``.

    ``i``: the interventions at the sites where the technician (first parameter) has an
    intervention that is not final (the next ``n_final`` parameters) or scheduled since the
    last parameter; ``q``: their quotes; ``s``: those sites and the quotes' sites; ``e``, ``m``:
    the equipment at those sites and its meters; ``c``: the contracts of the interventions'
    customers and the contracts the interventions name. Each step is an indexed lookup on
    the previous one (foreign key indexes), all in one round trip. ``p``: the driver's
    placeholder."""
    finals = ", ".join([p] * n_final)
    return (
        "WITH own_sites AS ("
        " SELECT DISTINCT site_id AS id FROM interventions"
        f" WHERE technician_id = {p} AND (status NOT IN ({finals}) OR scheduled_start >= {p})),"
        " jobs AS (SELECT id, customer_id, contract_id FROM interventions"
        " WHERE site_id IN (SELECT id FROM own_sites)),"
        " job_quotes AS (SELECT id, site_id FROM quotes"
        " WHERE intervention_id IN (SELECT id FROM jobs)),"
        " scope_sites AS (SELECT id FROM own_sites UNION SELECT site_id FROM job_quotes),"
        " site_equipment AS (SELECT id FROM equipment"
        " WHERE site_id IN (SELECT id FROM scope_sites))"
        " SELECT 'i', id, customer_id FROM jobs"
        " UNION ALL SELECT 'q', id, NULL FROM job_quotes"
        " UNION ALL SELECT 's', id, NULL FROM scope_sites"
        " UNION ALL SELECT 'e', id, NULL FROM site_equipment"
        " UNION ALL SELECT 'm', id, NULL FROM meters"
        " WHERE equipment_id IN (SELECT id FROM site_equipment)"
        " UNION ALL SELECT 'c', id, NULL FROM contracts"
        " WHERE customer_id IN (SELECT customer_id FROM jobs)"
        " OR id IN (SELECT contract_id FROM jobs)"
    )


def scope_queries(who: Principal, today: date) -> ScopeQueries | None:
    """Table -> query selecting the ids ``who`` may see; None means every row.

    The key sets (interventions, sites, customers, ...) are read in one statement
    (``_key_sets_sql``), so each query is flat: one indexed ``IN`` list per table.
    """
    if who.sees_everything:
        return None
    tech = who.technician_id or ""
    since = datetime.combine(today - timedelta(days=RECENT_DAYS), datetime.min.time())
    final = sorted(Intervention.status.db_value(status) for status in lifecycle.FINAL)
    params = [tech, *final, Intervention.scheduled_start.db_value(since)]
    interventions, customers, quotes, sites, equipment, meters, contracts = ([] for _ in range(7))
    for kind, key, customer in run(_key_sets_sql(len(final), db.param), params):
        if kind == "i":
            interventions.append(key)
            customers.append(customer)
        elif kind == "q":
            quotes.append(key)
        elif kind == "s":
            sites.append(key)
        elif kind == "e":
            equipment.append(key)
        elif kind == "m":
            meters.append(key)
        else:
            contracts.append(key)
    customers = sorted(set(customers))

    conditions = {}

    def ids_in(model, *parts) -> Select:
        where = parts[0]
        for part in parts[1:]:
            where &= part
        conditions[model._meta.table_name] = where
        return model.select(model.id).where(where)

    queries: dict[str, Select] = {
        "customers": ids_in(Customer, Customer.id.in_(customers)),
        "sites": ids_in(Site, Site.id.in_(sites)),
        "contacts": ids_in(
            Contact,
            Contact.customer.in_(customers),
            Contact.site.is_null() | Contact.site.in_(sites),
        ),
        "equipment": ids_in(Equipment, Equipment.id.in_(equipment)),
        "meters": ids_in(Meter, Meter.id.in_(meters)),
        "meter_readings": ids_in(
            MeterReading,
            MeterReading.meter.in_(meters),
            MeterReading.intervention.is_null() | MeterReading.intervention.in_(interventions),
        ),
        "contracts": ids_in(Contract, Contract.id.in_(contracts)),
        "contract_equipment": ids_in(
            ContractEquipment,
            ContractEquipment.contract.in_(contracts),
            ContractEquipment.equipment.in_(equipment),
        ),
        "contract_intervention_types": ids_in(
            ContractInterventionType, ContractInterventionType.contract.in_(contracts)
        ),
        "interventions": ids_in(Intervention, Intervention.id.in_(interventions)),
        "quotes": ids_in(Quote, Quote.id.in_(quotes)),
        "quote_lines": ids_in(QuoteLine, QuoteLine.quote.in_(quotes)),
        "attachments": ids_in(
            Attachment, Attachment.intervention.in_(interventions) | Attachment.quote.in_(quotes)
        ),
        "signatures": ids_in(
            Signature, Signature.intervention.in_(interventions) | Signature.quote.in_(quotes)
        ),
        "parts_to_order_lines": ids_in(
            PartsToOrderLine,
            PartsToOrderLine.technician == tech,
            PartsToOrderLine.intervention.is_null()
            | PartsToOrderLine.intervention.in_(interventions),
        ),
        "van_stock_lines": ids_in(VanStockLine, VanStockLine.technician == tech),
        "vehicles": ids_in(Vehicle, Vehicle.technician == tech),
    }
    for table in policy.intervention_children():
        model = MODELS_BY_TABLE[table]
        queries[table] = ids_in(model, model.intervention.in_(interventions))
    scoped = ScopeQueries(queries)
    scoped.conditions = conditions
    digest = hashlib.sha256(tech.encode())
    for keys in (interventions, quotes, sites, equipment, meters, contracts, customers):
        digest.update(("|".join(sorted(keys)) + "#").encode())
    scoped.fingerprint = digest.hexdigest()[:24]
    return scoped


# --- what a technician may write -------------------------------------------------------------
# Stricter than what he sees: only rows of his own interventions, his van and his orders, as
# app.domain.policy says how each table hangs off an intervention.


def may_write(who: Principal, table: str, row: dict, rows: Rows | None = None) -> bool:
    """May ``who`` hold ``row`` (wire column names) of ``table`` as written? ``rows``: where
    the parents are read (default: the database, each time)."""
    if who.sees_everything:
        return True
    tech = who.technician_id
    rules = policy.policy(table)
    if tech is None or not rules.technician:
        return False
    if rules.owner and row.get(rules.owner) != tech:
        return False
    rows = rows or Rows()
    if table == policy.INTERVENTIONS:
        return _own_intervention(tech, row.get("id"), rows)
    jobs = interventions_of(table, row, rows)
    if jobs is None:
        return False
    if not jobs:  # hangs off no intervention: his own rows only (his van, his orders)
        return rules.owner is not None
    return all(_own_intervention(tech, job, rows) for job in jobs)


def interventions_of(table: str, row: dict, rows: Rows | None = None) -> set[str] | None:
    """The interventions ``row`` hangs off, through every link set in it (a quote line through
    its quote); None when a link leads to a row that does not exist, or to no intervention."""
    rows = rows or Rows()
    found: set[str] = set()
    for link in policy.policy(table).links:
        parent_id = row.get(link.column)
        if not parent_id:
            continue
        if link.table == policy.INTERVENTIONS:
            found.add(parent_id)
            continue
        parent = rows.row(link.table, parent_id)
        above = interventions_of(link.table, parent, rows) if parent is not None else None
        if not above:
            return None
        found |= above
    return found


def _own_intervention(tech: str, intervention_id: str | None, rows: Rows) -> bool:
    job = rows.row(policy.INTERVENTIONS, intervention_id)
    return job is not None and job["technician_id"] == tech
