"""Phone and tablet builds: what ``flet build`` would install and bundle, read from pyproject.toml.

``flet build apk|ipa`` installs ``[project].dependencies`` (plus ``[tool.flet.<platform>]
dependencies``) with ``--only-binary :all:`` on the build machine, faking only
``platform.system()`` (/work/shared/FLET_NOTES.md, "Mobile builds"): ``sys_platform`` stays the
build machine's. These tests evaluate the markers the same way with ``packaging``.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest
from flet_harness import FletHarness
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from PIL import Image

from app import assets
from app.views.theme import app_theme, apply_theme

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

PHONES = ("Android", "iOS")
DESKTOPS = ("Linux", "Windows", "Darwin")
BUILD_MACHINES = ("linux", "darwin", "win32")  # sys_platform where `flet build` runs
# Packages the device app must never pull in: the head office's (the [server] extra) and other
# server-side tools.
SERVER_ONLY = {"falcon", "waitress", "gunicorn", "psycopg2", "psycopg2-binary", "orjson", "pyhanko"}
# peewee releases that publish no wheel (checked with `pip download --only-binary :all:`
# on 2026-12-01: 3.17.x and 3.18.x have only sources; 3.19.0 and every 4.x have a
# py3-none-any wheel).
PEEWEE_WITHOUT_WHEEL = ("3.17.0", "3.17.9", "3.18.0", "3.18.3")
PEEWEE_FIRST_WHEEL = "3.19.0"
# What Flet 1.0's `flet build` can bundle (docs "Choosing a Python version"): it takes the
# highest one `requires-python` allows.
FLET_PYTHONS = ("3.12.13", "3.13.14", "3.14.6")
BUNDLED_PYTHON = "3.12"


def build_dependencies(platform_system: str) -> list[Requirement]:
    """The requirements ``flet build`` hands to pip for ``platform_system``."""
    config = PYPROJECT["tool"]["flet"].get(platform_system.lower(), {})
    return [
        Requirement(r)
        for r in [*PYPROJECT["project"]["dependencies"], *config.get("dependencies", [])]
    ]


def installed(platform_system: str, sys_platform: str) -> set[str]:
    """Names of the packages pip would install there (markers evaluated like the build does)."""
    environment = {**default_environment(), "platform_system": platform_system}
    environment["sys_platform"] = sys_platform
    return {
        req.name.lower()
        for req in build_dependencies(platform_system)
        if req.marker is None or req.marker.evaluate(environment)
    }


@pytest.mark.parametrize("sys_platform", BUILD_MACHINES)
@pytest.mark.parametrize("platform_system", PHONES)
def test_phones_get_the_full_opencv(platform_system, sys_platform):
    names = installed(platform_system, sys_platform)
    assert "opencv-python" in names
    assert "opencv-python-headless" not in names  # no recipe-built wheel to rely on


@pytest.mark.parametrize("sys_platform", BUILD_MACHINES)
@pytest.mark.parametrize("platform_system", DESKTOPS)
def test_desktops_and_servers_get_the_headless_opencv(platform_system, sys_platform):
    names = installed(platform_system, sys_platform)
    assert "opencv-python-headless" in names
    assert "opencv-python" not in names


def test_markers_name_platform_system_not_sys_platform():
    """`flet build` fakes platform.system() only: a sys_platform marker is never 'android'."""
    for platform_system in (*PHONES, *DESKTOPS):
        for req in build_dependencies(platform_system):
            assert "sys_platform" not in str(req.marker or ""), str(req)


@pytest.mark.parametrize("platform_system", (*PHONES, *DESKTOPS))
def test_no_server_only_package_in_the_device_app(platform_system):
    names = installed(platform_system, "linux")
    assert not names & SERVER_ONLY
    assert {"flet", "peewee", "requests", "pillow"} <= names


def test_the_server_extra_holds_the_server_packages():
    server = {
        Requirement(r).name.lower() for r in PYPROJECT["project"]["optional-dependencies"]["server"]
    }
    assert {"falcon", "waitress"} <= server


def test_peewee_is_pinned_to_releases_with_a_wheel():
    (peewee,) = [r for r in PYPROJECT["project"]["dependencies"] if Requirement(r).name == "peewee"]
    spec = Requirement(peewee).specifier
    lower = [Version(s.version) for s in spec if s.operator in (">=", ">", "==", "~=")]
    assert lower and min(lower) >= Version(PEEWEE_FIRST_WHEEL), peewee
    assert PEEWEE_FIRST_WHEEL in spec
    assert not any(v in spec for v in PEEWEE_WITHOUT_WHEEL)


def bundled_python(requires_python: str) -> str:
    """Flet 1.0's rule: the highest supported Python that requires-python allows."""
    spec = SpecifierSet(requires_python)
    matching = [Version(v) for v in FLET_PYTHONS if Version(v) in spec]
    assert matching, f"requires-python {requires_python!r} allows no Python flet can bundle"
    best = max(matching)
    return f"{best.major}.{best.minor}"


def test_the_bundled_python_is_named():
    assert bundled_python(">=3.11") == "3.14"  # what an open range would bundle
    assert bundled_python(PYPROJECT["project"]["requires-python"]) == BUNDLED_PYTHON
    assert Version("3.11.0") in SpecifierSet(PYPROJECT["project"]["requires-python"])  # dev/CI


def test_the_flet_app_settings_point_at_files_that_exist():
    app = PYPROJECT["tool"]["flet"]["app"]
    assert (ROOT / app["path"] / f"{app['module']}.py").is_file()
    for key in ("org", "product", "company"):
        assert PYPROJECT["tool"]["flet"][key]


def bundle_excludes(platform: str) -> set[str]:
    """What `flet build` leaves out for ``platform``: its own list, else the general one."""
    flet = PYPROJECT["tool"]["flet"]
    own = flet.get(platform, {}).get("app", {}).get("exclude")
    return set(own if own is not None else flet["app"].get("exclude", []))


@pytest.mark.parametrize("platform", ["android", "ios", "windows", "macos", "linux"])
def test_built_apps_leave_out_development_files_but_not_the_app(platform):
    excluded = bundle_excludes(platform)
    assert {".venv", "tests", "bench", "headoffice"} <= excluded
    assert not excluded & {"app", "assets", "main.py"}


def test_assets_hold_the_icon_and_the_fonts():
    assert assets.ASSETS_DIR == ROOT / "assets"
    with Image.open(assets.ASSETS_DIR / assets.ICON) as icon:
        assert icon.size == (512, 512)
    for family, path in assets.FONTS.items():
        data = (assets.ASSETS_DIR / path).read_bytes()
        assert data[:4] == b"\x00\x01\x00\x00", family  # a TrueType file
    assert assets.font_path(bold=True).name == "DejaVuSans-Bold.ttf"
    assert (assets.ASSETS_DIR / "fonts" / "LICENSE-DejaVu.txt").read_text().count("Bitstream")


def test_the_page_registers_the_shipped_fonts():
    async def scenario():
        harness = await FletHarness.start(apply_theme)
        return harness.page.fonts, harness.page.theme.font_family

    fonts, family = asyncio.run(scenario())
    assert fonts == assets.FONTS and family == assets.FONT_FAMILY
    assert app_theme().font_family == assets.FONT_FAMILY
