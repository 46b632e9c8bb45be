"""Device sync cycle against an in-process head office (tests/sync_support.py)."""
# ruff: noqa: F811  (pytest fixtures imported from sync_support)

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sync_support import TODAY, Env, LocalTransport, env, server_template, using  # noqa: F401

from app.errors import TransportError
from app.models import Comment, Customer, Intervention, Part, Site, Technician, User
from app.sync import tracking
from app.sync.engine import synchronize
from app.sync.push import PENDING_BATCH
from app.sync.store import (
    SyncConflictNotice,
    SyncOutbox,
    SyncRejection,
    get_state,
)
from headoffice.models import PushBatch
from headoffice.scope import scope_queries

OPEN = ("planned", "assigned", "en_route", "in_progress")


@pytest.fixture
def synced(env):
    synchronize(env.transport)
    return env


def own_open_intervention(env: Env) -> Intervention:
    tech = Technician.get(Technician.id == env.transport.who.technician_id)
    return (
        Intervention.select()
        .where((Intervention.technician == tech) & Intervention.status.in_(OPEN))
        .order_by(Intervention.scheduled_start)
        .first()
    )


def test_initial_sync_brings_the_technicians_scope(env):
    report = synchronize(env.transport)
    assert not report.skipped and report.pull.full and report.pull.rows > 1000
    with using(env.server):
        scope = scope_queries(env.transport.who, TODAY)
        expected = {r[0] for r in scope["interventions"].tuples()}
        users = User.select().count()
        all_interventions = Intervention.select().count()
    local = {i.id for i in Intervention.select(Intervention.id)}
    assert local == expected and 0 < len(local) < all_interventions
    assert User.select().count() == users
    assert {u.password_hash for u in User.select()} == {""}  # never leaves head office
    one = own_open_intervention(env)
    assert isinstance(one.scheduled_start, datetime) and one.site.customer.name
    assert one.sync_version > 0
    assert SyncOutbox.select().count() == 0  # pulled rows are not local changes
    again = synchronize(env.transport)
    assert (again.pull.pages, again.pull.rows, again.push.rows) == (1, 0, 0)


def test_local_edits_are_tracked_with_revisions(env):
    tracking.uninstall()
    tracking.install()
    customer = Customer.create(code="C-NEW", name="Nouveau client")
    entry = env.outbox()[("customers", customer.id)]
    assert set(entry) >= {"code", "name", "kind", "created_at", "updated_at"}
    assert "deleted" not in entry and "sync_version" not in entry and set(entry.values()) == {1}
    customer.name = "Renamed"
    customer.save()
    entry = env.outbox()[("customers", customer.id)]
    assert entry["name"] == 2 and entry["updated_at"] == 2 and entry["code"] == 1
    customer.deleted = True
    customer.save()
    assert env.outbox()[("customers", customer.id)]["deleted"] == 3
    tracking.uninstall()
    Customer.create(code="C-UNTRACKED", name="Untracked")
    assert len(env.outbox()) == 1


def test_an_edit_is_pushed_and_marked_synced(synced):
    env = synced
    job = own_open_intervention(env)
    job.diagnosis = "Brûleur encrassé, nettoyé"
    job.save()
    assert set(env.outbox()[("interventions", job.id)]) == {"diagnosis", "updated_at"}
    report = synchronize(env.transport)
    assert (report.push.rows, report.push.applied, report.push.rejected) == (1, 1, 0)
    assert env.outbox() == {}
    server = env.transport.server_row(Intervention, job.id)
    assert server["diagnosis"] == "Brûleur encrassé, nettoyé"
    assert Intervention.get_by_id(job.id).sync_version == server["sync_version"]
    sent = env.transport.pushed[-1]["changes"]["interventions"][0]
    assert sent["base_version"] == job.sync_version and set(sent["fields"]) == {
        "diagnosis",
        "updated_at",
    }


def test_an_edit_made_during_the_push_stays_pending(synced):
    env = synced
    job = own_open_intervention(env)
    base = job.sync_version
    job.diagnosis = "first"
    job.save()

    def edit_while_in_flight(answer):
        row = Intervention.get_by_id(job.id)
        row.diagnosis = "second"
        row.save()

    env.transport.before_push_answer = edit_while_in_flight
    synchronize(env.transport)
    env.transport.before_push_answer = None
    assert env.transport.server_row(Intervention, job.id)["diagnosis"] == "first"
    pending = env.outbox()[("interventions", job.id)]
    assert pending["diagnosis"] == 2  # the revision sent was 1: not marked synced
    local = Intervention.get_by_id(job.id)
    assert local.diagnosis == "second"  # the pull did not overwrite the pending column
    assert local.sync_version == base  # nor move the version (rule 7)
    synchronize(env.transport)
    assert env.transport.server_row(Intervention, job.id)["diagnosis"] == "second"
    assert env.outbox() == {}


def test_a_lost_answer_is_retried_with_the_same_batch(synced):
    env = synced
    job = own_open_intervention(env)
    job.operations = "Remplacement du thermocouple"
    job.save()
    env.transport.lose_push_answers = 1
    with pytest.raises(TransportError):
        synchronize(env.transport)
    saved = get_state(PENDING_BATCH)
    assert saved["body"] == env.transport.pushed[0]
    version_after_first = env.transport.server_row(Intervention, job.id)["sync_version"]
    report = synchronize(env.transport)
    assert report.push.replayed
    first, second = env.transport.pushed
    assert second == first  # same batch_id, same body
    assert env.transport.server_row(Intervention, job.id)["sync_version"] == version_after_first
    assert env.transport.on_server(lambda: PushBatch.select().count()) == 1
    assert env.outbox() == {} and get_state(PENDING_BATCH) is None


def test_a_rejected_change_is_kept_and_the_row_takes_the_servers_state(synced):
    env = synced
    part = Part.select().first()
    server_name = part.name
    part.name = "Renamed by a technician"
    part.save()
    made_here = Intervention.create(
        **{
            k: v
            for k, v in own_open_intervention(env).__data__.items()
            if k not in ("id", "reference", "sync_version")
        },
        reference="LOCAL-1",
    )
    report = synchronize(env.transport)
    assert report.push.rejected == 2
    assert not report.pull.full  # the answer carried the server's state: no full pull
    rejections = {r.table_name: r for r in SyncRejection.select()}
    assert rejections["parts"].fields["name"] == "Renamed by a technician"
    assert "office" in rejections["parts"].reason
    assert rejections["interventions"].row_id == made_here.id
    assert Part.get_by_id(part.id).name == server_name  # the server's state came back
    assert Intervention.get_or_none(Intervention.id == made_here.id) is None
    assert env.outbox() == {}


def test_a_refused_new_row_changed_again_in_flight_is_kept_pending(synced):
    """Rule 6: a refused row head office does not hold is dropped here, unless it changed
    again while the push was in flight: those changes stay pending (nothing lost)."""
    env = synced
    fields = {
        k: v
        for k, v in own_open_intervention(env).__data__.items()
        if k not in ("id", "reference", "sync_version")
    }
    made_here = Intervention.create(**fields, reference="LOCAL-2")

    def edit_while_in_flight(_body):
        row = Intervention.get_by_id(made_here.id)
        row.diagnosis = "typed while the push was on its way"
        row.save()

    env.transport.before_push_answer = edit_while_in_flight
    report = synchronize(env.transport)
    env.transport.before_push_answer = None
    assert report.push.rejected == 1  # only the office creates interventions
    kept = Intervention.get_or_none(Intervention.id == made_here.id)
    assert kept is not None and kept.diagnosis == "typed while the push was on its way"
    assert "diagnosis" in env.outbox()[("interventions", made_here.id)]


def test_a_conflict_is_stored_as_a_notice(synced):
    env = synced
    job = own_open_intervention(env)
    office = LocalTransport(env.server, TODAY)
    office.login("office", "demo", "office-desktop")
    office.push(
        {
            "batch_id": "office-1",
            "device_id": "office-desktop",
            "changes": {
                "interventions": [
                    {"id": job.id, "base_version": job.sync_version, "fields": {"summary": "O"}}
                ]
            },
        }
    )
    job.summary = "T"
    job.save()
    report = synchronize(env.transport)
    assert report.push.conflicts == 1
    notice = SyncConflictNotice.get()
    assert (notice.table_name, notice.row_id, notice.field) == ("interventions", job.id, "summary")
    assert (notice.winner, notice.kept, notice.lost) == ("device", "T", "O")
    assert Intervention.get_by_id(job.id).summary == "T"


def test_rows_leaving_the_scope_are_evicted(synced):
    env = synced
    job = own_open_intervention(env)
    with using(env.server):
        tech2 = Technician.select().where(Technician.id != env.transport.who.technician_id).first()
        mine = [
            i.id
            for i in Intervention.select().where(
                (Intervention.site == job.site_id)
                & (Intervention.technician == env.transport.who.technician_id)
            )
        ]
    for row_id in mine:
        env.server_update(Intervention, row_id, technician=tech2.id)
    with using(env.server):
        in_scope = {r[0] for r in scope_queries(env.transport.who, TODAY)["sites"].tuples()}
    assert job.site_id not in in_scope
    report = synchronize(env.transport)
    assert report.pull.evicted > 0
    assert Site.get_or_none(Site.id == job.site_id) is None
    assert Intervention.get_or_none(Intervention.id == job.id) is None


def test_a_second_synchronize_does_not_run_concurrently(synced):
    env = synced
    entered, release = threading.Event(), threading.Event()
    inner = env.transport
    pulls_before = inner.pulls

    class Blocking:
        def __getattr__(self, name):
            return getattr(inner, name)

        def pull(self, cursor, limit):
            entered.set()
            release.wait(10)
            return inner.pull(cursor, limit)

    results = []

    def first():
        with env.device.connection_context():
            results.append(synchronize(Blocking()))

    thread = threading.Thread(target=first)
    thread.start()
    assert entered.wait(10)
    second = synchronize(env.transport)
    release.set()
    thread.join(10)
    assert second.skipped and inner.pulls == pulls_before + 1  # the first thread's only
    assert not results[0].skipped


def test_comments_soft_deleted_here_are_pushed_as_tombstones(synced):
    env = synced
    job = own_open_intervention(env)
    author = User.select().where(User.username == "tech1").get()
    note = Comment.create(
        intervention=job.id, author=author.id, visibility="internal", body="Accès par la cour"
    )
    synchronize(env.transport)
    assert env.transport.server_row(Comment, note.id)["body"] == "Accès par la cour"
    note.deleted = True
    note.save()
    synchronize(env.transport)
    assert env.transport.server_row(Comment, note.id)["deleted"] is True
    assert env.transport.pushed[-1]["changes"]["comments"][0]["deleted"] is True
