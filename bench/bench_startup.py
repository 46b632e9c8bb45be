"""Cold start: from process launch to the first screen served, then rendered in Chromium.

"served" is the first HTTP 200 on ``/``; "rendered" is the sign-in field present in
Chromium's semantics tree. The bound is a hello-world Flet app measured the same way.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.datasets import demo_database
from bench.runner import ROOT, benchmark

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(url)


def _measure(browser, cmd: list[str], port: int, selector: str) -> dict:
    url = f"http://127.0.0.1:{port}/"
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(url, start + 60)
        served = time.monotonic() - start
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(url)
        page.locator("flt-semantics-placeholder").wait_for(state="attached", timeout=60_000)
        page.locator("flt-semantics-placeholder").evaluate("el => el.click()")
        page.locator(selector).first.wait_for(state="attached", timeout=60_000)
        rendered = time.monotonic() - start
        page.close()
        return {"served_s": served, "rendered_s": rendered}
    finally:
        proc.kill()
        proc.wait()


def _summary(samples: list[dict]) -> dict:
    return {
        key: round(statistics.median(s[key] for s in samples), 3)
        for key in ("served_s", "rendered_s")
    }


@benchmark("cold_start")
def cold_start(args) -> dict:
    from playwright.sync_api import sync_playwright

    small, _meta = demo_database("small")
    terrain, hello = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        shutil.copy(small, Path(tmp) / "terrain.db")
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            for _ in range(args.starts):
                port = _free_port()
                cmd = [sys.executable, "main.py", "run", "--web", "--host", "127.0.0.1",
                       "--port", str(port), "--data-dir", tmp]  # fmt: skip
                terrain.append(
                    _measure(browser, cmd, port, '[flt-semantics-identifier="signin-username"]')
                )
                port = _free_port()
                cmd = [sys.executable, "bench/hello_app.py", str(port)]
                hello.append(_measure(browser, cmd, port, '[flt-semantics-identifier="hello"]'))
        finally:
            browser.close()
    return {
        "starts": args.starts,
        "terrain": _summary(terrain),
        "hello_world_bound": _summary(hello),
        "note": "median over starts; demo database already present (small)",
    }
