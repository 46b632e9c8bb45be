"""Randomized sync simulation: one head office, the office and six technicians' devices.

A Hypothesis state machine (``SyncSimulation``) drives a live head office (waitress on
loopback, its own SQLite database) and seven device databases in this process (each device's
work runs in ``db.using(its_db)``; the devices talk HTTP through ``HttpTransport``). Random
operations, made offline on the devices:

- technicians create, edit and soft-delete comments, checklist answers, measurements, time
  entries and part usages of their own interventions, edit their interventions' reports and
  statuses (signing locks them: later edits are rejected), and sometimes write what they may
  not (another technician's intervention, the catalogue: rejected);
- the office reschedules, reprioritises, reassigns and cancels interventions, edits their
  texts (conflicts with the technicians) and the comments and records of any intervention;
- syncs of random devices, with random pull page sizes and random faults: the network fails
  before a request is sent, or after head office answered (it applied the push or recorded
  the page, the device never learns it).

Checked on every push, against an independent model of who last changed each field: a field
changed elsewhere since the pushed base version is a conflict decided by the merge rules, any
other pushed field is applied as sent, a rejected row is left untouched, and a replayed batch
changes nothing. At the end of each run every device syncs twice without faults, then:

- every replica converges: each device holds exactly the rows of its scope, equal to head
  office's field by field (version and tombstone included), with an empty outbox;
- no write is lost: every value written on any device (a ledger kept by a change listener)
  was present at head office after a push, or is recorded as a conflict (``sync_conflicts``)
  or as a rejection on its device (``sync_rejections``). A value overwritten on its device
  before any sync collected it is not required (it was never meant to travel).

Size: ``TERRAIN_SIM_OPS`` steps in all (default 3,000: about 2,500 counted operations, under
a minute), in runs of ``TERRAIN_SIM_STEPS`` steps (default 300). ``TERRAIN_SIM_SEED`` picks
another seeded sequence (default: Hypothesis' derandomized one, the same on every CI run);
``TERRAIN_SIM_SHRINK=1`` lets Hypothesis shrink a failing run. 100,000 operations locally::

    TERRAIN_SIM_OPS=100000 .venv/bin/pytest tests/test_sync_simulation.py -s
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)
from server_support import start_live_server
from sim_support import (
    DeviceHandle,
    WorldTemplate,
    build_world,
    copy_world,
    device_rows,
    expected_replica,
    open_devices,
    outbox_is_empty,
    replica_differences,
    server_rows,
    server_snapshot,
)

from app import clock
from app.errors import TransportError
from app.models import (
    ChecklistAnswer,
    ChecklistItem,
    Comment,
    Intervention,
    Measurement,
    Part,
    PartUsage,
    Technician,
    TimeEntry,
    db,
    utcnow,
)
from app.models.base import set_change_listener
from app.sync.engine import synchronize
from app.sync.store import SyncRejection
from app.sync.tracking import record
from app.sync.transport import HttpTransport
from app.sync.wire import COLUMNS, to_wire
from headoffice.models import SyncConflict

OPS = int(os.environ.get("TERRAIN_SIM_OPS", "3000"))
STEPS = int(os.environ.get("TERRAIN_SIM_STEPS", "300"))
SEED = os.environ.get("TERRAIN_SIM_SEED")
SHRINK = os.environ.get("TERRAIN_SIM_SHRINK") == "1"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(max(300, int(OPS * 0.3)))]

RECORDS = {
    "comments": Comment,
    "checklist_answers": ChecklistAnswer,
    "measurements": Measurement,
    "time_entries": TimeEntry,
    "part_usages": PartUsage,
}
WORDS = ["fuite", "brûleur", "pression", "joint", "vanne", "purge", "ramonage", "sonde"]
PICK = st.integers(0, 10**6)
HOT_JOBS = 3  # interventions worked on per technician
STEPS_OF_WORK = ["en_route", "in_progress", "work_done"]


def seeded_uuids(seed: int) -> None:
    """Make ``uuid.uuid4`` (row ids, batch ids, device ids) a seeded sequence: runs repeat."""
    rng = random.Random(seed)
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)


def canon(value) -> str:
    """A hashable, type-stable form of a wire value (3 and 3.0 are the same number)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = float(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class Faulty:
    """The device's transport, failing where the plan says: call index -> "before" (the
    request never leaves) or "after" (head office answered, the answer is lost)."""

    def __init__(self, sim: SyncSimulation, device: DeviceHandle, plan: dict[int, str]):
        self.sim, self.device, self.plan, self.calls = sim, device, plan, 0

    def __getattr__(self, name):
        return getattr(self.device.extra["transport"], name)

    def _fault(self, when: str, index: int) -> None:
        if self.plan.get(index) == when:
            self.sim.stats[f"fault_{when}"] += 1
            raise TransportError(f"simulated network failure ({when} call {index})")

    def push(self, body: dict) -> dict:
        index, self.calls = self.calls, self.calls + 1
        self.sim.collected(self.device, body)
        self._fault("before", index)
        before = self.sim.read_server(body)
        answer = self.device.extra["transport"].push(body)
        self.sim.observe_push(self.device, body, answer, before)
        self._fault("after", index)
        return answer

    def pull(self, cursor: str, limit: int) -> dict:
        index, self.calls = self.calls, self.calls + 1
        self._fault("before", index)
        page = self.device.extra["transport"].pull(cursor, limit)
        self.sim.stats["pages"] += 1
        self._fault("after", index)
        return page


class SyncSimulation(RuleBasedStateMachine):
    template: WorldTemplate
    workdir = None
    runs = itertools.count()
    stats: Counter = Counter()

    def __init__(self) -> None:
        super().__init__()
        run = next(self.runs)
        seeded_uuids(0)  # ids and batch ids: a run replayed by Hypothesis repeats itself
        directory = copy_world(self.template, self.workdir / f"run-{run}")
        self.live = start_live_server(f"sqlite:///{directory / 'server.db'}", directory / "b")
        self.server = self.live.database
        self.devices = open_devices(self.template, directory, self.server)
        for device in self.devices:
            device.extra["transport"] = HttpTransport(
                self.live.base, token=device.token, retries=0, timeout=(5, 60)
            )
            device.extra["epoch"] = 0
        self.office, self.techs = self.devices[0], self.devices[1:]
        with db.using(self.server):
            self.tech_ids = [t.id for t in Technician.select(Technician.id)]
            self.items = [r.id for r in ChecklistItem.select(ChecklistItem.id)]
            self.parts = [r.id for r in Part.select(Part.id)]
        self.seq = itertools.count(1)
        self.current: DeviceHandle | None = None
        # the ledger: (device, table, id, column) -> (epoch, value); values to account for
        self.last_write: dict[tuple, tuple[int, str]] = {}
        self.to_account: list[tuple] = []
        self.collected_batches: set[str] = set()
        self.applied_batches: set[str] = set()
        self.seen: dict[tuple, set[str]] = defaultdict(set)  # values present at head office
        self.history: dict[tuple, tuple[int, str]] = {}  # field -> (version, device) of change
        self.trace: dict[tuple, list] = defaultdict(list)  # (table, id) -> events, to debug
        set_change_listener(self._track)

    # --- the ledger ---------------------------------------------------------------------

    def _track(self, row, columns: list[str], inserted: bool) -> None:
        record(row, columns, inserted)  # the device's own change tracking
        device, table = self.current, row._meta.table_name
        wire = COLUMNS[table]
        for column in columns:
            if column in wire:
                value = to_wire(wire[column].kind, row.__data__.get(row._meta.columns[column].name))
            elif column == "deleted" and (row.deleted or not inserted):
                value = bool(row.deleted)
            else:
                continue
            key = (device.username, table, str(row.id), column)
            previous = self.last_write.get(key)
            if previous is not None and previous[0] != device.extra["epoch"]:
                self.to_account.append((*key, previous[1]))
            self.last_write[key] = (device.extra["epoch"], canon(value))
            self.trace[(table, str(row.id))].append(
                (device.username, "write", column, canon(value), device.extra["epoch"])
            )
            self.stats["writes"] += 1

    def collected(self, device: DeviceHandle, body: dict) -> None:
        """A push: a new batch means the device collected its outbox (values sent)."""
        if body["batch_id"] not in self.collected_batches:
            self.collected_batches.add(body["batch_id"])
            device.extra["epoch"] += 1

    # --- head office oracle ----------------------------------------------------------

    def read_server(self, body: dict) -> dict[tuple[str, str], dict]:
        rows = {}
        with db.using(self.server):
            for table, changes in body["changes"].items():
                found = server_rows(table, [c["id"] for c in changes])
                rows.update({(table, i): r for i, r in found.items()})
        return rows

    def observe_push(self, device: DeviceHandle, body: dict, answer: dict, before: dict) -> None:
        """Check head office's decisions on a push against the model; update the model."""
        after = self.read_server(body)
        replay = body["batch_id"] in self.applied_batches
        self.applied_batches.add(body["batch_id"])
        self.stats["pushes"] += 1
        if replay:
            self.stats["replays"] += 1
            assert after == before, "a replayed batch changed head office's rows"
        conflicts = {(c["table"], c["id"], c["field"]): c for c in answer["conflicts"]}
        rejected = {(r["table"], r["id"]) for r in answer["rejected"]}
        applied = {(a["table"], a["id"]) for a in answer["applied"]}
        if not replay:
            self.stats["conflicts"] += len(conflicts)
            self.stats["rejections"] += len(rejected)
        for table, changes in body["changes"].items():
            for change in changes:
                key = (table, change["id"])
                old, new = before.get(key), after.get(key)
                self.trace[key].append(
                    (device.username, "push", body["batch_id"][:8], change, answer, old, new)
                )
                if new is not None:
                    for column in change["fields"]:
                        self.seen[(*key, column)].add(canon(new[column]))
                    self.seen[(*key, "deleted")].add(canon(new["_deleted"]))
                if replay:
                    continue
                assert (key in rejected) != (key in applied), (key, answer)
                if key in rejected:
                    assert old == new, f"rejected {key} changed at head office"
                    continue
                self._check_merge(device, table, change, old, new, conflicts)

    def _check_merge(self, device, table, change, old, new, conflicts) -> None:
        row_id, me = change["id"], device.device_id
        assert new is not None
        for column, sent in change["fields"].items():
            field = (table, row_id, column)
            if old is None:  # inserted
                assert canon(new[column]) == canon(sent), (field, new[column], sent)
                self.history[field] = (new["_version"], me)
                continue
            if canon(sent) == canon(old[column]):
                assert canon(new[column]) == canon(old[column]), field
                continue
            last = self.history.get(field)
            concurrent = last is not None and last[0] > change["base_version"] and last[1] != me
            conflict = conflicts.get(field)
            if concurrent:
                assert conflict is not None, f"{field}: concurrent edit without a conflict"
                expected = sent if conflict["winner"] == "device" else old[column]
            else:
                assert conflict is None, f"{field}: a conflict without a concurrent edit"
                expected = sent
            assert canon(new[column]) == canon(expected), (field, new[column], expected)
            if canon(new[column]) != canon(old[column]):
                self.history[field] = (new["_version"], me)

    # --- operations ------------------------------------------------------------------

    def _text(self) -> str:
        n = next(self.seq)
        return f"{WORDS[n % len(WORDS)]} {n}"

    def _on(self, device: DeviceHandle):
        self.current = device
        self.stats["ops"] += 1
        return db.using(device.database)

    @staticmethod
    def _choose(items: list, pick: int):
        return items[pick % len(items)] if items else None

    def _jobs(self, device: DeviceHandle, own: bool = True) -> list[str]:
        """The interventions worked on: a few per technician (so that edits collide)."""
        query = Intervention.select(Intervention.id, Intervention.technician).where(
            (Intervention.deleted == False) & Intervention.technician.is_null(False)
        )
        if own:
            query = query.where(Intervention.technician == device.who.technician_id)
        hot: dict[str, list[str]] = defaultdict(list)
        for job_id, tech in query.order_by(Intervention.id).tuples():
            if len(hot[tech]) < HOT_JOBS:
                hot[tech].append(job_id)
        return sorted(j for jobs in hot.values() for j in jobs)

    def _write_record(self, device: DeviceHandle, table: str, action: str, pick: int, jobs):
        model = RECORDS[table]
        if not jobs:
            return
        user = device.who.user_id
        now = utcnow()
        if action == "create":
            job = self._choose(jobs, pick)
            if table == "comments":
                visibility = "internal" if pick % 3 else "client"
                Comment.create(
                    intervention=job, author=user, visibility=visibility, body=self._text()
                )
            elif table == "checklist_answers":
                item = self._choose(self.items, pick // 7)
                answer = ChecklistAnswer.get_or_none(
                    (ChecklistAnswer.intervention == job) & (ChecklistAnswer.item == item)
                )
                if answer is None:
                    ChecklistAnswer.create(
                        intervention=job, item=item, value_text=self._text(),
                        answered_by=user, answered_at=now,
                    )  # fmt: skip
                else:
                    answer.value_text = self._text()
                    answer.save()
            elif table == "measurements":
                Measurement.create(
                    intervention=job, label=self._text(), value=pick / 100, unit="bar",
                    measured_at=now,
                )  # fmt: skip
            elif table == "time_entries" and device.who.technician_id:
                TimeEntry.create(
                    intervention=job, technician=device.who.technician_id,
                    kind="work" if pick % 2 else "travel", started_at=now,
                    ended_at=now + timedelta(minutes=pick % 90),
                )  # fmt: skip
            elif table == "part_usages" and device.who.technician_id:
                PartUsage.create(
                    intervention=job, part=self._choose(self.parts, pick // 3),
                    technician=device.who.technician_id, quantity=1 + pick % 4, recorded_at=now,
                )  # fmt: skip
            return
        ids = [
            r[0]
            for r in model.select(model.id)
            .where(model.intervention.in_(jobs) & (model.deleted == False))
            .order_by(model.id)
            .tuples()
        ]
        row_id = self._choose(ids, pick)
        if row_id is None:
            return
        row = model.get_by_id(row_id)
        if action == "delete":
            row.deleted = True
        elif table == "comments":
            row.body = self._text()
        elif table == "checklist_answers":
            row.comment = self._text()
        elif table == "measurements":
            row.value, row.comment = pick / 10, self._text()
        elif table == "time_entries":
            row.corrected_minutes, row.correction_reason = pick % 500, self._text()
        elif table == "part_usages":
            row.quantity, row.serial_number = 1 + pick % 7, self._text()
        row.save()

    @initialize()
    def a_sure_collision(self):
        """Every run starts with one edit made on both sides of the same field: the office
        changes a diagnosis and syncs, tech1 (offline, on the older version) changes it too.
        Random operations may or may not collide; this one always reaches the merge rules."""
        with self._on(self.techs[0]):
            job_id = self._jobs(self.techs[0])[0]  # one the technician holds
        with self._on(self.office):
            job = Intervention.get_by_id(job_id)
            job.diagnosis = self._text()
            job.save()
        self.sync(0, [], 2000)
        with self._on(self.techs[0]):
            job = Intervention.get_by_id(job.id)
            job.diagnosis = self._text()
            job.save()

    @rule(
        t=st.integers(0, 5),
        table=st.sampled_from(sorted(RECORDS)),
        action=st.sampled_from(["create", "create", "edit", "edit", "delete"]),
        pick=PICK,
    )
    def technician_records(self, t, table, action, pick):
        device = self.techs[t]
        with self._on(device):
            self._write_record(device, table, action, pick, self._jobs(device))

    @rule(
        t=st.integers(0, 5),
        what=st.sampled_from(["diagnosis", "operations", "summary", "status", "status"]),
        pick=PICK,
    )
    def technician_report(self, t, what, pick):
        device = self.techs[t]
        with self._on(device):
            job_id = self._choose(self._jobs(device), pick)
            if job_id is None:
                return
            job = Intervention.get_by_id(job_id)
            if what == "status":
                if job.status == "signed":
                    job.status = "submitted"
                else:
                    job.status = "signed" if pick % 10 == 0 else STEPS_OF_WORK[pick % 3]
                    job.started_at = job.started_at or utcnow()
            else:
                setattr(job, what, self._text())
            job.save()

    @rule(t=st.integers(0, 5), what=st.sampled_from(["foreign", "catalogue"]), pick=PICK)
    def technician_oversteps(self, t, what, pick):
        """What a technician may not write: head office rejects it and says why."""
        device = self.techs[t]
        with self._on(device):
            if what == "catalogue":
                part = Part.get_by_id(self._choose(self.parts, pick))
                part.name = self._text()
                part.save()
                return
            query = Intervention.select(Intervention.id).where(
                Intervention.technician != device.who.technician_id
            )
            others = [r[0] for r in query.order_by(Intervention.id).tuples()]
            self._write_record(device, "comments", "create", pick, others)

    @rule(
        what=st.sampled_from(
            ["reschedule", "priority", "reassign", "cancel", "reopen", "diagnosis", "summary"]
        ),
        pick=PICK,
    )
    def office_plans(self, what, pick):
        device = self.office
        with self._on(device):
            job_id = self._choose(self._jobs(device, own=False), pick)
            job = Intervention.get_by_id(job_id)
            if what == "reschedule":
                shift = timedelta(hours=pick % 240 - 120)
                job.scheduled_start += shift
                job.scheduled_end += shift
            elif what == "priority":
                job.priority = ["low", "normal", "high", "urgent"][pick % 4]
            elif what == "reassign":
                job.technician = self._choose(self.tech_ids, pick // 5)
            elif what == "cancel":
                job.status = "cancelled"
            elif what == "reopen":
                job.status = "in_progress"
            else:
                setattr(job, what, self._text())
            job.save()

    @rule(
        table=st.sampled_from(sorted(RECORDS)),
        action=st.sampled_from(["create", "edit", "edit", "delete"]),
        pick=PICK,
    )
    def office_records(self, table, action, pick):
        device = self.office
        with self._on(device):
            self._write_record(device, table, action, pick, self._jobs(device, own=False))

    @rule(
        d=st.integers(0, 6),
        faults=st.lists(
            st.tuples(st.integers(0, 4), st.sampled_from(["before", "after"])), max_size=2
        ),
        limit=st.sampled_from([20, 150, 2000]),
    )
    def sync(self, d, faults, limit):
        device = self.devices[d]
        with self._on(device):
            self.stats["syncs"] += 1
            try:
                synchronize(Faulty(self, device, dict(faults)), pull_limit=limit)
            except TransportError:
                self.stats["failed_syncs"] += 1

    # --- the end of a run: converge, then check ----------------------------------------

    def teardown(self) -> None:
        try:
            self._converge_and_check()
        finally:
            set_change_listener(None)
            for device in self.devices:
                device.extra["transport"].close()
                device.database.close()
            self.live.stop()
            self.stats["runs"] += 1

    def _converge_and_check(self) -> None:
        for _ in range(2):
            for device in self.devices:
                with db.using(device.database):
                    self.current = device
                    synchronize(Faulty(self, device, {}), pull_limit=500)
        snapshot = server_snapshot(self.server)
        for device in self.devices:
            assert outbox_is_empty(device.database), f"{device.username}: outbox not empty"
            want = expected_replica(self.server, device.who, self.template.today, snapshot)
            problems = replica_differences(device.database, want)
            assert not problems, f"{device.username} did not converge: {problems}"
        self._check_ledger()

    def _check_ledger(self) -> None:
        kept: dict[tuple, set[str]] = defaultdict(set)
        with db.using(self.server):
            for c in SyncConflict.select():
                column = "deleted" if c.field == "_deleted" else c.field
                kept[(c.table_name, c.row_id, column)] |= {canon(c.lost), canon(c.kept)}
        refused: dict[tuple, set[str]] = defaultdict(set)
        for device in self.devices:
            with db.using(device.database):
                for r in SyncRejection.select():
                    for column, value in r.fields.items():
                        refused[(device.username, r.table_name, r.row_id, column)].add(canon(value))
        writes = self.to_account + [(*k, v[1]) for k, v in self.last_write.items()]
        lost = []
        for username, table, row_id, column, value in writes:
            where = (table, row_id, column)
            if value in self.seen[where] or value in kept[where]:
                continue
            if value in refused[(username, table, row_id, column)]:
                continue
            lost.append((username, table, row_id, column, value))
        self.stats["ledger"] += len(writes)
        if lost:
            username, table, row_id = lost[0][:3]
            device = next(d for d in self.devices if d.username == username)
            with db.using(device.database):
                here = device_rows(table).get(row_id)
            with db.using(self.server):
                there = server_rows(table, [row_id]).get(row_id)
            trace = "\n".join(map(repr, self.trace[(table, row_id)]))
            raise AssertionError(
                f"{len(lost)} writes lost, e.g. {lost[:10]}\ndevice: {here}\nserver: {there}\n"
                f"trace:\n{trace}"
            )


def test_random_offline_work_converges_and_loses_nothing(tmp_path_factory):
    base = tmp_path_factory.mktemp("sim")
    started = time.monotonic()
    real_uuid4 = uuid.uuid4
    seeded_uuids(-1)
    SyncSimulation.template = build_world(base / "template", date_today())
    SyncSimulation.workdir = base
    SyncSimulation.stats = Counter()
    examples = max(1, math.ceil(OPS / STEPS))
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else [])
    config = settings(
        max_examples=examples,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    machine = SyncSimulation
    if SEED is not None:
        from hypothesis import seed

        machine = seed(int(SEED))(SyncSimulation)
    try:
        run_state_machine_as_test(machine, settings=config)
    finally:
        uuid.uuid4 = real_uuid4
        stats = SyncSimulation.stats  # the figures of a failed run too
        print(f"\nsimulation: {dict(stats)} in {time.monotonic() - started:.0f} s")
    assert stats["ops"] >= min(OPS, 2000), stats  # the issue asks for >= 2,000 in CI
    assert stats["syncs"] and stats["conflicts"] and stats["rejections"] and stats["replays"]


def date_today():

    return clock.today()
