"""What head office does once a slip reaches it, submitted or validated (issue 10, items 7-8).

The office validates on its device like any other change: the intervention ``validated``
(``app.domain.lifecycle``) and the final report version ``validated`` with who and when
(``app.domain.corrections``), decided at head office by the same rules when pushed. Once a
push batch is committed, ``after_push`` (registered in ``headoffice.push``) looks at the
interventions it touched (the intervention itself, a report version, a follow-up) and:

- **submitted or beyond**: the customer record (``CustomerRecord``: last visit) and the
  follow-ups turned into what they mean (``follow_ups.convert``);
- **validated or beyond**: the final version's e-mail queued (``EmailDelivery``, sent by
  ``headoffice.mail.DeliveryWorker``).

Everything is idempotent: one delivery per version (its primary key), follow-ups converted
once (``CustomerRecord.converted`` and deterministic ids), all under the
intervention's row lock (the one its pushes take), so a batch retried in parallel, or
replayed, changes nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from app import clock
from app.domain import lifecycle
from app.domain.corrections import VALIDATED
from app.models import Contact, Customer, FollowUp, Intervention, ReportVersion, db
from app.models.enums import InterventionStatus
from headoffice.database import lock_rows, write_transaction
from headoffice.mail import NO_RECIPIENT, PENDING, DeliveryWorker
from headoffice.models import CustomerRecord, EmailDelivery
from headoffice.scope import Principal
from headoffice.services import follow_ups

log = logging.getLogger(__name__)

S = InterventionStatus
# The statuses at which the slip has reached head office.
RECEIVED = frozenset({S.SUBMITTED, S.VALIDATED, S.DELIVERED})
DONE = frozenset({S.VALIDATED, S.DELIVERED})
TOUCHING = ("interventions", "report_versions", "follow_ups")
SIGNING_KINDS = sorted(lifecycle.SIGNING_DOCUMENTS)


def after_push(who: Principal, answer: dict) -> None:
    """The after-commit step of a push (its stored answer for a replayed batch)."""
    ids = _touched(answer.get("applied") or [])
    queued = False
    for intervention_id in ids:
        try:
            queued |= process(intervention_id)
        except Exception:  # the push is committed: log, the next push or a retry does it
            log.exception("after push: processing intervention %s failed", intervention_id)
    if queued:
        DeliveryWorker.wake_all()


def _touched(applied: Iterable[dict]) -> list[str]:
    ids: dict[str, None] = {}
    for row in applied:
        table, row_id = row.get("table"), row.get("id")
        if table == "interventions":
            ids[row_id] = None
        elif table == "report_versions":
            version = ReportVersion.get_or_none(ReportVersion.id == row_id)
            if version is not None:
                ids[version.intervention_id] = None
        elif table == "follow_ups":
            follow_up = FollowUp.get_or_none(FollowUp.id == row_id)
            if follow_up is not None:
                ids[follow_up.intervention_id] = None
    return list(ids)


def process(intervention_id: str) -> bool:
    """Bring the customer record, follow-ups and delivery of one intervention up to date;
    True when a delivery was queued."""
    with write_transaction(db.obj):
        # Locked in the pushes' order (docs/sync-protocol.md, "Concurrent pushes"): the
        # customer record (head office's own), the customer (the follow-ups' notes), then
        # the intervention, so parallel runs for one slip (two devices of one technician, a
        # replayed batch) run one after the other, all before the follow-ups' pushes take
        # the version counter, the last lock: whoever holds it waits for nobody.
        query = Intervention.select(Intervention.customer).where(Intervention.id == intervention_id)
        customer = query.scalar()
        if customer is None:
            return False
        CustomerRecord.insert(customer_id=customer, converted={}).on_conflict_ignore().execute()
        lock_rows(CustomerRecord.select().where(CustomerRecord.customer_id == customer)).first()
        lock_rows(Customer.select(Customer.id).where(Customer.id == customer)).first()
        query = Intervention.select().where(Intervention.id == intervention_id)
        intervention = lock_rows(query).first()
        if intervention is None or intervention.deleted or intervention.status not in RECEIVED:
            return False
        record = record_visit(intervention)
        follow_ups.convert(intervention, record)
        if intervention.status in DONE:
            return queue_delivery(intervention)
    return False


def record_visit(intervention: Intervention) -> CustomerRecord:
    """The customer's last visit, from this intervention if it is the latest."""
    record = CustomerRecord.get(CustomerRecord.customer_id == intervention.customer_id)
    visit = intervention.finished_at or intervention.started_at or intervention.scheduled_start
    if record.last_visit_at is None or visit > record.last_visit_at:
        record.last_visit_at = visit
        record.last_intervention_id = intervention.id
        record.updated_at = clock.utcnow()
        record.save()
    return record


def final_version(intervention_id: str) -> ReportVersion | None:
    """The version the office validated (the latest validated one)."""
    return (
        ReportVersion.select()
        .where(
            (ReportVersion.intervention == intervention_id)
            & (ReportVersion.deleted == False)
            & ReportVersion.kind.in_(SIGNING_KINDS)
            & ReportVersion.status.in_(sorted(VALIDATED))
        )
        .order_by(ReportVersion.version.desc())
        .first()
    )


def queue_delivery(intervention: Intervention) -> bool:
    """One delivery per validated version (created once; False if there was one)."""
    version = final_version(intervention.id)
    if version is None:
        log.warning("%s is validated without a validated report version", intervention.reference)
        return False
    if EmailDelivery.get_or_none(EmailDelivery.report_version_id == version.id) is not None:
        return False
    recipient = recipient_of(intervention)
    EmailDelivery.insert(
        report_version_id=version.id,
        intervention_id=intervention.id,
        recipient=recipient,
        state=PENDING if recipient else NO_RECIPIENT,
        last_error=""
        if recipient
        else "Neither the site's contact nor the customer has an e-mail.",
        next_attempt_at=clock.utcnow(),
    ).on_conflict_ignore().execute()
    return bool(recipient)


def recipient_of(intervention: Intervention) -> str:
    """The customer's contact for the slip: the site's contact with an e-mail, else the
    customer's contact, else the customer's own address ("" when none has one)."""
    contacts = Contact.live().where(
        (Contact.customer == intervention.customer_id) & (Contact.email != "")
    )
    for contact in contacts.order_by(Contact.created_at, Contact.id):
        if contact.site_id == intervention.site_id:
            return contact.email.strip()
    for contact in contacts.order_by(Contact.created_at, Contact.id):
        if contact.site_id is None:
            return contact.email.strip()
    customer = Customer.get_or_none(Customer.id == intervention.customer_id)
    return (customer.email or "").strip() if customer else ""


def deliveries(intervention_id: str) -> list[EmailDelivery]:
    return list(
        EmailDelivery.select()
        .where(EmailDelivery.intervention_id == intervention_id)
        .order_by(EmailDelivery.created_at)
    )
