"""Placeholder feature catalog (keeps the mechanism exercised until features add theirs)."""

FR: dict[str, str] = {}
EN: dict[str, str] = {}
