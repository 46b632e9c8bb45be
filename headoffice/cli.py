"""``main.py serve``: open (and maybe fill) the head office database, then serve the API;
``main.py verify FILE.pdf``: check a PDF head office sealed.

The device app's command line (``app.cli``) parses the options; ``main.py`` hands this command
in, so that nothing in ``app/`` imports head office. falcon and waitress (the server extra)
are imported when the command runs, and their absence is a clear error.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from app.errors import ConfigError, DataDirError

log = logging.getLogger(__name__)


def serve(args: argparse.Namespace) -> int:
    """Head office: open (and maybe fill) its database, then serve the API: waitress in this
    process, or ``--workers N`` gunicorn worker processes (``headoffice.workers``)."""
    from app.config import Settings

    workers = getattr(args, "workers", 1) or 1
    if workers > 1 and sys.platform == "win32":
        raise ConfigError(
            "Several worker processes (--workers) need gunicorn, which does not run on Windows.",
            hint="Serve with one process (--workers 1, waitress), or run head office on Linux.",
        )
    try:
        import waitress  # noqa: F401 - the server extra

        from headoffice.app import (
            ServerConfig,
            blob_store_from,
            create_app,
            open_blob_files,
            open_seal,
            smtp_from_env,
        )
        from headoffice.database import close_database, open_database
        from headoffice.sealing import DEMO_DIR
        from headoffice.server import HeadOfficeServer

        if workers > 1:
            import gunicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"The head office server needs a package that is not installed ({exc.name}).",
            hint="Install the server extra: pip install '.[server]'.",
        ) from exc
    settings = Settings.for_dir(args.data_dir)
    url = args.db or f"sqlite:///{settings.data_dir / 'headoffice.db'}"
    if workers > 1 and not url.startswith(("postgresql:", "postgres:")):
        raise ConfigError(
            "Several worker processes need PostgreSQL; SQLite is for one process.",
            hint="Give --db postgresql://user@host:port/dbname, or serve with --workers 1.",
        )
    smtp = smtp_from_env(
        host=getattr(args, "smtp_host", None),
        port=getattr(args, "smtp_port", None),
        user=getattr(args, "smtp_user", None),
        tls=getattr(args, "smtp_tls", None),
        sender=getattr(args, "smtp_sender", None),
    )  # the password only from $TERRAIN_SMTP_PASSWORD: not on the command line (ps)
    blob_store = getattr(args, "blob_store", None)
    s3 = blob_store_from(blob_store) if blob_store and blob_store.startswith("s3:") else None
    blob_dir = settings.data_dir / "headoffice-blobs"
    if blob_store and s3 is None:
        blob_dir = Path(blob_store).expanduser()
    config = ServerConfig(
        db_url=url,
        blob_dir=blob_dir,
        seal_dir=settings.data_dir / DEMO_DIR,
        smtp=smtp,
        s3=s3,
        **_seal_options(args),
    )
    # What must happen once happens here, before any worker exists: the seal (the demo
    # certificate made on first start), the migrations, the demo data, the bucket reached.
    seal = open_seal(config)  # a missing, locked or expired certificate stops here
    print(f"Sealing PDFs with {seal.subject} (until {seal.not_after:%Y-%m-%d})", flush=True)
    if workers > 1:
        _check_port(args.host, args.port)
    try:
        database = open_database(config.db_url, lock_timeout=config.lock_timeout)
    except OSError as exc:
        raise DataDirError(f"Cannot open {url}: {exc}.") from exc
    if args.demo:
        _fill_headoffice_demo()
    where = s3.url if s3 is not None else str(config.blob_dir)
    if workers > 1:
        open_blob_files(config).close()  # an unreachable bucket stops here, once
        close_database(database)  # the workers open their own connections after the fork
        return _serve_workers(args, config, seal, url, where, workers)
    try:
        app = create_app(config, database, seal)  # an unreachable bucket stops here
    except Exception:
        close_database(database)
        raise
    try:
        server = HeadOfficeServer(app, host=args.host, port=args.port, threads=args.threads)
    except OSError as exc:
        app.close()
        raise ConfigError(
            f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.",
            hint="Choose another --port, or stop the program using this one.",
        ) from exc
    print(f"Blobs in {where}", flush=True)
    print(f"Terrain head office is serving {_safe_url(url)} at {_server_url(args)}", flush=True)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.run()  # returns on SIGTERM or Ctrl-C (waitress ends its loop on SystemExit)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    print("Terrain head office stopped", flush=True)
    return 0


def _stop_on_sigterm(signum, frame) -> None:
    """SIGTERM (a service manager, ``kill``): end the serving loop as Ctrl-C does; ``serve``
    then stops the threads and closes the connections (``HeadOfficeServer.stop``)."""
    raise SystemExit(0)


def _serve_workers(args, config, seal, url: str, where: str, workers: int) -> int:
    from headoffice.workers import WorkerServer

    host = f"[{args.host}]" if ":" in args.host else args.host
    server = WorkerServer(
        config,
        seal,
        bind=f"{host}:{args.port}",
        workers=workers,
        threads=args.threads,
        access_log=getattr(args, "access_log", False),
    )
    print(f"Blobs in {where}", flush=True)
    print(
        f"Terrain head office is serving {_safe_url(url)} at {_server_url(args)} "
        f"with {workers} worker processes of {args.threads} threads",
        flush=True,
    )
    master = os.getpid()
    try:
        server.run()  # gunicorn's arbiter: until SIGTERM / SIGINT, then a graceful stop
    except SystemExit as exc:
        if os.getpid() != master:  # a worker ending: its exit, not the master's return
            raise
        if exc.code not in (None, 0):
            raise ConfigError(
                f"The worker processes stopped with status {exc.code}.",
                hint="See the messages above (a worker that cannot start, a port in use).",
            ) from exc
    print("Terrain head office stopped", flush=True)
    return 0


def _check_port(host: str, port: int) -> None:
    """A port in use is a message, not gunicorn's retries (the master binds it just after)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint="Choose another --port, or stop the program using this one.",
            ) from exc


def _seal_options(args: argparse.Namespace) -> dict:
    """The seal certificate of the command line or environment (``--seal-cert`` and
    ``--seal-password-file``, else ``TERRAIN_SEAL_PASSWORD`` / ``_FILE``)."""
    from headoffice.sealing import read_password

    cert = getattr(args, "seal_cert", None)
    if cert is None:
        return {}
    password_file = getattr(args, "seal_password_file", None)
    if password_file is not None:
        password = read_password(password_file)
    elif "TERRAIN_SEAL_PASSWORD" in os.environ:
        password = os.environ["TERRAIN_SEAL_PASSWORD"]
    elif os.environ.get("TERRAIN_SEAL_PASSWORD_FILE"):
        password = read_password(os.environ["TERRAIN_SEAL_PASSWORD_FILE"])
    else:
        password = None
    return {"seal_cert": Path(cert), "seal_password": password}


def verify(args: argparse.Namespace) -> int:
    """Check a sealed PDF; prints each check; exit 0 intact, 1 altered, 2 not sealed."""
    try:
        from headoffice.verify import NOT_SEALED, load_trust, verify_pdf
    except ImportError as exc:
        raise ConfigError(
            f"Checking a sealed PDF needs a package that is not installed ({exc.name}).",
            hint="Install the server extra: pip install '.[server]'.",
        ) from exc
    for name in ("pyhanko", "pyhanko_certvalidator"):  # the verdict says it all
        logging.getLogger(name).setLevel(logging.CRITICAL)
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return NOT_SEALED
    data_dir = args.data_dir or _default_dir()
    trust = load_trust(data_dir, args.trust)
    verdict = verify_pdf(data, trust)
    print(f"{path}:")
    for line in verdict.lines():
        print(f"  {line}")
    return verdict.code


def _default_dir() -> Path | None:
    """The default data directory, if it exists (verify never creates one)."""
    from app.config import default_data_dir

    path = default_data_dir()
    return path if path.is_dir() else None


def _fill_headoffice_demo() -> None:
    from app.demo import ACCOUNTS_HELP, is_empty
    from headoffice.demo import fill_demo

    if not is_empty():
        log.info("head office database already has data: serving it as it is")
        return
    summary, stamped = fill_demo()
    print(f"Demo data: {summary} ({stamped} rows versioned)")
    print(ACCOUNTS_HELP, flush=True)


def _server_url(args: argparse.Namespace) -> str:
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"http://{host}:{args.port}/api/v1/"


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
