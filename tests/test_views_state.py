"""UI state of a session, without any UI."""

from __future__ import annotations

import pytest

from app.services.auth_service import CurrentUser
from app.views.state import AppState, Change, Section, is_phone_width, sections_for


def user(role: str = "technician", locale: str = "fr") -> CurrentUser:
    return CurrentUser(
        id="u1",
        username="tech1",
        display_name="Julien Moreau",
        role=role,
        technician_id="t1" if role == "technician" else None,
        locale=locale,
    )


def test_sections_depend_on_role():
    assert sections_for("technician") == [Section.MY_DAY, Section.SETTINGS]
    assert sections_for("office") == [Section.OFFICE_HOME, Section.SETTINGS]
    assert sections_for("admin") == [Section.OFFICE_HOME, Section.SETTINGS]


def test_phone_width_threshold():
    assert is_phone_width(390)
    assert is_phone_width(599)
    assert not is_phone_width(600)
    assert not is_phone_width(1024)
    assert is_phone_width(None)


def test_sign_in_opens_home_section_and_notifies():
    state, changes = AppState(), []
    state.subscribe(changes.append)
    assert not state.signed_in and state.sections == []
    state.sign_in(user())
    assert state.signed_in
    assert state.section == Section.MY_DAY and state.section_index == 0
    assert changes == [Change.USER]


def test_sign_in_takes_the_user_locale_unless_one_was_chosen():
    state = AppState()
    state.sign_in(user(locale="en"))
    assert state.locale == "en" and state.tr("nav.my_day") == "My day"

    state = AppState()
    state.set_locale("fr")  # picked by hand on the sign-in screen
    state.sign_in(user(locale="en"))
    assert state.locale == "fr"


def test_set_locale_notifies_only_on_change_and_rejects_unknown():
    state, changes = AppState(), []
    state.subscribe(changes.append)
    state.set_locale("fr")
    assert changes == []
    state.set_locale("en")
    assert changes == [Change.LOCALE]
    assert state.tr("signin.submit") == "Sign in"
    with pytest.raises(ValueError):
        state.set_locale("de")


def test_go_to_only_offers_the_role_sections():
    state, changes = AppState(), []
    state.sign_in(user(role="office"))
    state.subscribe(changes.append)
    assert state.section == Section.OFFICE_HOME
    state.go_to_index(1)
    assert state.section == Section.SETTINGS and state.section_index == 1
    assert changes == [Change.SECTION]
    with pytest.raises(ValueError):
        state.go_to(Section.MY_DAY)


def test_sign_out_clears_user_and_section():
    state, changes = AppState(), []
    state.sign_in(user())
    state.subscribe(changes.append)
    state.sign_out()
    assert state.user is None and state.section is None
    assert changes == [Change.USER]
