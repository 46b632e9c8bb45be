"""The devices of tests/test_sync_parallel_pushes.py: one OS process each run of ``run_devices``
(started with multiprocessing's spawn), with pushing and pulling threads that talk to a live
head office over HTTP only, and record everything they were sent in a JSON file."""

from __future__ import annotations

import json
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from app.sync import schema
from app.sync.cursor import Cursor
from app.sync.schema import SCHEMA_HEADER

DEMO_PASSWORD = "demo"  # tests/server_support.py


def login(base: str, username: str) -> dict:
    device_id = str(uuid.uuid4())
    answer = requests.post(
        f"{base}/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_id": device_id},
        timeout=60,
    )
    answer.raise_for_status()
    body = answer.json()
    return {
        "device_id": device_id,
        "user": body["user"],
        "headers": {"Authorization": f"Bearer {body['token']}"},
    }


class Pusher(threading.Thread):
    """A device sending small batches in a loop (edits of shared interventions, new
    comments); every few batches the same batch twice at once (a retry racing its copy)."""

    def __init__(self, base, name: str, username: str, jobs: list[str], office: bool, counter):
        super().__init__(name=name, daemon=True)
        self.counter = counter  # batches of every process (multiprocessing.Value)
        self.base, self.jobs, self.office = base, jobs, office
        self.device = login(base, username)
        self.rng = random.Random(name)
        self.stop = threading.Event()
        self.applied: list[tuple[str, str, int]] = []
        self.errors: list[str] = []
        self.batches = self.replays = self.conflicts = 0

    def changes(self) -> dict:
        out: dict[str, list] = {"interventions": [], "comments": []}
        for job in self.rng.sample(self.jobs, k=min(len(self.jobs), self.rng.randint(1, 3))):
            field = "summary" if self.office else self.rng.choice(["diagnosis", "summary"])
            value = f"{self.name} {uuid.uuid4().hex[:6]}"
            out["interventions"].append({"id": job, "base_version": 0, "fields": {field: value}})
        for _ in range(self.rng.randint(0, 3)):
            out["comments"].append(
                {
                    "id": str(uuid.uuid4()),
                    "base_version": 0,
                    "fields": {
                        "intervention_id": self.rng.choice(self.jobs),
                        "author_id": self.device["user"]["id"],
                        "visibility": "internal",
                        "body": f"{self.name} {self.batches}",
                    },
                }
            )
        return out

    def send(self, body: dict) -> requests.Response:
        return requests.post(
            f"{self.base}/sync/push", json=body, headers=self.device["headers"], timeout=120
        )

    def run(self) -> None:
        with ThreadPoolExecutor(2) as twice:
            try:
                while not self.stop.is_set():
                    body = {
                        "batch_id": str(uuid.uuid4()),
                        "device_id": self.device["device_id"],
                        "changes": self.changes(),
                    }
                    if self.batches % 4 == 3:  # the same batch twice, at the same time
                        answers = list(twice.map(self.send, [body, body]))
                        self.replays += 1
                    else:
                        answers = [self.send(body)]
                    bad = [a for a in answers if a.status_code != 200]
                    if bad:
                        self.errors.append(f"push {bad[0].status_code}: {bad[0].text[:300]}")
                        continue
                    results = [a.json() for a in answers]
                    if any(r != results[0] for r in results):
                        self.errors.append(f"a replayed batch answered otherwise: {results}")
                    result = results[0]
                    if result["rejected"]:
                        self.errors.append(f"rejected: {result['rejected']}")
                    self.conflicts += len(result["conflicts"])
                    self.applied += [(a["table"], a["id"], a["version"]) for a in result["applied"]]
                    self.batches += 1
                    with self.counter.get_lock():
                        self.counter.value += 1
            except Exception as exc:  # reported by the test
                self.errors.append(repr(exc))


class Puller(threading.Thread):
    """A device pulling in a loop with small pages: it logs every (table, id, version) it
    receives and the high water of every session it completes."""

    def __init__(self, base: str, name: str, username: str):
        super().__init__(name=name, daemon=True)
        self.base = base
        self.device = login(base, username)
        self.rng = random.Random(name)
        self.stop = threading.Event()
        self.cursor = ""
        self.held: dict[str, dict] = {}  # "table/id" -> row
        self.received: list[tuple[str, str, int]] = []
        self.sessions: list[tuple[int, int]] = []  # (len(received) at its end, high water)
        self.errors: list[str] = []

    def pull_once(self, limit: int) -> dict:
        answer = requests.get(
            f"{self.base}/sync/pull",
            params={"cursor": self.cursor, "limit": limit},
            headers={**self.device["headers"], SCHEMA_HEADER: str(schema.current().version)},
            timeout=120,
        )
        if answer.status_code != 200:
            raise AssertionError(f"pull {answer.status_code}: {answer.text[:300]}")
        page = answer.json()
        before, after = Cursor.decode(self.cursor), Cursor.decode(page["cursor"])
        seen: set[str] = set()
        for table, rows in page["changes"].items():
            for row in rows:
                key = f"{table}/{row['id']}"
                if key in seen:
                    self.errors.append(f"{key} twice in one page")
                seen.add(key)
                held = self.held.get(key)
                if held is not None and held["_version"] > row["_version"]:
                    self.errors.append(f"{key} went back from {held['_version']}")
                self.held[key] = row
                self.received.append((table, row["id"], row["_version"]))
        for table, ids in page["evicted"].items():
            for row_id in ids:
                self.held.pop(f"{table}/{row_id}", None)
        if after.s < before.s or after.v0 < before.v0:
            self.errors.append(f"cursor went back: {before} -> {after}")
        self.cursor = page["cursor"]
        if not page["has_more"]:
            self.sessions.append((len(self.received), after.v0))
        return page

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.pull_once(self.rng.choice([10, 50, 300]))
        except Exception as exc:
            self.errors.append(repr(exc))

    def drain(self) -> None:
        for _ in range(1000):
            page = self.pull_once(1000)
            if not page["has_more"] and not page["changes"] and not page["evicted"]:
                return
        self.errors.append("never caught up")


def run_devices(base, plan: dict, out: str, events, counter, stop_push, stop_pull) -> None:
    """One process: the pushers and pullers of ``plan``; writes what they saw to ``out``.
    ``events`` gets ("ready", name) once its devices signed in and started, and ("pushed",
    name) once its pushers stopped; ``counter`` counts the batches of every process."""
    errors: list[str] = []
    pushers: list[Pusher] = []
    pullers: list[Puller] = []
    try:
        jobs = plan["jobs"]
        pushers = [Pusher(base, n, u, jobs[u], u == "office", counter) for n, u in plan["pushers"]]
        pullers = [Puller(base, n, u) for n, u in plan["pullers"]]
        for thread in pullers + pushers:
            thread.start()
    except Exception as exc:
        errors.append(repr(exc))
    events.put(("ready", plan["name"]))
    try:
        stop_push.wait(600)
        for thread in pushers:
            thread.stop.set()
        for thread in pushers:
            thread.join(120)
    except Exception as exc:
        errors.append(repr(exc))
    events.put(("pushed", plan["name"]))
    try:
        stop_pull.wait(600)
        for thread in pullers:
            thread.stop.set()
        for thread in pullers:
            thread.join(120)
        for puller in pullers:
            puller.drain()
    except Exception as exc:
        errors.append(repr(exc))
    result = {
        "errors": errors + [e for t in pushers + pullers for e in t.errors],
        "pushers": [
            {
                "name": p.name,
                "batches": p.batches,
                "replays": p.replays,
                "conflicts": p.conflicts,
                "applied": p.applied,
            }
            for p in pushers
        ],
        "pullers": [
            {
                "name": p.name,
                "user_id": p.device["user"]["id"],
                "held": p.held,
                "received": p.received,
                "sessions": p.sessions,
            }
            for p in pullers
        ],
    }
    Path(out).write_text(json.dumps(result))
