"""The client's signature: strokes checked, a PNG drawn from them, the evidence record, and
the canonical content hash it is bound to."""

from __future__ import annotations

import copy
import hashlib
import io
from datetime import date, datetime

import pytest
from PIL import Image
from report_support import signature_strokes

from app import clock
from app.errors import ValidationError
from app.i18n import Translator
from app.models.enums import DocumentKind
from app.reports import signature
from app.reports.canonical import canonical_bytes, content_sha256, plain
from app.reports.signature import (
    EmptySignatureError,
    MalformedSignatureError,
    SignatureTooSmallError,
    SignerError,
    build_evidence,
    render_png,
    validate_strokes,
)

CONTENT = {
    "schema": "terrain.report/1",
    "reference": "INT-2026-000042",
    "work": [{"id": "work:summary", "text": "Chaudière remise en service."}],
    "measurements": [{"value": 2.75, "unit": "bar", "min_value": 1.5, "max_value": 4.0}],
    "when": datetime(2026, 3, 11, 10, 5, 30, 123456),
}


def _evidence(**overrides):
    kwargs = dict(
        signer_name="Claire Dubois", signer_role="Gérante", content=CONTENT,
        device_id="tablet-0042", technician_id="tech-1", technician_name="Julien Moreau",
        user_id="user-1",
    )  # fmt: skip
    kwargs.update(overrides)
    strokes = kwargs.pop("strokes", signature_strokes())
    return build_evidence(strokes, **kwargs)


# --- strokes ---


def test_a_real_signature_is_accepted_and_normalised():
    strokes = validate_strokes(signature_strokes())
    assert len(strokes) == 2 and all(len(p) == 3 for s in strokes for p in s)
    as_dicts = [[{"x": x, "y": y, "t": t} for x, y, t in s] for s in signature_strokes()]
    assert validate_strokes(as_dicts) == strokes


@pytest.mark.parametrize("raw", [None, [], [[]], [[], []]])
def test_an_empty_signature_is_refused(raw):
    with pytest.raises(EmptySignatureError) as err:
        validate_strokes(raw)
    assert err.value.key == "error.signature.empty"


@pytest.mark.parametrize(
    "raw",
    [
        [[[300, 100, 0]]],  # a dot
        [[[300, 100, 0], [301, 100, 40], [301, 101, 80]]],  # a tap
        [[[300 + i % 2, 100, i * 10] for i in range(40)]],  # many points, no ink
        [[[100 + 10 * i, 100, 0] for i in range(30)]],  # a line drawn in no time
    ],
    ids=["dot", "tap", "scribble-in-place", "instant"],
)
def test_a_dot_or_a_tap_is_refused(raw):
    with pytest.raises(SignatureTooSmallError) as err:
        validate_strokes(raw)
    assert err.value.key == "error.signature.too_small"
    assert isinstance(err.value, ValidationError) and err.value.hint


@pytest.mark.parametrize(
    "raw",
    [
        "M 10 10 L 20 20",
        [[[1, 2]]],
        [[["a", 2, 3]]],
        [[[float("nan"), 2, 3]]],
        [[[10, 10, 100], [20, 20, 50]]],  # time goes back
        [[[5000, 10, 0]]],  # far outside the pad
        [[[1, 1, 0]]] * (signature.MAX_STROKES + 1),
    ],
)
def test_malformed_strokes_are_refused(raw):
    with pytest.raises(MalformedSignatureError) as err:
        validate_strokes(raw)
    assert err.value.key == "error.signature.malformed"


def test_signature_errors_speak_french_and_english_with_a_next_step():
    err = SignatureTooSmallError("x", key="error.signature.too_small")
    fr, en = Translator("fr").error(err), Translator("en").error(err)
    assert fr.splitlines() == [
        "Trop peu de tracé pour une signature (un point ou une simple touche).",
        "Demandez au client de signer à nouveau, en entier, dans le cadre.",
    ]
    assert en.startswith("Too little ink for a signature")


# --- the PNG ---


def test_the_png_is_drawn_from_the_strokes_anti_aliased_on_transparent_or_white():
    strokes = [[[100, 100, 0], [500, 100, 400]]]  # one horizontal line at y = 100 on 600x200
    with Image.open(io.BytesIO(render_png(strokes))) as image:
        assert image.size == signature.IMAGE_SIZE and image.mode == "RGBA"
        assert image.getpixel((300, 100))[3] == 255  # on the line: opaque ink
        assert image.getpixel((300, 100))[:3] == signature.INK
        assert image.getpixel((300, 150))[3] == 0  # off the line: transparent
        assert image.getpixel((50, 100))[3] == 0  # before its start
        edge = {image.getpixel((300, y))[3] for y in range(95, 106)}
        assert any(0 < a < 255 for a in edge)  # soft edges: anti-aliased
    white = render_png(strokes, background=(255, 255, 255))
    with Image.open(io.BytesIO(white)) as image:
        assert image.mode == "RGB"
        assert image.getpixel((300, 150)) == (255, 255, 255)
        assert image.getpixel((300, 100)) == signature.INK


def test_the_png_scales_the_pad_into_the_image_keeping_its_aspect():
    strokes = [[[0, 50, 0], [300, 50, 200]]]  # a 300x100 pad, line at a third of the height
    png = render_png(strokes, pad=(300, 100), size=(600, 300))
    with Image.open(io.BytesIO(png)) as image:
        # scale 2 (width-bound), the 600x200 drawing centred vertically: y = 50 + 2 * 50
        assert image.getpixel((300, 150))[3] == 255
        assert image.getpixel((300, 40))[3] == 0


def test_the_png_is_stable_for_the_same_strokes():
    assert render_png(signature_strokes()) == render_png(signature_strokes())


# --- the evidence ---


def test_the_evidence_records_who_when_where_and_what_was_signed():
    with clock.frozen(datetime(2026, 3, 11, 11, 40, 12)):
        evidence = _evidence()
    assert evidence.signer_name == "Claire Dubois" and evidence.signer_role == "Gérante"
    assert evidence.content_sha256 == content_sha256(CONTENT)
    assert evidence.image_sha256 == hashlib.sha256(evidence.image_png).hexdigest()
    assert evidence.audit["signed_at_local"] == "2026-03-11T11:40:12"
    assert evidence.signed_at == clock._local_to_utc(datetime(2026, 3, 11, 11, 40, 12))
    assert evidence.audit["device_id"] == evidence.device_id == "tablet-0042"
    assert evidence.audit["technician_name"] == "Julien Moreau"
    assert evidence.audit["reference"] == "INT-2026-000042" and evidence.audit["language"] == "fr"
    assert evidence.audit["points"] == 71
    fields = evidence.signature_fields()
    assert fields["document_kind"] == DocumentKind.VISIT_REPORT
    assert fields["image_blob_sha256"] == evidence.image_sha256
    strokes = validate_strokes(signature_strokes())
    assert fields["strokes"] == [[list(p) for p in s] for s in strokes]


@pytest.mark.parametrize(
    ("name", "role", "key"),
    [
        ("", "Gérante", "error.signature.signer_name"),
        ("  ", "Gérante", "error.signature.signer_name"),
        ("Claire Dubois", "", "error.signature.signer_role"),
    ],
)
def test_signer_name_and_role_are_required(name, role, key):
    with pytest.raises(SignerError) as err:
        _evidence(signer_name=name, signer_role=role)
    assert err.value.key == key


def test_the_signature_evidence_saves_as_a_signature_row(database):
    from app.models import Signature

    row = Signature.create(**_evidence().signature_fields())
    stored = Signature.get_by_id(row.id)
    assert stored.content_sha256 == content_sha256(CONTENT) and stored.audit["strokes"] == 2


# --- the canonical content and its hash ---


def test_canonical_json_is_sorted_compact_utf8_with_fixed_numbers_and_dates():
    data = {
        "b": 1.0, "a": "Chaudière — 20 €", "c": [0.1 + 0.2, -0.0, 1e-7, 12.5, 3],
        "d": date(2026, 3, 1), "e": datetime(2026, 3, 1, 8, 5, 9, 999), "f": None, "g": True,
        "h": "ligne\nsuivante \"citée\"",
    }  # fmt: skip
    assert (
        canonical_bytes(data)
        == (
            '{"a":"Chaudière — 20 €","b":1,"c":[0.3,0,0,12.5,3],"d":"2026-03-01",'
            '"e":"2026-03-01T08:05:09","f":null,"g":true,"h":"ligne\\nsuivante \\"citée\\""}'
        ).encode()
    )
    assert canonical_bytes({"x": 0.000125}) == b'{"x":0.000125}'
    assert canonical_bytes({"x": 1234567.5}) == b'{"x":1234567.5}'


def test_canonical_form_does_not_depend_on_key_order_or_unicode_composition():
    decomposed = {"chaudiere": "Chaudie\u0300re", "z": 1, "a": 2}
    composed = {"a": 2, "z": 1, "chaudiere": "Chaudière"}
    assert canonical_bytes(decomposed) == canonical_bytes(composed)
    assert content_sha256(decomposed) == content_sha256(composed)


def test_the_hash_is_stable_and_changes_when_one_field_changes():
    first = content_sha256(CONTENT)
    assert first == content_sha256(copy.deepcopy(CONTENT)) == content_sha256(plain(CONTENT))
    assert len(first) == 64 and first == hashlib.sha256(canonical_bytes(CONTENT)).hexdigest()
    changed = copy.deepcopy(CONTENT)
    changed["measurements"][0]["value"] = 2.76
    assert content_sha256(changed) != first
    changed = copy.deepcopy(CONTENT)
    changed["work"][0]["text"] += "."
    assert content_sha256(changed) != first


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "x"}, object()])
def test_content_that_has_no_canonical_form_is_refused(bad):
    with pytest.raises(ValidationError):
        canonical_bytes({"x": bad})
