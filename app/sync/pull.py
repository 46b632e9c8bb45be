"""Pull: fetch pages from the saved cursor until ``has_more`` is false, applying each one.

Each page is applied together with its cursor (``apply.apply_page``), so an interrupted pull
resumes after the last applied page. A pull from the start is made when head office no
longer knows the cursor (409). The first sync into an empty device loads without secondary
indexes and builds them at the end (``bulk.py``).

With a transport that allows it (``prefetch = True``: ``HttpTransport``), the next page is
fetched and decoded on a helper thread while the current one is applied: the cursor of a
page is known as soon as it is decoded, and head office treats a page that is never applied
like a lost answer (the next cursor acknowledges only what was applied, rule 2).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from app.errors import RemoteError
from app.models import db
from app.sync import bulk as bulk_load
from app.sync.apply import CURSOR, ApplyResult, apply_page
from app.sync.cursor import DEFAULT_PULL_LIMIT
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
    bulk = not cursor and bulk_load.device_is_empty()
    prefetch = bool(getattr(transport, "prefetch", False))
    # first sync into an empty device: indexes built once at the end, no fsync meanwhile
    with bulk_load.loading() if bulk else contextlib.nullcontext():
        _pull_pages(transport, limit, cursor, outcome, on_page, prefetch)
    return outcome


def _pull_pages(transport, limit, cursor, outcome, on_page, prefetch: bool) -> None:
    """The first page is fetched here; when there are more, a helper thread (started then,
    not for the usual one-page sync) fetches each next page while this one is applied."""
    database = db.obj  # the helper thread sees the caller's database (``db.using``)
    pool: ThreadPoolExecutor | None = None

    def routed_pull(cursor: str) -> dict:
        with db.using(database):
            return transport.pull(cursor, limit)

    def ahead_of(cursor: str) -> Future:
        nonlocal pool
        pool = pool or ThreadPoolExecutor(1, "sync-prefetch")
        return pool.submit(routed_pull, cursor)

    retried = False
    ahead: Future | None = None
    try:
        while outcome.pages < MAX_PAGES:
            try:
                page = ahead.result() if ahead is not None else transport.pull(cursor, limit)
            except RemoteError as exc:
                if exc.status != 409 or retried:
                    raise
                log.warning("head office refused the pull cursor; pulling from the start")
                retried, cursor, outcome.full, ahead = True, "", True, None
                set_state(CURSOR, None)
                continue
            more = bool(page.get("has_more"))
            if not more and _unchanged(page, cursor):  # a no-op sync: nothing to write
                outcome.pages += 1
                if on_page is not None:
                    on_page(outcome)
                break
            # the next page comes while this one is applied
            ahead = ahead_of(page["cursor"]) if more and prefetch else None
            result: ApplyResult = apply_page(page)
            outcome.pages += 1
            outcome.rows += result.rows
            outcome.evicted += result.evicted
            if on_page is not None:
                on_page(outcome)
            if not more:
                break
            cursor = page["cursor"]
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _unchanged(page: dict, cursor: str) -> bool:
    """An empty last page that hands back the cursor the device holds: nothing to apply."""
    return (
        bool(cursor)
        and page.get("cursor") == cursor
        and not any(page.get("changes") or {})
        and not any(page.get("evicted") or {})
    )
