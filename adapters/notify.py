"""Reminders that reach people (R17): 90, 30 and 7 days before a card ends, one e-mail per
reminder per person (the holder, and the managers of the practices the card is linked
to) who left an address, in Dutch, with the date and the way to a new card.

Exactly once, across crashes and second runs: each reminder is claimed in the store
(`Person.ReminderSending`, under optimistic concurrency, so two jobs cannot both claim it)
before it is handed to the mail server, and confirmed after (`ReminderSent`, or
`ReminderFailed` when the server refused or did not answer, which a later run may try
again). A job killed between the hand-over and the confirmation leaves the reminder
claimed: it is not sent again, and `zorgid notify` lists it as unconfirmed, so an
operator can see it (the server's log says whether it went out). Sending twice is the
worse fault for a reminder; this design never does it.

Mail goes through `smtplib` (the standard library's SMTP client): STARTTLS when the server
offers it (required with `?starttls=required`), `smtps://` for TLS from the start, and
login when the URL names a user (the password from ZORGID_SMTP_PASSWORD or the systemd
credential `smtp-password`, never in a log line)."""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from uuid import UUID

from adapters.http.portal.formats import Formats
from adapters.settings import ConfigurationError, Settings
from domain.application import CardLifecycle, Recipient
from domain.identity import Actor

log = logging.getLogger(__name__)
JOB = Actor.system("reminder-job")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: str  # "implicit" (smtps), "required" or "offered" (STARTTLS)
    user: str | None
    password: str | None = field(repr=False)
    ca_file: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> SmtpServer:
        parsed = urlparse(settings.smtp_url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise ConfigurationError("ZORGID_SMTP_URL must be smtp://[user@]host[:port] or "
                                     "smtps://[user@]host[:port]")
        starttls = parse_qs(parsed.query).get("starttls", ["offered"])[0]
        if starttls not in ("offered", "required"):
            raise ConfigurationError("ZORGID_SMTP_URL's starttls is 'offered' or 'required'")
        implicit = parsed.scheme == "smtps"
        return cls(parsed.hostname, parsed.port or (465 if implicit else 25),
                   "implicit" if implicit else starttls,
                   unquote(parsed.username) if parsed.username else None,
                   settings.smtp_password or (unquote(parsed.password) if parsed.password
                                              else None),
                   str(settings.smtp_ca_file) if settings.smtp_ca_file else None)

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(self.ca_file)
        return context

    def send(self, message: EmailMessage) -> None:
        """Hand one message over; raises smtplib.SMTPException or OSError when it was not
        accepted."""
        client: smtplib.SMTP
        if self.tls == "implicit":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=30,
                                      context=self.context())
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=30)
        with client:
            client.ehlo()
            if self.tls != "implicit":
                if client.has_extn("starttls"):
                    client.starttls(context=self.context())
                    client.ehlo()
                elif self.tls == "required":
                    raise smtplib.SMTPNotSupportedError("the mail server offers no STARTTLS")
            if self.user is not None:
                client.login(self.user, self.password or "")
            client.send_message(message)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    already: int = 0
    unconfirmed: list[str] = field(default_factory=list)


def compose(recipient: Recipient, row: dict[str, Any], now: datetime, sender: str,
            portal_url: str, message_id: str) -> EmailMessage:
    """The reminder, in Dutch: the holder's own, or a manager's about a card of theirs,
    with the days really left (a job that ran late says so)."""
    end = datetime.fromisoformat(row["expires_at"])
    ends = Formats("nl").long_day(end)
    days = max(0, (end.date() - now.date()).days)  # calendar days, as people count them
    name = row["holder_name"] or "de houder"
    portal = f"{portal_url.rstrip('/')}/portal" if portal_url else "het ZORG-ID-portaal"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if recipient.ura is None:
        message["Subject"] = f"Uw ZORG-ID Smartcard verloopt op {ends}"
        body = (f"Beste {name},\n\n"
                f"Uw ZORG-ID Smartcard {row['serial']} is geldig tot {ends}: nog {days} "
                f"dagen. Daarna kunt u er niet meer mee inloggen.\n\n"
                f"Maak op tijd een nieuwe kaart: log in op {portal} en start bij Mijn "
                f"kaarten het aanmaken van een nieuwe kaart. U hebt daarvoor uw UZI-pas en "
                f"een blanco kaart van uw praktijk nodig.\n\n")
    else:
        message["Subject"] = f"De ZORG-ID Smartcard van {name} verloopt op {ends}"
        body = (f"Beste beheerder,\n\n"
                f"De ZORG-ID Smartcard {row['serial']} van {name}, gekoppeld aan uw praktijk "
                f"(URA {recipient.ura}), is geldig tot {ends}: nog {days} dagen.\n\n"
                f"Zorg dat er op tijd een blanco kaart klaarligt; bestel er zo nodig een op "
                f"{portal}. De medewerker maakt de nieuwe kaart zelf.\n\n")
    body += ("Dit bericht is automatisch verstuurd door ZORG-ID Smartcard. U krijgt het "
             "omdat u in het portaal dit e-mailadres hebt opgegeven; daar kunt u het ook "
             "weghalen.\n")
    message.set_content(body)
    return message


def send_reminders(app: CardLifecycle, due: Iterable[dict[str, Any]],
                   send: Callable[[EmailMessage], None], sender: str, portal_url: str,
                   domain: str = "zorgid.invalid") -> Outcome:
    """Each due reminder (projections.expiry.reminders_due, with the card's serial) to
    each of its recipients, claimed before and confirmed after the sending."""
    outcome = Outcome()
    for row in due:
        card_id, days = UUID(row["card_id"]), int(row["days"])
        for recipient in app.reminder_recipients(card_id):
            message_id = f"<{uuid.uuid4()}@{domain}>"
            claim = app.claim_reminder(recipient.uzi_number, card_id, days, message_id, JOB)
            if claim == "sending":
                outcome.unconfirmed.append(f"{card_id} {days}")
            elif claim == "sent":
                outcome.already += 1
            if claim != "claimed":
                continue
            message = compose(recipient, row, app.clock.now(), sender, portal_url,
                              message_id)
            try:
                send(message)
            except (smtplib.SMTPException, OSError) as error:
                log.warning("reminder %s for card %s not accepted: %s", message_id, card_id,
                            type(error).__name__)
                app.confirm_reminder(recipient.uzi_number, card_id, days, False,
                                     type(error).__name__, JOB)
                outcome.failed += 1
                continue
            app.confirm_reminder(recipient.uzi_number, card_id, days, True, "", JOB)
            outcome.sent += 1
    return outcome
