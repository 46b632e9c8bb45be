"""Rule 2 with pushes in parallel: several OS processes of devices, each with pushing and
pulling threads, against one live head office (PostgreSQL, where pushes of different
interventions run at the same time; SQLite, one writer at a time) for about 10 s.

Each process (``tests/parallel_support.py``) runs two devices of ONE technician pushing on
the same interventions at once, an office device editing those interventions too (the
batches of the three collide: conflicts), every fourth batch sent twice at the same time
(a retry racing its copy), and pulling devices of that technician and of the office that log
every (table, id, version) they receive and the high water of every session. Checked here:

- every push answered 200 (at least 60 batches, over at least 10 s once every device signed
  in) with nothing rejected, and a batch sent twice the same answer;
- no two changes ever got the same version, and every version head office holds is final
  (> 0: no provisional version was committed);
- rule 2, on every session of every puller: each change pushed by any process with a
  version <= the session's high water, in the puller's scope, had been received (that
  version or a later one) by the end of the session, unless the row changed again above
  that high water (a session serves versions up to its high water only);
- at the end, after a last pull, each puller holds exactly head office's rows and versions
  for its scope, and every pushed version in its scope was received (or a later one).
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import defaultdict

import pytest
from parallel_support import run_devices
from server_support import copy_demo_database
from sim_support import expected_replica, server_snapshot

from app import clock
from app.models import ALL_MODELS, Intervention, Technician, User, db
from app.sync.schema import TABLE_INDEX
from headoffice.auth import principal_of
from headoffice.versions import committed_version

pytestmark = pytest.mark.slow

DURATION = 10.0  # seconds of pushing
PROCESSES = 3
OPEN = ("planned", "assigned", "en_route", "in_progress")


@pytest.mark.parametrize(
    "backend", [pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"], indirect=True
)
def test_no_cursor_skips_a_version_with_parallel_pushes(
    backend, demo_db_url, make_server, tmp_path
):
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)
    try:
        server = make_server(url)
        with db.using(server.database):
            jobs = {}
            for name in ("tech1", "tech2", "tech3"):
                tech = Technician.get(Technician.user == User.get(User.username == name).id)
                jobs[name] = [
                    i.id
                    for i in Intervention.select(Intervention.id)
                    .where((Intervention.technician == tech.id) & Intervention.status.in_(OPEN))
                    .order_by(Intervention.id)
                    .limit(4)
                ]
        techs = list(jobs)[:PROCESSES]
        spawn = multiprocessing.get_context("spawn")
        events, counter = spawn.Queue(), spawn.Value("i", 0)
        stop_push, stop_pull = spawn.Event(), spawn.Event()
        processes, outputs = [], []
        for k, tech in enumerate(techs):
            plan = {
                "name": f"p{k}",
                "jobs": {tech: jobs[tech], "office": jobs[tech]},
                "pushers": [
                    (f"p{k}-{tech}-a", tech),
                    (f"p{k}-{tech}-b", tech),
                    (f"p{k}-office", "office"),
                ],
                "pullers": [(f"p{k}-{tech}-pull", tech), (f"p{k}-office-pull", "office")],
            }
            outputs.append(tmp_path / f"devices-{k}.json")
            process = spawn.Process(
                target=run_devices,
                args=(server.base, plan, str(outputs[-1]), events, counter, stop_push, stop_pull),
            )
            process.start()
            processes.append(process)
        for _ in processes:  # every device signed in (the time counts from here)
            assert events.get(timeout=300)[0] == "ready"
        # Run at least DURATION, then until enough happened (a loaded machine is slower), capped.
        time.sleep(DURATION)
        cap = time.monotonic() + 10 * DURATION
        while time.monotonic() < cap and counter.value < 60:
            time.sleep(0.2)
        stop_push.set()
        for _ in processes:
            assert events.get(timeout=300)[0] == "pushed"
        time.sleep(1.0)  # the pullers go on a little with nothing new
        stop_pull.set()
        for process in processes:
            process.join(600)
            assert process.exitcode == 0, process.exitcode
        results = [json.loads(path.read_text()) for path in outputs]

        errors = [e for r in results for e in r["errors"]]
        assert not errors, errors[:20]
        pushers = [p for r in results for p in r["pushers"]]
        pullers = [p for r in results for p in r["pullers"]]
        assert sum(p["batches"] for p in pushers) >= 60, [p["batches"] for p in pushers]
        assert sum(p["replays"] for p in pushers) > 5
        assert sum(p["conflicts"] for p in pushers) > 0  # the devices did collide

        applied = [tuple(a) for p in pushers for a in p["applied"]]
        owner: dict[int, tuple[str, str]] = {}
        for table, row_id, version in applied:
            assert owner.setdefault(version, (table, row_id)) == (table, row_id), version
        latest: dict[tuple[str, str], int] = defaultdict(int)
        for table, row_id, version in applied:
            latest[(table, row_id)] = max(latest[(table, row_id)], version)

        with db.using(server.database):
            high = committed_version()
            versions = [v for m in ALL_MODELS for (v,) in m.select(m.sync_version).tuples()]
        assert max(v for _, _, v in applied) <= high
        assert min(versions) >= 0 and all(v > 0 for v in versions if v)  # none provisional
        stamped = [v for v in versions if v]
        assert len(stamped) == len(set(stamped)), "two rows share a version"

        snapshot = server_snapshot(server.database)
        for puller in pullers:
            with db.using(server.database):
                who = principal_of(User.get(User.id == puller["user_id"]))
            want = expected_replica(server.database, who, clock.today(), snapshot)
            in_scope = [a for a in applied if a[1] in want[a[0]]]
            assert in_scope, puller["name"]
            # rule 2, session after session
            best: dict[tuple[str, str], int] = {}
            done = 0
            for end, water in puller["sessions"]:
                for table, row_id, version in puller["received"][done:end]:
                    best[(table, row_id)] = max(best.get((table, row_id), 0), version)
                done = end
                skipped = [
                    (t, i, v)
                    for t, i, v in in_scope
                    if v <= water and best.get((t, i), 0) < v and latest[(t, i)] <= water
                ]
                assert not skipped, (puller["name"], water, skipped[:5])
            # the end: exactly head office's rows, every pushed version received
            have: dict[str, dict] = {t: {} for t in TABLE_INDEX}
            for key, row in puller["held"].items():
                table, row_id = key.split("/", 1)
                have[table][row_id] = row
            for table in TABLE_INDEX:
                assert set(have[table]) == set(want[table]), (puller["name"], table)
                stale = [i for i, row in want[table].items() if have[table][i] != row]
                assert not stale, (puller["name"], table, stale[:5])
            assert not [a for a in in_scope if best.get((a[0], a[1]), 0) < a[2]], puller["name"]
    finally:
        cleanup()
