"""The shell scripts a new user runs first: they say what they do while they do it."""

from __future__ import annotations

import re
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def test_setup_announces_the_install_and_lets_pip_show_its_progress():
    lines = (SCRIPTS / "setup.sh").read_text().splitlines()
    pip = [n for n, line in enumerate(lines) if "pip install" in line]
    assert pip, "setup.sh installs the packages with pip"
    for n in pip:
        assert not re.search(r"\s(-q+|--quiet)\b", lines[n]), lines[n]  # pip's progress shows
        assert any(line.strip().startswith("echo") for line in lines[max(0, n - 4) : n])
