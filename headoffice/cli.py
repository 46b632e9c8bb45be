"""``main.py serve``: open (and maybe fill) the head office database, then serve the API;
``main.py verify FILE.pdf``: check a PDF head office sealed.

The device app's command line (``app.cli``) parses the options; ``main.py`` hands this command
in, so that nothing in ``app/`` imports head office. falcon and waitress (the server extra)
are imported when the command runs, and their absence is a clear error.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from app.errors import ConfigError, DataDirError

log = logging.getLogger(__name__)


def serve(args: argparse.Namespace) -> int:
    """Head office: open (and maybe fill) its database, then serve the API with waitress."""
    from app.config import Settings

    try:
        import waitress  # noqa: F401 - the server extra

        from headoffice.app import ServerConfig, create_app, open_seal, smtp_from_env
        from headoffice.database import open_database
        from headoffice.sealing import DEMO_DIR
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
    config = ServerConfig(
        db_url=url,
        blob_dir=settings.data_dir / "headoffice-blobs",
        seal_dir=settings.data_dir / DEMO_DIR,
        smtp=smtp,
        **_seal_options(args),
    )
    seal = open_seal(config)  # a missing, locked or expired certificate stops here
    print(f"Sealing PDFs with {seal.subject} (until {seal.not_after:%Y-%m-%d})", flush=True)
    try:
        database = open_database(config.db_url, lock_timeout=config.lock_timeout)
    except OSError as exc:
        raise DataDirError(f"Cannot open {url}: {exc}.") from exc
    if args.demo:
        _fill_headoffice_demo()
    app = create_app(config, database, seal)
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


def _seal_options(args: argparse.Namespace) -> dict:
    """The seal certificate of the command line or environment (``--seal-cert`` and
    ``--seal-password-file``, else ``TERRAIN_SEAL_PASSWORD`` / ``_FILE``)."""
    import os

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
