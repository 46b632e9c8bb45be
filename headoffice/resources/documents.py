"""``GET /report-versions/{id}/pdf``: a report version's sealed PDF (headoffice.documents).

The office sees every version; a technician the versions of his own interventions. Anything
else answers 404 like a version that does not exist, so its existence does not leak.
"""

from __future__ import annotations

import hashlib

from app.errors import NotFoundError, ValidationError
from app.models import Intervention, ReportVersion
from headoffice import documents
from headoffice.scope import Principal

NOT_FOUND = "No such report version."
MAX_ID = 64


def readable_version(who: Principal, version_id: str) -> ReportVersion:
    """The version ``who`` may read, else ``NotFoundError`` (the same for both)."""
    if not version_id or len(version_id) > MAX_ID:
        raise NotFoundError(NOT_FOUND)
    version = ReportVersion.get_or_none(
        (ReportVersion.id == version_id) & (ReportVersion.deleted == False)
    )
    if version is None:
        raise NotFoundError(NOT_FOUND)
    if who.sees_everything:
        return version
    own = (
        Intervention.select()
        .where(
            (Intervention.id == version.intervention_id)
            & (Intervention.technician == (who.technician_id or ""))
        )
        .exists()
    )
    if not own:
        raise NotFoundError(NOT_FOUND)
    return version


class ReportVersionPdfResource:
    def on_get(self, req, resp, version_id: str) -> None:
        language = req.get_param("language")
        if language is not None and language not in documents.LANGUAGES:
            raise ValidationError(
                f"language must be one of {', '.join(documents.LANGUAGES)}.", field="language"
            )
        version = readable_version(req.context.session.who, version_id)
        data = documents.version_pdf(version, language=language)
        reference = (version.content or {}).get("reference") or version.id
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in str(reference))[:80]
        resp.content_type = "application/pdf"
        resp.set_header("Content-Disposition", f'inline; filename="{safe}-v{version.version}.pdf"')
        resp.set_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        resp.set_header("Cache-Control", "private, no-cache")
        resp.data = data
