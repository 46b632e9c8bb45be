"""Links that hand the job over to the phone: call the site's contact, drive to the site.

Pure functions: the screen picks the target (``web`` in a browser, else the phone's
platform) and opens the link with the platform's launcher.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

OSM = "https://www.openstreetmap.org"


def call_link(phone: str) -> str | None:
    """``tel:`` link for a phone number as people write it (``06 12 34 56 78``,
    ``+33 (0)4 78-00-12-34``); None when there is no number to dial."""
    text = (phone or "").strip()
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if len(digits) < 3:
        return None
    return f"tel:{'+' if text.startswith('+') else ''}{digits}"


def route_link(
    address: str, latitude: float | None, longitude: float | None, *, target: str
) -> str:
    """Directions to the site, by its coordinates when known, else by its address.

    ``target``: "web" (a browser: OpenStreetMap), "ios" (Apple Plans), anything else a
    phone's ``geo:`` URI (Android opens the navigation app the technician chose)."""
    at = f"{latitude:.6f},{longitude:.6f}" if latitude is not None and longitude is not None else ""
    if target == "web":
        if at:
            return f"{OSM}/directions?{urlencode({'to': at})}"
        return f"{OSM}/search?{urlencode({'query': address})}"
    if target == "ios":
        return "https://maps.apple.com/?" + urlencode({"daddr": at or address})
    return f"geo:{at or '0,0'}?q={quote(at or address, safe=',')}"
