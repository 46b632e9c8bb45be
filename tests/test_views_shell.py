"""The app shell without a browser: sign-in, role-aware navigation, layouts, language, my day."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from flet_harness import FletHarness

from app.errors import AuthError
from app.i18n import Translator
from app.models import Customer, Intervention, InterventionType, Site, Technician, User
from app.services import auth_service
from app.services.passwords import hash_password
from app.services.registry import Services
from app.views import TerrainApp, build_app

NOW = datetime(2026, 3, 10, 7, 30)  # a Tuesday
PASSWORD = "s3cret-pass"


@dataclass
class World:
    services: Services
    today_customers: list[str]


def _intervention(ref, tech, customer, site, kind, start, hours=2, **fields):
    return Intervention.create(
        reference=ref,
        customer=customer,
        site=site,
        intervention_type=kind,
        technician=tech,
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=hours),
        **fields,
    )


@pytest.fixture
def world(database) -> World:
    pw = hash_password(PASSWORD)
    tech1 = User.create(
        username="tech1", password_hash=pw, display_name="Julien Moreau", role="technician"
    )
    tech2 = User.create(
        username="tech2", password_hash=pw, display_name="Sonia Petit", role="technician"
    )
    tech3 = User.create(
        username="tech3", password_hash=pw, display_name="Marc Roux", role="technician"
    )
    User.create(username="office1", password_hash=pw, display_name="Claire Bernard", role="office")
    t1, t2 = Technician.create(user=tech1), Technician.create(user=tech2)
    Technician.create(user=tech3)  # nothing planned
    boiler = InterventionType.create(code="PREV", label="Entretien annuel chaudière")
    repair = InterventionType.create(code="REP", label="Dépannage")
    bakery = Customer.create(code="C1", name="Boulangerie Martin")
    school = Customer.create(code="C2", name="École Jules Ferry")
    hotel = Customer.create(code="C3", name="Hôtel du Parc")
    s1 = Site.create(
        customer=bakery,
        name="Boutique",
        address_line="12 rue des Lilas",
        postal_code="69003",
        city="Lyon",
    )
    s2 = Site.create(
        customer=school,
        name="École",
        address_line="3 place Bellecour",
        postal_code="69002",
        city="Lyon",
    )
    s3 = Site.create(
        customer=hotel,
        name="Hôtel",
        address_line="8 quai Perrache",
        postal_code="69002",
        city="Lyon",
    )
    day = NOW.replace(hour=0, minute=0)
    _intervention("INT-0001", t1, bakery, s1, boiler, day.replace(hour=8), status="assigned")
    _intervention(
        "INT-0002",
        t1,
        school,
        s2,
        repair,
        day.replace(hour=14),
        status="planned",
        priority="urgent",
    )
    _intervention(
        "INT-0003", t1, hotel, s3, boiler, day + timedelta(days=2, hours=9), status="assigned"
    )
    _intervention("INT-0004", t2, hotel, s3, repair, day.replace(hour=10), status="assigned")
    services = Services(clock=lambda: NOW)
    return World(services=services, today_customers=["Boulangerie Martin", "École Jules Ferry"])


def run(coro):
    return asyncio.run(coro)


async def open_app(services: Services, width: float = 390, **kwargs) -> FletHarness:
    return await FletHarness.start(build_app(services, **kwargs), width=width, height=844)


async def sign_in(h: FletHarness, username: str, password: str = PASSWORD) -> None:
    await h.fill("signin-username", username)
    await h.fill("signin-password", password)
    await h.click("signin-submit")


def test_technician_signs_in_and_sees_today(world):
    async def scenario():
        h = await open_app(world.services)
        assert h.has("signin") and not h.has("shell")
        await sign_in(h, "tech1")
        assert h.has("shell") and not h.has("signin")
        assert h.has("my-day") and not h.has("my-day-loading")
        assert "Mardi 10 mars 2026" in h.texts("my-day")
        assert h.ids("day-item-") == ["day-item-INT-0001", "day-item-INT-0002", "day-item-INT-0003"]
        today = h.texts("my-day-today")
        for name in world.today_customers:
            assert name in today
        assert "08:00 – 10:00" in today and "12 rue des Lilas, 69003 Lyon" in today
        assert "Entretien annuel chaudière" in today and "Affectée" in today
        assert "Urgente" in h.texts("day-item-INT-0002")
        assert "Urgente" not in h.texts("day-item-INT-0001")
        assert "Hôtel du Parc" in h.texts("my-day-upcoming")
        assert "Jeudi 12 mars 2026" in h.texts("my-day-upcoming")
        assert [d.label for d in h.find("nav-bar").destinations] == ["Ma journée", "Réglages"]
        h.close()

    run(scenario())


def test_enter_in_password_field_submits(world):
    async def scenario():
        h = await open_app(world.services, prefill_user="tech1")
        assert h.find("signin-username").value == "tech1"
        await h.fill("signin-password", PASSWORD)
        await h.submit("signin-password")
        assert h.has("my-day")
        h.close()

    run(scenario())


def test_wrong_password_shows_french_error_with_hint(world):
    async def scenario():
        h = await open_app(world.services)
        await sign_in(h, "tech1", "wrong")
        assert h.has("signin") and not h.has("shell")
        error = h.text("signin-error")
        assert error == Translator("fr").error(AuthError("x"))
        assert "Identifiant inconnu ou mot de passe incorrect." in error
        assert "Vérifiez l'identifiant et le mot de passe" in error
        assert h.find("signin-password").value == ""
        assert not h.find("signin-submit").disabled
        h.close()

    run(scenario())


def test_sign_in_shows_busy_state_while_checking(world):
    release = threading.Event()

    def slow_sign_in(username, password):
        release.wait(5)
        return auth_service.sign_in(username, password)

    services = Services(auth=SimpleNamespace(sign_in=slow_sign_in), clock=lambda: NOW)

    async def scenario():
        h = await open_app(services)
        await h.fill("signin-username", "tech1")
        await h.fill("signin-password", PASSWORD)
        submit = h.find("signin-submit")
        task = asyncio.create_task(h.session.dispatch_event(submit._i, "click", None))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if submit.disabled:
                break
        assert submit.disabled and "Connexion…" in h.texts("signin")
        release.set()
        await task
        await h.settle()
        assert h.has("my-day")
        h.close()

    run(scenario())


def test_my_day_shows_loading_then_empty_states(world):
    release = threading.Event()
    real = world.services.day

    def slow_my_day(technician_id, day):
        release.wait(5)
        return real.my_day(technician_id, day)

    services = Services(day=SimpleNamespace(my_day=slow_my_day), clock=lambda: NOW)

    async def scenario():
        h = await open_app(services)
        await h.fill("signin-username", "tech3")
        await h.fill("signin-password", PASSWORD)
        submit = h.find("signin-submit")
        await h.session.dispatch_event(submit._i, "click", None)  # returns once signed in
        assert h.has("my-day-loading") and "Chargement…" in h.texts("my-day")
        release.set()
        await h.settle()
        assert not h.has("my-day-loading")
        assert "Aucune intervention prévue aujourd'hui." in h.texts("my-day-today")
        assert "Rien de prévu dans les 7 prochains jours." in h.texts("my-day-upcoming")
        assert h.ids("day-item-") == []
        h.close()

    run(scenario())


def test_office_user_gets_office_home(world):
    async def scenario():
        h = await open_app(world.services, width=1024)
        await sign_in(h, "office1")
        assert h.has("office-home") and not h.has("my-day")
        assert "Bonjour Claire Bernard" in h.texts("office-home")
        assert "4" in h.texts("office-interventions")
        assert "3" in h.texts("office-customers")
        assert [d.label for d in h.find("nav-rail").destinations] == ["Accueil bureau", "Réglages"]
        h.close()

    run(scenario())


def test_phone_width_uses_bar_and_wide_uses_rail_with_relayout(world):
    async def scenario():
        h = await open_app(world.services, width=1024)
        await sign_in(h, "tech1")
        assert h.has("nav-rail") and not h.has("nav-bar")
        await h.resize(390, 844)
        assert h.has("nav-bar") and not h.has("nav-rail")
        assert h.ids("day-item-")  # content kept through the re-layout
        await h.resize(800, 1280)
        assert h.has("nav-rail") and not h.has("nav-bar")
        h.close()

    run(scenario())


def test_language_switch_to_english_changes_labels(world):
    async def scenario():
        h = await open_app(world.services)
        await h.fill("signin-username", "tech1")
        assert h.find("signin-submit").content == "Se connecter"
        await h.select_segment("signin-language", "en")
        assert h.find("signin-submit").content == "Sign in"
        assert h.find("signin-username").label == "User name"
        assert h.find("signin-username").value == "tech1"  # the draft survives
        await h.fill("signin-password", PASSWORD)
        await h.click("signin-submit")
        assert "My day" in h.texts("my-day") and "Today" in h.texts("my-day-today")
        assert "Tuesday, March 10, 2026" in h.texts("my-day")
        assert [d.label for d in h.find("nav-bar").destinations] == ["My day", "Settings"]
        await h.navigate(1)
        await h.select_segment("settings-language", "fr")
        assert "Réglages" in h.texts("settings")
        h.close()

    run(scenario())


def test_settings_shows_user_and_sign_out_returns_to_sign_in(world):
    async def scenario():
        h = await open_app(world.services, prefill_user="tech1")
        await sign_in(h, "tech1")
        await h.navigate(1)
        assert h.has("settings") and not h.has("my-day")
        assert "Connecté en tant que Julien Moreau" in h.texts("settings-user")
        await h.click("settings-signout")
        assert h.has("signin") and not h.has("shell")
        assert h.find("signin-password").value == ""
        await sign_in(h, "office1")  # someone else can sign in on the same device
        assert h.has("office-home")
        h.close()

    run(scenario())


def test_tapping_an_item_calls_the_open_hook(world):
    opened = []

    async def main(page):
        page.data = TerrainApp(page, world.services, on_open_item=opened.append)
        page.data.start()

    async def scenario():
        h = await FletHarness.start(main, width=390)
        await sign_in(h, "tech1")
        await h.click("day-item-INT-0002")
        assert [item.reference for item in opened] == ["INT-0002"]
        h.close()

    run(scenario())
