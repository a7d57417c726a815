"""The report by email: one message with the summary as its body and the report files attached,
sent through the organisation's SMTP server with the standard library.

Settings come from the environment (names below, described in the README). With no recipients
there is nothing to send; recipients without a server, or a user without a password, are a
mistake and say so. A failed delivery raises DeliveryError naming the server, the user and what
to change; the password never appears in it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import mimetypes
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

from connectors.endpoints import is_loopback_host
from connectors.redaction import scrub
from pipelines.settings import REPORT_EMAIL_SETTINGS, SettingsError

# The names live with every other setting (pipelines/settings.py), in this order.
EMAIL_SETTING_NAMES = REPORT_EMAIL_SETTINGS
EMAIL_TO, EMAIL_FROM, SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_SECURITY = EMAIL_SETTING_NAMES

# starttls: plain connection upgraded to TLS before login (submission port 587); ssl: TLS from the
# first byte (port 465); none: no encryption, for a relay on this machine only.
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_TIMEOUT_SECONDS = 60.0


class DeliveryError(RuntimeError):
    """The report could not be mailed; the message names the server and user and says what to fix."""


@dataclasses.dataclass(frozen=True)
class EmailSettings:
    """Where the report goes and through which SMTP server."""

    recipients: tuple[str, ...]
    sender: str
    host: str
    port: int
    user: str = ""
    password: str = dataclasses.field(default="", repr=False)
    security: str = "starttls"
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> EmailSettings | None:
        """The settings, or None when SOCIAL_ROI_REPORT_EMAIL_TO is unset (no email wanted).

        Raises SettingsError for a setup that cannot work: recipients without a sender or a
        server, a user without a password, a report sent unencrypted off this machine."""
        text = {name: (env.get(name) or "").strip() for name in EMAIL_SETTING_NAMES}
        if not text[EMAIL_TO]:
            stray = [name for name in EMAIL_SETTING_NAMES if text[name]]
            if stray:
                raise SettingsError(
                    f"{', '.join(stray)} set but {EMAIL_TO} is not: set {EMAIL_TO} to the report's recipients "
                    "(comma-separated), or unset the others to mail nothing."
                )
            return None
        recipients = tuple(address.strip() for address in text[EMAIL_TO].split(",") if address.strip())
        missing = [name for name in (EMAIL_FROM, SMTP_HOST) if not text[name]]
        if missing:
            raise SettingsError(f"{EMAIL_TO} is set, so the report is mailed: set {' and '.join(missing)} as well.")
        for name, addresses in ((EMAIL_TO, recipients), (EMAIL_FROM, (text[EMAIL_FROM],))):
            for address in addresses:
                if "@" not in address:
                    raise SettingsError(f"{name}: {address!r} is not an email address (name@example.com).")
        security = text[SMTP_SECURITY].lower() or "starttls"
        if security not in DEFAULT_PORTS:
            raise SettingsError(
                f"{SMTP_SECURITY}={text[SMTP_SECURITY]!r}: use starttls (port 587, the default), ssl (port 465) "
                "or none (a relay on this machine only)."
            )
        port = DEFAULT_PORTS[security]
        if text[SMTP_PORT]:
            try:
                port = int(text[SMTP_PORT])
            except ValueError:
                port = 0
            if not 0 < port < 65536:
                raise SettingsError(f"{SMTP_PORT}={text[SMTP_PORT]!r} is not a port number (e.g. 587).")
        user, password = text[SMTP_USER], env.get(SMTP_PASSWORD) or ""
        if bool(user) != bool(password):
            present, absent = (SMTP_USER, SMTP_PASSWORD) if user else (SMTP_PASSWORD, SMTP_USER)
            raise SettingsError(f"{present} is set but {absent} is not: the server needs both to log in, or neither.")
        host = text[SMTP_HOST]
        # The report's figures are the company's, login or not: unencrypted only to this machine.
        if security == "none" and not is_loopback_host(host):
            sent = f"the report and {SMTP_USER}'s password" if user else "the report"
            raise SettingsError(
                f"{SMTP_SECURITY}=none would send {sent} unencrypted to {host}: use starttls or ssl, or a relay "
                "on this machine (localhost, 127.0.0.1 or ::1)."
            )
        return cls(recipients, text[EMAIL_FROM], host, port, user, password, security)


def send_report(settings: EmailSettings, subject: str, summary_html: str, attachments: list[Path]) -> None:
    """Mail `summary_html` (with a plain-text copy for clients that show no HTML) and `attachments`
    to the recipients. Raises DeliveryError when the message cannot be handed to the server."""
    message = _message(settings, subject, summary_html, attachments)
    who = f"user {settings.user!r}" if settings.user else "no login"
    where = f"the mail server {settings.host}:{settings.port} ({SMTP_SECURITY}={settings.security}, {who})"
    try:
        _hand_over(settings, message)
    except smtplib.SMTPAuthenticationError as refused:
        problem = (
            f"{where} refused the login ({_reply(refused)}): check {SMTP_USER} and {SMTP_PASSWORD} "
            "(some providers want an app password for SMTP)."
        )
    except smtplib.SMTPNotSupportedError as unsupported:
        if "STARTTLS" in str(unsupported):
            problem = (
                f"{where} offers no STARTTLS: for port 465 set {SMTP_SECURITY}=ssl; otherwise check {SMTP_PORT} "
                "(587 is the usual port for STARTTLS)."
            )
        else:
            problem = (
                f"{where} offers no login on this connection, as servers do before TLS: use {SMTP_SECURITY}=starttls "
                f"or ssl, or unset {SMTP_USER} and {SMTP_PASSWORD} for a relay that needs no login."
            )
    except smtplib.SMTPRecipientsRefused as refused:
        rejected = ", ".join(f"{address} ({_reply_of(*reply)})" for address, reply in refused.recipients.items())
        problem = f"{where} refused the recipients {rejected}: check {EMAIL_TO}."
    except smtplib.SMTPSenderRefused as refused:
        problem = (
            f"{where} refused the sender {refused.sender} ({_reply(refused)}): set {EMAIL_FROM} to an "
            "address that user may send as."
        )
    except ssl.SSLCertVerificationError as untrusted:
        problem = (
            f"{where} presented a certificate this machine does not trust ({untrusted.verify_message}): check "
            f"that {SMTP_HOST} is the name on the server's certificate; for a private CA, point SSL_CERT_FILE "
            "at its certificate."
        )
    except ssl.SSLError as failed:
        problem = (
            f"TLS with {where} failed ({failed.reason or failed}): port 465 wants {SMTP_SECURITY}=ssl, "
            f"ports 587 and 25 want {SMTP_SECURITY}=starttls."
        )
    except ConnectionRefusedError:
        problem = f"Nothing accepts connections at {where}: check {SMTP_HOST} and {SMTP_PORT}."
    except socket.gaierror:
        problem = f"The host name of {where} does not resolve: check {SMTP_HOST}."
    except TimeoutError:
        problem = (
            f"{where} did not answer within {settings.timeout:g} s: check {SMTP_HOST} and {SMTP_PORT}, and that "
            "a firewall lets this machine reach it."
        )
    except (smtplib.SMTPException, OSError) as failed:
        problem = f"Mailing the report through {where} failed: {failed}."
    else:
        return
    # Servers echo what they were sent; the password must not travel on in a message or a log.
    problem = scrub(problem, [settings.password])
    raise DeliveryError(problem[0].upper() + problem[1:])


def _hand_over(settings: EmailSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if settings.security == "ssl":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with client:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            client.login(settings.user, settings.password)
        refused = client.send_message(message)
    if refused:
        rejected = ", ".join(f"{address} ({_reply_of(*reply)})" for address, reply in refused.items())
        raise DeliveryError(
            f"The mail server {settings.host}:{settings.port} delivers the report, but refused {rejected}: "
            f"check {EMAIL_TO}."
        )


def _message(settings: EmailSettings, subject: str, summary_html: str, attachments: list[Path]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(settings.sender)[1].rpartition("@")[2])
    message.set_content(_plain_text(summary_html))
    message.add_alternative(summary_html, subtype="html")
    for path in map(Path, attachments):
        if not path.is_file():
            raise DeliveryError(f"The attachment {path} does not exist: write the report before mailing it.")
        kind, encoding = mimetypes.guess_type(path.name)
        maintype, subtype = (kind if kind and not encoding else "application/octet-stream").split("/")
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_of(error.smtp_code, error.smtp_error)


def _reply_of(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


CELL = "\t"  # between table cells in the parsed text; " | " in the plain-text mail


class _TextOfHtml(HTMLParser):
    """The readable text of an HTML fragment: block elements on lines of their own, cells apart."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "section", "ul", "ol"}
    CELLS = {"td", "th"}
    HIDDEN = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in self.CELLS:
            self.parts.append(CELL)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def _plain_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = []
    for line in "".join(parser.parts).splitlines():
        cells = [" ".join(cell.split()) for cell in line.split(CELL)]
        if any(cells):
            lines.append(" | ".join(cell for cell in cells if cell))
    return "\n".join(lines) + "\n"
