"""Media, comments, signatures, report versions, quotes and follow-ups."""

from peewee import (
    SQL,
    BooleanField,
    CharField,
    Check,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from app.models.base import JSONField, SyncedModel, choice_check
from app.models.catalog import Part
from app.models.customers import Customer, Site
from app.models.enums import (
    DocumentKind,
    DocumentStatus,
    FollowUpKind,
    MediaKind,
    MediaPhase,
    MediaSource,
    QuoteStatus,
    SignatureOutcome,
    Visibility,
)
from app.models.interventions import Intervention
from app.models.org import User

SHA256_CHECK = "length({0}) = 64"


class Quote(SyncedModel):
    """A *devis* for work outside the contract (arrêté du 24 janvier 2017)."""

    reference = CharField(unique=True)
    intervention = ForeignKeyField(Intervention, null=True, backref="quotes")
    customer = ForeignKeyField(Customer, backref="quotes")
    site = ForeignKeyField(Site, backref="quotes")
    status = CharField(
        default=QuoteStatus.DRAFT, constraints=[Check(choice_check("status", QuoteStatus))]
    )
    title = CharField(default="")
    issued_on = DateField()
    valid_until = DateField()
    travel_cost_cents = IntegerField(default=0, constraints=[Check("travel_cost_cents >= 0")])
    quote_is_free = BooleanField(default=True)
    quote_price_cents = IntegerField(default=0, constraints=[Check("quote_price_cents >= 0")])
    payment_terms = TextField(default="")
    notes = TextField(default="")
    created_by = ForeignKeyField(User, null=True)

    class Meta:
        constraints = [Check("valid_until >= issued_on")]


class QuoteLine(SyncedModel):
    quote = ForeignKeyField(Quote, backref="lines")
    position = IntegerField(constraints=[Check("position >= 1")])
    part = ForeignKeyField(Part, null=True)
    description = TextField()
    quantity = FloatField(constraints=[Check("quantity > 0")])
    unit = CharField(default="u")
    unit_price_cents = IntegerField(constraints=[Check("unit_price_cents >= 0")])
    vat_rate_bp = IntegerField(constraints=[Check("vat_rate_bp BETWEEN 0 AND 10000")])


class Attachment(SyncedModel):
    """A photo or video; its bytes are a content-addressed blob (SHA-256)."""

    intervention = ForeignKeyField(Intervention, null=True, backref="attachments")
    quote = ForeignKeyField(Quote, null=True, backref="attachments")
    kind = CharField(constraints=[Check(choice_check("kind", MediaKind))])
    phase = CharField(
        default=MediaPhase.OTHER, constraints=[Check(choice_check("phase", MediaPhase))]
    )
    source = CharField(constraints=[Check(choice_check("source", MediaSource))])
    blob_sha256 = CharField(max_length=64, constraints=[Check(SHA256_CHECK.format("blob_sha256"))])
    thumb_sha256 = CharField(max_length=64, null=True)  # JPEG thumbnail (app.media.ingest)
    original_sha256 = CharField(max_length=64, null=True)  # the file as received, if kept
    mime_type = CharField()
    size_bytes = IntegerField(constraints=[Check("size_bytes >= 0")])
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    duration_s = FloatField(null=True)
    caption = TextField(default="")
    annotations = JSONField(null=True)  # strokes / arrows / text, drawn over the media
    taken_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True)
    # Made from a video (app.domain.video): the still of a frame, or a clip; the video's id
    # (no foreign key: a still may reach head office in the same push as its video) and the
    # time in it (ms). ``video_notes``: a video's time-stamped notes.
    source_attachment_id = CharField(max_length=36, null=True)
    source_time_ms = IntegerField(null=True)
    video_notes = JSONField(null=True)


class Comment(SyncedModel):
    intervention = ForeignKeyField(Intervention, backref="comments")
    author = ForeignKeyField(User)
    visibility = CharField(constraints=[Check(choice_check("visibility", Visibility))])
    body = TextField(constraints=[Check("length(body) > 0")])


class Signature(SyncedModel):
    """Evidence of a signature (Code civil 1366-1367): hash of the signed content and audit.

    ``outcome`` ``signed``: the client signed (strokes, image). ``refused`` / ``absent``: the
    record the technician made instead (no strokes, no image, ``reason`` required); it hashes
    the content that was presented, and lets the slip go to head office unsigned.
    """

    document_kind = CharField(constraints=[Check(choice_check("document_kind", DocumentKind))])
    intervention = ForeignKeyField(Intervention, null=True, backref="signatures")
    quote = ForeignKeyField(Quote, null=True, backref="signatures")
    signer_name = CharField()
    signer_role = CharField(default="client")
    signed_at = DateTimeField()
    content_sha256 = CharField(
        max_length=64, constraints=[Check(SHA256_CHECK.format("content_sha256"))]
    )
    image_blob_sha256 = CharField(max_length=64, null=True)
    strokes = JSONField(null=True)
    audit = JSONField(null=True)  # device, user, ip/location if any, events
    device_id = CharField(default="")
    outcome = CharField(
        default=SignatureOutcome.SIGNED,
        constraints=[SQL("DEFAULT 'signed'"), Check(choice_check("outcome", SignatureOutcome))],
    )
    reason = TextField(default="", constraints=[SQL("DEFAULT ''")])


class ReportVersion(SyncedModel):
    """One version of a visit report or intervention slip; signed versions never change."""

    intervention = ForeignKeyField(Intervention, backref="report_versions", index=False)
    kind = CharField(constraints=[Check(choice_check("kind", DocumentKind))])
    version = IntegerField(constraints=[Check("version >= 1")])
    status = CharField(
        default=DocumentStatus.DRAFT,
        constraints=[Check(choice_check("status", DocumentStatus))],
    )
    content = JSONField()
    content_sha256 = CharField(max_length=64, null=True)
    pdf_blob_sha256 = CharField(max_length=64, null=True)
    created_by = ForeignKeyField(User, null=True)
    validated_by = ForeignKeyField(User, null=True)
    validated_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("intervention", "kind", "version"), True),)


class FollowUp(SyncedModel):
    """The *suite à donner* recorded after the client signed (or refused): docs/reports.md.

    ``due_date``: the proposed date (new visit, next preventive visit); ``urgency``: a
    ``Priority`` value (new visit); ``lines``: parts to order, ``[{"part_id", "reference",
    "name", "unit", "quantity"}]``; ``description``: free text.
    """

    intervention = ForeignKeyField(Intervention, backref="follow_ups")
    kind = CharField(constraints=[Check(choice_check("kind", FollowUpKind))])
    description = TextField(default="")
    due_date = DateField(null=True)
    created_by = ForeignKeyField(User, null=True)
    urgency = CharField(null=True)
    lines = JSONField(null=True)
