"""Strings: French by default, English complete, errors say what to do next."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import AuthError, TerrainError, ValidationError
from app.i18n import CATALOGS, Translator


def test_french_and_english_catalogues_have_the_same_keys():
    assert set(CATALOGS["fr"]) == set(CATALOGS["en"])


def test_placeholders_match_between_languages():
    import string

    fmt = string.Formatter()
    for key, text in CATALOGS["fr"].items():
        fr = {name for _, name, _, _ in fmt.parse(text) if name}
        en = {name for _, name, _, _ in fmt.parse(CATALOGS["en"][key]) if name}
        assert fr == en, key


def test_french_is_the_default_and_unknown_locales_fall_back_to_it():
    assert Translator()("signin.submit") == "Se connecter"
    assert Translator("de")("signin.submit") == "Se connecter"
    assert Translator("en")("signin.submit") == "Sign in"
    assert Translator("en")("office.welcome", name="Léa") == "Hello Léa"


def test_errors_are_translated_with_a_next_step():
    tr = Translator("fr")
    text = tr.error(AuthError("Unknown user name or wrong password."))
    assert text.startswith("Identifiant inconnu")
    assert "réessayez" in text
    keyed = tr.error(AuthError("x", key="error.auth.missing"))
    assert keyed.splitlines() == [
        "L'identifiant et le mot de passe sont obligatoires.",
        "Remplissez les deux champs.",
    ]


def test_error_without_translation_keeps_its_english_message_and_hint():
    err = TerrainError("Disk full", hint="Free some space.")
    assert Translator("fr").error(err) == "Disk full\nFree some space."


def test_subclass_falls_back_to_the_parent_hint():
    class QuantityError(ValidationError):
        pass

    text = Translator("en").error(QuantityError("bad", key="error.ValidationError"))
    assert text == "Value refused.\nCorrect the value and save again."


def test_unexpected_exceptions_get_a_generic_message():
    assert Translator("en").error(RuntimeError("boom")).startswith("Something went wrong.")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "samedi 28 novembre 2026"), ("en", "Saturday, November 28, 2026")],
)
def test_long_dates(locale, expected):
    assert Translator(locale).long_date(date(2026, 11, 28)) == expected


def test_feature_catalogs_are_merged_and_may_not_redefine_a_key():
    from app import locales

    for module in locales.MODULES:
        for locale in ("fr", "en"):
            extra = getattr(module, locale.upper())
            for key, text in extra.items():
                assert CATALOGS[locale][key] == text
        # every feature key exists in both languages
        assert module.FR.keys() == module.EN.keys(), module.__name__
