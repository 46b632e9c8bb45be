"""Pictures of the Synchronisation screen with a refused change and a resolved conflict, at
phone (390x844) and tablet (1024x768) size: `python tests/sync_screenshots.py` (Debian
Chromium, about a minute).

The state is made as it happens, against a real head office on loopback: `main.py run --web`
with its embedded demo head office; tech1 signs in (the first sync); then, on the device,
through its services (the way `main.py import-media` writes a device database beside the
running app), he corrects the diagnosis of two of today's jobs, not synced yet; meanwhile
the office, through head office's HTTP API, writes another diagnosis on the first (a
conflict: the device's entry, pushed last, is kept) and cancels the second (his change is
refused: a cancelled job stays cancelled). "Synchroniser maintenant" brings both to the screen,
the refusal in French (its code, docs/sync-protocol.md rule 6) and the field by its label.
Saves tests/artifacts/screenshots/sync-<size>.png (docs/screenshots/sync-screen*.png are
copies) and fails if either card is missing.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e2e_support import (
    by_id,
    chromium,
    free_port,
    office_push,
    open_page,
    read_only,
    running_app,
    screenshot,
    sign_in,
)
from field_e2e_support import tap

from app import clock

KEPT = "Vase d'expansion dégonflé, regonflé à 1,2 bar"  # the technician's: his field wins
LOST = "Pression basse signalée par le client"  # the office's, set aside
REFUSED = "Circulateur grippé, débloqué"  # on a job the office cancels meanwhile
OPEN_TODAY = """
SELECT i.id FROM interventions i JOIN technicians t ON t.id = i.technician_id
JOIN users u ON u.id = t.user_id
WHERE u.username = 'tech1' AND i.deleted = 0 AND date(i.scheduled_start) = ?
  AND i.status IN ('assigned', 'en_route', 'in_progress')
ORDER BY i.scheduled_start LIMIT 2
"""


def technician_writes(db_path: Path, diagnoses: dict[str, str]) -> None:
    """tech1's diagnoses, saved through ``work_service`` on the device database (tracked in
    its outbox, as the app's own saves are)."""
    from app.models import User
    from app.services import auth_service, work_service
    from app.sync import tracking
    from app.sync.store import open_device_db

    database = open_device_db(db_path)
    tracking.install()
    try:
        who = auth_service.current_user(User.get(User.username == "tech1"))
        for job_id, text in diagnoses.items():
            work_service.update_work(job_id, who, diagnosis=text)
    finally:
        tracking.uninstall()
        database.close()


def office_writes(api: str, headoffice_db: Path, changes: dict[str, dict]) -> None:
    """The office's device pushes ``changes`` (intervention id -> fields) to head office."""
    with read_only(headoffice_db) as con:
        base = {
            job_id: con.execute(
                "SELECT sync_version FROM interventions WHERE id = ?", (job_id,)
            ).fetchone()[0]
            for job_id in changes
        }
    rows = [
        {"id": job_id, "base_version": base[job_id], "fields": fields}
        for job_id, fields in changes.items()
    ]
    office_push(api, {"interventions": rows})


def sync_screen(page, size: tuple[int, int]) -> None:
    """The sync screen after "Synchroniser maintenant", with both cards, captured."""
    from playwright.sync_api import expect

    tap(page, "sync-badge")
    tap(page, "sync-now")
    expect(by_id(page, "sync-pending")).to_contain_text("Aucune modification", timeout=30_000)
    cards = {  # each card reads as one group: its texts are its accessible name
        "sync-rejection-": [REFUSED, "Le bureau a annulé cette intervention"],  # in French
        "sync-conflict-": [KEPT, LOST, "Champ « Diagnostic »"],  # the field's label
    }
    for prefix, texts in cards.items():
        card = page.locator(f'[flt-semantics-identifier^="{prefix}"]').first
        for text in texts:
            words = re.compile(re.escape(text))
            in_card = card.get_by_role("group", name=words).or_(card.get_by_text(words))
            expect(in_card.first).to_be_attached()
    screenshot(page, f"sync-{size[0]}x{size[1]}")


def main() -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(
            Path(tmp) / "data", "--sync-interval", "3600", "--server-port", str(port)
        ) as app,
        chromium() as browser,
    ):
        for n, size in enumerate([(1024, 768), (390, 844)]):
            page = open_page(browser, app.url, size)
            sign_in(page, "tech1")
            by_id(page, "my-day-today").wait_for()
            if n == 0:  # after the first sync: the device holds today's jobs
                with app.read_only_db() as con:
                    ids = [i for (i,) in con.execute(OPEN_TODAY, (clock.today().isoformat(),))]
                assert len(ids) == 2, f"tech1 needs two open jobs today, has {ids}"
                conflicting, cancelled = ids
                technician_writes(app.db_path, {conflicting: KEPT, cancelled: REFUSED})
                office_writes(api, app.headoffice_db_path, {
                    conflicting: {"diagnosis": LOST},
                    cancelled: {"status": "cancelled"},
                })  # fmt: skip
            sync_screen(page, size)
            page.context.close()


if __name__ == "__main__":
    main()
