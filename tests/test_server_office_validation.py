"""The office validates a slip from its device; head office decides it from the shared rules,
then makes the final PDF, e-mails it (a real SMTP server on loopback: aiosmtpd), turns the
follow-ups into what they mean and updates the customer record. Over the real HTTP server,
on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import io
import threading
import uuid
from datetime import date

import pytest
from pypdf import PdfReader
from server_support import copy_demo_database, free_port
from smtp_support import SmtpServer, wait_until

from app import clock
from app.models import (
    Contact,
    Customer,
    FollowUp,
    Intervention,
    PartsToOrderLine,
    ReportVersion,
    Signature,
    User,
)
from app.reports.canonical import content_sha256, plain
from app.sync.wire import to_wire
from headoffice.mail import DeliveryPolicy, SmtpSettings
from headoffice.models import CustomerRecord, EmailDelivery
from headoffice.services import validation

POLICY = DeliveryPolicy(retry_base=0.2, retry_max=1.0, max_attempts=50, poll=0.1)
SENDER = "bureau@rhone-thermique.fr"


@pytest.fixture
def smtp():
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def office_server(demo_db_url, tmp_path, make_server):
    """A private copy of the demo head office; ``start(smtp_port)`` serves it."""
    url, cleanup = copy_demo_database(demo_db_url, tmp_path)

    def start(port: int, **config):
        smtp = SmtpSettings(host="127.0.0.1", port=port, tls="none", sender=SENDER, timeout=5)
        server = make_server(url, smtp=smtp, delivery=POLICY, **config)
        server.bind()
        return server

    yield start
    cleanup()


def signed_slip(signed: bool = True) -> ReportVersion:
    """A submitted slip of the demo with the version its technician sent."""
    with_signature = {s.intervention_id for s in Signature.select() if s.outcome == "signed"}
    for version in ReportVersion.select().where(ReportVersion.status == "submitted"):
        if (version.intervention_id in with_signature) == signed:
            return version
    raise AssertionError("the demo has no such slip")


def recipient(version: ReportVersion) -> str:
    return validation.recipient_of(Intervention.get_by_id(version.intervention_id))


def validation_push(office_id: str, v1: ReportVersion, corrections: list[dict]) -> dict:
    """What the office's device pushes on "Valider" after correcting (version 2)."""
    intervention = Intervention.get_by_id(v1.intervention_id)
    content = copy.deepcopy(v1.content)
    for c in corrections:
        for line in content["work"]:
            if line["id"] == c["field"]:
                c["before"], line["text"] = line["text"], c["after"]
    content["corrections"] = corrections
    content["based_on"] = {"version": 1, "content_sha256": v1.content_sha256}
    content = plain(content)
    now = clock.utcnow().replace(microsecond=0).isoformat()
    v2 = {
        "intervention_id": v1.intervention_id,
        "kind": v1.kind,
        "version": 2,
        "status": "validated",
        "content": content,
        "content_sha256": content_sha256(content),
        "validated_by_id": office_id,
        "validated_at": now,
        "created_at": now,
        "updated_at": now,
    }
    return {
        "interventions": [
            {"id": intervention.id, "base_version": intervention.sync_version,
             "fields": {"status": "validated"}}
        ],
        "report_versions": [{"id": str(uuid.uuid4()), "base_version": 0, "fields": v2}],
    }  # fmt: skip


def correction(text: str, reason: str = "Faute de frappe du technicien") -> dict:
    return {"field": "work:diagnosis", "before": "", "after": text, "reason": reason, "by": "x"}


def delivery_of(version_id: str) -> EmailDelivery | None:
    return EmailDelivery.get_or_none(EmailDelivery.report_version_id == version_id)


def final_id(v1: ReportVersion) -> str:
    return validation.final_version(v1.intervention_id).id


def test_validation_emails_the_final_pdf_once_and_syncs_back(office_server, smtp):
    server = office_server(smtp.port)
    v1 = signed_slip()
    to = recipient(v1)
    assert to, "the demo customer has a contact with an e-mail"
    office = server.login("office")
    changes = validation_push(office.user["id"], v1, [correction("Électrodes usées, remplacées")])
    batch = str(uuid.uuid4())
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(office.push(changes, batch_id=batch)))
        for _ in range(3)
    ]  # the same batch retried in parallel: applied once, queued once, sent once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all(not a.json()["rejected"] for a in answers), answers[0].text

    [(rcpt, message)] = smtp.mailbox.wait_for(1)
    assert rcpt == [to] and message["From"] == SENDER
    reference = Intervention.get_by_id(v1.intervention_id).reference
    assert reference in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{reference}.pdf"
    pdf = attachment.get_content()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Électrodes usées, remplacées" in text  # the corrected, final version
    from headoffice.verify import verify_pdf

    verdict = verify_pdf(pdf, [])  # the seal holds (the demo certificate is not trusted here)
    assert "seal intact" not in [c.name for c in verdict.failed], verdict.checks

    version_id = final_id(v1)
    wait_until(lambda: delivery_of(version_id).state == "sent", what="the delivery sent")
    delivery = delivery_of(version_id)
    assert delivery.attempts == 1 and delivery.recipient == to
    assert (
        EmailDelivery.select().where(EmailDelivery.intervention_id == v1.intervention_id).count()
        == 1
    )
    answer = office.get("/office/deliveries", params={"intervention_id": v1.intervention_id})
    assert answer.status_code == 200
    [shown] = answer.json()["deliveries"]
    assert shown["state"] == "sent" and shown["recipient"] == to and shown["sent_at"]
    assert ReportVersion.get_by_id(v1.id).content_sha256 == v1.content_sha256  # v1 intact

    # the technician's device receives the validated version 2, read-only
    tech_name = User.get_by_id(
        Intervention.get_by_id(v1.intervention_id).technician.user_id
    ).username
    tech = server.login(tech_name)
    rows = tech.pull_all()
    mine = [
        r for r in rows["report_versions"].values() if r["intervention_id"] == v1.intervention_id
    ]
    assert {(r["version"], r["status"]) for r in mine} == {(1, "submitted"), (2, "validated")}
    v2 = next(r for r in mine if r["version"] == 2)
    refused = tech.push({"report_versions": [
        {"id": v2["id"], "base_version": v2["_version"], "fields": {"content": {"x": 1}}}
    ]}).json()["rejected"]  # fmt: skip
    assert refused and "validated" in refused[0]["reason"]
    assert CustomerRecord.get_by_id(Intervention.get_by_id(v1.intervention_id).customer_id)
    smtp.mailbox.wait_for(1)
    assert len(smtp.mailbox.messages) == 1  # never twice


def test_smtp_down_fails_then_is_retried_until_sent(office_server):
    port = free_port()
    server = office_server(port)  # nothing listens on the SMTP port yet
    v1 = signed_slip()
    office = server.login("office")
    assert not office.push(validation_push(office.user["id"], v1, [])).json()["rejected"]
    assert Intervention.get_by_id(v1.intervention_id).status == "validated"  # validation holds
    version_id = final_id(v1)
    wait_until(lambda: (d := delivery_of(version_id)) and d.state == "failed", what="a failure")
    failed = delivery_of(version_id)
    assert "Cannot reach the SMTP server" in failed.last_error
    shown = office.get("/office/deliveries", params={"intervention_id": v1.intervention_id})
    assert shown.json()["deliveries"][0]["state"] == "failed"
    assert shown.json()["deliveries"][0]["next_attempt_at"]
    smtp = SmtpServer(port).start()
    try:
        smtp.mailbox.wait_for(1)
        wait_until(lambda: delivery_of(version_id).state == "sent", what="the retry sent")
        assert delivery_of(version_id).attempts >= 2 and delivery_of(version_id).last_error == ""
    finally:
        smtp.stop()


def test_a_refused_recipient_is_failed_with_the_smtp_error(office_server, smtp):
    server = office_server(smtp.port)
    v1 = signed_slip(signed=False)  # an unsigned slip is validated and sent too
    smtp.mailbox.refused.add(recipient(v1))
    office = server.login("office")
    assert not office.push(validation_push(office.user["id"], v1, [])).json()["rejected"]
    version_id = final_id(v1)
    wait_until(lambda: (d := delivery_of(version_id)) and d.state == "failed", what="a refusal")
    shown = office.get("/office/deliveries", params={"intervention_id": v1.intervention_id})
    error = shown.json()["deliveries"][0]["last_error"]
    assert "550" in error and "mailbox unavailable" in error and recipient(v1) in error
    assert smtp.mailbox.messages == []


def test_no_contact_email_is_a_clear_state(office_server, smtp):
    server = office_server(smtp.port)
    v1 = signed_slip()
    customer = Intervention.get_by_id(v1.intervention_id).customer_id
    Contact.update(email="").where(Contact.customer == customer).execute()
    Customer.update(email="").where(Customer.id == customer).execute()
    office = server.login("office")
    assert not office.push(validation_push(office.user["id"], v1, [])).json()["rejected"]
    delivery = delivery_of(final_id(v1))
    assert delivery.state == "no_recipient" and "e-mail" in delivery.last_error
    assert Intervention.get_by_id(v1.intervention_id).status == "validated"


def test_technicians_cannot_push_a_correction_or_a_validation(office_server, smtp):
    server = office_server(smtp.port)
    v1 = signed_slip()
    intervention = Intervention.get_by_id(v1.intervention_id)
    tech = server.login(User.get_by_id(intervention.technician.user_id).username)
    changes = validation_push(tech.user["id"], v1, [correction("Pas moi")])
    rejected = tech.push(changes).json()["rejected"]
    reasons = {r["table"]: r["reason"] for r in rejected}
    assert "Only the office can mark an intervention validated" in reasons["interventions"]
    assert "office" in reasons["report_versions"]
    corrected = changes["report_versions"][0]
    corrected["fields"].update(status="corrected", validated_by_id=None, validated_at=None)
    reason = tech.push({"report_versions": [corrected]}).json()["rejected"][0]["reason"]
    assert reason == "Only the office can mark a report version corrected."
    assert Intervention.get_by_id(intervention.id).status == "submitted"
    assert delivery_of(corrected["id"]) is None


def test_the_office_is_refused_a_correction_without_reason_or_a_changed_signed_version(
    office_server, smtp
):
    server = office_server(smtp.port)
    v1 = signed_slip()
    office = server.login("office")
    changes = validation_push(office.user["id"], v1, [correction("Sans raison", reason=" ")])
    reason = office.push({"report_versions": changes["report_versions"]}).json()["rejected"]
    assert "needs a reason" in reason[0]["reason"]
    tampered = {"id": v1.id, "base_version": v1.sync_version,
                "fields": {"content": {**v1.content, "reference": "FAUX"}}}  # fmt: skip
    reason = office.push({"report_versions": [tampered]}).json()["rejected"]
    assert "evidence" in reason[0]["reason"]
    assert ReportVersion.get_by_id(v1.id).content == v1.content


def _hidden_change(content: dict) -> None:
    content["totals"]["total_ttc"] = "1.00"  # not a listed correction


def _false_before(content: dict) -> None:
    content["corrections"][0]["before"] = "Ce que le client n'a pas signé"


def _unknown_field(content: dict) -> None:
    content["corrections"].append(
        {"field": "parts:0", "before": "", "after": "x", "reason": "r", "by": "x"}
    )


def _other_base(content: dict) -> None:
    content["based_on"] = {"version": 1, "content_sha256": "0" * 64}


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (_hidden_change, "only the fields its corrections list"),
        (_false_before, "does not start from the signed value"),
        (_unknown_field, "no field 'parts:0'"),
        (_other_base, "not a signed version of this slip"),
    ],
)
def test_a_correction_changes_only_what_it_lists_from_the_signed_version(
    office_server, smtp, tamper, says
):
    """Version 2 goes to the client under the client's signature of version 1: head office
    replays its corrections on version 1 and refuses any other difference."""
    server = office_server(smtp.port)
    v1 = signed_slip()
    office = server.login("office")
    changes = validation_push(office.user["id"], v1, [correction("Électrodes remplacées")])
    [row] = changes["report_versions"]
    content = copy.deepcopy(row["fields"]["content"])
    tamper(content)
    row["fields"]["content"], row["fields"]["content_sha256"] = content, content_sha256(content)
    answer = office.push(changes).json()
    [rejected] = [r for r in answer["rejected"] if r["table"] == "report_versions"]
    assert says in rejected["reason"]
    assert ReportVersion.get_or_none(ReportVersion.id == row["id"]) is None


def test_follow_ups_become_planned_visits_parts_and_notes_once(office_server, smtp):
    server = office_server(smtp.port)
    v1 = signed_slip()
    intervention = Intervention.get_by_id(v1.intervention_id)
    due = date(2026, 4, 2)
    kinds = [("new_visit", "Remplacer le circulateur", due), ("quote", "Devis adoucisseur", None),
             ("parts_order", "Joint de porte foyer", None), ("none", "", None)]  # fmt: skip
    for kind, text, day in kinds:
        FollowUp.create(intervention=intervention.id, kind=kind, description=text, due_date=day)
    office = server.login("office")
    assert not office.push(validation_push(office.user["id"], v1, [])).json()["rejected"]

    planned = Intervention.select().where(Intervention.reference == f"{intervention.reference}-S1")
    [visit] = list(planned)
    assert visit.status == "planned" and visit.technician_id is None
    assert visit.site_id == intervention.site_id and visit.scheduled_start.date() == due
    assert "Remplacer le circulateur" in visit.problem_reported and visit.sync_version > 0
    notes = Customer.get_by_id(intervention.customer_id).notes
    assert "Devis à établir — Devis adoucisseur" in notes
    assert "Pièces à commander — Joint de porte foyer" in notes
    record = CustomerRecord.get_by_id(intervention.customer_id)
    assert record.last_intervention_id == intervention.id and len(record.converted) == 4

    count = Intervention.select().count(), PartsToOrderLine.select().count()
    validation.process(intervention.id)  # again: nothing more
    assert (Intervention.select().count(), PartsToOrderLine.select().count()) == count
    assert Customer.get_by_id(intervention.customer_id).notes == notes

    # the technician sees the planned visit on the site's history
    tech = server.login(User.get_by_id(intervention.technician.user_id).username)
    assert visit.id in tech.pull_all()["interventions"]


def test_deliveries_are_the_offices_only(office_server, smtp):
    server = office_server(smtp.port)
    tech = server.login("tech1")
    answer = tech.get("/office/deliveries", params={"intervention_id": "x"})
    assert answer.status_code == 403
    office = server.login("office")
    assert office.get("/office/deliveries").status_code == 400
    assert to_wire  # the wire encoder stays importable for the pushes above


def test_the_delivery_thread_stops_with_the_server(office_server, smtp):
    server = office_server(smtp.port)
    thread = server._server.app.delivery_worker._thread
    assert thread is not None and thread.is_alive() and thread.name == "headoffice-mail"
    server.stop()
    assert not thread.is_alive()
    server.stop()  # idempotent (the fixture stops it again)


def test_smtp_settings_come_from_options_then_the_environment():
    from app.errors import ConfigError
    from headoffice.app import smtp_from_env

    env = {"TERRAIN_SMTP_HOST": "smtp.example.fr", "TERRAIN_SMTP_PASSWORD": "s3cret",
           "TERRAIN_SMTP_PORT": "465", "TERRAIN_SMTP_TLS": "ssl"}  # fmt: skip
    settings = smtp_from_env(env, sender="bureau@example.fr", port=None)
    assert (settings.host, settings.port, settings.tls) == ("smtp.example.fr", 465, "ssl")
    assert settings.password == "s3cret" and settings.configured
    assert smtp_from_env(env, host="other", tls="none").host == "other"
    assert not smtp_from_env({}).configured
    with pytest.raises(ConfigError):
        smtp_from_env({"TERRAIN_SMTP_PORT": "twenty-five"})
    with pytest.raises(ConfigError):
        smtp_from_env({}, tls="tls1.0")


def test_two_devices_processing_one_slip_at_once_convert_it_once(office_server, smtp):
    """Two devices of one technician (or a batch and its retry) commit at the same time and
    both after-commit steps process the same intervention at once: they run one after the
    other (the intervention's row lock), so each follow-up becomes one planned visit."""
    server = office_server(smtp.port)
    v1 = signed_slip()
    intervention = Intervention.get_by_id(v1.intervention_id)
    validation.process(intervention.id)  # the customer record exists: nothing waits on it
    for n in range(3):
        FollowUp.create(intervention=intervention.id, kind="new_visit", description=f"Visite {n}")
    before = Intervention.select().count()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def process() -> None:
        try:
            start.wait(10)
            validation.process(intervention.id)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            server.database.close()

    threads = [threading.Thread(target=process) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    made = Intervention.select().where(Intervention.reference.startswith(intervention.reference))
    assert Intervention.select().count() == before + 3
    assert len({i.reference for i in made}) == made.count()  # each visit once
    assert all(i.sync_version > 0 for i in made)  # final versions, not provisional ones
    assert len(CustomerRecord.get_by_id(intervention.customer_id).converted) == 3
