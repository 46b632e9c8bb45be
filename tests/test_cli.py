"""The command line: help, default command, and clear failures without tracebacks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import parse_args
from app.config import default_data_dir
from app.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def run_main(
    *args: str, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_the_commands():
    result = run_main("--help")
    assert result.returncode == 0
    for command in ("run", "demo"):
        assert command in result.stdout


def test_run_is_the_default_command():
    assert parse_args([]).command == "run"
    args = parse_args(["--web", "--port", "8600", "--user", "tech1"])
    assert (args.command, args.web, args.port, args.user) == ("run", True, 8600, "tech1")
    assert parse_args(["-v"]).command == "run"


def test_port_out_of_range_is_a_config_error():
    with pytest.raises(ConfigError, match="out of range"):
        parse_args(["run", "--port", "70000"])


@pytest.mark.parametrize(
    "argv", [["--bogus"], ["run", "--nope"], ["fly"], ["demo", "--size", "huge"]]
)
def test_bad_command_lines_exit_2_with_a_hint_and_no_traceback(argv):
    result = run_main(*argv)
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "--help" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_main("demo", "--data-dir", str(blocker / "sub"))
    assert result.returncode == 1
    assert "Cannot write in the data directory" in result.stderr
    assert "--data-dir" in result.stderr  # what to do next
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["run", "demo"])
def test_corrupt_database_is_refused_untouched(tmp_path, command):
    path = tmp_path / "terrain.db"
    path.write_bytes(b"garbage" * 1000)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result = run_main(command, "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "not a SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_demo_reset_refuses_to_delete_a_foreign_file(tmp_path):
    path = tmp_path / "terrain.db"
    path.write_bytes(b"precious, not ours")
    result = run_main("demo", "--reset", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert path.read_bytes() == b"precious, not ours"


def test_data_dir_honours_flet_storage(monkeypatch, tmp_path):
    monkeypatch.setenv("FLET_APP_STORAGE_DATA", str(tmp_path / "flet"))
    assert default_data_dir() == tmp_path / "flet"
    monkeypatch.delenv("FLET_APP_STORAGE_DATA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "terrain"


def test_run_syncs_with_the_given_head_office_or_an_embedded_one(monkeypatch):
    monkeypatch.delenv("TERRAIN_SERVER_URL", raising=False)
    args = parse_args(["run"])
    assert args.server is None and args.server_port is None and not args.no_demo
    args = parse_args(["run", "--server", "http://ho.example:8700", "--sync-interval", "30"])
    assert (args.server, args.sync_interval) == ("http://ho.example:8700", 30)
    monkeypatch.setenv("TERRAIN_SERVER_URL", "http://10.0.0.2:8700")
    assert parse_args(["run"]).server == "http://10.0.0.2:8700"
    with pytest.raises(ConfigError, match="out of range"):
        parse_args(["run", "--server-port", "0"])
    with pytest.raises(ConfigError, match="sync-interval"):
        parse_args(["run", "--sync-interval", "0"])


def test_run_help_explains_the_head_office():
    result = run_main("run", "--help")
    assert result.returncode == 0
    for text in ("--server", "TERRAIN_SERVER_URL", "embedded head office", "--server-port"):
        assert text in result.stdout


def test_the_embedded_head_office_is_a_serve_subprocess(tmp_path):
    from app.embedded_headoffice import serve_command

    command = serve_command(tmp_path / "headoffice", 8799, demo=True)
    assert command[1].endswith("main.py") and command[2] == "serve"
    assert command[command.index("--port") + 1] == "8799" and "--demo" in command
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "--demo" not in serve_command(tmp_path, 8799, demo=False)


def test_serve_is_handed_in_by_main_py(tmp_path, capsys):
    """`app.cli` knows `serve` only as the command `main.py` hands it (app/ never imports
    headoffice); without it the command is a clear error."""
    from app.cli import main

    seen = []

    def serve(args) -> int:
        seen.append(args)
        return 0

    assert main(["serve", "--data-dir", str(tmp_path), "--port", "8799"], serve=serve) == 0
    assert [(a.command, a.port, a.data_dir) for a in seen] == [("serve", 8799, tmp_path)]
    assert main(["serve", "--data-dir", str(tmp_path)]) == ConfigError.exit_code
    assert "no head office server" in capsys.readouterr().err
