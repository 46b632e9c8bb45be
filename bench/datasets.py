"""Benchmark databases, generated once and cached under var/bench/ (git-ignored)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from app import clock
from app.models import db
from app.models.database import open_sqlite
from app.models.migrations import LATEST_VERSION

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
log = logging.getLogger(__name__)


def _generator_fingerprint() -> str:
    digest = hashlib.sha256(str(LATEST_VERSION).encode())
    for path in sorted((ROOT / "app" / "demo").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def demo_database(size: str) -> tuple[Path, dict]:
    """Path of a demo database of ``size`` and its metadata (``today``, generation time).

    Rebuilt when the generator or the schema changed. The caller binds it with open_sqlite.
    """
    from app.demo import generate

    folder = CACHE / f"{size}-{_generator_fingerprint()}"
    path, meta_path = folder / "terrain.db", folder / "meta.json"
    if meta_path.exists():
        return path, json.loads(meta_path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    today = clock.today()
    log.info("generating the %s demo database in %s (cached for next runs)", size, folder)
    database = open_sqlite(path)
    start = time.perf_counter()
    summary = generate(size=size, seed=42, today=today)
    seconds = time.perf_counter() - start
    database.close()
    db.initialize(None)
    meta = {"today": today.isoformat(), "generation_s": round(seconds, 1), "summary": summary}
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    return path, meta
