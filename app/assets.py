"""Files the app ships in the top-level ``assets/`` directory: icon, favicon and fonts.

Found relative to this package, not the working directory, so a built app (``flet build``
keeps ``assets/`` next to the packaged ``app/``) finds them too. No Flet here: reports reuse
the fonts for PDFs.

The fonts are DejaVu Sans (regular and bold, Debian's ``fonts-dejavu-core``, licence in
``assets/fonts/LICENSE-DejaVu.txt``): it covers Latin, Greek and Cyrillic, arrows and common
symbols, so no screen depends on a font the device or a CDN may lack.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
ICON = "icon.png"

FONT_FAMILY = "DejaVu Sans"
FONT_FAMILY_BOLD = "DejaVu Sans Bold"
# Font family -> file, relative to ASSETS_DIR (the form ``page.fonts`` takes).
FONTS: dict[str, str] = {
    FONT_FAMILY: "fonts/DejaVuSans.ttf",
    FONT_FAMILY_BOLD: "fonts/DejaVuSans-Bold.ttf",
}


def font_path(bold: bool = False) -> Path:
    """The TTF file of the regular or bold face, e.g. to embed in a PDF."""
    return ASSETS_DIR / FONTS[FONT_FAMILY_BOLD if bold else FONT_FAMILY]
