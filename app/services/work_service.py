"""The work recorded on an intervention: diagnosis, operations carried out, summary."""

from __future__ import annotations

from app.errors import ValidationError
from app.models import Intervention
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention

MAX_TEXT = 8000
FIELDS = ("diagnosis", "operations", "summary")


def update_work(intervention_id: str, who: CurrentUser, **texts: str) -> Intervention:
    """Save any of ``diagnosis``, ``operations``, ``summary``; only changed fields are written."""
    unknown = set(texts) - set(FIELDS)
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    intervention = editable_intervention(intervention_id, who)
    for name, value in texts.items():
        text = (value or "").strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(
                f"{name}: at most {MAX_TEXT} characters.", field=name, key="error.text.too_long"
            )
        if getattr(intervention, name) != text:
            setattr(intervention, name, text)
    if intervention.dirty_fields:
        intervention.save()
    return intervention
