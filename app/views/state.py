"""UI state of one app session: who is signed in, in which language, on which screen.

Plain dataclasses changed only through their methods, so they are tested without any UI.
Views subscribe with ``AppState.subscribe(listener)`` and re-render when told. The address
bar and the state meet here: ``navigate(route)`` applies a route (``app.views.routes``),
``location()`` says where the state is, so the app can show it as a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from app.i18n import DEFAULT_LOCALE, LOCALES, Translator
from app.services.auth_service import CurrentUser
from app.views import routes
from app.views.routes import Location, Place

# Below this width (logical pixels) the shell uses the phone layout (bottom navigation bar).
PHONE_MAX_WIDTH = 600


class Section(StrEnum):
    MY_DAY = "my_day"
    OFFICE_HOME = "office_home"
    SYNC = "sync"
    SETTINGS = "settings"


class Change(StrEnum):
    """What changed, so a listener re-renders only what it must."""

    USER = "user"
    LOCALE = "locale"
    SECTION = "section"
    INTERVENTION = "intervention"  # an intervention was opened or closed
    DETAIL_SECTION = "detail_section"  # another section of the open intervention
    CLIENT_MODE = "client_mode"  # client mode entered or left


class Blocked(StrEnum):
    """Why a route shows no screen: it does not exist, or the user may not see it."""

    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"


# i18n key of each section's navigation label.
SECTION_LABEL_KEYS: dict[Section, str] = {
    Section.MY_DAY: "nav.my_day",
    Section.OFFICE_HOME: "nav.office_home",
    Section.SYNC: "nav.sync",
    Section.SETTINGS: "nav.settings",
}


def sections_for(role: str, *, sync: bool = False) -> list[Section]:
    """The navigation destinations of a role, home section first; ``sync``: the device
    syncs with head office, so the sync screen is offered.

    ``role`` is a ``Role`` value (a ``StrEnum``); views compare it as text so they need not
    import the models.
    """
    home = Section.MY_DAY if role == "technician" else Section.OFFICE_HOME
    return [home, Section.SYNC, Section.SETTINGS] if sync else [home, Section.SETTINGS]


def is_phone_width(width: float | None) -> bool:
    """Phone layout below ``PHONE_MAX_WIDTH``; an unknown width counts as a phone."""
    return width is None or width < PHONE_MAX_WIDTH


@dataclass
class AppState:
    user: CurrentUser | None = None
    locale: str = DEFAULT_LOCALE
    section: Section | None = None
    # True once someone picked a language by hand: signing in then keeps it.
    locale_chosen: bool = False
    # The device syncs with head office: the sync screen is in the navigation.
    sync_enabled: bool = False
    # The intervention open on top of "Ma journée" (None: the list shows).
    intervention_id: str | None = None
    # "Ma journée" search and status filter, kept while an intervention is open.
    day_search: str = ""
    day_statuses: tuple[str, ...] = ()
    # The section of the open intervention named by the route (None: the layout's first).
    detail_section: str | None = None
    # The route asked for shows nothing: "Page introuvable" or "no access" instead.
    blocked: Blocked | None = None
    # Signed out: the route to open once signed in (a deep link).
    next_route: str | None = None
    # The office screen shown in the office section ("": the office home; "validation": the
    # queue "Bons à valider", with ``office_item`` the slip open in it).
    office_screen: str = ""
    office_item: str | None = None
    # Client mode: the intervention whose report the client is shown (locked full screen:
    # no navigation until the technician's password unlocks it).
    client_mode: str | None = None
    _listeners: list[Callable[[Change], None]] = field(default_factory=list, repr=False)

    @property
    def tr(self) -> Translator:
        return Translator(self.locale)

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def sections(self) -> list[Section]:
        return sections_for(self.user.role, sync=self.sync_enabled) if self.user else []

    @property
    def section_index(self) -> int:
        return self.sections.index(self.section) if self.section in self.sections else 0

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def sign_in(self, user: CurrentUser) -> None:
        """Signed in: the home section, or the route asked for while signed out."""
        self.user = user
        self.client_mode = None
        if not self.locale_chosen and user.locale in LOCALES:
            self.locale = user.locale
        self.section = self.sections[0]
        self.intervention_id, self.detail_section, self.blocked = None, None, None
        self.office_screen, self.office_item = "", None
        target, self.next_route = self.next_route, None
        if target:
            self._apply(routes.parse(target))
        self._notify(Change.USER)

    def sign_out(self) -> None:
        self.user = None
        self.client_mode = None
        self.section = None
        self.intervention_id, self.detail_section, self.blocked = None, None, None
        self.office_screen, self.office_item = "", None
        self.next_route = None
        self.day_search, self.day_statuses = "", ()
        self._notify(Change.USER)

    # --- routes -----------------------------------------------------------------------------

    def navigate(self, route: str) -> None:
        """Show what ``route`` points at (the address bar changed: typed, reload, back).

        Signed out, a deep link is kept for after sign-in. Signed in, an unknown route or a
        screen of another role sets ``blocked``; whether the user may see a record is for
        its service to say when the screen loads it.
        """
        location = routes.parse(route)
        if not self.signed_in:
            is_sign_in = location.place == Place.SIGN_IN
            self.next_route = location.next if is_sign_in else routes.safe_next(route)
            return
        if self.client_mode is not None:
            return  # locked: the app puts the client mode's address back
        before = self._where()
        self._apply(location)
        after = self._where()
        if after == before:
            return
        if self.client_mode is not None:
            self._notify(Change.CLIENT_MODE)
            return
        same_screen = before[:2] == after[:2] and before[3:] == after[3:]  # but the section
        only_section = same_screen and self.intervention_id is not None
        self._notify(Change.DETAIL_SECTION if only_section else Change.SECTION)

    def is_at(self, route: str) -> bool:
        """Does ``route`` show what the state shows? (Then the address bar needs no push: an
        office user's ``/`` is the office home, as ``/office`` is.)"""
        location = routes.parse(route)
        if not self.signed_in or location.place == Place.SIGN_IN:
            return location == self.location()
        before = self._where()
        self._apply(location)
        after = self._where()
        (self.section, self.intervention_id, self.detail_section, self.blocked,
         self.office_screen, self.office_item, self.client_mode) = before  # fmt: skip
        return after == before

    def _where(self) -> tuple:
        return (
            self.section, self.intervention_id, self.detail_section, self.blocked,
            self.office_screen, self.office_item, self.client_mode,
        )  # fmt: skip

    def _apply(self, location: Location) -> None:
        """Set the screen fields for ``location`` (signed in), without notifying."""
        if location.place == Place.SIGN_IN:  # signed in already: where sign-in would lead
            location = routes.parse(location.next) if location.next else routes.HOME
        section, self.blocked = self._section_for(location.place)
        self.section = section or self.section or self.sections[0]
        if location.place == Place.CLIENT_MODE:  # over the intervention's report
            self.intervention_id = self.client_mode = location.intervention_id
            self.detail_section = "report"
            return
        self.client_mode = None
        is_detail = location.place == Place.INTERVENTION
        self.intervention_id = location.intervention_id if is_detail else None
        self.detail_section = location.section if is_detail else None
        office = location.place == Place.OFFICE and self.blocked is None
        self.office_screen = location.screen if office else ""
        self.office_item = location.intervention_id if office else None

    def _section_for(self, place: Place) -> tuple[Section | None, Blocked | None]:
        """The navigation section showing ``place``, or why there is none for this user."""
        home = self.sections[0]
        if place == Place.HOME:
            return home, None
        if place in (Place.INTERVENTION, Place.CLIENT_MODE):  # over the current section
            return (self.section if self.section in self.sections else home), None
        if place == Place.OFFICE:
            office = Section.OFFICE_HOME in self.sections
            return (Section.OFFICE_HOME, None) if office else (None, Blocked.FORBIDDEN)
        wanted = {Place.SYNC: Section.SYNC, Place.SETTINGS: Section.SETTINGS}.get(place)
        if wanted in self.sections:
            return wanted, None
        return None, Blocked.NOT_FOUND  # unknown, or not on this device (sync)

    def location(self) -> Location | None:
        """Where the state is, as a route's location; None when a blocked route shows (the
        address bar keeps what was typed)."""
        if not self.signed_in:
            return Location(Place.SIGN_IN, next=self.next_route)
        if self.blocked is not None:
            return None
        if self.client_mode is not None:
            return Location(Place.CLIENT_MODE, intervention_id=self.client_mode)
        if self.intervention_id is not None:
            return Location(
                Place.INTERVENTION,
                intervention_id=self.intervention_id,
                section=self.detail_section,
            )
        if self.section == Section.OFFICE_HOME and self.office_screen:
            return Location(
                Place.OFFICE, screen=self.office_screen, intervention_id=self.office_item
            )
        return Location(_SECTION_PLACES.get(self.section, Place.HOME))

    def set_locale(self, locale: str) -> None:
        if locale not in LOCALES:
            raise ValueError(f"Unsupported locale {locale!r}; expected one of {LOCALES}.")
        self.locale_chosen = True
        if locale != self.locale:
            self.locale = locale
            self._notify(Change.LOCALE)

    # --- client mode ------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """In client mode: nothing navigates until ``leave_client_mode``."""
        return self.client_mode is not None

    def enter_client_mode(self) -> None:
        """Show the open intervention's report to the client (locked full screen)."""
        if self.intervention_id is not None and self.client_mode is None:
            self.client_mode = self.intervention_id
            self.detail_section = "report"
            self._notify(Change.CLIENT_MODE)

    def leave_client_mode(self) -> None:
        """The technician's password was checked: back to the intervention's report."""
        if self.client_mode is not None:
            self.intervention_id, self.client_mode = self.client_mode, None
            self.detail_section = "report"
            self._notify(Change.CLIENT_MODE)

    def go_to(self, section: Section) -> None:
        if self.locked:
            return
        if section not in self.sections:
            raise ValueError(f"Section {section} is not available to this user.")
        if section != self.section or self.blocked is not None or self.office_screen:
            self.section = section
            self.intervention_id, self.detail_section, self.blocked = None, None, None
            self.office_screen, self.office_item = "", None
            self._notify(Change.SECTION)
        elif self.intervention_id is not None:  # the current destination again: back to it
            self.close_intervention()

    def go_to_index(self, index: int) -> None:
        self.go_to(self.sections[index])

    def open_intervention(self, intervention_id: str) -> None:
        """Show the intervention screen (on top of the current section)."""
        if intervention_id != self.intervention_id and not self.locked:
            self.intervention_id, self.detail_section, self.blocked = intervention_id, None, None
            self._notify(Change.INTERVENTION)

    def close_intervention(self) -> None:
        """Back to the list the intervention was opened from."""
        if self.intervention_id is not None and not self.locked:
            self.intervention_id, self.detail_section = None, None
            self._notify(Change.INTERVENTION)

    def select_detail_section(self, name: str) -> None:
        """The user chose a section of the open intervention (the route follows)."""
        if self.intervention_id is not None and name != self.detail_section and not self.locked:
            self.detail_section = name
            self._notify(Change.DETAIL_SECTION)

    def open_office(self, screen: str, item: str | None = None) -> None:
        """Show an office screen ("": the office home), ``item`` the record it opens."""
        if Section.OFFICE_HOME not in self.sections:
            raise ValueError("Office screens are for office users.")
        where = (Section.OFFICE_HOME, screen, item)
        if where != (self.section, self.office_screen, self.office_item) or self.blocked:
            self.section, self.office_screen, self.office_item = where
            self.intervention_id, self.detail_section, self.blocked = None, None, None
            self._notify(Change.SECTION)

    def go_home(self) -> None:
        """From a "not found" / "no access" page (or anywhere): the role's home section."""
        if self.signed_in and not self.locked:
            self.go_to(self.sections[0])

    def set_day_filter(self, search: str, statuses: tuple[str, ...]) -> None:
        """Remember the search and status filter of "Ma journée" (no re-render)."""
        self.day_search, self.day_statuses = search, tuple(statuses)


# The route of each navigation section (an open intervention has its own).
_SECTION_PLACES: dict[Section | None, Place] = {
    Section.MY_DAY: Place.HOME,
    Section.OFFICE_HOME: Place.OFFICE,
    Section.SYNC: Place.SYNC,
    Section.SETTINGS: Place.SETTINGS,
}
