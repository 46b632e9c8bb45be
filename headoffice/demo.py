"""Demo data at head office: generated into its database, then every row versioned so
devices can pull it (``serve --demo``, tests and benchmarks)."""

from __future__ import annotations

from datetime import date

from app.demo import generate
from app.models import db
from headoffice.database import open_database
from headoffice.versions import stamp_unversioned


def fill_demo(size: str = "small", today: date | None = None) -> tuple[str, int]:
    """Fill the bound, empty head office database; returns (summary, rows versioned)."""
    summary = generate(size=size, today=today)
    return summary, stamp_unversioned()


def build_demo(url: str, size: str = "small", today: date | None = None) -> None:
    """Open ``url`` as head office, fill it with demo data and close it again."""
    database = open_database(url)
    try:
        with database.connection_context():
            fill_demo(size, today)
    finally:
        close_all = getattr(database, "close_all", None)  # the PostgreSQL pool
        close_all() if close_all is not None else database.close()
        db.initialize(None)
