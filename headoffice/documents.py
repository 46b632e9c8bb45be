"""The documents head office produces: the PDF of a report version.

``version_pdf(version)`` is what the office, the API and e-mail delivery use. Today it renders
the version's content with fpdf2 (``app.reports.pdf``); sealing (PAdES, the company's
certificate) and keeping the PDF as a blob come with the sealing work of issue 10.
"""

from __future__ import annotations

from app.models import ReportVersion
from app.models.enums import DocumentKind
from app.reports.pdf import slip_pdf, visit_report_pdf


def version_pdf(version: ReportVersion, *, language: str = "fr") -> bytes:
    """The PDF of ``version`` (its final content as stored)."""
    if version.kind == DocumentKind.SLIP:
        return slip_pdf(version.content, language=language)
    return visit_report_pdf(version.content, language=language)
