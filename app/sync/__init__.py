"""Offline-first sync with head office (docs/sync-protocol.md)."""
