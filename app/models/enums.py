"""Closed sets of values stored as text. Services and views use these, never raw strings."""

from enum import StrEnum


class Role(StrEnum):
    TECHNICIAN = "technician"
    OFFICE = "office"
    ADMIN = "admin"


class InterventionStatus(StrEnum):
    PLANNED = "planned"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    IN_PROGRESS = "in_progress"
    WORK_DONE = "work_done"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ItemKind(StrEnum):
    """Kinds of checklist items in a procedure step."""

    CHECK = "check"
    YES_NO_NA = "yes_no_na"
    NUMERIC = "numeric"
    METER = "meter"
    TEXT = "text"
    CHOICE = "choice"
    PHOTO = "photo"


class TimeKind(StrEnum):
    TRAVEL = "travel"
    WORK = "work"


class StockSource(StrEnum):
    VAN = "van"
    ELSEWHERE = "elsewhere"


class UsageKind(StrEnum):
    USED = "used"
    RETURNED = "returned"


class OrderStatus(StrEnum):
    NEW = "new"
    ORDERED = "ordered"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class MediaKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class MediaPhase(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    OTHER = "other"


class MediaSource(StrEnum):
    CAMERA = "camera"
    GALLERY = "gallery"
    DROPBOX = "dropbox"


class Visibility(StrEnum):
    INTERNAL = "internal"
    CLIENT = "client"


class DocumentKind(StrEnum):
    VISIT_REPORT = "visit_report"
    SLIP = "slip"
    QUOTE = "quote"


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    CORRECTED = "corrected"
    VALIDATED = "validated"
    DELIVERED = "delivered"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    REFUSED = "refused"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class FollowUpKind(StrEnum):
    NONE = "none"
    NEW_VISIT = "new_visit"
    QUOTE = "quote"
    PARTS_ORDER = "parts_order"
    NEXT_PREVENTIVE = "next_preventive"  # the next preventive visit of the contract
    OTHER = "other"


class SignatureOutcome(StrEnum):
    """What a ``Signature`` row records: the client signed, refused to, or was not there."""

    SIGNED = "signed"
    REFUSED = "refused"
    ABSENT = "absent"


class CustomerKind(StrEnum):
    COMPANY = "company"
    INDIVIDUAL = "individual"
