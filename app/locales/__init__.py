"""Feature catalogs of user-facing strings, merged into ``app.i18n.CATALOGS``.

Each module defines ``FR`` and ``EN`` (key -> text) for one feature; a key is defined once
across all catalogs (``app.i18n`` checks it at import). Add a module here and to ``MODULES``
(explicit imports: a built app ships .pyc files only, so no discovery by file name).
"""

from app.locales import (
    base,
    corrected_report,
    customer_record,
    field,
    held_aside,
    media,
    media_sync,
    photo_item,
    refusals,
    report_correction,
    seal,
    signing,
    validation,
    video,
)

MODULES = (
    base,
    validation,
    customer_record,
    media,
    seal,
    signing,
    field,
    corrected_report,
    media_sync,
    held_aside,
    report_correction,
    video,
    refusals,
    photo_item,
)
