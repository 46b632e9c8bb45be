"""`main.py serve`: demo data in an empty head office, clean failures without tracebacks."""

from __future__ import annotations

import subprocess
import sys

import requests
from server_support import ROOT, running_serve


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "main.py", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_demo_fills_an_empty_database_then_serves_it_again(tmp_path):
    data_dir = tmp_path / "data"
    with running_serve(data_dir, "--demo") as served:
        assert requests.get(f"{served.base}/health", timeout=10).json()["status"] == "ok"
        login = requests.post(
            f"{served.base}/auth/login",
            json={"username": "tech1", "password": "demo", "device_id": "cli-device"},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        assert "tech1" in served.log() and "/api/v1/" in served.log()
    assert (data_dir / "headoffice.db").exists()
    with running_serve(data_dir, "--demo") as served:  # already filled: just serves
        assert "Demo data" not in served.log()
        again = requests.post(
            f"{served.base}/auth/login",
            json={"username": "tech1", "password": "demo", "device_id": "cli-device"},
            timeout=30,
        )
        assert again.status_code == 200


def test_serve_fails_cleanly(tmp_path):
    cases = [
        ("--db", "mysql://localhost/x"),
        ("--db", "postgresql://postgres@127.0.0.1:1/terrain"),
        ("--port", "70000"),
    ]
    for args in cases:
        result = serve("--data-dir", str(tmp_path), *args)
        assert result.returncode != 0, args
        assert "error" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_serve_reports_a_port_in_use(tmp_path):
    with running_serve(tmp_path / "a") as served:
        port = served.base.split(":")[2].split("/")[0]
        result = serve("--data-dir", str(tmp_path / "b"), "--port", port)
    assert result.returncode != 0
    assert "already in use" in result.stderr.lower() or "cannot listen" in result.stderr.lower()
    assert "Traceback" not in result.stderr
