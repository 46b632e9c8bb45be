"""Command line: parse, open the data directory and database, start the requested command.

Every expected failure (bad option, unwritable folder, corrupt or too-new database) ends
with a clear message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from app import __version__, clock
from app.errors import ConfigError, TerrainError

log = logging.getLogger(__name__)

_GLOBAL_OPTIONS = ("-h", "--help", "--version", "-v", "--verbose")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse prints usage and exits 2: keep that, add a hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n  -> Run `python main.py --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description="Terrain: offline-first field-service app.")
    parser.add_argument("--version", action="version", version=f"terrain {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    data_dir = _Parser(add_help=False)
    data_dir.add_argument(
        "--data-dir",
        type=Path,
        help="where the local database and media live "
        "(default: $FLET_APP_STORAGE_DATA, else ~/.local/share/terrain)",
    )

    run = sub.add_parser(
        "run",
        parents=[data_dir],
        help="run the app (default command)",
        description="Run the device app. It gets its data by syncing with head office: "
        "--server URL, else the address chosen in the app's settings, else "
        "$TERRAIN_SERVER_URL, else an embedded head office started as a "
        "subprocess on 127.0.0.1 with the demo company, in <data-dir>/headoffice, and "
        "stopped when the app exits. The device itself creates no demo data.",
    )
    run.add_argument(
        "--web", action="store_true", help="serve in a browser (default without a display)"
    )
    run.add_argument(
        "--host", default="127.0.0.1", help="web mode: address to bind (default 127.0.0.1)"
    )
    run.add_argument("--port", type=int, default=8550, help="web mode: port (default 8550)")
    run.add_argument("--user", help="prefill the sign-in form with this user name")
    run.add_argument(
        "--server",
        metavar="URL",
        default=os.environ.get("TERRAIN_SERVER_URL") or None,
        help="head office to sync with, e.g. http://127.0.0.1:8700 (default: the address "
        "chosen in the app's settings, else $TERRAIN_SERVER_URL; without any, an embedded "
        "head office is started)",
    )
    run.add_argument(
        "--server-port",
        type=int,
        help="embedded head office: port on 127.0.0.1 (default: a free port)",
    )
    run.add_argument(
        "--no-demo",
        action="store_true",
        help="embedded head office: start it with an empty database instead of the demo "
        "company (nobody can sign in until users exist there)",
    )
    run.add_argument(
        "--sync-interval",
        type=float,
        default=60,
        help="seconds between background syncs (default 60)",
    )

    demo = sub.add_parser("demo", parents=[data_dir], help="create the demo data")
    demo.add_argument("--reset", action="store_true", help="delete the local database first")
    demo.add_argument(
        "--size",
        choices=("small", "large"),
        default="small",
        help="small: a realistic company; large: >= 100k interventions (benchmarks)",
    )
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    serve = sub.add_parser(
        "serve", parents=[data_dir], help="run the head office server (needs the server extra)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    serve.add_argument(
        "--db",
        help="database URL: sqlite:///path or postgresql://user@host:port/dbname "
        "(default: sqlite:///<data-dir>/headoffice.db)",
    )
    serve.add_argument(
        "--demo", action="store_true", help="fill an empty head office database with demo data"
    )
    serve.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default 1: waitress; N > 1: gunicorn, Linux and PostgreSQL)",
    )
    serve.add_argument(
        "--blob-store",
        default=os.environ.get("TERRAIN_BLOB_STORE") or None,
        metavar="DIR|s3://BUCKET[/PREFIX]",
        help="where blobs are kept: a directory, or an S3-compatible bucket (endpoint and "
        "credentials from $TERRAIN_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY) "
        "(default: $TERRAIN_BLOB_STORE, else <data-dir>/headoffice-blobs)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log one line per request with the worker's process id (with --workers > 1)",
    )
    smtp = serve.add_argument_group(
        "e-mail of validated slips (default: $TERRAIN_SMTP_HOST, _PORT, _USER, _PASSWORD, "
        "_TLS, _SENDER)"
    )
    smtp.add_argument("--smtp-host", help="SMTP server host")
    smtp.add_argument("--smtp-port", type=int, help="SMTP port (default 587)")
    smtp.add_argument("--smtp-user", help="SMTP user name (none: no authentication)")
    smtp.add_argument("--smtp-tls", choices=("starttls", "ssl", "none"), help="default starttls")
    smtp.add_argument("--smtp-sender", help="From address of the e-mails")

    media = sub.add_parser(
        "import-media",
        parents=[data_dir],
        help="add photos and videos to an intervention of this device's store",
        description="Check and add files to an intervention, through the same pipeline as the "
        "app (orientation, GPS removed, resized, thumbnail). One line per file; exit 1 if a "
        "file was refused (nothing is stored for it; the others are added). The media sync "
        "with the app's next sync.",
    )
    media.add_argument("--intervention", required=True, metavar="REF", help="its reference")
    media.add_argument(
        "--phase", choices=("before", "after", "other"), default="other", help="default other"
    )
    media.add_argument(
        "--user",
        help="author of the media (default: the intervention's technician, else an office "
        "user of this store)",
    )
    media.add_argument("files", nargs="+", type=Path, metavar="FILE")
    serve.add_argument(
        "--seal-cert",
        type=Path,
        default=os.environ.get("TERRAIN_SEAL_CERT") or None,
        metavar="FILE.p12",
        help="the company's certificate and key (PKCS#12) that seals the PDFs (default: "
        "$TERRAIN_SEAL_CERT; without either, a demo certificate made in "
        "<data-dir>/headoffice-seal on first start)",
    )
    serve.add_argument(
        "--seal-password-file",
        type=Path,
        metavar="FILE",
        help="file holding the PKCS#12 password (default: $TERRAIN_SEAL_PASSWORD, "
        "else $TERRAIN_SEAL_PASSWORD_FILE)",
    )

    verify = sub.add_parser(
        "verify",
        parents=[data_dir],
        help="check a sealed PDF (needs the server extra)",
        description="Check a PDF head office sealed: the seal intact and covering the whole "
        "file, the certificate the company's (trusted from <data-dir>/headoffice-seal/"
        "trust.pem, or --trust), and the embedded canonical content against its hash. "
        "Exit 0 intact, 1 altered (or not sealed by a trusted certificate), 2 not a sealed "
        "Terrain document.",
    )
    verify.add_argument("file", type=Path, metavar="FILE.pdf", help="the PDF to check")
    verify.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        metavar="CERT.pem",
        help="also trust this certificate (PEM or DER; repeatable)",
    )
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; ``run`` is the default (``main.py --web`` means ``main.py run --web``)."""
    argv = list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in _GLOBAL_OPTIONS):
        argv = ["run", *argv]
    args = build_parser().parse_args(argv)
    if args.command is None:  # only global options were given
        args = build_parser().parse_args([*argv, "run"])
    for name in ("port", "server_port"):
        port = getattr(args, name, None)
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"Port {port} is out of range (1-65535).")
    for name in ("workers", "threads"):
        if getattr(args, name, 1) < 1:
            raise ConfigError(f"--{name} must be at least 1.")
    if getattr(args, "sync_interval", 1) <= 0:
        raise ConfigError("--sync-interval must be a positive number of seconds.")
    return args


Command = Callable[[argparse.Namespace], int]


def main(
    argv: list[str] | None = None,
    *,
    serve: Command | None = None,
    verify: Command | None = None,
) -> int:
    """Run the command named in ``argv``. ``serve`` and ``verify``: the head office commands,
    handed in by ``main.py`` (the device app never imports ``headoffice``)."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        clock.configure_from_env()  # TERRAIN_CLOCK: tests move the date of every process
    except SystemExit as exc:  # argparse: --help, --version or a usage error already printed
        return int(exc.code or 0)
    except TerrainError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "import-media":
            from app.import_media import import_media

            return import_media(args)
        if args.command == "serve":
            if serve is None:
                raise ConfigError(
                    "This build of Terrain has no head office server.",
                    hint="Run `python main.py serve` from a source checkout with the server extra.",
                )
            return serve(args)
        if args.command == "verify":
            if verify is None:
                raise ConfigError(
                    "This build of Terrain cannot check sealed PDFs.",
                    hint="Run `python main.py verify` from a source checkout with the server "
                    "extra.",
                )
            return verify(args)
        return _run(args)
    except TerrainError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _open(args: argparse.Namespace):
    from app.config import Settings
    from app.models.database import open_sqlite

    settings = Settings.for_dir(args.data_dir)
    return settings, open_sqlite(settings.db_path)


def _demo(args: argparse.Namespace) -> int:
    from app.config import Settings
    from app.demo import ACCOUNTS_HELP, generate

    settings = Settings.for_dir(args.data_dir)
    if args.reset:
        from app.models.database import read_schema_version

        read_schema_version(settings.db_path)  # refuse to delete what is not ours
        for suffix in ("", "-wal", "-shm"):
            Path(f"{settings.db_path}{suffix}").unlink(missing_ok=True)
    _settings, database = _open(args)
    summary = generate(size=args.size, seed=args.seed)
    database.close()
    print(f"Demo data ({args.size}) in {settings.db_path}: {summary}")
    print(ACCOUNTS_HELP)
    return 0


def _run(args: argparse.Namespace) -> int:
    """The device app: its own database, synced with head office (``--server``, or an
    embedded one started as a subprocess); it makes no data of its own."""
    from app.config import Settings
    from app.sync import tracking
    from app.sync.store import open_device_db

    settings = Settings.for_dir(args.data_dir)
    database = open_device_db(settings.db_path)  # refuse a bad data dir or database first
    tracking.install()
    try:
        from app.services import server_address

        env = os.environ.get("TERRAIN_SERVER_URL") or None  # also the default of --server
        explicit = args.server if args.server and args.server != env else None
        url = server_address.at_start(explicit, server_address.stored(), env)
        if url:
            return _run_app(args, database, url.rstrip("/"))
        from app.embedded_headoffice import embedded_head_office

        with embedded_head_office(
            settings.data_dir / "headoffice", port=args.server_port, demo=not args.no_demo
        ) as url:
            if not args.no_demo:
                from app.demo import ACCOUNTS_HELP

                print(ACCOUNTS_HELP)
            return _run_app(args, database, url, embedded=True)
    finally:
        database.close()


def _run_app(args: argparse.Namespace, database, server_url: str, embedded: bool = False) -> int:
    import flet as ft

    from app.assets import ASSETS_DIR
    from app.services.registry import Services
    from app.services.session_service import SessionService, http_transport_factory
    from app.views import build_app

    session = SessionService(
        database,
        http_transport_factory(server_url),
        interval=args.sync_interval,
        server_url=server_url,
    )
    web = args.web or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY"))
    services = Services(session=session)
    app_main = build_app(services, prefill_user=args.user)
    kind = "embedded head office" if embedded else "head office"
    print(f"Syncing with the {kind} at {server_url}/api/v1/", flush=True)
    if web:
        print(f"Terrain is running at http://{args.host}:{args.port}/", flush=True)
    try:
        if web:  # Flet's app plus the links a browser-side video player loads (docs/media.md)
            from app.web_server import serve

            serve(app_main, host=args.host, port=args.port, assets_dir=str(ASSETS_DIR))
        else:
            ft.run(
                app_main, view=ft.AppView.FLET_APP, host=args.host, port=args.port,
                assets_dir=str(ASSETS_DIR), no_cdn=True,
            )  # fmt: skip
    finally:
        services.jobs.shutdown(wait=False)  # running jobs stop at their next progress report
        session.close()
    return 0
