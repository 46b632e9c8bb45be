"""Screen queries on the large demo database: service time versus raw SQLite.

The bound for each screen is the very SQL the service ran (captured from peewee's log),
replayed with plain ``sqlite3`` and fetched as tuples: what the screen would cost with no
ORM at all. The gap is our overhead (model instances, joins into objects, dataclasses).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import contextmanager
from datetime import date

from peewee import fn

from app import clock
from app.models import Intervention, Technician, db
from app.models.database import open_sqlite
from app.services import day_service, detail_service
from bench.datasets import demo_database
from bench.runner import benchmark, timings


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record):
        if isinstance(record.msg, tuple) and len(record.msg) == 2:
            self.statements.append((record.msg[0], tuple(record.msg[1] or ())))


@contextmanager
def captured_sql():
    logger = logging.getLogger("peewee")
    handler, level, propagate = _Capture(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _raw_replay(path, statements):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def replay():
        for sql, params in statements:
            con.execute(sql, params).fetchall()

    return con, replay


def _bench_screen(path, call, repeat):
    with captured_sql() as statements:
        call()
    service = timings(call, repeat)
    con, replay = _raw_replay(path, statements)
    try:
        bound = timings(replay, repeat)
    finally:
        con.close()
    return {
        "service": service,
        "raw_sqlite_bound": bound,
        "queries": len(statements),
        "overhead_x": round(service["median_ms"] / max(bound["median_ms"], 1e-6), 2),
        "target_ms": 50,
        "meets_target": service["p95_ms"] <= 50,
    }


@benchmark("screens_large_db")
def screens_large_db(args) -> dict:
    path, meta = demo_database("large")
    today = date.fromisoformat(meta["today"])
    database = open_sqlite(path)
    try:
        total = Intervention.select().count()
        tech = Technician.select().order_by(Technician.id).first()
        site_id, visits = (
            Intervention.select(Intervention.site, fn.COUNT(Intervention.id).alias("n"))
            .group_by(Intervention.site)
            .order_by(fn.COUNT(Intervention.id).desc())
            .tuples()
            .first()
        )
        target = (
            Intervention.select()
            # a visit with a technician (the whole screen opens as his; the newest may be
            # a planned, unassigned one, depending on the day the data was made)
            .where((Intervention.site == site_id) & Intervention.technician.is_null(False))
            .order_by(Intervention.scheduled_start.desc())
            .first()
        )
        my_day = _bench_screen(path, lambda: day_service.my_day(tech.id, today), args.repeat)
        detail = _bench_screen(path, lambda: detail_service.load_detail(target.id), args.repeat)
        who = _technician_of(target)
        screen = _bench_screen(path, lambda: _whole_screen(target.id, who), args.repeat)
        day = day_service.my_day(tech.id, today)
        loaded = detail_service.load_detail(target.id)
    finally:
        database.close()
        db.initialize(None)
    return {
        "database": {"interventions": total, "busiest_site_visits": visits, **meta},
        "my_day": {**my_day, "rows": len(day.today) + len(day.upcoming)},
        "intervention_detail": {
            **detail,
            "site_history_total": loaded.site_history_total,
            "steps": len(loaded.steps),
        },
        "intervention_screen_all_sections": {
            **screen,
            "note": "header + procedure + meters + time + parts + history + comments",
        },
    }


def _technician_of(intervention):
    from app.models import User
    from app.models.enums import Role
    from app.services.auth_service import CurrentUser

    tech = Technician.get_by_id(intervention.technician_id)
    user = User.get_by_id(tech.user_id)
    return CurrentUser(user.id, user.username, user.display_name, Role(user.role), tech.id)


def _whole_screen(intervention_id: str, who) -> None:
    """Every service call the intervention screen makes when it opens all its sections."""

    from app.services import (
        checklist_service,
        comment_service,
        history_service,
        meter_service,
        stock_service,
        time_service,
    )

    detail_service.load_detail(intervention_id)
    checklist_service.checklist(intervention_id, who)
    meter_service.meters_of(intervention_id, who)
    meter_service.measurements_of(intervention_id, who)
    time_service.totals(intervention_id, who, clock.now())
    stock_service.planned(intervention_id, who)
    stock_service.usages(intervention_id, who)
    stock_service.used_before(intervention_id, who)
    stock_service.van_stock(who)
    history_service.site_history(intervention_id, who)
    history_service.measured_labels(intervention_id, who)
    comment_service.for_intervention(intervention_id, who)
