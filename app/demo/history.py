"""Interventions: years of history, today's and this week's work, and visits to plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.demo.records import CustomerRec, EquipmentRec, TypeRec, Writer
from app.demo.sites import new_equipment, preventive_types
from app.demo.visits import Visit, VisitWriter
from app.models.enums import InterventionStatus as S
from app.models.enums import Priority

DAY_START, DAY_END = 8 * 60, 18 * 60  # working hours, minutes after midnight
_TODAY_OPENERS = ((S.IN_PROGRESS,), (S.EN_ROUTE,), (S.WORK_DONE, S.IN_PROGRESS))
# What the coming days hold: maintenance visits (most of them from contracts), repairs,
# commissioning of newly installed appliances.
_WORK_MIX = (("preventive", 55), ("DEP", 33), ("MES", 12))
_COMMISSIONED = ("heat_pump", "boiler", "water_heater")
# Each technician's day today, by slot: the third job is an urgent repair (a call this
# morning), the fourth a commissioning; the rest maintenance visits (then repairs: the mix).
_TODAY_WORK = ("preventive", "preventive", "DEP", "MES", "preventive")
URGENT_SLOT = _TODAY_WORK.index("DEP")


@dataclass(frozen=True)
class Result:
    past: int
    today: int
    upcoming: int


class Scheduler:
    """Books technicians' days from 8:00 to 18:00 with travel between visits."""

    def __init__(self, rng, technicians: int) -> None:
        self.rng = rng
        self.technicians = technicians
        self.next_free: dict[tuple[int, date], int] = {}

    def book(self, tech: int, day: date, minutes: int) -> int | None:
        """Start minute of a visit for ``tech`` on ``day``, or None when the day is full."""
        free = self.next_free.get((tech, day), DAY_START)
        if free > DAY_START:
            free = -(-(free + self.rng.randrange(15, 45)) // 15) * 15  # travel, rounded up
        if free + minutes > DAY_END:
            return None
        self.next_free[(tech, day)] = free + minutes
        return free

    def place(self, day: date, sector: int, minutes: int, before: date):
        """(technician index, day, start minute) near ``day``, preferring the site's sector."""
        while day < before:
            if day.weekday() < 5:
                for offset in range(self.technicians):
                    tech = (sector + offset) % self.technicians
                    start = self.book(tech, day, minutes)
                    if start is not None:
                        return tech, day, start
            day += timedelta(days=1)
        return None


def _duration(rng, kind: TypeRec) -> int:
    return max(30, round(kind.minutes * rng.uniform(0.75, 1.25) / 15) * 15)


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60))


def build(w: Writer, today: date, spec, customers, techs, types, parts, office: str) -> Result:
    rng = w.rng
    visits = VisitWriter(w, parts, office)
    scheduler = Scheduler(rng, len(techs))
    first_day = today - timedelta(days=365 * spec.years)
    events: list[tuple[date, EquipmentRec, str]] = []
    equipment = [(c, e) for c in customers for s in c.sites for e in s.equipment]
    for customer, eq in equipment:
        _plan(rng, events, customer, eq, types, first_day, today, spec.repairs_per_year)
    while len(events) < spec.min_history:  # benchmarks: top up with repairs
        customer, eq = rng.choice(equipment)
        day = first_day + timedelta(days=rng.randrange((today - first_day).days))
        events.append((day, eq, "DEP"))
    events.sort(key=lambda event: event[0])
    past = 0
    for day, eq, code in events:
        kind = types[code]
        minutes = _duration(rng, kind)
        slot = scheduler.place(day, eq.site.sector, minutes, today)
        if slot is None:
            continue
        tech, day, start = slot
        past += 1
        visit = _visit(
            visits, eq, kind, techs[tech], _at(day, start), minutes, _past_status(rng, today, day)
        )
        detailed = spec.detail_share >= 1 or eq.site.busy or rng.random() < spec.detail_share
        visits.write(visit, detailed)
    today_count, upcoming = _this_week(w, visits, scheduler, today, customers, techs, types)
    upcoming += _to_plan(w, visits, today, customers, types, spec)
    return Result(past, today_count, upcoming)


def _plan(rng, events, customer: CustomerRec, eq: EquipmentRec, types, first_day, today, rate):
    start = max(first_day, eq.install)
    if first_day <= eq.install < today:
        events.append((eq.install, eq, "MES"))
    contract = customer.contract
    for code in preventive_types(eq.kind, eq.energy, types):
        per_year = 1
        if code != "RAM" and contract and code in contract.type_codes:
            per_year = contract.visits_per_year
        elif code != "RAM" and eq.kind != "boiler" and rng.random() < 0.4:
            continue  # no contract: only boilers get their (legal) yearly service
        period = 365 / per_year
        offset = rng.uniform(0, period)
        while (day := start + timedelta(days=offset)) < today:
            events.append((day, eq, code))
            offset += period * rng.uniform(0.9, 1.1)
    offset = 0.0
    while True:
        offset += rng.expovariate(rate) * 365
        day = start + timedelta(days=offset)
        if day >= today:
            break
        events.append((day, eq, "DEP"))


def _past_status(rng, today: date, day: date) -> S:
    age, r = (today - day).days, rng.random()
    if r < 0.03:
        return S.CANCELLED
    if age > 14:
        return S.DELIVERED if r < 0.93 else S.VALIDATED
    if age > 3:
        return S.VALIDATED if r < 0.55 else (S.SUBMITTED if r < 0.9 else S.DELIVERED)
    return S.SUBMITTED if r < 0.5 else (S.SIGNED if r < 0.85 else S.WORK_DONE)


def _priority(rng, kind: TypeRec) -> str:
    if kind.preventive:
        return Priority.LOW if rng.random() < 0.15 else Priority.NORMAL
    if kind.code == "MES":
        return Priority.NORMAL
    return rng.choices([Priority.NORMAL, Priority.HIGH, Priority.URGENT], [50, 35, 15])[0]


def _visit(visits: VisitWriter, eq, kind, tech, start, minutes, status) -> Visit:
    rng = visits.rng
    return Visit(
        customer=eq.site.customer,
        equipment=eq,
        type=kind,
        tech=tech,
        start=start,
        minutes=minutes,
        status=status,
        priority=_priority(rng, kind),
        repair=visits.repair_for(eq) if kind.code == "DEP" else None,
    )


def _pick(rng, customers, types, sector: int | None, code: str | None = None):
    """A site (in a technician's sector when possible), an equipment and a type of work for
    it: ``_WORK_MIX`` unless ``code`` is given. Commissioning gives no equipment: the appliance
    is installed for it once the visit is booked (``_installed``)."""
    sites = [s for c in customers for s in c.sites if s.equipment]
    if sector is not None:
        sites = [s for s in sites if s.sector == sector] or sites
    site = rng.choice(sites)
    what = code or rng.choices([m[0] for m in _WORK_MIX], [m[1] for m in _WORK_MIX])[0]
    if what == "MES":
        return site, None, types["MES"]
    eq = rng.choice(site.equipment)
    codes = preventive_types(eq.kind, eq.energy, types)
    if what == "preventive" and codes:
        contract = site.customer.contract
        covered = [c for c in codes if contract and c in contract.type_codes]
        return site, eq, types[rng.choice(covered or codes)]
    return site, eq, types["DEP"]


def _installed(w: Writer, site, eq, day: date):
    """``eq``, or a new appliance on ``site`` installed just before ``day`` (commissioning)."""
    if eq is not None:
        return eq
    install = min(day - timedelta(days=2), w.origin.date() - timedelta(days=1))
    return new_equipment(w, site, w.rng.choice(_COMMISSIONED), install)


def _contract_visit(rng, customers, types, day: date):
    """A preventive visit a contract running on ``day`` calls for: (site, equipment, type),
    or None without such contracts."""
    due = [
        (e, code)
        for c in customers
        if c.contract and c.contract.active_on(day)
        for s in c.sites
        for e in s.equipment
        for code in preventive_types(e.kind, e.energy, types)
        if code in c.contract.type_codes
    ]
    if not due:
        return None
    eq, code = rng.choice(due)
    return eq.site, eq, types[code]


def _this_week(w, visits, scheduler, today, customers, techs, types) -> tuple[int, int]:
    """3 to 5 visits today for each technician, in various states, and the next 7 days."""
    rng = w.rng
    today_count = upcoming = 0
    for tech in techs:
        openers = _TODAY_OPENERS[tech.index % len(_TODAY_OPENERS)]
        count = max(rng.randrange(3, 6), len(openers) + 2, URGENT_SLOT + 2)
        booked = [
            _book(w, visits, scheduler, customers, types, tech, today,
                  _TODAY_WORK[n] if n < len(_TODAY_WORK) else None)
            for n in range(count)
        ]  # fmt: skip
        if len(booked) > URGENT_SLOT and booked[URGENT_SLOT]:
            booked[URGENT_SLOT].priority = Priority.URGENT
        booked = [visit for visit in booked if visit]
        statuses = [*openers, *[S.ASSIGNED] * (len(booked) - len(openers) - 1), S.PLANNED]
        first_assigned = statuses.index(S.ASSIGNED) if S.ASSIGNED in statuses else 0
        for n, (visit, status) in enumerate(zip(booked, statuses, strict=True)):
            # the first job of the day and the first one to start carry no note: tests and
            # the end-to-end scenario write theirs there
            visit.notes = n not in (0, first_assigned)
            _write_planned(visits, visit, status)
        today_count += len(booked)
        for ahead in range(1, 8):
            day = today + timedelta(days=ahead)
            if day.weekday() >= 5:
                continue
            for _ in range(rng.randrange(2, 5)):
                visit = _book(w, visits, scheduler, customers, types, tech, day)
                if visit:
                    _write_planned(visits, visit, S.ASSIGNED if ahead <= 3 else S.PLANNED)
                    upcoming += 1
    return today_count, upcoming


def _book(w, visits, scheduler, customers, types, tech, day, code=None) -> Visit | None:
    """A visit booked in ``tech``'s day (its status is set later), or None if the day is full."""
    rng = w.rng
    for _attempt in range(5):
        site, eq, kind = _pick(rng, customers, types, tech.index, code)
        minutes = _duration(rng, kind)
        start = scheduler.book(tech.index, day, minutes)
        if start is None:
            minutes = 45  # squeeze a short visit at the end of a full day
            start = scheduler.book(tech.index, day, minutes)
        if start is not None:
            eq = _installed(w, site, eq, day)
            return _visit(visits, eq, kind, tech, _at(day, start), minutes, S.PLANNED)
    return None


def _write_planned(visits: VisitWriter, visit: Visit, status: S) -> None:
    visit.status = status
    if status in (S.PLANNED, S.ASSIGNED) and visits.rng.random() < 0.6:
        visit.planned_parts = visits.parts_for(visit)
    visits.write(visit, details=True)


def _to_plan(w, visits, today, customers, types, spec) -> int:
    """Contract visits of the next weeks, not yet given to a technician."""
    rng = w.rng
    count = max(15, spec.customers // 3)
    for _ in range(count):
        day = today + timedelta(days=rng.randrange(8, 60))
        day += timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
        picked = _contract_visit(rng, customers, types, day) or _pick(rng, customers, types, None)
        site, eq, kind = picked
        eq = _installed(w, site, eq, day)
        start = _at(day, rng.choice((8 * 60, 10 * 60, 14 * 60)))
        visit = _visit(visits, eq, kind, None, start, kind.minutes, S.PLANNED)
        visits.write(visit, details=False)
    return count
