"""Real receivers for the notices' deliveries, on 127.0.0.1, started by the tests: an SMTP
relay (aiosmtpd) that speaks STARTTLS with a certificate made here and asks for a password,
and an HTTP server taking webhooks, checking their signature and failing the first N POSTs."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "acsa-relay"
SMTP_PASSWORD = "relay-password-1"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, its own CA, and its key: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acsa test relay")])
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "relay.pem"
    key_path = directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One mail the relay took: the envelope's recipients, the message, whether the session
    was over TLS and signed in."""

    to: list[str]
    message: EmailMessage
    tls: bool
    signed_in: bool

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return cast(str, cast(EmailMessage, part).get_content())


@dataclass
class Relay:
    """The running relay: where it listens, the CA file to trust, what it received."""

    port: int
    ca_file: Path
    mails: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, user: str = SMTP_USER, password: str = SMTP_PASSWORD) -> str:
        return f"smtp://{user}:{password}@127.0.0.1:{self.port}"

    def env(
        self, sender: str = "acsa@jpn.example", public: str = "https://acsa.example"
    ) -> dict[str, str]:
        return {
            "ACSA_SMTP_URL": self.url(),
            "ACSA_SMTP_CA_FILE": str(self.ca_file),
            "ACSA_SMTP_FROM": sender,
            "ACSA_PUBLIC_URL": public,
        }

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.mails if address in m.to]


class _Handler:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        message = message_from_bytes(content, policy=policy.default)
        received = Received(
            to=list(envelope.rcpt_tos),
            message=message,
            tls=session.ssl is not None,
            signed_in=bool(session.authenticated),
        )
        with self.relay.lock:
            self.relay.mails.append(received)
        return "250 OK"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_relay(directory: Path) -> Iterator[Relay]:
    """An SMTP relay on 127.0.0.1 requiring STARTTLS (its certificate made here) and a
    password before it takes mail."""
    cert, key = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = Relay(port=free_port(), ca_file=cert)
    controller = Controller(
        _Handler(relay),
        hostname="127.0.0.1",
        port=relay.port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """Whether ``body`` carries a good X-Acsa-Signature under ``secret`` (as a receiver checks)."""
    stamp = headers.get("X-Acsa-Timestamp", "")
    expected = (
        "sha256="
        + hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, headers.get("X-Acsa-Signature", ""))


@dataclass
class Hook:
    """A webhook receiver: the key it checks, how many POSTs it fails first (500), what it
    took (delivery id, body) and every POST it saw (status answered)."""

    secret: str
    fail_first: int = 0
    port: int = 0
    taken: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/acsa-hook"


@contextmanager
def webhook_receiver(secret: str, fail_first: int = 0) -> Iterator[Hook]:
    """A threaded HTTP server on 127.0.0.1 taking webhooks: 401 for a bad signature, 500 for
    the first ``fail_first`` good ones, then 204."""
    hook = Hook(secret=secret, fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with hook.lock:
                if not verify(hook.secret, self.headers, body) or not self.headers.get(
                    "User-Agent", ""
                ).startswith("acsa/"):
                    status = 401
                elif len([s for s in hook.seen if s != 401]) < hook.fail_first:
                    status = 500
                else:
                    status = 204
                    hook.taken.append((self.headers["X-Acsa-Delivery"], json.loads(body)))
                hook.seen.append(status)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
