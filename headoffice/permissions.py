"""Who may write what (sync rule 6): every pushed row is decided here, from the shared rules.

Head office treats devices as hostile. A row change is decided on what it would really
change (``effective``: the columns the merge would write, after conflicts head office wins),
from the table's ``app.domain.policy`` entry and ``app.domain.lifecycle``; no table name or
status is spelled here. A technician's write is checked in this order, and refused with the
first reason that applies, in words he understands:

1. the table is one technicians write;
2. interventions are created by the office;
3. the row, as it is and as it would be, hangs off his interventions (or is his own row):
   else "outside your interventions", before any reason that would tell him something
   about the row; interventions are deleted by the office;
4. fields: the office's fields, and authorship (set by head office on insert, never changed);
   with ``author_edits_only``, only the author changes or deletes the row;
5. insert-only rows; documents' statuses (editable while draft; office-only statuses);
6. the parents: a row of a signed or cancelled intervention, or of a signed document, no
   longer changes (new rows of ``after_signature`` tables excepted while signed);
7. the intervention's own status: a move the technician could have walked through the
   lifecycle, "signed" (and beyond) only with a signature of the intervention, "submitted"
   unsigned only with a refusal or absence record (``lifecycle.VIA_REFUSAL``).

Office users' writes go through ``app.domain.lifecycle.office_refusal`` (the office's
lifecycle moves), for report versions ``app.domain.corrections.office_version_refusal``
(a signed version never changes, each correction has a reason), and for new rows the
table's ``row_rule`` (a signed ``signatures`` row holds a real signature and its signer,
``app.domain.signature``; a follow-up's parts to order are bounded lines of catalogue parts,
``app.domain.follow_up``); the rest of their writes is theirs to make.
"""

from __future__ import annotations

from typing import Any

from app.domain import annotation, corrections, lifecycle, policy
from app.domain.lifecycle import S
from app.domain.reasons import Reason, wrapped
from app.models import MODELS_BY_TABLE
from headoffice.rows import Rows
from headoffice.scope import Principal, may_write

INTERVENTIONS = policy.INTERVENTIONS
OUTSIDE = Reason("row.outside", "This row is outside your interventions.")
# Refreshed by every save on a device: alone, it is no write to decide (for instance when the
# status it came with lost a conflict to head office).
TOUCHED = frozenset({"updated_at"})


class Refused(Exception):
    """A row change head office does not apply; ``reason`` says why (a ``Reason`` carries
    the code and params the push answer sends next to its text, ``app.domain.reasons``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def stamp_authorship(who: Principal, table: str, fields: dict[str, Any]) -> None:
    """A new row's authorship columns name the pushing user, whatever the device sent."""
    for column in policy.policy(table).authorship:
        fields[column] = who.user_id


def decide(
    who: Principal,
    table: str,
    row_id: str,
    current: dict | None,
    effective: dict[str, Any],
    *,
    deleted: bool,
    rows: Rows | None = None,
) -> None:
    """Raise ``Refused`` unless ``who`` may make the change. ``current``: head office's row
    (wire column names) or None for an insert; ``effective``: the columns the change would
    write (every pushed column for an insert); ``deleted``: the change deletes the row;
    ``rows``: where the parents are read (default: the database, each time; a push reads
    them once per batch)."""
    after = {**(current or {}), "id": row_id, **effective}
    rows = rows or Rows()
    if table == "attachments" and effective.get("annotations") is not None:
        try:  # the drawing over a photo: the same rule the editor and the device apply
            annotation.validate_layer(effective["annotations"])
        except annotation.AnnotationError as err:
            raise Refused(
                wrapped(
                    "annotation.invalid",
                    f"The drawing over this photo cannot be read: {err.message}",
                    err,
                )
            ) from None
    if who.sees_everything:
        if table == INTERVENTIONS and (reason := lifecycle.office_refusal(current, after)):
            raise Refused(reason)
        rules = policy.policy(table)
        if rules.document is lifecycle.REPORT_VERSION and (
            reason := corrections.office_version_refusal(current, after)
            or _correction_refusal(current, effective, after)
        ):
            raise Refused(reason)
        if current is None and (reason := _row_refusal(rules, after, rows or Rows())):
            raise Refused(reason)  # a signature is one, parts to order are lines, whoever pushes
        return
    _decide_technician(who, table, current, effective, after, deleted=deleted, rows=rows)


def _correction_refusal(current: dict | None, effective: dict, after: dict) -> str | None:
    """A report version the office writes as a correction (it names ``based_on`` or lists
    ``corrections``) borrows the client's signature of the version it names: it must be that
    version with its listed corrections and nothing else (``corrections.derivation_refusal``),
    checked when it is made and whenever its content changes. A version that claims no
    signed base is drawn unsigned (``headoffice.documents``)."""
    if current is not None and "content" not in effective:
        return None
    content = after.get("content")
    if not isinstance(content, dict) or (
        "based_on" not in content and not content.get("corrections")
    ):
        return None
    based_on = content.get("based_on")
    number = based_on.get("version") if isinstance(based_on, dict) else None
    sha256 = based_on.get("content_sha256") if isinstance(based_on, dict) else None
    if type(number) is not int or not isinstance(sha256, str):
        return Reason(
            "correction.based_on",
            "The office's report version must name the signed version it corrects.",
        )
    from app.models import ReportVersion
    from app.reports.canonical import content_sha256

    base = ReportVersion.get_or_none(
        (ReportVersion.intervention == after.get("intervention_id"))
        & (ReportVersion.kind == after.get("kind"))
        & (ReportVersion.version == number)
        & ReportVersion.status.not_in(list(corrections.CONTENT_EDITABLE))
        & (ReportVersion.deleted == False)
    )
    if base is None or base.content_sha256 != sha256 or content_sha256(base.content) != sha256:
        return Reason(
            "correction.base_unknown",
            "The version this correction names is not a signed version of this slip.",
        )
    return corrections.derivation_refusal(base.content, number, sha256, content)


def _decide_technician(who, table, current, effective, after, *, deleted: bool, rows) -> None:
    rules = policy.policy(table)
    if not rules.technician:
        raise Refused(
            Reason(
                "table.office_only",
                f"Technicians cannot change {table}; ask the office.",
                table=table,
            )
        )
    inserting = current is None
    if table == INTERVENTIONS and inserting:
        raise Refused(
            Reason("intervention.office_creates", "Only the office creates interventions.")
        )
    if (current is not None and not may_write(who, table, current, rows)) or not may_write(
        who, table, after, rows
    ):
        raise Refused(OUTSIDE)
    if not inserting and not deleted and not set(effective) - TOUCHED:
        return  # nothing would change but the timestamp (every pushed value is there, or lost)
    noun = _noun(table)
    if table == INTERVENTIONS and deleted:
        raise Refused(
            Reason(
                "intervention.office_deletes", "Only the office cancels or deletes interventions."
            )
        )
    columns = set(effective) - {"deleted"}
    _check_fields(rules, table, columns, effective, inserting)
    if inserting and (reason := _row_refusal(rules, after, rows)):
        raise Refused(reason)
    if not inserting:
        if rules.authorship & columns:
            raise Refused(
                Reason("row.author_fixed", f"The author of a {noun} cannot change.", table=table)
            )
        if rules.author_edits_only and not _is_author(who, rules, current):
            raise Refused(
                Reason(
                    "row.author_only",
                    f"Only its author can change or delete this {noun}.",
                    table=table,
                )
            )
        if rules.insert_only:
            raise Refused(
                Reason("row.insert_only", f"A {noun} cannot be changed once recorded.", table=table)
            )
    if not inserting and not deleted and (reason := _row_refusal(rules, after, rows)):
        raise Refused(reason)
    if rules.document is not None:
        _check_document(rules.document, current, effective)
    if current is not None:  # a record leaving a closed intervention changes it too
        _check_parents(rules, current, False, rows)
    _check_parents(rules, after, inserting, rows)
    if table == INTERVENTIONS:
        _check_intervention(current, effective, columns, rows)


def _row_refusal(rules: policy.TablePolicy, after: dict, rows: Rows) -> str | None:
    """The table's own check of the row's values (``app.domain``: a signature, the parts to
    order of a follow-up), reading other rows (the catalogue) as the push does."""
    if rules.row_rule is None:
        return None
    return rules.row_rule(after, rows.row)


def _check_fields(rules, table: str, columns: set[str], effective: dict, inserting: bool) -> None:
    model = MODELS_BY_TABLE[table]
    theirs = sorted(
        c
        for c in columns
        if not rules.technician_may_set(c)
        and not (inserting and effective[c] == _default(model, c))
    )
    if not theirs:
        return
    names = ", ".join(_words(c) for c in theirs)
    if table == INTERVENTIONS:
        text = f"Planning fields are set by the office: {names}."
        raise Refused(Reason("intervention.planning_fields", text, table=table, fields=theirs))
    text = f"Only the office sets the {names} of a {_noun(table)}."
    raise Refused(Reason("row.office_fields", text, table=table, fields=theirs))


def _check_document(rules: lifecycle.DocumentRules, current: dict | None, effective: dict) -> None:
    if current is not None and current["status"] not in rules.editable:
        raise Refused(
            Reason(
                "document.frozen",
                f"This {rules.name} is {current['status']} and can no longer change.",
                document=rules.name,
                status=current["status"],
            )
        )
    status = effective.get("status")
    if status is not None and status not in rules.technician_statuses:
        raise Refused(
            Reason(
                "document.office_status",
                f"Only the office can mark a {rules.name} {status}.",
                document=rules.name,
                status=status,
            )
        )


def _check_parents(rules: policy.TablePolicy, row: dict, inserting: bool, rows: Rows) -> None:
    """A row of a closed intervention, or of a document no longer editable, does not change."""
    for link in rules.links:
        parent_id = row.get(link.column)
        if not parent_id:
            continue
        parent_rules = policy.policy(link.table)
        parent = rows.row(link.table, parent_id)
        if parent is None:
            continue  # the foreign key refuses it
        status = parent.get("status")
        late = inserting and rules.after_signature
        if link.table == INTERVENTIONS:
            if status in lifecycle.CLOSED and not (late and status in lifecycle.LOCKED):
                raise Refused(_closed_reason(status, "its records"))
        elif parent_rules.document is not None:
            document = parent_rules.document
            if status not in document.editable and not late:
                raise Refused(
                    Reason(
                        "document.parent_frozen",
                        f"This {document.name} is {status}: it can no longer change.",
                        document=document.name,
                        status=status,
                    )
                )
        _check_parents(parent_rules, parent, inserting, rows)


def _check_intervention(current: dict, effective: dict, columns: set[str], rows: Rows) -> None:
    """``rows.signature_outcomes``: the outcomes of the live signature rows of the
    intervention's report or slip (stored, or applied earlier in this batch:
    ``decision_order`` puts the locking move after them): ``signed`` lets it be signed,
    ``refused`` / ``absent`` let it be submitted unsigned."""
    status = current["status"]
    target = effective.get("status")
    if target is not None:
        outcomes = rows.signature_outcomes(current["id"]) if target in lifecycle.LOCKED else set()
        reason = lifecycle.refusal(
            status,
            target,
            lifecycle.TECHNICIAN,
            signed=lifecycle.SIGNED_OUTCOME in outcomes,
            unsigned=bool(outcomes & lifecycle.UNSIGNED_OUTCOMES),
        )
        if reason:
            raise Refused(reason)
    if status in lifecycle.CLOSED and (target is None or columns - {"status", "updated_at"}):
        raise Refused(_closed_reason(status, "it"))


def _closed_reason(status: str, what: str) -> Reason:
    """``what``: "it" (the intervention) or "its records" (a row of it)."""
    part = "records" if what == "its records" else "self"
    if status == S.CANCELLED:
        text = f"The office cancelled this intervention: {what} can no longer change."
        return Reason(f"intervention.cancelled.{part}", text)
    text = f"The intervention is {status}: {what} can no longer change."
    return Reason(f"intervention.closed.{part}", text, status=status)


def _is_author(who: Principal, rules: policy.TablePolicy, current: dict) -> bool:
    return any(current.get(column) == who.user_id for column in rules.authorship)


def decision_order(changes: list, technician: bool) -> list:
    """The changes in the order head office decides them: table order (parents first), but
    a row naming another row of its table (``same_table_links``: a still and its video) or of
    a later table (``later_links``: a photo answer and its attachment) after the others,
    and an intervention moving to signed or beyond (a technician's) last, so its records
    made before the signature, and the signature itself, are decided before it locks them.
    ``decision_stage`` tells the groups apart."""
    stages = [decision_stage(c, technician) for c in changes]
    if not any(stages):
        return changes
    return [c for _, c in sorted(zip(stages, changes, strict=True), key=lambda p: p[0])]


def decision_stage(change, technician: bool = True) -> int:
    """0: decided in table order; 1: after the rows it may name (of its own table, or of a
    later one: a photo answer and its attachment); 2: last."""
    locking = change.table == INTERVENTIONS and change.fields.get("status") in lifecycle.LOCKED
    if technician and locking:
        return 2
    rules = policy.policy(change.table)
    links = rules.same_table_links + rules.later_links
    return 1 if any(change.fields.get(column) for column in links) else 0


def _default(model, column: str):
    default = model._meta.columns[column].default
    return None if callable(default) else default


def _words(column: str) -> str:
    return column.removesuffix("_id").replace("_", " ")


def _noun(table: str) -> str:
    """``report_versions`` -> "report version", ``time_entries`` -> "time entry"."""
    singular = table[:-3] + "y" if table.endswith("ies") else table.removesuffix("s")
    return singular.replace("_", " ").replace("follow up", "follow-up")
