"""What is not sent to head office yet, said in words: "3 modifications et 1 fichier"."""

from __future__ import annotations


def unsent_text(tr, unsent) -> str:
    """``unsent``: ``sync_service.Unsent`` (rows, files)."""
    parts = []
    if unsent.rows:
        parts.append(tr(f"unsent.rows.{'one' if unsent.rows == 1 else 'many'}", count=unsent.rows))
    if unsent.files:
        key = f"unsent.files.{'one' if unsent.files == 1 else 'many'}"
        parts.append(tr(key, count=unsent.files))
    return tr("unsent.and").join(parts)
