"""``main.py serve``: open (and maybe fill) the head office database, then serve the API.

The device app's command line (``app.cli``) parses the options; ``main.py`` hands this command
in, so that nothing in ``app/`` imports head office. falcon and waitress (the server extra)
are imported when the command runs, and their absence is a clear error.
"""

from __future__ import annotations

import argparse
import logging

from app.errors import ConfigError, DataDirError

log = logging.getLogger(__name__)


def serve(args: argparse.Namespace) -> int:
    """Head office: open (and maybe fill) its database, then serve the API with waitress."""
    from app.config import Settings

    try:
        import waitress  # noqa: F401 - the server extra

        from headoffice.app import ServerConfig, create_app, smtp_from_env
        from headoffice.database import open_database
        from headoffice.server import HeadOfficeServer
    except ImportError as exc:
        raise ConfigError(
            f"The head office server needs a package that is not installed ({exc.name}).",
            hint="Install the server extra: pip install '.[server]'.",
        ) from exc
    settings = Settings.for_dir(args.data_dir)
    url = args.db or f"sqlite:///{settings.data_dir / 'headoffice.db'}"
    smtp = smtp_from_env(
        host=getattr(args, "smtp_host", None),
        port=getattr(args, "smtp_port", None),
        user=getattr(args, "smtp_user", None),
        tls=getattr(args, "smtp_tls", None),
        sender=getattr(args, "smtp_sender", None),
    )  # the password only from $TERRAIN_SMTP_PASSWORD: not on the command line (ps)
    config = ServerConfig(db_url=url, blob_dir=settings.data_dir / "headoffice-blobs", smtp=smtp)
    try:
        database = open_database(config.db_url, lock_timeout=config.lock_timeout)
    except OSError as exc:
        raise DataDirError(f"Cannot open {url}: {exc}.") from exc
    if args.demo:
        _fill_headoffice_demo()
    app = create_app(config, database)
    try:
        server = HeadOfficeServer(app, host=args.host, port=args.port, threads=args.threads)
    except OSError as exc:
        app.close()
        raise ConfigError(
            f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}.",
            hint="Choose another --port, or stop the program using this one.",
        ) from exc
    print(f"Terrain head office is serving {_safe_url(url)} at {_server_url(args)}", flush=True)
    try:
        server.run()
    finally:
        server.stop()
    return 0


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
