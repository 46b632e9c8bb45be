"""Pictures of the visit's closing half at phone (390x844) and tablet (1024x768) size:
`python tests/signing_screenshots.py` (Debian Chromium, a few minutes).

Runs the closing steps of ``tests/closing_e2e_support.py`` once per size against one app
(each run takes the next assigned job of the day) and saves
tests/artifacts/screenshots/signing-<size>-{report,client-mode,client-drawn,client-signed,
follow-up,follow-up-saved}.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from closing_e2e_support import closing_scenario
from e2e_support import browser_page, chromium, running_app


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data") as app,
        chromium() as browser,
    ):
        for size in ((390, 844), (1024, 768)):
            with browser_page(browser, app.url, size, f"signing-{size[0]}") as page:
                closing_scenario(app, page, size, sync=False)


if __name__ == "__main__":
    main()
