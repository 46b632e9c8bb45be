"""Backup and restore of a head office on PostgreSQL (docs/headoffice.md, "Backup and restore").

A ``pg_dump`` of a live head office database, restored with ``pg_restore`` into a new
database (the blob directory copied beside it), serves the same pulls: a device that had
finished its pull, a device in the middle of a pull session and a new device get the same
pages (rows, versions, cursors, ``has_more``) from the restored database as from the
original, their tokens still work, and a push to the restored database takes versions above
every restored one, which the next pull brings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import uuid

import pytest
from server_support import (
    PG_ADMIN,
    Client,
    create_pg_database,
    drop_pg_database,
    open_intervention_of,
)

from app.models import Intervention
from headoffice.demo import build_demo

pytestmark = pytest.mark.postgres
LIMIT = 400  # pages small enough that the demo scope takes several


def pages_from(client: Client, cursor: str) -> list[dict]:
    """Every page from ``cursor`` to the end of the session, as answered."""
    pages = []
    for _ in range(500):
        answer = client.get("/sync/pull", params={"cursor": cursor, "limit": LIMIT})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            return pages
    raise AssertionError("the pull never ended")


def pg_tool(*command: str) -> None:
    base = ["--host", PG_ADMIN["host"], "--port", str(PG_ADMIN["port"])]
    base += ["--username", PG_ADMIN["user"]]
    done = subprocess.run(
        [command[0], *base, *command[1:]],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def restored_database():
    """The new database a dump is restored into (dropped after the servers stopped)."""
    name, url = create_pg_database()
    yield name, url
    drop_pg_database(name)


def interventions_in(pages: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for p in pages for r in p["changes"].get("interventions", [])}


def test_a_restored_dump_serves_the_same_pulls(pg_url, restored_database, tmp_path, make_server):
    build_demo(pg_url)
    original = make_server(pg_url)
    finished, midway = original.login("tech1"), original.login("tech2")
    office = original.login("office")
    done = pages_from(finished, "")
    assert len(done) > 1
    first = midway.get("/sync/pull", params={"cursor": "", "limit": LIMIT}).json()
    assert first["has_more"]  # tech2's device stops in the middle of its session
    # changes after those pulls: the office edits one of tech1's jobs; a photo goes up
    original.bind()
    job = open_intervention_of("tech1")
    edit = office.push({"interventions": [
        {"id": job.id, "base_version": job.sync_version, "fields": {"diagnosis": "à revoir"}}
    ]})  # fmt: skip
    assert edit.status_code == 200 and edit.json()["rejected"] == [], edit.text
    photo = os.urandom(2000)
    photo_sha = hashlib.sha256(photo).hexdigest()
    assert finished.put(f"/blobs/{photo_sha}", photo).status_code == 201

    # the backup: pg_dump of the live database, and a copy of the blob directory
    dump = tmp_path / "headoffice.dump"
    pg_tool("pg_dump", "--format=custom", "--dbname", pg_url.rsplit("/", 1)[1], "--file", str(dump))
    shutil.copytree(original.config.blob_dir, tmp_path / "blobs-backup")
    # the restore: a new database, the blob directory put back
    restored_name, restored_url = restored_database
    pg_tool("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored_name, str(dump))
    restored = make_server(restored_url)
    shutil.rmtree(restored.config.blob_dir)
    shutil.copytree(tmp_path / "blobs-backup", restored.config.blob_dir)

    def twin(client: Client) -> Client:  # the same device and token, on the restored server
        return Client(restored, client.token, client.device_id, client.user)

    newcomer = str(uuid.uuid4())
    expected = {
        "finished": pages_from(finished, done[-1]["cursor"]),  # its next pull
        "midway": pages_from(midway, first["cursor"]),  # the rest of its open session
        "new": pages_from(original.login("tech3", device_id=newcomer), ""),
    }
    got = {
        "finished": pages_from(twin(finished), done[-1]["cursor"]),
        "midway": pages_from(twin(midway), first["cursor"]),
        "new": pages_from(restored.login("tech3", device_id=newcomer), ""),
    }
    for device, pages in expected.items():
        assert got[device] == pages, device  # rows, versions, cursors, has_more
    assert interventions_in(got["finished"])[job.id]["diagnosis"] == "à revoir"
    assert len(got["midway"]) >= 1 and len(got["new"]) > 1
    assert twin(finished).get(f"/blobs/{photo_sha}").content == photo

    # the restored head office goes on: a new version above every restored one, pulled next
    restored.bind()
    high = max(i.sync_version for i in Intervention.select())
    row = Intervention.get_by_id(job.id)
    after = twin(office).push({"interventions": [
        {"id": job.id, "base_version": row.sync_version, "fields": {"diagnosis": "revu"}}
    ]})  # fmt: skip
    assert after.status_code == 200 and after.json()["rejected"] == [], after.text
    (applied,) = after.json()["applied"]
    assert applied["version"] > high
    following = interventions_in(pages_from(twin(finished), got["finished"][-1]["cursor"]))
    assert following[job.id]["diagnosis"] == "revu"
    assert following[job.id]["_version"] == applied["version"]
