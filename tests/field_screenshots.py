"""Pictures of the field screens at phone (390x844) and tablet (1024x768) size, for the README
and for looking at a layout change: `python tests/field_screenshots.py` (Debian Chromium).

Starts `main.py run --web` in a temporary directory (embedded demo head office), signs in as
tech1 and saves to tests/artifacts/screenshots/shot-<size>-<screen>.png: Ma journée, the
intervention's summary (contact, "Appeler", "Itinéraire", the section switcher), a text answer
of the procedure, a serial-numbered part and a part the van holds none of, the settings (head
office's address) and the question signing out with unsent changes asks. It fails when where
the technician is going (customer, address, contact, access notes) is not on the first screen.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from e2e_support import DEMO_PASSWORD, by_id, chromium, open_page, running_app, screenshot, sign_in
from field_e2e_support import into_view, open_section, plan_for, scroll_to_top, tap, type_in

VAN = """SELECT p.reference, p.has_serial, v.quantity FROM van_stock_lines v
JOIN parts p ON p.id = v.part_id JOIN technicians t ON t.id = v.technician_id
JOIN users u ON u.id = t.user_id WHERE u.username = 'tech1' AND v.deleted = 0
ORDER BY p.reference"""


def shots(app, browser, size: tuple[int, int], plan=None):
    """The screens at ``size``; the job is started unless ``plan`` (the started one) is given;
    returns the plan."""
    tag = f"shot-{size[0]}x{size[1]}"
    page = open_page(browser, app.url, size)
    sign_in(page, "tech1", DEMO_PASSWORD)
    by_id(page, "my-day-today").wait_for()
    screenshot(page, f"{tag}-my-day")
    started = plan is not None
    plan = plan or plan_for(app.db_path, "tech1")
    tap(page, f"day-item-{plan.reference}")
    by_id(page, "detail-contact").wait_for()
    on_first_screen(page, size, ["detail-customer", "detail-contact", "detail-route"])
    if size[0] >= 600:  # tablet: the procedure shows beside the header
        by_id(page, "step-1").wait_for()
    screenshot(page, f"{tag}-detail")
    if not started:
        tap(page, "action-en_route")
        tap(page, "action-in_progress")
        by_id(page, "action-work_done").wait_for()
    text = next(i for i in plan.items if i.kind == "text")
    open_section(page, "procedure")
    type_in(page, text.ident, "Joint de porte foyer usé, à remplacer à la prochaine visite")
    tap(page, f"{text.ident}-save", force=True)
    by_id(page, f"{text.ident}-saved").wait_for()
    into_view(page, by_id(page, text.ident))
    screenshot(page, f"{tag}-procedure-text")
    with app.read_only_db() as con:
        van = con.execute(VAN).fetchall()
    serial = next(ref for ref, has_serial, _q in van if has_serial)
    empty = next((ref for ref, has_serial, q in van if not has_serial and q <= 0), None)
    open_section(page, "parts")
    for ref, name in ((serial, "serial"), (empty, "empty")):
        if ref is None:
            continue
        type_in(page, "parts-search", ref)
        by_id(page, f"part-use-{ref}").wait_for()
        into_view(page, by_id(page, f"part-{ref}"))
        screenshot(page, f"{tag}-parts-{name}")
    settings(page, tag, size)
    page.context.close()
    return plan


def on_first_screen(page, size: tuple[int, int], idents: list[str]) -> None:
    """Each of ``idents`` is drawn within the window without scrolling."""
    for ident in idents:
        box = by_id(page, ident).bounding_box()
        assert box is not None and box["y"] + box["height"] <= size[1], (ident, box, size)


def settings(page, tag: str, size: tuple[int, int]) -> None:
    """Réglages: head office's address tested; then "Se déconnecter" with unsent work."""
    nav = "nav-bar" if size[0] < 600 else "nav-rail"
    scroll_to_top(page)
    bar = by_id(page, nav)
    page.wait_for_timeout(500)
    for target in (
        bar.get_by_role("tab", name="Réglages"),
        bar.get_by_role("button", name="Réglages"),
        bar.get_by_text("Réglages"),
    ):
        if target.count():
            target.first.click()
            break
    else:
        raise AssertionError(f"no Réglages in {nav}: {bar.inner_html()[:2000]}")
    by_id(page, "settings-server-url").wait_for()
    tap(page, "settings-server-test")
    by_id(page, "settings-server-result").wait_for()
    page.wait_for_timeout(1500)  # the test's answer replaces "Test de …"
    screenshot(page, f"{tag}-settings")
    tap(page, "settings-signout")
    question = by_id(page, "signout-confirm")
    try:  # the procedure answer typed above may have been synced already
        question.wait_for(timeout=3000)
    except Exception:
        return
    screenshot(page, f"{tag}-signout-unsent")
    tap(page, "signout-confirm-cancel")


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "data", "--sync-interval", "3600") as app,  # keep work unsent
        chromium() as browser,
    ):
        plan = shots(app, browser, (390, 844))
        shots(app, browser, (1024, 768), plan)


if __name__ == "__main__":
    main()
