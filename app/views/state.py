"""UI state of one app session: who is signed in, in which language, on which section.

Plain dataclasses changed only through their methods, so they are tested without any UI.
Views subscribe with ``AppState.subscribe(listener)`` and re-render when told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from app.i18n import DEFAULT_LOCALE, LOCALES, Translator
from app.services.auth_service import CurrentUser

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
        self.user = user
        if not self.locale_chosen and user.locale in LOCALES:
            self.locale = user.locale
        self.section = self.sections[0]
        self.intervention_id = None
        self._notify(Change.USER)

    def sign_out(self) -> None:
        self.user = None
        self.section = None
        self.intervention_id = None
        self.day_search, self.day_statuses = "", ()
        self._notify(Change.USER)

    def set_locale(self, locale: str) -> None:
        if locale not in LOCALES:
            raise ValueError(f"Unsupported locale {locale!r}; expected one of {LOCALES}.")
        self.locale_chosen = True
        if locale != self.locale:
            self.locale = locale
            self._notify(Change.LOCALE)

    def go_to(self, section: Section) -> None:
        if section not in self.sections:
            raise ValueError(f"Section {section} is not available to this user.")
        if section != self.section:
            self.section = section
            self.intervention_id = None
            self._notify(Change.SECTION)
        elif self.intervention_id is not None:  # the current destination again: back to it
            self.close_intervention()

    def go_to_index(self, index: int) -> None:
        self.go_to(self.sections[index])

    def open_intervention(self, intervention_id: str) -> None:
        """Show the intervention screen (on top of the current section)."""
        if intervention_id != self.intervention_id:
            self.intervention_id = intervention_id
            self._notify(Change.INTERVENTION)

    def close_intervention(self) -> None:
        """Back to the list the intervention was opened from."""
        if self.intervention_id is not None:
            self.intervention_id = None
            self._notify(Change.INTERVENTION)

    def set_day_filter(self, search: str, statuses: tuple[str, ...]) -> None:
        """Remember the search and status filter of "Ma journée" (no re-render)."""
        self.day_search, self.day_statuses = search, tuple(statuses)
