"""The HTTP resources of head office's API, one module per area."""

from headoffice.resources.auth import LoginResource, LogoutResource, RevokeResource
from headoffice.resources.blobs import BlobResource
from headoffice.resources.documents import ReportVersionPdfResource
from headoffice.resources.meta import HealthResource, OpenAPIResource
from headoffice.resources.office import (
    DeliveriesResource,
    HeldAsideResolveResource,
    HeldAsideResource,
)
from headoffice.resources.sync import PullResource, PushResource

__all__ = [
    "BlobResource",
    "DeliveriesResource",
    "HealthResource",
    "HeldAsideResolveResource",
    "HeldAsideResource",
    "LoginResource",
    "LogoutResource",
    "OpenAPIResource",
    "PullResource",
    "PushResource",
    "ReportVersionPdfResource",
    "RevokeResource",
]
