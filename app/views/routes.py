"""The app's addresses (URLs): parsing a route into a ``Location`` and back. Pure, no Flet.

    /                                   home: "Ma journée" (technicians), office home (office)
    /interventions/<id>                 an intervention
    /interventions/<id>/<section>       one of its sections (English slugs, ``SECTION_SLUGS``)
    /interventions/<id>/client          client mode: the report shown to the client, to sign
    /sync, /settings                    the sync screen, the settings
    /office[/<screen>]                  office screens (``OFFICE_SCREENS``)
    /office/validation/<id>             the slip of intervention <id> to validate
    /office/held-aside                  the signed PDFs head office held aside
    /sign-in[?next=<route>]             the sign-in screen, then ``next``

Anything else parses to ``Place.NOT_FOUND``. Whether the signed-in user may see a location is
decided elsewhere (``AppState`` for the screens of a role, the services for a record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, quote, unquote, urlsplit


class Place(StrEnum):
    HOME = "home"
    INTERVENTION = "intervention"
    CLIENT_MODE = "client_mode"
    SYNC = "sync"
    SETTINGS = "settings"
    OFFICE = "office"
    SIGN_IN = "sign_in"
    NOT_FOUND = "not_found"


# Detail section name (app.views.detail.sections) -> URL slug; the same word unless listed.
SECTION_SLUGS: dict[str, str] = {
    "summary": "summary",
    "procedure": "procedure",
    "meters": "measurements",
    "work": "work",
    "time": "time",
    "parts": "parts",
    "history": "history",
    "comments": "comments",
    "media": "media",
    "report": "report",
}
SECTION_BY_SLUG = {slug: name for name, slug in SECTION_SLUGS.items()}
CLIENT_MODE_SLUG = "client"  # /interventions/<id>/client (not a section: a locked screen)

# Office screen slug -> the screen's name ("" is /office itself).
OFFICE_SCREENS: dict[str, str] = {
    "": "office_home",
    "validation": "validation",
    "held-aside": "held_aside",
}
# Office screens that open one record: /office/<screen>/<intervention id>.
OFFICE_RECORD_SCREENS = frozenset({"validation"})

# Record ids are UUID hex strings or short references; refuse anything that is not a word.
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Location:
    """Where a route points. ``section``: a detail section name (not its slug); ``screen``:
    an office screen slug (with ``intervention_id``: the record it opens); ``next``: the
    route to open after signing in."""

    place: Place
    intervention_id: str | None = None
    section: str | None = None
    screen: str = ""
    next: str | None = None

    @property
    def path(self) -> str:
        return path_of(self)


HOME = Location(Place.HOME)
NOT_FOUND = Location(Place.NOT_FOUND)


def parse(route: str | None) -> Location:
    """The location of ``route`` (a path, maybe with a query string and a trailing slash)."""
    parts = urlsplit(route or "/")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if not segments:
        return HOME
    head, rest = segments[0], segments[1:]
    if head == "interventions" and 1 <= len(rest) <= 2 and _ID.match(rest[0]):
        section = None
        if len(rest) == 2 and rest[1] == CLIENT_MODE_SLUG:
            return Location(Place.CLIENT_MODE, intervention_id=rest[0])
        if len(rest) == 2:
            section = SECTION_BY_SLUG.get(rest[1])
            if section is None:
                return NOT_FOUND
        return Location(Place.INTERVENTION, intervention_id=rest[0], section=section)
    if head == "sync" and not rest:
        return Location(Place.SYNC)
    if head == "settings" and not rest:
        return Location(Place.SETTINGS)
    if head == "office" and len(rest) <= 1:
        screen = rest[0] if rest else ""
        return Location(Place.OFFICE, screen=screen) if screen in OFFICE_SCREENS else NOT_FOUND
    if head == "office" and len(rest) == 2 and rest[0] in OFFICE_RECORD_SCREENS:
        if not _ID.match(rest[1]):
            return NOT_FOUND
        return Location(Place.OFFICE, screen=rest[0], intervention_id=rest[1])
    if head == "sign-in" and not rest:
        return Location(Place.SIGN_IN, next=safe_next(parse_qs(parts.query).get("next", [""])[0]))
    return NOT_FOUND


def safe_next(route: str | None) -> str | None:
    """``route`` if it is one of ours to land on after signing in, else None (a full URL, a
    protocol-relative ``//host``, the sign-in page itself, an unknown page)."""
    if not route or not route.startswith("/") or route.startswith("//"):
        return None
    place = parse(route).place
    return None if place in (Place.SIGN_IN, Place.NOT_FOUND, Place.HOME) else route


def path_of(location: Location) -> str:
    """The canonical route of ``location`` (``parse(path_of(x)) == x`` for valid ones)."""
    place = location.place
    if place == Place.INTERVENTION:
        path = f"/interventions/{quote(location.intervention_id or '', safe='')}"
        if location.section:
            path += f"/{SECTION_SLUGS[location.section]}"
        return path
    if place == Place.CLIENT_MODE:
        return f"/interventions/{quote(location.intervention_id or '', safe='')}/{CLIENT_MODE_SLUG}"
    if place == Place.OFFICE:
        if location.screen and location.intervention_id:
            item = quote(location.intervention_id, safe="")
            return f"/office/{location.screen}/{item}"
        return f"/office/{location.screen}" if location.screen else "/office"
    if place == Place.SIGN_IN:
        return f"/sign-in?next={quote(location.next, safe='/')}" if location.next else "/sign-in"
    return {Place.HOME: "/", Place.SYNC: "/sync", Place.SETTINGS: "/settings"}.get(place, "/")


def intervention_path(intervention_id: str, section: str | None = None) -> str:
    return path_of(Location(Place.INTERVENTION, intervention_id=intervention_id, section=section))
