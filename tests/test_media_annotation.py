"""Annotations: the vector layer is checked, drawn where it says over the photo (pixels
compared), kept apart from the untouched photo, and printed in the report PDF."""

from __future__ import annotations

import io

import pytest
from field_support import a_job, as_user
from media_support import jpeg_with_orientation, video
from PIL import Image
from pypdf import PdfReader

from app.errors import ValidationError
from app.media import annotation
from app.media.annotation import AnnotationError, draw_layer, render, validate_layer
from app.media.blob_store import BlobStore
from app.models import Attachment
from app.models.enums import InterventionStatus
from app.reports.pdf import visit_report_pdf
from app.services import media_service, report_service

RED = (229, 57, 53)


def _near(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def _white(size=(400, 200)) -> Image.Image:
    return Image.new("RGB", size, (255, 255, 255))


def test_a_layer_is_normalised_and_bounded():
    layer = validate_layer(
        {"shapes": [
            {"kind": "arrow", "from": [0.1, 0.2], "to": [1.02, 0.5], "color": "#E53935"},
            {"kind": "text", "at": [0.5, 0.5], "text": "  Fuite ici ", "size": 0.06},
            {"kind": "free", "points": [[0.1, 0.1], [0.2, 0.2]], "width": 0.01},
        ]}
    )  # fmt: skip
    arrow, text, free = layer["shapes"]
    assert layer["version"] == 1
    assert arrow == {"kind": "arrow", "color": "#e53935", "width": annotation.DEFAULT_WIDTH,
                     "from": [0.1, 0.2], "to": [1.0, 0.5]}  # fmt: skip
    assert text["text"] == "Fuite ici" and text["color"] == annotation.PALETTE[0]
    assert free["points"] == [[0.1, 0.1], [0.2, 0.2]]


@pytest.mark.parametrize(
    "shape",
    [
        {"kind": "star", "from": [0, 0], "to": [1, 1]},
        {"kind": "rect", "from": [0, 0], "to": [2, 1]},  # outside the photo
        {"kind": "rect", "from": [0, 0], "to": [float("nan"), 1]},
        {"kind": "rect", "from": [0, 0], "to": [1, 1], "color": "red"},
        {"kind": "rect", "from": [0, 0], "to": [1, 1], "width": 0.5},
        {"kind": "text", "at": [0.5, 0.5], "text": ""},
        {"kind": "text", "at": [0.5, 0.5], "text": "x" * 121},
        {"kind": "free", "points": []},
        {"kind": "arrow", "from": [True, 0], "to": [1, 1]},
    ],
)
def test_unreadable_shapes_are_refused(shape):
    with pytest.raises(AnnotationError) as caught:
        validate_layer({"shapes": [shape]})
    assert caught.value.key.startswith("error.annotation.") and caught.value.hint


def test_too_many_shapes_are_refused():
    box = {"kind": "rect", "from": [0, 0], "to": [1, 1]}
    with pytest.raises(AnnotationError):
        validate_layer({"shapes": [box] * (annotation.MAX_SHAPES + 1)})
    with pytest.raises(AnnotationError):
        validate_layer("not a layer")


def test_each_shape_is_drawn_where_the_layer_says():
    layer = validate_layer(
        {"shapes": [
            {"kind": "rect", "from": [0.05, 0.1], "to": [0.3, 0.9], "width": 0.01},
            {"kind": "circle", "from": [0.35, 0.1], "to": [0.6, 0.9], "color": "#1e88e5",
             "width": 0.01},
            {"kind": "arrow", "from": [0.65, 0.5], "to": [0.95, 0.5], "width": 0.01},
            {"kind": "free", "points": [[0.65, 0.1], [0.95, 0.1]], "color": "#000000",
             "width": 0.01},
        ]}
    )  # fmt: skip
    drawn = draw_layer(_white(), layer)
    px = drawn.getpixel
    # rectangle: its left edge is red, its inside stays white
    assert _near(px((20, 100)), RED) and _near(px((70, 100)), (255, 255, 255))
    # ellipse in its box: the top and left of the curve are blue, the box's corner is not
    assert _near(px((190, 21)), (30, 136, 229)) and _near(px((141, 100)), (30, 136, 229))
    assert _near(px((142, 22)), (255, 255, 255))
    # arrow along y = 100 from x = 260 to 380, with a head wider than its shaft at the tip
    assert _near(px((300, 100)), RED) and _near(px((300, 110)), (255, 255, 255))
    assert _near(px((369, 104)), RED) and _near(px((300, 104)), (255, 255, 255))
    # free stroke along y = 20 from x = 260 to 380
    assert _near(px((320, 20)), (0, 0, 0))
    assert px((200, 195)) == (255, 255, 255)  # nothing elsewhere


def test_text_is_drawn_and_rendering_is_deterministic():
    layer = validate_layer({"shapes": [{"kind": "text", "at": [0.1, 0.3], "text": "Fuite"}]})
    drawn = draw_layer(_white(), layer)
    region = drawn.crop((40, 60, 140, 100))
    assert any(_near(region.getpixel((x, y)), RED, 60) for x in range(100) for y in range(40))
    photo = io.BytesIO()
    _white().save(photo, "JPEG")
    assert render(photo.getvalue(), layer) == render(photo.getvalue(), layer)
    assert render(photo.getvalue(), None) == photo.getvalue()  # no layer: the photo itself


def test_a_bad_stored_shape_is_skipped_not_fatal():
    stored = {"shapes": [{"kind": "rect", "from": [0, 0], "to": "x"},
                         {"kind": "rect", "from": [0.05, 0.1], "to": [0.3, 0.9]}]}  # fmt: skip
    drawn = draw_layer(_white(), stored)
    assert _near(drawn.getpixel((20, 100)), RED)


def test_annotating_keeps_the_photo_and_follows_the_rules(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who)
    store = BlobStore(tmp_path / "blobs")
    [photo] = media_service.import_files(
        job.id, [jpeg_with_orientation(tmp_path / "p.jpg", 1)], who, store=store
    )
    [clip] = media_service.import_files(job.id, [video(tmp_path / "c.avi")], who, store=store)
    layer = {"shapes": [{"kind": "arrow", "from": [0.1, 0.1], "to": [0.9, 0.9]}]}
    before = photo.attachment.blob_sha256
    row = media_service.annotate(photo.attachment.id, who, layer)
    assert row.annotations["shapes"][0]["kind"] == "arrow"
    assert Attachment.get_by_id(row.id).blob_sha256 == before  # the photo is untouched
    with pytest.raises(ValidationError):
        media_service.annotate(clip.attachment.id, who, layer)
    with pytest.raises(AnnotationError):
        media_service.annotate(row.id, who, {"shapes": [{"kind": "blob"}]})
    assert Attachment.get_by_id(row.id).annotations == row.annotations  # nothing half-stored
    media_service.annotate(row.id, who, {"shapes": []})
    assert Attachment.get_by_id(row.id).annotations is None
    Attachment.update(annotations=row.annotations).where(Attachment.id == row.id).execute()
    job.status = InterventionStatus.SIGNED
    job.save()
    with pytest.raises(ValidationError):
        media_service.annotate(row.id, who, layer)


def test_the_report_pdf_prints_the_photo_with_its_annotations(demo_db, tmp_path):
    who = as_user("tech1")
    job = a_job(who, InterventionStatus.IN_PROGRESS)
    store = BlobStore(tmp_path / "blobs")
    white = tmp_path / "white.jpg"
    Image.new("RGB", (800, 600), (255, 255, 255)).save(white, "JPEG", quality=95)
    [result] = media_service.import_files(job.id, [white], who, store=store, phase="before")
    media_service.annotate(
        result.attachment.id, who,
        {"shapes": [{"kind": "rect", "from": [0.1, 0.1], "to": [0.9, 0.9], "width": 0.03}]},
    )  # fmt: skip
    content = report_service.draft(job.id, who).final
    [line] = content["photos"]
    assert line["annotations"]["shapes"][0]["kind"] == "rect"
    pdf = visit_report_pdf(content, photos=lambda sha: media_service.read_blob(store, sha))
    images = [img for page in PdfReader(io.BytesIO(pdf)).pages for img in page.images]
    photos = [Image.open(io.BytesIO(img.data)).convert("RGB") for img in images]
    printed = max(photos, key=lambda im: im.width * im.height)  # the photo, not the logo
    w, h = printed.size
    assert _near(printed.getpixel((int(0.1 * w) + 2, h // 2)), RED, 60)  # the rectangle's edge
    assert _near(printed.getpixel((w // 2, h // 2)), (255, 255, 255), 30)  # the untouched middle


@pytest.mark.parametrize("role", ["office", "technician"])
def test_head_office_refuses_an_unreadable_drawing_from_anyone(role):
    from headoffice.permissions import Refused, decide
    from headoffice.scope import Principal

    who = Principal("u1", role, "t1" if role == "technician" else None)
    bad = {"annotations": {"shapes": [{"kind": "arrow", "from": [0, 0], "to": [9e9, 1]}]}}
    with pytest.raises(Refused) as caught:
        decide(who, "attachments", "a1", None, bad, deleted=False)
    assert "drawing over this photo" in caught.value.reason
    good = {"annotations": {"shapes": [{"kind": "arrow", "from": [0, 0], "to": [1, 1]}]}}
    if role == "office":
        decide(who, "attachments", "a1", None, good, deleted=False)  # accepted
