"""Links to call the site's contact and to drive to the site."""

from __future__ import annotations

from types import SimpleNamespace

import flet as ft
import pytest

from app.services.site_links import call_link, route_link
from app.views.detail.header import link_target

ADDRESS = "14 rue des Tuiliers, 69008 Lyon"


@pytest.mark.parametrize(
    ("phone", "link"),
    [
        ("06 12 34 56 78", "tel:0612345678"),
        ("04.78.00.12.34", "tel:0478001234"),
        ("+33 (0)4 78-00-12-34", "tel:+33478001234"),
        ("", None),
        ("  -  ", None),
    ],
)
def test_call_link_dials_the_digits_people_wrote(phone, link):
    assert call_link(phone) == link


def test_route_link_in_a_browser_opens_openstreetmap():
    assert route_link(ADDRESS, 45.7345, 4.8699, target="web") == (
        "https://www.openstreetmap.org/directions?to=45.734500%2C4.869900"
    )
    assert route_link(ADDRESS, None, None, target="web") == (
        "https://www.openstreetmap.org/search?query=14+rue+des+Tuiliers%2C+69008+Lyon"
    )


def test_route_link_on_a_phone_is_a_geo_uri_or_apple_plans():
    assert route_link(ADDRESS, 45.7345, 4.8699, target="phone") == (
        "geo:45.734500,4.869900?q=45.734500,4.869900"
    )
    assert route_link(ADDRESS, None, None, target="phone") == (
        "geo:0,0?q=14%20rue%20des%20Tuiliers,%2069008%20Lyon"
    )
    assert route_link(ADDRESS, None, None, target="ios") == (
        "https://maps.apple.com/?daddr=14+rue+des+Tuiliers%2C+69008+Lyon"
    )


@pytest.mark.parametrize(
    ("web", "platform", "target"),
    [
        (True, ft.PagePlatform.ANDROID, "web"),  # a browser on a phone: a maps page
        (False, ft.PagePlatform.ANDROID, "phone"),
        (False, ft.PagePlatform.IOS, "ios"),
        (False, ft.PagePlatform.WINDOWS, "web"),  # desktops have no geo: handler
    ],
)
def test_the_screen_picks_the_link_for_where_it_runs(web, platform, target):
    assert link_target(SimpleNamespace(web=web, platform=platform)) == target
