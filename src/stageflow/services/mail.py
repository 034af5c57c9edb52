"""Sending one email over SMTP (host, port, STARTTLS and login from the settings), and telling
a failure worth retrying (the server is down, busy, or misconfigured) from one that is not (the
server refused the recipient or the message for good)."""

from __future__ import annotations

import smtplib
import ssl
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from stageflow.settings import SmtpSettings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    message_id: str  # stable across tries: a receiver can tell a resend from a new email
    html: str | None = None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Email:
        html = payload.get("html")
        return cls(
            to=str(payload["to"]),
            subject=str(payload["subject"]),
            text=str(payload["text"]),
            message_id=str(payload["message_id"]),
            html=None if html is None else str(html),
        )


@dataclass(frozen=True)
class Failure:
    error: str
    temporary: bool  # try again later; False: the server refused this email for good


def send(smtp: SmtpSettings, email: Email) -> Failure | None:
    """Hand `email` to the SMTP server; None once the server has accepted it."""
    try:
        _send(smtp, _message(smtp, email))
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        return Failure(
            f"recipient refused: {exc.recipients}", temporary=min(codes, default=400) < 500
        )
    except smtplib.SMTPDataError as exc:
        return Failure(f"message refused: {exc.smtp_code} {exc.smtp_error!r}", exc.smtp_code < 500)
    except (OSError, smtplib.SMTPException) as exc:  # down, timed out, busy, TLS, credentials
        return Failure(f"{type(exc).__name__}: {exc}", temporary=True)
    return None


def _message(smtp: SmtpSettings, email: Email) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = email.message_id
    msg.set_content(email.text)
    if email.html:
        msg.add_alternative(email.html, subtype="html")
    return msg


def _send(smtp: SmtpSettings, msg: EmailMessage) -> None:
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
        if smtp.username:
            server.login(smtp.username, smtp.password or "")
        server.send_message(msg, from_addr=smtp.sender, to_addrs=[str(msg["To"])])
    finally:
        # Accepted is accepted: a failed goodbye must not make the email look unsent.
        with suppress(OSError, smtplib.SMTPException):
            server.quit()
        server.close()
