"""Refusal codes (docs/sync-protocol.md rule 6): one definition per rule in ``app.domain``,
carried by the push answer next to the English words, stored with the refused change on the
device, shown in the user's language, and head office's words when the device knows no code."""

from __future__ import annotations

import json

import pytest

from app.domain import follow_up, lifecycle, signature
from app.domain.reasons import Reason, code_of
from app.i18n import Translator
from app.models import db
from app.sync.push import PushOutcome, record_answer
from app.sync.push_request import PushResult, Rejection
from app.sync.store import SyncRejection, open_device_db
from headoffice.permissions import Refused, decide


def test_a_reason_is_its_english_text_with_a_code_and_params():
    reason = lifecycle.refusal("assigned", "validated", lifecycle.TECHNICIAN)
    assert reason == "Only the office can mark an intervention validated."
    assert code_of(reason) == ("intervention.office_status", {"to": "validated"})
    assert json.dumps(reason) == json.dumps(str(reason))  # travels as its text
    assert code_of("plain words") == (None, {})


def test_a_wrapped_refusal_names_its_cause():
    wrapped = follow_up.row_refusal({"kind": "parts_order", "lines": [{"quantity": 1}]})
    assert wrapped.startswith("The parts to order cannot be accepted: Each part to order names")
    assert code_of(wrapped) == (
        "parts.invalid",
        {"cause": {"code": "parts.line_part", "params": {}}},
    )
    dot = signature.signed_record_refusal(
        {"signer_name": "M. Durand", "signer_role": "client", "strokes": [[[5, 5, 0]]]}
    )
    assert code_of(dot)[1]["cause"]["code"] == "error.signature.too_small"


def test_the_push_answer_carries_the_code_only_when_the_rule_gave_one():
    result = PushResult(
        rejected=[
            Rejection("comments", "c1", Reason("row.outside", "Outside.")),
            Rejection("comments", "c2", "A text without a code."),
        ]
    )
    first, second = result.to_json()["rejected"]
    assert first == {"table": "comments", "id": "c1", "reason": "Outside.", "row": None,
                     "code": "row.outside", "params": {}}  # fmt: skip
    assert "code" not in second and second["reason"] == "A text without a code."


def test_a_drawing_that_cannot_be_read_is_refused_with_its_cause():
    with pytest.raises(Refused) as refused:
        decide(None, "attachments", "a1", None, {"annotations": {"shapes": "x"}}, deleted=False)
    code, params = code_of(refused.value.reason)
    assert code == "annotation.invalid"
    assert params["cause"]["code"] == "error.annotation.malformed"
    assert Translator("fr").refusal(code, params, "?") == (
        "Le dessin sur cette photo est illisible : Le dessin est illisible."
    )


@pytest.fixture
def device(tmp_path):
    database = open_device_db(tmp_path / "terrain.db")
    yield
    database.close()
    db.initialize(None)


def test_the_device_stores_the_code_with_the_refused_change(device):
    batch = {
        "body": {"changes": {"comments": [
            {"id": "c1", "fields": {"body": "RAS"}}, {"id": "c2", "fields": {"body": "x"}},
            {"id": "c3", "fields": {"body": "y"}}]}},
        "sent": [],
    }  # fmt: skip
    answer = {
        "applied": [],
        "conflicts": [],
        "rejected": [
            {"table": "comments", "id": "c1", "reason": "Cancelled.", "row": None,
             "code": "intervention.cancelled.records", "params": {}, "later": "ignored"},
            {"table": "comments", "id": "c2", "reason": "An older head office."},
            {"table": "comments", "id": "c3", "reason": "Malformed.", "code": 42, "params": []},
        ],
    }  # fmt: skip
    record_answer(batch, answer, PushOutcome())
    stored = {r.row_id: (r.reason, r.code, r.params) for r in SyncRejection.select()}
    assert stored == {
        "c1": ("Cancelled.", "intervention.cancelled.records", {}),
        "c2": ("An older head office.", None, None),
        "c3": ("Malformed.", None, None),
    }


def test_an_unknown_code_or_params_that_do_not_fit_show_head_offices_words():
    for tr in (Translator("fr"), Translator("en")):
        assert tr.refusal(None, None, "Server words.") == "Server words."
        assert tr.refusal("some.future_rule", {}, "Server words.") == "Server words."
        # a known text whose params are missing
        assert tr.refusal("intervention.move", {}, "Server words.") == "Server words."
        assert tr.refusal("intervention.move", "not a dict", "Server words.") == "Server words."
    assert (
        Translator("en").refusal("intervention.move", {"current": "planned", "to": "en_route"}, "?")
        == "An intervention cannot go from “Planned” to “On the way”."
    )


def test_every_code_the_rules_give_has_both_catalogs():
    """The codes spelled in app/domain and headoffice/ exist in French and English."""
    import re
    from pathlib import Path

    from app.i18n import CATALOGS

    root = Path(__file__).resolve().parent.parent
    sources = [*root.glob("app/domain/*.py"), root / "headoffice/permissions.py",
               root / "headoffice/push.py", root / "headoffice/documents.py"]  # fmt: skip
    codes = set()
    for path in sources:
        text = path.read_text()
        codes |= set(re.findall(r'Reason\(\s*f?"([a-z_.]+)"', text))
        codes |= set(re.findall(r'wrapped\(\s*"([a-z_.]+)"', text))
    codes |= {
        "intervention.cancelled.self",
        "intervention.cancelled.records",
        "intervention.closed.self",
        "intervention.closed.records",
    }  # built in permissions
    assert len(codes) > 60
    for locale in ("fr", "en"):
        missing = sorted(c for c in codes if f"refusal.{c}" not in CATALOGS[locale])
        assert missing == [], locale


def test_a_head_office_database_of_before_the_codes_gains_them(tmp_path):
    import sqlite3

    from headoffice.database import open_database
    from headoffice.models import SERVER_SCHEMA

    codes = next(m.version for m in SERVER_SCHEMA.migrations if "reason codes" in m.name)
    path = tmp_path / "headoffice.db"
    open_database(f"sqlite:///{path}").close()
    db.initialize(None)
    with sqlite3.connect(path) as con:  # as head office left it before this version
        con.execute("ALTER TABLE report_pdfs_held_aside DROP COLUMN code")
        con.execute("ALTER TABLE report_pdfs_held_aside DROP COLUMN params")
        con.execute(f"DELETE FROM headoffice_schema_migrations WHERE version >= {codes}")
    open_database(f"sqlite:///{path}").close()
    db.initialize(None)
    with sqlite3.connect(path) as con:
        columns = {r[1] for r in con.execute("PRAGMA table_info(report_pdfs_held_aside)")}
        version = con.execute("SELECT MAX(version) FROM headoffice_schema_migrations").fetchone()
    assert {"code", "params"} <= columns and version == (SERVER_SCHEMA.latest,)


def test_an_office_only_field_is_named_by_its_label():
    fr = Translator("fr")
    params = {"table": "report_versions", "fields": ["validated_at", "validated_by_id"]}
    assert fr.refusal("row.office_fields", params, "?") == (
        "Seul le bureau renseigne ces champs (Bon d'intervention) : Date de validation, Validé par."
    )
    assert fr.field_label("diagnosis") == "Diagnostic"  # the office validation screen's label
    assert fr.field_label("some_new_id") == "some new"  # no label: its words
