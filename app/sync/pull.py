"""Pull: fetch pages from the saved cursor until ``has_more`` is false, applying each one.

Each page is applied together with its cursor (``apply.apply_page``), so an interrupted pull
resumes after the last applied page. A full pull from the start is made when a push was
rejected (the rejected rows must take the server's state, which head office resends only on
a full pull) or when head office no longer knows the cursor (409).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.errors import RemoteError
from app.sync.apply import CURSOR, ApplyResult, apply_page
from app.sync.protocol import DEFAULT_PULL_LIMIT
from app.sync.remote import Transport
from app.sync.store import get_state, set_state

log = logging.getLogger(__name__)
MAX_PAGES = 100_000  # a guard against a server that never ends a session


@dataclass
class PullOutcome:
    pages: int = 0
    rows: int = 0
    evicted: int = 0
    full: bool = False  # pulled from the start


def pull_changes(
    transport: Transport,
    *,
    limit: int = DEFAULT_PULL_LIMIT,
    on_page: Callable[[PullOutcome], None] | None = None,
) -> PullOutcome:
    outcome = PullOutcome()
    cursor = get_state(CURSOR) or ""
    outcome.full = not cursor
    retried = False
    while outcome.pages < MAX_PAGES:
        try:
            page = transport.pull(cursor, limit)
        except RemoteError as exc:
            if exc.status != 409 or retried:
                raise
            log.warning("head office refused the pull cursor; pulling from the start")
            retried, cursor, outcome.full = True, "", True
            set_state(CURSOR, None)
            continue
        result: ApplyResult = apply_page(page)
        outcome.pages += 1
        outcome.rows += result.rows
        outcome.evicted += result.evicted
        if on_page is not None:
            on_page(outcome)
        cursor = page["cursor"]
        if not page.get("has_more"):
            break
    return outcome
