"""E-mail delivery of validated reports: SMTP settings, the message, and the retrying worker.

Validating a slip never waits for e-mail: head office records an ``EmailDelivery`` (state
``pending``) in the validation's after-commit step (``headoffice.services.validation``) and
the ``DeliveryWorker`` thread of the server sends it: the final PDF
(``headoffice.documents.version_pdf``) attached, to the customer's contact. An attempt that
fails (server down, address refused, SMTP not configured) leaves the state ``failed`` with
the SMTP error and a next attempt after a doubling backoff; after ``max_attempts`` it stays
failed. ``HeadOfficeServer`` starts the worker and stops it (``stop()`` waits for the
attempt in flight).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from peewee import Database

from app import clock
from app.models import Company, ReportVersion, db
from headoffice.documents import version_pdf
from headoffice.models import EmailDelivery

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, NO_RECIPIENT = "pending", "sent", "failed", "no_recipient"
STATES = (PENDING, SENT, FAILED, NO_RECIPIENT)
TLS_MODES = ("starttls", "ssl", "none")
LEASE = timedelta(minutes=5)  # an attempt in flight: no other worker takes the delivery


@dataclass(frozen=True)
class SmtpSettings:
    """Where head office sends e-mail from (``serve --smtp-*``, ``TERRAIN_SMTP_*``)."""

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = ""
    tls: str = "starttls"  # starttls | ssl | none
    sender: str = ""
    timeout: float = 20.0

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            from app.errors import ConfigError

            raise ConfigError(
                f"Unknown SMTP TLS mode {self.tls!r}.", hint=f"Use one of {', '.join(TLS_MODES)}."
            )


@dataclass(frozen=True)
class DeliveryPolicy:
    """When to try again: ``retry_base`` seconds after the first failure, doubling, at most
    ``retry_max``; ``max_attempts`` attempts in all. ``poll``: seconds between looks."""

    retry_base: float = 30.0
    retry_max: float = 3600.0
    max_attempts: int = 10
    poll: float = 5.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1)))


class DeliveryError(Exception):
    """One attempt failed; the text is what the office sees (the SMTP server's answer)."""


def build_message(settings: SmtpSettings, version: ReportVersion, recipient: str) -> EmailMessage:
    content = version.content or {}
    reference = content.get("reference") or version.intervention_id
    company = (content.get("company") or {}).get("name") or _company_name()
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = f"Bon d'intervention {reference} — {company}"
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(
        "Bonjour,\n\n"
        f"Veuillez trouver ci-joint le bon d'intervention {reference}, validé par nos "
        "services.\n\n"
        f"Cordialement,\n{company}\n\n"
        f"-- \nPlease find attached the validated intervention slip {reference}.\n"
    )
    pdf = version_pdf(version, language="fr")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{reference}.pdf")
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send ``message``; raises ``DeliveryError`` with the server's answer."""
    if not settings.configured:
        raise DeliveryError(
            "E-mail is not configured at head office (serve --smtp-host and --smtp-sender)."
        )
    try:
        if settings.tls == "ssl":
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                smtp.login(settings.user, settings.password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = [f"{who}: {_answer(code, text)}" for who, (code, text) in exc.recipients.items()]
        raise DeliveryError("Recipient refused — " + "; ".join(answers)) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(_answer(exc.smtp_code, exc.smtp_error)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        where = f"{settings.host}:{settings.port}"
        raise DeliveryError(f"Cannot reach the SMTP server {where}: {exc}") from exc


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _company_name() -> str:
    company = Company.live().order_by(Company.created_at).first()
    return company.name if company else ""


class DeliveryWorker:
    """A thread that sends due deliveries of one head office database until ``stop()``."""

    _running: set[DeliveryWorker] = set()
    _running_lock = threading.Lock()

    def __init__(self, database: Database, settings: SmtpSettings, policy: DeliveryPolicy):
        self.database = database
        self.settings = settings
        self.policy = policy
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def wake_all(cls) -> None:
        """A delivery was queued: every running worker looks now (not at its next poll)."""
        with cls._running_lock:
            workers = list(cls._running)
        for worker in workers:
            worker._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="headoffice-mail", daemon=True)
        with self._running_lock:
            self._running.add(self)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop looking; waits for the attempt in flight (bounded by the SMTP timeout)."""
        with self._running_lock:
            self._running.discard(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        with db.using(self.database):
            try:
                while not self._stop.is_set():
                    try:
                        while not self._stop.is_set() and self.run_once():
                            pass
                    except Exception:
                        log.exception("e-mail delivery: unexpected failure, trying again later")
                    self._wake.wait(self.policy.poll)
                    self._wake.clear()
            finally:
                if not db.is_closed():
                    db.close()

    def run_once(self) -> bool:
        """Try the next due delivery; False when none is due."""
        delivery = self._claim()
        if delivery is None:
            return False
        self.attempt(delivery)
        return True

    def _claim(self) -> EmailDelivery | None:
        now = clock.utcnow()
        due = (
            EmailDelivery.select()
            .where(
                EmailDelivery.state.in_([PENDING, FAILED])
                & (EmailDelivery.attempts < self.policy.max_attempts)
                & (EmailDelivery.next_attempt_at <= now)
            )
            .order_by(EmailDelivery.next_attempt_at)
        )
        for delivery in due.limit(5):
            taken = (
                EmailDelivery.update(next_attempt_at=now + LEASE)
                .where(
                    (EmailDelivery.report_version_id == delivery.report_version_id)
                    & (EmailDelivery.next_attempt_at == delivery.next_attempt_at)
                )
                .execute()
            )
            if taken:  # another worker (another process) may have taken it first
                return delivery
        return None

    def attempt(self, delivery: EmailDelivery) -> None:
        """One attempt: sent, or failed with the error and the time of the next attempt."""
        attempts = delivery.attempts + 1
        try:
            version = ReportVersion.get_or_none(ReportVersion.id == delivery.report_version_id)
            if version is None or version.deleted:
                raise DeliveryError("The validated report version is no longer at head office.")
            send(self.settings, build_message(self.settings, version, delivery.recipient))
        except DeliveryError as exc:
            error = str(exc)
            log.warning("e-mail of %s failed: %s", delivery.report_version_id, error)
            _record(delivery, FAILED, attempts, error, clock.utcnow() + self.policy.delay(attempts))
        except Exception as exc:  # the PDF, the database: logged, shown, retried
            log.exception("e-mail of %s failed", delivery.report_version_id)
            error = f"Head office could not prepare the e-mail: {exc}"
            _record(delivery, FAILED, attempts, error, clock.utcnow() + self.policy.delay(attempts))
        else:
            log.info("e-mail of %s sent to %s", delivery.report_version_id, delivery.recipient)
            _record(delivery, SENT, attempts, "", None)


def _record(
    delivery: EmailDelivery, state: str, attempts: int, error: str, next_at: datetime | None
) -> None:
    now = clock.utcnow()
    values = {"state": state, "attempts": attempts, "last_error": error, "updated_at": now}
    if state == SENT:
        values["sent_at"] = now
    if next_at is not None:
        values["next_attempt_at"] = next_at
    EmailDelivery.update(**values).where(
        EmailDelivery.report_version_id == delivery.report_version_id
    ).execute()


def delivery_json(delivery: EmailDelivery) -> dict:
    """What the office sees of a delivery (``GET /office/deliveries``)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {
        "report_version_id": delivery.report_version_id,
        "intervention_id": delivery.intervention_id,
        "recipient": delivery.recipient,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.state == FAILED else None,
        "sent_at": iso(delivery.sent_at),
        "updated_at": iso(delivery.updated_at),
    }
