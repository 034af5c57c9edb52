"""Sending one email over SMTP (host, port, STARTTLS and login from the settings), and telling
a failure worth retrying (the server is down, busy, or misconfigured) from one that is not (the
server refused the recipient or the message for good)."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import idna

from stageflow.settings import SmtpSettings

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


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


@dataclass(frozen=True)
class Withheld:
    """The last look before the email's final "." found it no longer wanted: not sent."""

    why: str


LastLook = Callable[[], str | None]  # why the email is no longer wanted, or None


def _wanted() -> str | None:
    return None


# Characters that make an address a list, a display name or a route, not one bare address.
_SPECIALS = frozenset('()<>[]:;,"\\')
MAX_ADDRESS = 254  # RFC 5321's longest path, less its angle brackets


def address_problem(address: str) -> str | None:
    """Why `address` cannot be the one recipient of an email ("it ..."), or None: only a bare
    name@domain is taken. A line break would end the To header (and start another one), and a
    list or a display name would mail someone else than the user, or fail every try."""
    if len(address) > MAX_ADDRESS:
        return f"is longer than {MAX_ADDRESS} characters"
    if "\r" in address or "\n" in address:
        return "contains a line break"
    if any(ch in _SPECIALS for ch in address):
        return "is not one bare address (name@domain, without a name, brackets or a list)"
    if any(not ch.isprintable() or ch.isspace() for ch in address):
        return "contains a space or an invisible character"
    local, at, domain = address.rpartition("@")
    if not at or not local or "@" in local or "" in domain.split("."):
        return "is not an address like name@example.com"
    return None


class _Unusable(Exception):
    """The recipient's address cannot be used with this server: no try will deliver it."""


def send(
    smtp: SmtpSettings, email: Email, last_look: LastLook = _wanted
) -> Failure | Withheld | None:
    """Hand `email` to the SMTP server; None once the server has accepted it. `last_look` is
    asked just before the end of its data, the last moment the email can still be dropped."""
    problem = address_problem(email.to)
    if problem is not None:
        return Failure(f"recipient {email.to!r} cannot be used: it {problem}", temporary=False)
    try:
        message = _message(smtp, email)
    except (ValueError, MessageError) as exc:  # a header it cannot hold: no try would build it
        return Failure(f"message cannot be built: {type(exc).__name__}: {exc}", temporary=False)
    try:
        _send(smtp, message, last_look)
    except _Withheld as exc:
        return Withheld(str(exc))
    except _Unusable as exc:
        return Failure(f"recipient {email.to!r} cannot be used: {exc}", temporary=False)
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


class _Withheld(Exception):
    """The last look said no: the connection was closed before the email's final "."."""


class _Smtp(smtplib.SMTP):
    """smtplib's client, with a last look before the "." that ends the email's data: once the
    server has read it the email is out. Whatever commits until then (a reassignment, say) is
    seen, and no database lock waits for the server meanwhile."""

    def __init__(self, smtp: SmtpSettings, last_look: LastLook) -> None:
        self._last_look = last_look
        super().__init__(smtp.host, smtp.port, timeout=smtp.timeout)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """As smtplib's, but the last look comes between the data and its final "."."""
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(_data(msg))
        try:
            why = self._last_look()
        except BaseException:
            self.close()  # see below
            raise
        if why is not None:
            # Mid-data, a QUIT or RSET would be read as more of the email. A server takes an
            # email at its final "." (RFC 5321, 4.1.1.4): closed before it, it is dropped.
            self.close()
            raise _Withheld(why)
        self.send(b".\r\n")
        return self.getreply()


def _data(msg: ReadableBuffer | str) -> bytes:
    """The email's data as SMTP carries it: CRLF line ends, a leading "." doubled."""
    if isinstance(msg, str):
        msg = re.sub(r"\r\n|\n|\r", "\r\n", msg).encode("ascii")
    data = re.sub(rb"(?m)^\.", b"..", bytes(msg))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _send(smtp: SmtpSettings, msg: EmailMessage, last_look: LastLook) -> None:
    server = _Smtp(smtp, last_look)
    try:
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context(cafile=smtp.ca_file))
        if smtp.username:
            server.login(smtp.username, smtp.password or "")
        to = _recipient(server, str(msg["To"]))
        msg.replace_header("To", to)
        server.send_message(msg, from_addr=smtp.sender, to_addrs=[to])
    finally:
        # Accepted is accepted: a failed goodbye must not make the email look unsent (nor
        # one to a connection the last look closed: smtplib says it is disconnected).
        with suppress(OSError, smtplib.SMTPException):
            server.quit()
        server.close()


def _recipient(server: smtplib.SMTP, to: str) -> str:
    """`to` as this server can take it. An address beyond ASCII needs the server's SMTPUTF8,
    unless only its domain is: that one is sent IDNA-encoded (`xn--...`, as DNS knows the
    domain), which any server takes. Else smtplib would refuse the email on every try (a sender
    beyond ASCII is the deployment's to fix, and waits)."""
    if to.isascii():
        return to
    server.ehlo_or_helo_if_needed()
    if server.has_extn("smtputf8"):
        return to
    local, _, domain = to.rpartition("@")
    if not local.isascii():
        raise _Unusable("it is not ASCII before the @, and the server does not offer SMTPUTF8")
    try:
        # IDNA 2008 with UTS 46's mapping (case, width): Python's own codec is IDNA 2003,
        # which sends straße.de to strasse.de, another domain
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _Unusable(
            f"its domain is no internationalized domain name ({exc}), and the server does not "
            "offer SMTPUTF8"
        ) from exc
    return f"{local}@{ascii_domain}"
