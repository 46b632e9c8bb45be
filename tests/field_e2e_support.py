"""What the field end-to-end tests need besides the browser: the plan of the job (read from
the device's SQLite file, read-only), tapping, scrolling and typing into a field found by test
id, the steps of the visit they share (a section opened, the procedure answered), and the head
office checks (its SQLite file, read-only)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from e2e_support import by_id, screenshot

from app import clock
from app.views.detail.blocks import slug

ASSIGNED_TODAY = """
SELECT i.id, i.reference, i.procedure_id, i.equipment_id, t.id
FROM interventions i
JOIN technicians t ON t.id = i.technician_id JOIN users u ON u.id = t.user_id
WHERE u.username = ? AND i.deleted = 0 AND i.status = 'assigned'
  AND date(i.scheduled_start) = ?
ORDER BY {order} LIMIT 1
"""
FIRST = "i.scheduled_start"
FEWEST_REQUIRED = """(SELECT count(*) FROM checklist_items c
          JOIN procedure_steps s ON s.id = c.step_id
          WHERE s.procedure_id = i.procedure_id AND c.required = 1), i.scheduled_start"""
ITEMS = """
SELECT s.position, c.position, c.kind, c.required, c.min_value, c.max_value, c.meter_name,
       c.id, c.label
FROM procedure_steps s JOIN checklist_items c ON c.step_id = s.id
WHERE s.procedure_id = ? AND s.deleted = 0 AND c.deleted = 0
ORDER BY s.position, c.position
"""
METERS = """
SELECT m.name, (SELECT r.value FROM meter_readings r WHERE r.meter_id = m.id AND r.deleted = 0
                ORDER BY r.read_at DESC LIMIT 1)
FROM meters m WHERE m.equipment_id = ? AND m.deleted = 0 ORDER BY m.name
"""
VAN_PARTS = """
SELECT p.reference FROM van_stock_lines v JOIN parts p ON p.id = v.part_id
WHERE v.technician_id = ? AND v.deleted = 0 AND v.quantity >= 2 AND p.has_serial = 0
ORDER BY p.reference LIMIT 2
"""


@dataclass
class Item:
    ident: str  # "item-<step>-<item>"
    kind: str
    required: bool
    low: float | None
    high: float | None
    meter: str
    id: str  # the checklist item's id: the report's line is "item:<id>"
    label: str


@dataclass
class JobPlan:
    id: str
    reference: str
    items: list[Item]
    meters: dict[str, float]  # meter name -> last value (0 when never read)
    parts: list[str]  # two van parts, by reference

    def reading(self, meter: str) -> str:
        """A plausible new reading: a little more than the last one."""
        return f"{self.meters.get(meter, 0) + 37:g}"


def plan_for(db_path: Path, username: str, *, fewest_required: bool = False) -> JobPlan:
    """The plan of ``username``'s first assigned job today (by time, or the one whose
    procedure has the fewest required items: the quickest to close)."""
    query = ASSIGNED_TODAY.format(order=FEWEST_REQUIRED if fewest_required else FIRST)
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        row = con.execute(query, (username, clock.today().isoformat())).fetchone()
        assert row, f"{username} has no assigned intervention today in {db_path}"
        job_id, reference, procedure_id, equipment_id, technician_id = row
        items = [
            Item(f"item-{s}-{i}", kind, bool(req), lo, hi, meter or "", item_id, label)
            for s, i, kind, req, lo, hi, meter, item_id, label in con.execute(
                ITEMS, (procedure_id,)
            )
        ]
        meters = {n: v or 0 for n, v in con.execute(METERS, (equipment_id,))}
        parts = [r for (r,) in con.execute(VAN_PARTS, (technician_id,))]
    return JobPlan(job_id, reference, items, meters, parts)


ANSWERED = """
SELECT s.position, c.position, coalesce(a.comment, '') FROM checklist_answers a
JOIN checklist_items c ON c.id = a.item_id JOIN procedure_steps s ON s.id = c.step_id
WHERE a.intervention_id = ? AND a.deleted = 0
  AND (a.value_number IS NOT NULL OR coalesce(a.value_text, '') <> '')
"""


def answered(db_path: Path, job_id: str) -> dict[str, str]:
    """Test id -> comment of the items answered in the device's database."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        return {f"item-{s}-{i}": comment for s, i, comment in con.execute(ANSWERED, (job_id,))}


def inside(item: Item) -> str:
    """A value within the item's tolerance, as typed in French."""
    lo, hi = item.low, item.high
    value = (lo + hi) / 2 if lo is not None and hi is not None else lo if lo is not None else hi
    return f"{value if value is not None else 1:g}".replace(".", ",")


def outside(item: Item) -> str:
    """A value just out of tolerance (still plausible)."""
    span = abs((item.high or 0) - (item.low or 0)) or 1
    value = item.high + span / 2 if item.high is not None else item.low - span / 2
    return f"{value:g}".replace(".", ",")


def meter_ident(name: str) -> str:
    return f"meter-{slug(name)}"


TOP, BOTTOM = 50, 90  # px kept clear: the sync badge above, a phone's navigation bar below


def into_view(page, locator) -> None:
    """Scroll until ``locator`` is in view, with the mouse wheel, as a user would (sideways
    first for a widget in a row that scrolls sideways, such as a phone's section pills).

    Flutter owns the scrolling: a DOM ``scrollIntoView`` on the semantics tree can leave the
    tree scrolled while the canvas is not, and a click then lands on what is painted there
    (seen in CI: the tapped field focused at its old place, under another one). The wheel
    scrolls the pane under the pointer; the semantics tree follows a frame later. A first
    one-pixel nudge refreshes a tree left stale by content that shrank under a scrolled pane
    (Flutter clamps the offset without telling it).
    """
    height = page.viewport_size["height"]
    nudged = False
    for _attempt in range(15):
        box = locator.bounding_box()
        if box is None:  # not laid out yet
            page.wait_for_timeout(100)
            continue
        if not nudged:  # a real scroll, however small, brings the semantics tree up to date
            nudged = True
            page.mouse.move(box["x"] + min(box["width"] / 2, 40), height / 2)
            page.mouse.wheel(0, -1)
            page.mouse.wheel(0, 1)
            page.wait_for_timeout(150)
            continue
        middle = box["y"] + box["height"] / 2
        width = page.viewport_size["width"]
        if box["x"] < 0 or box["x"] + box["width"] > width:  # in a row scrolled sideways
            page.mouse.move(width / 2, middle)
            page.mouse.wheel(box["x"] + box["width"] / 2 - width / 2, 0)
            page.wait_for_timeout(300)
            continue
        if box["y"] >= TOP and box["y"] + box["height"] <= height - BOTTOM:
            return
        page.mouse.move(box["x"] + min(box["width"] / 2, 40), height / 2)
        page.mouse.wheel(0, middle - height / 2)
        page.wait_for_timeout(300)
        after = locator.bounding_box()
        if after is not None and after["y"] == box["y"]:
            return  # the pane cannot scroll further: as good as it gets


def scroll_to_top(page) -> None:
    """Scroll every pane back to its top with the mouse wheel (phone: the page; tablet: both
    panes), as a technician does to reach the section switcher.

    Switching to a shorter section while scrolled down makes Flutter clamp the scroll offset
    without telling the semantics tree, whose widgets then sit where they were painted
    before (seen in CI: a field's node 151 px below the field): back at the top first, the
    offset never needs clamping.
    """
    size = page.viewport_size
    for x in (size["width"] * 0.25, size["width"] * 0.75):
        page.mouse.move(x, size["height"] / 2)
        page.mouse.wheel(0, -20_000)
    page.wait_for_timeout(300)


def tap(page, ident: str, *, within: str | None = None, force: bool = False) -> None:
    """Click the widget tagged ``ident`` (or its button named ``within``) as a finger would.

    A text field that still has the focus would take the click only to lose it (the button
    under the finger would not fire): blur it first. ``force`` taps even a disabled button
    (a save button that leaving the field has just made useless) instead of waiting for it.
    """
    blur(page)
    target = by_id(page, ident)
    if within:
        target = target.get_by_role("button", name=within)
    into_view(page, target)
    target.click(force=force)


FOCUSED = """n => { const el = document.activeElement;
    if (!el) return false;
    if (n.contains(el)) return true;
    if (!el.classList.contains("flt-text-editing")) return false;
    // Flutter's hidden editing input sits over the field being edited: it must be this one
    const a = el.getBoundingClientRect(), b = n.getBoundingClientRect();
    const x = a.left + a.width / 2, y = a.top + a.height / 2;
    return x >= b.left && x <= b.right && y >= b.top && y <= b.bottom; }"""


def has_focus(page, ident: str) -> bool:
    """The field tagged ``ident`` edits: Flutter focuses either the field's semantics input
    or its own hidden ``input.flt-text-editing`` (only the field just tapped, since every
    other field was blurred before)."""
    return by_id(page, ident).evaluate(FOCUSED)


ACTIVE = """() => { const el = document.activeElement;
    if (!el) return "nothing";
    const b = el.getBoundingClientRect();
    return `${el.tagName}.${el.className} at ${Math.round(b.left)},${Math.round(b.top)}`
        + ` (${Math.round(b.width)}x${Math.round(b.height)})`
        + ` value=${JSON.stringify(el.value)}`; }"""


def blur(page) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")


def focus(page, ident: str) -> None:
    """Tap the text field tagged ``ident`` until it edits (a tap during a re-render is lost)."""
    field = by_id(page, ident).locator("input, textarea").first
    blur(page)
    for _attempt in range(4):
        into_view(page, field)
        field.click()
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            if has_focus(page, ident):
                return
            page.wait_for_timeout(100)
    box = by_id(page, ident).bounding_box()
    raise AssertionError(
        f"the field {ident!r} at {box} never got the focus; focused: {page.evaluate(ACTIVE)}"
    )


def type_in(page, ident: str, text: str) -> None:
    """Type ``text`` into the text field tagged ``ident`` (replacing what it held), and check
    that the field holds it: keys typed while Flutter re-renders can be lost, so the field is
    focused and typed again until it shows exactly ``text``."""
    for _attempt in range(3):
        focus(page, ident)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
        held = page.evaluate("() => document.activeElement && document.activeElement.value")
        if held == text and has_focus(page, ident):
            return
        page.wait_for_timeout(300)
    raise AssertionError(f"typed {text!r} into {ident!r}; focused: {page.evaluate(ACTIVE)}")


def only_shown(page, prefix: str, wanted: str) -> None:
    """Wait until every widget whose test id starts with ``prefix`` is ``prefix + wanted``
    and there is one: a search typed key by key has settled on its final results."""
    page.wait_for_function(
        """([prefix, wanted]) => {
            const ids = [...document.querySelectorAll(`[flt-semantics-identifier^="${prefix}"]`)]
                .map(e => e.getAttribute("flt-semantics-identifier"));
            return ids.length > 0 && ids.every(i => i === prefix + wanted); }""",
        arg=[prefix, wanted],
    )
    page.wait_for_timeout(300)  # let Flutter paint the frame the semantics tree describes


# --- steps of the visit ---------------------------------------------------------------------


def wait_notice(page, text: str) -> None:
    from playwright.sync_api import expect

    expect(by_id(page, "detail-notice")).to_contain_text(text)


def open_section(page, name: str) -> None:
    scroll_to_top(page)
    tap(page, f"section-{name}")
    by_id(page, f"section-body-{name}").wait_for()


def answer_procedure(app, page, plan, shot: str | None) -> list:
    """Every required item, and the first measurement with a tolerance out of it.

    What counts is the device's database: after each pass the items it does not hold are
    answered again (Flutter web under load now and then drops a tap or a key; each retry is
    printed, and three passes at most are allowed)."""
    flagged = next(i for i in plan.items if i.kind == "numeric" and i.high is not None)
    todo = [i for i in plan.items if (i.required or i is flagged) and i.kind != "photo"]
    missing = todo
    for attempt in range(3):
        for item in missing:
            if attempt:
                print(f"pass {attempt + 1}: answering {item.ident} ({item.kind}) again")
            answer(page, plan, item, flagged=item is flagged)
            if item is flagged and shot is not None:
                screenshot(page, f"{shot}-procedure-flagged")
        done = answered(app.db_path, plan.id)
        missing = [i for i in todo if i.ident not in done or (i is flagged and not done[i.ident])]
        if not missing:
            return todo
    raise AssertionError(f"still unanswered after 3 passes: {[i.ident for i in missing]}")


def answer(page, plan, item, *, flagged: bool) -> None:
    """Answer ``item`` as a technician would; returns once it shows as saved, or after 10 s
    without (the caller checks the database)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ident = item.ident
    if item.kind == "check":
        tap(page, ident)
    elif item.kind == "yes_no_na":
        tap(page, ident, within="Oui")
    elif item.kind == "choice":
        tap(page, f"{ident}-opt-1")
    else:  # numeric, meter, text
        value = {"meter": plan.reading(item.meter), "text": "RAS"}.get(item.kind)
        type_in(page, ident, value or (outside(item) if flagged else inside(item)))
        if item.kind == "text":  # several lines: Enter is a new line; leaving the field
            tap(page, f"{ident}-save", force=True)  # may have saved it (button disabled)
        else:
            page.keyboard.press("Enter")
    try:
        by_id(page, f"{ident}-saved").wait_for(timeout=10_000)
    except PlaywrightTimeout:
        print(f"{ident} not shown as saved after 10 s")
        return
    page.wait_for_timeout(200)  # let the section reload before the next tap
    if flagged:
        by_id(page, f"{ident}-flag").wait_for()
        type_in(page, f"{ident}-comment", "Écart dû au tirage, à surveiller")
        tap(page, f"{ident}-comment-save")
        wait_notice(page, "Commentaire enregistré")


COMMENT_VISIBILITY = (
    '[flt-semantics-identifier^="comment-"][flt-semantics-identifier$="-visibility"]'
)


def write_comments(page, *, internal: str, client: str) -> None:
    """Section "Commentaires": one internal comment, one visible to the client, each added
    with its explicit button, after the comments the job already has (oldest first)."""
    from playwright.sync_api import expect

    open_section(page, "comments")
    by_id(page, "comment-body").wait_for()
    before = page.locator(COMMENT_VISIBILITY).count()
    type_in(page, "comment-body", internal)
    tap(page, "comment-add-internal")
    expect(by_id(page, f"comment-{before}-visibility")).to_contain_text("Interne")
    type_in(page, "comment-body", client)
    tap(page, "comment-add-client")
    expect(by_id(page, f"comment-{before + 1}-visibility")).to_contain_text("Visible client")


def headoffice_rows(data_dir: Path, reference: str) -> dict:
    """What head office holds for the intervention ``reference`` (read-only)."""
    path = data_dir / "headoffice" / "headoffice.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        (job_id, status, diagnosis) = con.execute(
            "SELECT id, status, diagnosis FROM interventions WHERE reference = ?", (reference,)
        ).fetchone()

        def all_of(sql: str) -> list[tuple]:
            return con.execute(sql, (job_id,)).fetchall()

        return {
            "status": status,
            "diagnosis": diagnosis,
            "comments": all_of(
                "SELECT visibility, body FROM comments WHERE intervention_id = ? AND deleted = 0"
            ),
            "flagged": all_of(
                "SELECT label, value, comment FROM measurements WHERE intervention_id = ? "
                "AND deleted = 0 AND out_of_tolerance = 1"
            ),
            "measurements": all_of(
                "SELECT label FROM measurements WHERE intervention_id = ? AND deleted = 0"
            ),
            "readings": all_of(
                "SELECT meter_id, value FROM meter_readings WHERE intervention_id = ? "
                "AND deleted = 0"
            ),
            "usages": all_of(
                "SELECT part_id, quantity FROM part_usages WHERE intervention_id = ? "
                "AND deleted = 0"
            ),
        }
