"""Mail through an SMTP relay (``ACSA_SMTP_URL``), always over TLS.

``smtps://`` speaks TLS from the first byte (port 465); ``smtp://`` must be upgraded with
STARTTLS before anything else is said (a relay that does not offer it is refused, so a password
or a notice never crosses the network in the clear). The relay's certificate is checked against
the system's CAs, or ACSA_SMTP_CA_FILE's (a private CA).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from acsa.domain.limits import DELIVERY_TIMEOUT_S
from acsa.domain.notice_delivery import SmtpSettings


@dataclass(frozen=True, slots=True)
class Mail:
    """One e-mail: to whom, its subject and its plain-text body, and the language it is in."""

    to: str
    subject: str
    body: str
    language: str = "en"


class MailError(Exception):
    """The relay refused the mail or could not be reached (the delivery is tried again)."""


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def message(settings: SmtpSettings, mail: Mail) -> EmailMessage:
    """``mail`` as a MIME message from the configured sender (UTF-8, with its language)."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body)
    msg["Content-Language"] = mail.language
    return msg


class SmtpMailer:
    """Sends each mail in its own TLS connection to the relay (a pass sends a few)."""

    def __init__(self, settings: SmtpSettings, timeout: float = DELIVERY_TIMEOUT_S) -> None:
        self.settings = settings
        self.timeout = timeout

    def __call__(self, mail: Mail) -> None:
        s = self.settings
        context = _context(s)
        try:
            if s.implicit_tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            with client:
                client.ehlo()
                if not s.implicit_tls:
                    if not client.has_extn("starttls"):
                        raise MailError(f"{s.host}:{s.port} does not offer STARTTLS")
                    client.starttls(context=context)
                    client.ehlo()
                if s.username is not None:
                    client.login(s.username, s.password or "")
                client.send_message(message(s, mail))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc
