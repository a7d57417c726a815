"""Mailing the report: a real SMTP server on loopback (aiosmtpd) receives what a mail client would,
over a plain relay, STARTTLS and implicit TLS, and turns away a wrong password."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.message
import email.policy
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pipelines.report.delivery import DeliveryError, EmailSettings, send_report
from pipelines.settings import SettingsError

# A password may hold anything (RFC 4616: PLAIN carries any UTF-8 but NUL); this one holds what each encoding
# rewrites (a space, `"`, `\`, `+`, `/`, `=`, `%`, `&`), so no form of it can pass for another in a search for
# leaks. ASCII only: Python 3.11's smtplib encodes the AUTH answer as ASCII (smtplib.SMTP.auth).
USER, PASSWORD = "reports@example.com", 'correct horse "battery" +staple/=%&\\'
RECIPIENTS = ("cfo@example.com", "marketing@example.com")
SUMMARY = (
    "<p>The social media report for <b>October</b> is attached.</p><table><tr><th>ROI</th><td>112 %</td></tr></table>"
)
HOST = "127.0.0.1"

# The plain relay asks for a login without TLS, as a relay on this machine may; aiosmtpd warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@dataclasses.dataclass
class Mailbox:
    """What the server accepted: each message, with the login it came with."""

    messages: list[email.message.EmailMessage] = dataclasses.field(default_factory=list)
    recipients: list[list[str]] = dataclasses.field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def accept_one_user(server, session, envelope, mechanism, auth_data) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    # handled=False: aiosmtpd answers a failure itself (535), as a real server does.
    return AuthResult(success=valid, handled=False)


@contextlib.contextmanager
def mail_server(**options) -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port that accepts USER/PASSWORD and nothing else."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(
        mailbox, hostname=HOST, port=mailbox.port, authenticator=accept_one_user, auth_required=True, **options
    )
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made for this test run."""
    pytest.importorskip("cryptography", reason="the TLS tests make their certificate with `cryptography`")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # Valid over decades rather than around the real clock: TLS checks the machine's time, whatever
    # day the suite's calendar is set to.
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    paths = Certificate(directory / "cert.pem", directory / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def trusted(certificate, monkeypatch) -> Certificate:
    """The certificate, trusted as a private CA is: through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    return certificate


@pytest.fixture
def report_files(tmp_path) -> list[Path]:
    html, pdf = tmp_path / "social-roi-report-2026-10.html", tmp_path / "social-roi-report-2026-10.pdf"
    html.write_text("<!doctype html><title>Report</title><svg></svg>", encoding="utf-8")
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")
    return [html, pdf]


def settings(port: int, security: str, password: str = PASSWORD) -> EmailSettings:
    return EmailSettings(RECIPIENTS, "Social ROI <reports@example.com>", HOST, port, USER, password, security, 10)


def test_the_report_arrives_with_its_summary_and_both_attachments(report_files):
    with mail_server(auth_require_tls=False) as mailbox:
        send_report(settings(mailbox.port, "none"), "Social media report 2026-10", SUMMARY, report_files)

    [message] = mailbox.messages
    assert mailbox.recipients == [list(RECIPIENTS)]
    assert message["Subject"] == "Social media report 2026-10"
    assert message["To"].addresses[1].addr_spec == "marketing@example.com"
    assert "<b>October</b>" in message.get_body(("html",)).get_content()
    assert message.get_body(("plain",)).get_content().splitlines() == [
        "The social media report for October is attached.",
        "ROI | 112 %",
    ]
    attached = {part.get_filename(): part for part in message.iter_attachments()}
    assert {name: part.get_content_type() for name, part in attached.items()} == {
        "social-roi-report-2026-10.html": "text/html",
        "social-roi-report-2026-10.pdf": "application/pdf",
    }
    for path in report_files:
        assert attached[path.name].get_payload(decode=True) == path.read_bytes()


def test_starttls_protects_the_login_and_the_report(trusted, report_files):
    # The server takes neither a login nor a message before STARTTLS.
    with mail_server(tls_context=trusted.server_context(), require_starttls=True) as mailbox:
        send_report(settings(mailbox.port, "starttls"), "Social media report", SUMMARY, report_files)

    assert len(mailbox.messages) == 1


def test_implicit_tls_delivers_on_the_ssl_port(trusted, report_files):
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from its first byte.
    with mail_server(ssl_context=trusted.server_context(), auth_require_tls=False) as mailbox:
        send_report(settings(mailbox.port, "ssl"), "Social media report", SUMMARY, report_files)

    assert len(mailbox.messages) == 1


def test_a_refused_login_names_server_and_user_and_never_the_password(report_files):
    wrong = "Wr0ng-but-secret-pa55word"
    with mail_server(auth_require_tls=False) as mailbox, pytest.raises(DeliveryError) as refused:
        send_report(settings(mailbox.port, "none", password=wrong), "Social media report", SUMMARY, report_files)

    message = str(refused.value)
    assert f"{HOST}:{mailbox.port}" in message and USER in message and "refused the login" in message
    assert "SOCIAL_ROI_SMTP_USER" in message and "SOCIAL_ROI_SMTP_PASSWORD" in message
    assert wrong not in message and wrong not in repr(refused.value)
    assert refused.value.__cause__ is None and refused.value.__context__ is None
    assert mailbox.messages == []


def test_an_untrusted_certificate_says_how_to_trust_it(certificate, monkeypatch, report_files):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with mail_server(tls_context=certificate.server_context(), require_starttls=True) as mailbox:
        with pytest.raises(DeliveryError, match="certificate this machine does not trust") as untrusted:
            send_report(settings(mailbox.port, "starttls"), "Social media report", SUMMARY, report_files)

    assert "SSL_CERT_FILE" in str(untrusted.value) and PASSWORD not in str(untrusted.value)
    assert mailbox.messages == []


def test_nothing_listening_names_host_and_port(report_files):
    port = free_port()
    with pytest.raises(DeliveryError, match=f"Nothing accepts connections at the mail server {HOST}:{port}"):
        send_report(settings(port, "starttls"), "Social media report", SUMMARY, report_files)


def test_without_recipients_nothing_is_mailed():
    assert EmailSettings.from_env({}) is None


def test_email_settings_read_from_the_environment():
    env = {
        "SOCIAL_ROI_REPORT_EMAIL_TO": "cfo@example.com, marketing@example.com",
        "SOCIAL_ROI_REPORT_EMAIL_FROM": "reports@example.com",
        "SOCIAL_ROI_SMTP_HOST": "smtp.example.com",
        "SOCIAL_ROI_SMTP_USER": USER,
        "SOCIAL_ROI_SMTP_PASSWORD": PASSWORD,
    }

    read = EmailSettings.from_env(env)

    assert (read.recipients, read.host, read.port, read.security) == (RECIPIENTS, "smtp.example.com", 587, "starttls")
    assert PASSWORD not in repr(read)
    assert EmailSettings.from_env({**env, "SOCIAL_ROI_SMTP_SECURITY": "SSL"}).port == 465


COMPLETE = {
    "SOCIAL_ROI_REPORT_EMAIL_TO": "cfo@example.com",
    "SOCIAL_ROI_REPORT_EMAIL_FROM": "reports@example.com",
    "SOCIAL_ROI_SMTP_HOST": "smtp.example.com",
}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"SOCIAL_ROI_REPORT_EMAIL_TO": "cfo@example.com"},
            "set SOCIAL_ROI_REPORT_EMAIL_FROM and SOCIAL_ROI_SMTP_HOST",
        ),
        (
            {"SOCIAL_ROI_SMTP_HOST": "smtp.example.com"},
            "SOCIAL_ROI_SMTP_HOST set but SOCIAL_ROI_REPORT_EMAIL_TO is not",
        ),
        ({**COMPLETE, "SOCIAL_ROI_SMTP_USER": USER}, "SOCIAL_ROI_SMTP_USER is set but SOCIAL_ROI_SMTP_PASSWORD is not"),
        (
            {**COMPLETE, "SOCIAL_ROI_SMTP_PASSWORD": PASSWORD},
            "SOCIAL_ROI_SMTP_PASSWORD is set but SOCIAL_ROI_SMTP_USER",
        ),
        ({**COMPLETE, "SOCIAL_ROI_SMTP_SECURITY": "tls"}, "use starttls"),
        ({**COMPLETE, "SOCIAL_ROI_SMTP_PORT": "smtp"}, "is not a port number"),
        ({**COMPLETE, "SOCIAL_ROI_REPORT_EMAIL_TO": "cfo"}, "'cfo' is not an email address"),
        (
            {
                **COMPLETE,
                "SOCIAL_ROI_SMTP_SECURITY": "none",
                "SOCIAL_ROI_SMTP_USER": USER,
                "SOCIAL_ROI_SMTP_PASSWORD": PASSWORD,
            },
            "the report and SOCIAL_ROI_SMTP_USER's password unencrypted to smtp.example.com",
        ),
        ({**COMPLETE, "SOCIAL_ROI_SMTP_SECURITY": "none"}, "the report unencrypted to smtp.example.com: use starttls"),
        (
            {**COMPLETE, "SOCIAL_ROI_SMTP_SECURITY": "none", "SOCIAL_ROI_SMTP_HOST": "127.0.0.1.example.com"},
            "unencrypted to 127.0.0.1.example.com",
        ),
    ],
)
def test_a_half_configured_mail_setup_says_what_to_set(env, says):
    with pytest.raises(SettingsError) as unusable:
        EmailSettings.from_env(env)

    assert says in str(unusable.value) and PASSWORD not in str(unusable.value)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.1.1", "::1"])
def test_an_unencrypted_relay_on_this_machine_is_accepted(host):
    read = EmailSettings.from_env({**COMPLETE, "SOCIAL_ROI_SMTP_HOST": host, "SOCIAL_ROI_SMTP_SECURITY": "none"})

    assert (read.host, read.port, read.security) == (host, 25, "none")
