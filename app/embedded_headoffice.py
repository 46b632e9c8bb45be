"""The head office that ``main.py run`` starts when no ``--server`` is given.

It runs ``main.py serve`` in a **subprocess**: head office and device both use the models'
one global database proxy, and the device app must never import ``headoffice`` (it is a
separate deployable with its own dependencies). The subprocess is stopped when the app
exits; on Linux it is also told to stop if the app dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from app.errors import ConfigError, RemoteError, TransportError

log = logging.getLogger(__name__)

MAIN = Path(__file__).resolve().parent.parent / "main.py"
HEALTH_TIMEOUT = 90.0  # s: the first start creates the demo company


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM when the app dies (even killed with SIGKILL)."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def serve_command(data_dir: Path, port: int, *, demo: bool) -> list[str]:
    command = [sys.executable, str(MAIN), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    return [*command, "--demo"] if demo else command


def _healthy(url: str) -> bool:
    from app.sync.transport import HttpTransport

    transport = HttpTransport(url, timeout=(1, 2), retries=0)
    try:
        return transport.health().get("status") == "ok"
    except (TransportError, RemoteError):
        return False
    finally:
        transport.close()


@contextlib.contextmanager
def embedded_head_office(
    data_dir: Path, *, port: int | None = None, demo: bool = True, timeout: float = HEALTH_TIMEOUT
) -> Iterator[str]:
    """Start ``main.py serve`` on 127.0.0.1 with ``data_dir``; yield its URL once healthy."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data_dir / "headoffice.log"
    command = serve_command(data_dir, port, demo=demo)
    log.info("starting the embedded head office: %s", " ".join(command))
    with log_path.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-1500:]
                raise ConfigError(
                    f"The embedded head office stopped (exit code {process.returncode}):\n{tail}",
                    hint="Choose another --server-port, or give --server URL of a running "
                    "head office.",
                )
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"The embedded head office did not answer within {timeout:.0f} s "
                    f"(log: {log_path}).",
                    hint="Look at the log, or give --server URL of a running head office.",
                )
            time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.info("embedded head office stopped")
