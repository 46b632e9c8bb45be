"""Comments on an intervention: internal (company only) or visible to the client.

The visibility is always chosen explicitly. Comments can be edited until the intervention is
signed. ``for_client`` is the only way reports and client screens get comments: it never
returns internal ones.
"""

from __future__ import annotations

from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models import Comment, User
from app.models.enums import Visibility
from app.services.auth_service import CurrentUser
from app.services.guards import editable_intervention, load_intervention

MAX_BODY = 4000


def _clean(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError(
            "A comment cannot be empty.", key="error.comment.empty", hint="Write something."
        )
    if len(text) > MAX_BODY:
        raise ValidationError(
            f"A comment has at most {MAX_BODY} characters.", key="error.comment.too_long"
        )
    return text


def add(intervention_id: str, body: str, visibility: str, who: CurrentUser) -> Comment:
    intervention = editable_intervention(intervention_id, who)
    if visibility not in (Visibility.INTERNAL, Visibility.CLIENT):
        raise ValidationError(
            "Choose whether the comment is internal or visible to the client.",
            field="visibility",
            key="error.comment.visibility",
        )
    return Comment.create(
        intervention=intervention,
        author=who.id,
        visibility=Visibility(visibility),
        body=_clean(body),
    )


def edit(comment_id: str, body: str, who: CurrentUser) -> Comment:
    comment = Comment.live().where(Comment.id == comment_id).first()
    if comment is None:
        raise NotFoundError("Comment not found.", key="error.NotFoundError")
    editable_intervention(comment.intervention_id, who)
    if comment.author_id != who.id:
        raise PermissionDeniedError(
            "Only its author can edit a comment.", key="error.comment.author"
        )
    comment.body = _clean(body)
    comment.save()
    return comment


def for_intervention(intervention_id: str, who: CurrentUser) -> list[tuple[Comment, str]]:
    """All comments (the company's view), oldest first, with the author's name."""
    load_intervention(intervention_id, who)
    return [
        (c, c.author.display_name)
        for c in Comment.live()
        .select(Comment, User)
        .join(User)
        .where(Comment.intervention == intervention_id)
        .order_by(Comment.created_at)
    ]


def for_client(intervention_id: str) -> list[Comment]:
    """Client-visible comments only: what reports and client screens may show."""
    return list(
        Comment.live()
        .where(
            (Comment.intervention == intervention_id) & (Comment.visibility == Visibility.CLIENT)
        )
        .order_by(Comment.created_at)
    )
