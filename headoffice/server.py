"""Serve head office with waitress: bodies bounded before they are read, every error in the
JSON shape, and a stop that leaves nothing behind (threads, sockets, database connections).

``main.py serve`` and the test servers both use ``HeadOfficeServer``::

    server = HeadOfficeServer(app, host="127.0.0.1", port=0, threads=8)
    server.start()  # a background thread (or ``server.run()`` in the foreground)
    server.stop()   # listening socket, open connections, worker threads, connections closed
"""

from __future__ import annotations

import threading

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask
from waitress.trigger import trigger

from headoffice.app import HeadOfficeApp
from headoffice.http import error_body

STOP_TIMEOUT = 10.0  # seconds to wait for the serving loop and the worker threads
# Open connections one process keeps (waitress's default is 100). Devices keep their
# connection between syncs (requests' keep-alive; waitress closes it after 120 s idle) and
# sync every minute, so a process facing devices holds about one per device: at the default,
# the 101st device's connection waited, unserved, until an idle one timed out (the sim_1000
# benchmark stalled 90-120 s; docs/scaling.md). waitress polls its sockets (no select limit).
CONNECTION_LIMIT = 2000
# waitress' error statuses under the codes the app uses for the same statuses
ERROR_CODES = {400: "bad_request", 413: "payload_too_large", 500: "internal"}


class JsonErrorTask(ErrorTask):
    """waitress' own answers (413 body too large, 400 bad request line, 431 headers, 501
    transfer encoding) in the API's error shape instead of plain text."""

    def execute(self) -> None:
        error = self.request.error
        code = ERROR_CODES.get(error.code) or error.reason.lower().replace(" ", "_")
        body = error_body(code, f"{error.reason}: {error.body}.")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


class HeadOfficeServer:
    """A waitress server for ``app``; its request limit is the app's largest legitimate
    request (``app.max_request_bytes``): waitress refuses a larger ``Content-Length`` with 413
    before reading the body, and a chunked body as soon as it grows past it."""

    def __init__(self, app: HeadOfficeApp, *, host: str, port: int, threads: int = 8) -> None:
        self.app = app
        self._server = waitress.create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=CONNECTION_LIMIT,
            max_request_body_size=app.max_request_bytes + 1,  # waitress refuses >= this
            ident="terrain-headoffice",
        )
        self._map = getattr(self._server, "_map", None) or self._server.map
        for listener in self._map.values():
            if isinstance(listener, BaseWSGIServer):
                listener.channel_class = JsonErrorChannel
        self._thread: threading.Thread | None = None
        self._running = False
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return self._server.effective_port

    def run(self) -> None:
        """Serve until ``stop()`` (from another thread) or KeyboardInterrupt."""
        self._running = True
        self.app.start_background()
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def start(self) -> None:
        self._running = True
        self.app.start_background()
        self._thread = threading.Thread(target=self.run, name=f"headoffice-{self.port}")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker threads (each ends the request it is serving), then close the
        listening socket and every connection, then the database connections the threads
        opened, and the e-mail delivery worker (``app.close()``). Idempotent."""
        self._server.task_dispatcher.shutdown(timeout=STOP_TIMEOUT)
        wake = next((d for d in self._map.values() if isinstance(d, trigger)), None)
        if self._running and wake is not None and not self._stopped.is_set():
            # the loop thread closes every dispatcher itself (wasyncore is not thread-safe),
            # after the workers are gone (none writes to a closed socket); its map empty, the
            # loop returns
            try:
                wake.pull_trigger(lambda: wasyncore.close_all(self._map))
            except OSError:  # the trigger is already closed: the loop is ending by itself
                pass
            else:
                self._stopped.wait(STOP_TIMEOUT)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        wasyncore.close_all(self._map)  # what is left once the loop ended (Ctrl-C, never run)
        self.app.close()
