"""The sync UI without a browser: badge, offline and sign-in-again banners, sync screen,
first-sync progress on sign-in, and "Ma journée" refreshed after a sync.

The session service is a stand-in with a real ``SyncStatus``; status changes are made from
another thread, as the scheduler does, to check the hop onto the UI loop.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta

import pytest
from flet_harness import FletHarness

from app.errors import AuthError, TransportError
from app.models import Customer, Intervention, InterventionType, Site, Technician, User, db
from app.services import auth_service
from app.services.passwords import hash_password
from app.services.registry import Services
from app.sync.engine import LAST_SUCCESS
from app.sync.state import SyncProgress, SyncStatus
from app.sync.store import SyncConflictNotice, SyncRejection, open_device_db, set_state
from app.views import build_app

NOW = datetime(2026, 3, 10, 7, 30)
PASSWORD = "s3cret-pass"


class FakeSession:
    """What the views use of ``SessionService``: sign-in, sync now, sign-out, status."""

    def __init__(self) -> None:
        self.status = SyncStatus()
        self.sync_requests = 0
        self.sign_outs = 0
        self.gate: threading.Event | None = None  # set: sign-in waits for it
        self.error: Exception | None = None
        self.local_pending: int | None = None  # what the outbox holds now (None: unchanged)
        self.refreshes = 0

    def refresh_pending(self) -> None:
        self.refreshes += 1
        if self.local_pending is not None:
            self.status.set_pending(self.local_pending)

    def sign_in(self, username, password, progress=None):
        if progress is not None:
            progress(SyncProgress(pages_pulled=2, rows_applied=4000))
        if self.gate is not None:
            self.gate.wait(5)
        if self.error is not None:
            raise self.error
        return auth_service.sign_in(username, password)

    def subscribe(self, listener):
        return self.status.subscribe(listener)

    def sync_now(self) -> None:
        self.sync_requests += 1

    def sign_out(self) -> None:
        self.sign_outs += 1


@pytest.fixture
def device(tmp_path):
    database = open_device_db(tmp_path / "terrain.db")
    tech = User.create(
        username="tech1",
        password_hash=hash_password(PASSWORD),
        display_name="Julien Moreau",
        role="technician",
    )
    t1 = Technician.create(user=tech)
    kind = InterventionType.create(code="PREV", label="Entretien annuel chaudière")
    customer = Customer.create(code="C1", name="Boulangerie Martin")
    site = Site.create(
        customer=customer, name="Boutique", address_line="1 rue", postal_code="69003", city="Lyon"
    )
    start = NOW.replace(hour=9, minute=0)
    Intervention.create(
        reference="INT-0001",
        customer=customer,
        site=site,
        intervention_type=kind,
        technician=t1,
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
        status="assigned",
    )
    yield {"technician": t1, "customer": customer, "site": site, "kind": kind}
    database.close()
    db.initialize(None)


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


def run(coro):
    return asyncio.run(coro)


async def signed_in(session: FakeSession, width: float = 390) -> FletHarness:
    services = Services(clock=lambda: NOW, session=session)
    h = await FletHarness.start(build_app(services), width=width, height=844)
    await h.fill("signin-username", "tech1")
    await h.fill("signin-password", PASSWORD)
    await h.click("signin-submit")
    assert h.has("shell")
    return h


async def from_scheduler_thread(h: FletHarness, change) -> None:
    """Change the status on another thread (as the scheduler does), then let the UI catch up."""
    thread = threading.Thread(target=change)
    thread.start()
    thread.join()
    await h.settle()


def test_navigation_has_the_sync_screen_and_the_badge_is_on_every_screen(device, session):
    async def scenario():
        h = await signed_in(session)
        labels = [d.label for d in h.find("nav-bar").destinations]
        assert labels == ["Ma journée", "Synchronisation", "Réglages"]
        assert h.texts("sync-badge") == ["À jour"]
        for index in (1, 2):
            await h.navigate(index)
            assert h.has("sync-badge")
        await h.navigate(0)
        await h.click("sync-badge")  # the badge opens the sync screen
        assert h.has("sync") and not h.has("my-day")
        h.close()

    run(scenario())


def test_offline_banner_and_badge_follow_the_status(device, session):
    async def scenario():
        h = await signed_in(session, width=1024)
        assert not h.has("offline-banner")
        session.status.set_pending(0)
        await from_scheduler_thread(h, lambda: session.status.set_pending(3))
        assert h.texts("sync-badge") == ["3 en attente"]

        await from_scheduler_thread(h, session.status.started)
        assert h.texts("sync-badge") == ["Synchro… · 3 en attente"]
        badge = h.find("sync-badge").content
        assert badge.controls[0].visible  # the spinner

        unreachable = TransportError("No network.", key="sync.unreachable")
        await from_scheduler_thread(h, lambda: session.status.failed(unreachable))
        banner = h.text("offline-banner")
        assert "Hors ligne — vos saisies sont enregistrées sur l'appareil" in banner
        assert "seront envoyées au retour du réseau" in banner
        assert h.texts("sync-badge") == ["Hors ligne · 3 en attente"]
        await h.navigate(2)  # settings: the banner is there too
        assert h.has("offline-banner") and h.has("settings")

        await from_scheduler_thread(h, lambda: session.status.succeeded(pending=0))
        assert not h.has("offline-banner")
        assert h.texts("sync-badge") == ["À jour"]
        h.close()

    run(scenario())


def test_sync_screen_shows_state_progress_and_sync_now(device, session):
    set_state(LAST_SUCCESS, datetime(2026, 3, 10, 6, 15).isoformat())
    session.status.pending = 2

    async def scenario():
        h = await signed_in(session)
        await h.navigate(1)
        assert h.texts("sync-pending") == ["Modifications en attente d'envoi : 2"]
        assert h.text("sync-last-success").startswith("Dernière synchronisation réussie : ")
        assert "mardi 10 mars 2026 à" in h.text("sync-last-success")
        assert not h.has("sync-progress") and not h.has("sync-error")
        assert "Aucune modification refusée." in h.texts("sync-rejections")
        assert "Aucun conflit." in h.texts("sync-conflicts")

        await h.click("sync-now")
        assert session.sync_requests == 1
        assert h.find("sync-now").disabled  # until the sync reports back

        def running():
            session.status.started()
            session.status.advanced("pull", SyncProgress(pages_pulled=3, rows_applied=4497))

        await from_scheduler_thread(h, running)
        assert "3 page(s), 4497 lignes reçues, 0 envoyées" in h.text("sync-progress")

        error = TransportError("No network.", key="sync.unreachable")
        await from_scheduler_thread(h, lambda: session.status.failed(error, pending=2))
        assert not h.has("sync-progress") and not h.find("sync-now").disabled
        text = h.text("sync-error")
        assert "Dernière erreur" in text and "Pas de réseau, ou le siège est injoignable." in text
        assert "Vérifiez le Wi-Fi" in text  # what to do
        h.close()

    run(scenario())


def test_the_sync_screen_counts_changes_made_since_the_last_sync(device, session):
    session.status.pending = 0  # as the last sync left it

    async def scenario():
        h = await signed_in(session)
        session.local_pending = 1  # a photo added since (the status is not told)
        await h.navigate(1)
        assert session.refreshes == 1
        assert h.texts("sync-pending") == ["Modifications en attente d'envoi : 1"]
        h.close()

    run(scenario())


def test_rejections_and_conflicts_are_listed_and_dismissed(device, session):
    job = Intervention.get(Intervention.reference == "INT-0001")
    refused = SyncRejection.create(
        table_name="interventions",
        row_id=job.id,
        fields={"summary": "Tout est réglé", "status": "work_done"},
        reason="The intervention is validated: it can no longer be changed.",
    )
    notice = SyncConflictNotice.create(
        table_name="interventions",
        row_id=job.id,
        field="priority",
        winner="server",
        kept="urgent",
        lost="low",
    )

    async def scenario():
        h = await signed_in(session)
        await h.navigate(1)
        rejection = h.text(f"sync-rejection-{refused.id}")
        assert "Intervention · INT-0001" in rejection
        assert "it can no longer be changed" in rejection  # no code (an older head office)
        assert "Statut = work_done" in rejection and "Synthèse = Tout est réglé" in rejection
        conflict = h.text(f"sync-conflict-{notice.id}")
        assert "Champ « Priorité » (décidé par le siège)" in conflict
        assert "Conservé : urgent" in conflict and "Écarté : low" in conflict

        await h.click(f"sync-rejection-dismiss-{refused.id}")
        assert not h.has(f"sync-rejection-{refused.id}")
        assert SyncRejection.get_by_id(refused.id).dismissed
        await h.click(f"sync-conflict-dismiss-{notice.id}")
        assert not h.has(f"sync-conflict-{notice.id}")
        assert "Aucun conflit." in h.texts("sync-conflicts")
        h.close()

    run(scenario())


def test_refusals_and_conflict_fields_are_shown_in_french(device, session):
    """Head office's codes (docs/sync-protocol.md rule 6) are translated; a code this device
    does not know shows head office's text."""
    job = Intervention.get(Intervention.reference == "INT-0001")
    english = "The office cancelled this intervention: its records can no longer change."
    cancelled = SyncRejection.create(
        table_name="measurements",
        row_id="m1",
        fields={"value": 3.5},
        reason=english,
        code="intervention.cancelled.records",
        params={},
    )
    closed = SyncRejection.create(
        table_name="interventions",
        row_id=job.id,
        fields={"diagnosis": "Brûleur encrassé"},
        reason="The intervention is validated: it can no longer change.",
        code="intervention.closed.self",
        params={"status": "validated"},
    )
    signature = SyncRejection.create(
        table_name="signatures",
        row_id="s1",
        fields={},
        reason="This signature cannot be accepted: Too little ink for a signature (3 points).",
        code="signature.invalid",
        params={"cause": {"code": "error.signature.too_small", "params": {}}},
    )
    future = SyncRejection.create(
        table_name="comments",
        row_id="c1",
        fields={},
        reason="A rule of a newer head office refused this.",
        code="comment.some_future_rule",
        params={"x": 1},
    )
    bad_cause = SyncRejection.create(
        table_name="follow_ups",
        row_id="f1",
        fields={},
        reason="The parts to order cannot be accepted: a newer reason.",
        code="parts.invalid",
        params={"cause": {"code": "parts.some_future_rule", "params": {}}},
    )
    notice = SyncConflictNotice.create(
        table_name="interventions",
        row_id=job.id,
        field="diagnosis",
        winner="server",
        kept="Brûleur encrassé",
        lost="RAS",
    )

    async def scenario():
        h = await signed_in(session)
        await h.navigate(1)
        assert h.text(f"sync-rejection-reason-{cancelled.id}") == (
            "Le bureau a annulé cette intervention : ses saisies ne peuvent plus être modifiées."
        )
        assert "Mesure · m1" in h.text(f"sync-rejection-{cancelled.id}")
        assert h.text(f"sync-rejection-reason-{closed.id}") == (
            "L'intervention est à l'état « Validée » : elle ne peut plus être modifiée."
        )
        assert "Diagnostic = Brûleur encrassé" in h.text(f"sync-rejection-{closed.id}")
        assert h.text(f"sync-rejection-reason-{signature.id}") == (
            "Cette signature ne peut pas être acceptée : "
            "Trop peu de tracé pour une signature (un point ou une simple touche)."
        )
        assert h.text(f"sync-rejection-reason-{future.id}") == future.reason
        assert h.text(f"sync-rejection-reason-{bad_cause.id}") == bad_cause.reason
        conflict = h.text(f"sync-conflict-{notice.id}")
        assert "Champ « Diagnostic » (décidé par le siège)" in conflict
        assert "diagnosis" not in conflict
        h.close()

    run(scenario())


def test_a_refused_token_asks_to_sign_in_again(device, session):
    async def scenario():
        h = await signed_in(session)
        refused = AuthError("The token was revoked.", hint="Sign in again.", key="sync.signed_out")
        await from_scheduler_thread(h, lambda: session.status.failed(refused))
        assert "reconnectez-vous" in h.text("reauth-banner")
        assert not h.has("offline-banner")
        await h.click("reauth-signin")
        assert h.has("signin") and not h.has("shell")
        assert session.sign_outs == 1
        h.close()

    run(scenario())


def test_my_day_reloads_after_a_sync_that_applied_rows(device, session):
    async def scenario():
        h = await signed_in(session)
        assert h.ids("day-item-") == ["day-item-INT-0001"]
        start = NOW.replace(hour=15, minute=0)
        Intervention.create(  # as if the pull had brought it
            reference="INT-0099",
            customer=device["customer"],
            site=device["site"],
            intervention_type=device["kind"],
            technician=device["technician"],
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=1),
            status="assigned",
        )

        def sync():
            session.status.started()
            session.status.advanced("pull", SyncProgress(pages_pulled=1, rows_applied=1))
            session.status.succeeded()

        await from_scheduler_thread(h, sync)
        assert h.ids("day-item-") == ["day-item-INT-0001", "day-item-INT-0099"]
        h.close()

    run(scenario())


def test_first_sign_in_shows_the_first_sync_progress(device, session):
    session.gate = threading.Event()

    async def scenario():
        services = Services(clock=lambda: NOW, session=session)
        h = await FletHarness.start(build_app(services), width=390)
        await h.fill("signin-username", "tech1")
        await h.fill("signin-password", PASSWORD)
        submit = h.find("signin-submit")
        task = asyncio.create_task(h.session.dispatch_event(submit._i, "click", None))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if "lignes reçues" in h.text("signin"):
                break
        assert "Première synchronisation… 2 page(s), 4000 lignes reçues" in h.texts("signin-busy")
        session.gate.set()
        await task
        await h.settle()
        assert h.has("my-day")
        h.close()

    run(scenario())


def test_sign_in_errors_say_what_to_do(device, session):
    session.error = TransportError("First sign-in.", key="signin.first_needs_network")

    async def scenario():
        services = Services(clock=lambda: NOW, session=session)
        h = await FletHarness.start(build_app(services), width=390)
        await h.fill("signin-username", "tech2")
        await h.fill("signin-password", PASSWORD)
        await h.click("signin-submit")
        error = h.text("signin-error")
        assert "Première connexion sur cet appareil : le siège doit être joignable." in error
        assert "Connectez l'appareil au réseau" in error
        assert not h.has("shell")
        h.close()

    run(scenario())


def test_the_sync_screen_is_offered_only_on_a_syncing_device():
    from app.views.state import Section, sections_for

    assert sections_for("technician", sync=True) == [
        Section.MY_DAY,
        Section.SYNC,
        Section.SETTINGS,
    ]
    assert sections_for("office", sync=True)[1] == Section.SYNC
    assert Section.SYNC not in sections_for("technician")
