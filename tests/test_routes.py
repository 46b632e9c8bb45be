"""Routes without any UI: parsing, canonical paths, and AppState following them."""

from __future__ import annotations

import pytest

from app.services.auth_service import CurrentUser
from app.views import routes
from app.views.routes import Location, Place, parse, path_of
from app.views.state import AppState, Blocked, Change, Section


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("/", Location(Place.HOME)),
        ("", Location(Place.HOME)),
        ("/?utm=x", Location(Place.HOME)),
        ("/interventions/abc123", Location(Place.INTERVENTION, intervention_id="abc123")),
        ("/interventions/abc123/", Location(Place.INTERVENTION, intervention_id="abc123")),
        (
            "/interventions/abc123/measurements",
            Location(Place.INTERVENTION, intervention_id="abc123", section="meters"),
        ),
        (
            "/interventions/abc123/parts?x=1",
            Location(Place.INTERVENTION, intervention_id="abc123", section="parts"),
        ),
        ("/sync", Location(Place.SYNC)),
        ("/settings", Location(Place.SETTINGS)),
        ("/office", Location(Place.OFFICE)),
        ("/sign-in", Location(Place.SIGN_IN)),
        (
            "/sign-in?next=/interventions/a1/time",
            Location(Place.SIGN_IN, next="/interventions/a1/time"),
        ),
    ],
)
def test_parse_known_routes(route, expected):
    assert parse(route) == expected


@pytest.mark.parametrize(
    "route",
    [
        "/nowhere",
        "/interventions",
        "/interventions/abc/unknown-section",
        "/interventions/abc/parts/extra",
        "/interventions/has space",
        "/interventions/" + "x" * 65,
        "/office/unknown",
        "/office/validation/has space",
        "/office/validation/a1/extra",
        "/office/other/a1",
        "/sync/extra",
        "/settings/x",
    ],
)
def test_unknown_routes_are_not_found(route):
    assert parse(route).place == Place.NOT_FOUND


def test_every_section_slug_round_trips_and_is_english():
    from app.views.detail.sections import BY_NAME

    assert set(routes.SECTION_SLUGS) == set(BY_NAME)  # one slug per detail section
    assert routes.SECTION_SLUGS["meters"] == "measurements"
    for name in routes.SECTION_SLUGS:
        path = routes.intervention_path("id-1", name)
        assert parse(path) == Location(Place.INTERVENTION, intervention_id="id-1", section=name)


@pytest.mark.parametrize(
    "location",
    [
        Location(Place.HOME),
        Location(Place.SYNC),
        Location(Place.SETTINGS),
        Location(Place.OFFICE),
        Location(Place.SIGN_IN),
        Location(Place.SIGN_IN, next="/interventions/a-1/work"),
        Location(Place.INTERVENTION, intervention_id="a-1"),
    ],
)
def test_path_of_parses_back(location):
    assert parse(location.path) == location


@pytest.mark.parametrize(
    ("next_route", "kept"),
    [
        ("/interventions/a1", "/interventions/a1"),
        ("/office", "/office"),
        ("https://evil.example/", None),
        ("//evil.example/x", None),
        ("/sign-in", None),
        ("/nowhere", None),
        ("/", None),
        ("", None),
    ],
)
def test_only_our_own_pages_are_kept_for_after_sign_in(next_route, kept):
    assert routes.safe_next(next_route) == kept


# --- AppState following routes ---------------------------------------------------------------

TECH = CurrentUser(
    id="u1", username="tech1", display_name="Julien", role="technician", technician_id="t1"
)
OFFICE = CurrentUser(
    id="u2", username="office1", display_name="Claire", role="office", technician_id=None
)


def recorded(state: AppState) -> list[Change]:
    changes: list[Change] = []
    state.subscribe(changes.append)
    return changes


def test_location_follows_navigation():
    state = AppState(sync_enabled=True)
    assert state.location() == Location(Place.SIGN_IN)
    state.sign_in(TECH)
    assert state.location().path == "/"
    state.go_to(Section.SYNC)
    assert state.location().path == "/sync"
    state.open_intervention("i1")
    assert state.location().path == "/interventions/i1"
    state.select_detail_section("parts")
    assert state.location().path == "/interventions/i1/parts"
    state.close_intervention()
    assert state.location().path == "/sync"
    state.go_to(Section.SETTINGS)
    assert state.location().path == "/settings"


def test_office_home_is_at_office_and_root_leads_there():
    state = AppState()
    state.sign_in(OFFICE)
    assert state.location().path == "/office"
    state.go_to(Section.SETTINGS)
    state.navigate("/")
    assert state.section == Section.OFFICE_HOME


def test_navigate_notifies_once_and_only_for_a_change():
    state = AppState(sync_enabled=True)
    state.sign_in(TECH)
    changes = recorded(state)
    state.navigate("/sync")
    state.navigate("/sync")
    assert changes == [Change.SECTION] and state.section == Section.SYNC
    state.navigate("/interventions/i1/time")
    assert (state.intervention_id, state.detail_section) == ("i1", "time")
    state.navigate("/interventions/i1/parts")  # same intervention, another section
    assert changes[-1] == Change.DETAIL_SECTION and state.detail_section == "parts"
    state.navigate("/interventions/i2")
    assert changes[-1] == Change.SECTION and state.detail_section is None
    assert state.section == Section.SYNC  # the intervention opens over the current section


def test_blocked_routes_and_the_way_home():
    state = AppState(sync_enabled=False)
    state.sign_in(TECH)
    state.navigate("/office")
    assert state.blocked == Blocked.FORBIDDEN and state.location() is None
    state.go_home()
    assert state.blocked is None and state.section == Section.MY_DAY
    state.navigate("/no/such/page")
    assert state.blocked == Blocked.NOT_FOUND
    state.navigate("/sync")  # this device does not sync: no such screen
    assert state.blocked == Blocked.NOT_FOUND
    state.navigate("/settings")
    assert state.blocked is None and state.section == Section.SETTINGS


def test_deep_link_waits_for_sign_in_then_opens():
    state = AppState()
    changes = recorded(state)
    state.navigate("/interventions/i9/measurements")
    assert changes == [] and state.next_route == "/interventions/i9/measurements"
    assert state.location() == Location(Place.SIGN_IN, next="/interventions/i9/measurements")
    state.sign_in(TECH)
    assert changes == [Change.USER]
    assert (state.intervention_id, state.detail_section) == ("i9", "meters")
    assert state.next_route is None
    state.sign_out()
    state.sign_in(TECH)  # the link was used once: the next sign-in goes home
    assert state.intervention_id is None and state.section == Section.MY_DAY


def test_sign_in_page_with_next_and_sign_in_route_when_signed_in():
    state = AppState()
    state.navigate("/sign-in?next=/settings")
    state.sign_in(TECH)
    assert state.section == Section.SETTINGS
    state.navigate("/sign-in")  # signed in already (e.g. back): home
    assert state.section == Section.MY_DAY and state.blocked is None


def test_is_at_tells_when_the_address_already_shows_the_screen():
    state = AppState()
    state.navigate("/interventions/i1")
    assert not state.is_at("/interventions/i1")  # signed out: the sign-in page shows
    state.sign_in(OFFICE)
    assert state.is_at("/interventions/i1") and not state.is_at("/interventions/i1/time")
    state.close_intervention()
    assert state.is_at("/office") and state.is_at("/")  # both show the office home
    assert not state.is_at("/settings") and not state.is_at("/sign-in")
    assert state.section == Section.OFFICE_HOME and state.intervention_id is None  # untouched


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("/office/validation", Location(Place.OFFICE, screen="validation")),
        (
            "/office/validation/a1",
            Location(Place.OFFICE, screen="validation", intervention_id="a1"),
        ),
    ],
)
def test_office_validation_routes(route, expected):
    assert parse(route) == expected and path_of(expected) == route
