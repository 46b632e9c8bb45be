"""Terrain: offline-first field-service app."""

__version__ = "0.1.0"
