"""A device in its own process, for tests/test_sync_faults.py (so it can be killed -9).

    python tests/fault_device.py DEVICE_DB BASE_URL USERNAME PULL_LIMIT [STALL_PAGE]

Signs in (password ``demo``), runs one ``synchronize`` and prints one JSON line per event:
``{"applying": n, "ids": [[table, id], ...]}`` inside page n's apply transaction (before
its commit), ``{"committed": n}`` after it, ``{"done": ...}`` at the end. With STALL_PAGE,
it sleeps inside that page's apply transaction, waiting to be killed there.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.sync import apply as apply_module
from app.sync import pull as pull_module
from app.sync import tracking
from app.sync.engine import synchronize
from app.sync.store import ensure_device_id, open_device_db
from app.sync.transport import HttpTransport


def say(**event) -> None:
    print(json.dumps(event), flush=True)


def main(argv: list[str]) -> int:
    path, base, username, limit = argv[0], argv[1], argv[2], int(argv[3])
    stall = int(argv[4]) if len(argv) > 4 else 0
    database = open_device_db(path)
    tracking.install()
    pages = 0
    real_apply, real_apply_page = apply_module._apply, pull_module.apply_page

    def traced_apply(conn, page):
        result = real_apply(conn, page)
        ids = [[t, r["id"]] for t, rows in (page.get("changes") or {}).items() for r in rows]
        say(applying=pages + 1, ids=ids)
        if pages + 1 == stall:
            time.sleep(120)  # inside the transaction: the test kills us here
        return result

    def traced_apply_page(page, **kwargs):
        nonlocal pages
        result = real_apply_page(page, **kwargs)
        pages += 1
        say(committed=pages)
        return result

    apply_module._apply = traced_apply
    pull_module.apply_page = traced_apply_page
    transport = HttpTransport(base, retries=2, backoff=0.1)
    transport.login(username, "demo", ensure_device_id())
    report = synchronize(transport, pull_limit=limit)
    say(done=True, full=report.pull.full, pages=report.pull.pages, rows=report.pull.rows)
    transport.close()
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
