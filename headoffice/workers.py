"""``serve --workers N``: head office in N worker processes with gunicorn (Linux).

What must happen once happens in the master, before it forks: the seal certificate is
checked (the demo certificate made on first start), the database migrated (under a
PostgreSQL advisory lock, ``headoffice.database.open_database``, so another process starting
at the same time waits instead of migrating too), the demo data filled, the bucket reached.
The master then closes its connections and never serves; each worker builds its own app
after the fork (``load``): its own PostgreSQL pool (``playhouse.pool``), its own object store
client, its own e-mail delivery thread (``post_worker_init``; deliveries are claimed with a
conditional update, so no two processes send the same one). Nothing a request needs lives in
one process: tokens, sign-in throttling, resumable uploads and sync state are in the
database, blobs in the shared directory or bucket, so the load balancer needs nothing sticky.

SIGTERM (or SIGINT) stops gracefully: gunicorn stops accepting, lets each worker finish the
requests in flight (at most ``GRACEFUL_TIMEOUT`` seconds), and each worker closes its app
(``worker_exit``: delivery thread, database pool, object store connections).
"""

from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from headoffice.app import ServerConfig, create_app
from headoffice.sealing import Seal

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT = 30  # seconds a worker has to finish its requests after SIGTERM
WORKER_TIMEOUT = 120  # a worker silent this long is killed and replaced by the master
# one line per request: the worker's process id first (which process answered)
ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(r)s" %(s)s %(B)s %(M)sms'


def _post_worker_init(worker) -> None:
    worker.wsgi.start_background()  # the e-mail delivery thread, in this worker


def _worker_exit(arbiter, worker) -> None:
    app = getattr(worker, "wsgi", None)
    close = getattr(app, "close", None)
    if close is not None:
        close()


class WorkerServer(BaseApplication):
    """gunicorn's arbiter over ``workers`` processes of ``threads`` threads each, every
    worker serving ``create_app(config, seal=seal)`` built after the fork."""

    def __init__(
        self,
        config: ServerConfig,
        seal: Seal,
        *,
        bind: str,
        workers: int,
        threads: int,
        access_log: bool = False,
    ) -> None:
        self.config = config
        self.seal = seal
        self.options = {
            "bind": [bind],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "timeout": WORKER_TIMEOUT,
            "keepalive": 5,
            "preload_app": False,  # each worker opens its own connections after the fork
            "proc_name": "terrain-headoffice",
            "errorlog": "-",
            "loglevel": "info",
            "accesslog": "-" if access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
            # gunicorn >= 25's control socket (in $HOME): nothing here uses it
            "control_socket_disable": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings:  # settings of newer gunicorn versions only
                self.cfg.set(name, value)

    def load(self):
        """In each worker, after the fork: the app, its database pool and store clients."""
        return create_app(self.config, seal=self.seal)
