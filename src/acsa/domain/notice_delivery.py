"""Notices by e-mail and by webhook: the rules, without I/O.

A person chooses how notices reach them by e-mail (``notify``): not at all (``off``), one mail
per notice (``each``) or one mail a day listing them all (``digest``). A nation's admin adds
webhooks: an address acsa POSTs each notice of the nation to, signed with a key
(HMAC-SHA256 of ``<timestamp>.<body>``) that the receiver checks. A delivery that fails is tried
again later, each delay four times the last (30 s, 2 min, 8 min, ...), and abandoned after
DELIVERY_ATTEMPTS_MAX attempts. Everything taken in (addresses, URLs, keys, kinds, the relay's
settings) is checked here, naming the field and the bound.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.limits import (
    DELIVERY_ATTEMPTS_MAX,
    DELIVERY_RETRY_FACTOR,
    DELIVERY_RETRY_FIRST_S,
    DIGEST_HOUR_DEFAULT,
    DIGEST_HOUR_MAX,
    EMAIL_CHARS_MAX,
    EMAIL_LOCAL_CHARS_MAX,
    PATH_CHARS_MAX,
    PUBLIC_URL_CHARS_MAX,
    SMTP_URL_CHARS_MAX,
    WEBHOOK_KINDS_MAX,
    WEBHOOK_SECRET_CHARS_MAX,
    WEBHOOK_SECRET_CHARS_MIN,
    WEBHOOK_URL_CHARS_MAX,
    choice_violation,
    count_violation,
    text_violation,
)
from acsa.domain.messages import t


class Notify(StrEnum):
    """How notices reach a person by e-mail."""

    OFF = "off"
    EACH = "each"
    DIGEST = "digest"


class Channel(StrEnum):
    """How a delivery goes: one e-mail, a line of a daily digest e-mail, or a webhook POST."""

    EMAIL = "email"
    DIGEST = "digest"
    WEBHOOK = "webhook"


class State(StrEnum):
    """A delivery's state: waiting (for its time), being sent by one runner, sent, failed
    once (waiting to be tried again: kept as ``pending`` with its error), or given up."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    ABANDONED = "abandoned"


_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
#: The header names a webhook's POST carries.
SIGNATURE_HEADER = "X-Acsa-Signature"
TIMESTAMP_HEADER = "X-Acsa-Timestamp"
DELIVERY_HEADER = "X-Acsa-Delivery"


def _invalid(field: str, template: str, **params: object) -> Violation:
    return Violation(Code.INVALID_FIELD, field, template, params={"field": field, **params})


def email_violation(field: str, value: str) -> Violation | None:
    """Why ``value`` is not an e-mail address acsa sends to (``name@host.example``: ASCII, at
    most EMAIL_CHARS_MAX characters and EMAIL_LOCAL_CHARS_MAX before the @), or None."""
    bounded = text_violation(field, value, multiline=False, bound=EMAIL_CHARS_MAX)
    if bounded is not None:
        return bounded
    local, at, host = value.rpartition("@")
    labels = host.split(".")
    if (
        not at
        or len(local) > EMAIL_LOCAL_CHARS_MAX
        or _LOCAL.fullmatch(local) is None
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
    ):
        return _invalid(
            field, t("{field} {value} is not an e-mail address (name@host.example)"), value=value
        )
    return None


def check_email(field: str, value: str | None) -> str | None:
    """``value`` stripped when it is an e-mail address; None for none (empty); INVALID_FIELD
    naming ``field`` otherwise."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    violation = email_violation(field, text)
    if violation is not None:
        raise AcsaError([violation])
    return text


def check_notify(field: str, value: str) -> Notify:
    """``value`` as a Notify choice; INVALID_FIELD naming ``field`` and the choices otherwise."""
    violation = choice_violation(field, value, [n.value for n in Notify])
    if violation is not None:
        raise AcsaError([violation])
    return Notify(value)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_violation(field: str, value: str) -> Violation | None:
    """Why ``value`` is not a webhook address: https (plain http only to this machine's own
    loopback address), a host, no user or password in it, at most WEBHOOK_URL_CHARS_MAX."""
    bounded = text_violation(field, value, multiline=False, bound=WEBHOOK_URL_CHARS_MAX)
    if bounded is not None:
        return bounded
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.username is not None or " " in value:
        return _invalid(field, t("{field} {value} is not an http(s) address"), value=value)
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(host)):
        return None
    return _invalid(
        field,
        t("{field} {value} must be an https address (plain http only to this machine)"),
        value=value,
    )


def check_webhook(
    url: str, kinds: Iterable[str], known: Iterable[str], secret: str | None
) -> tuple[str, list[str], str | None]:
    """A webhook's address, kinds and key as given, checked together: the URL (see
    webhook_url_violation), each kind one of ``known`` (none: every kind), at most
    WEBHOOK_KINDS_MAX, and a key given of WEBHOOK_SECRET_CHARS_MIN to WEBHOOK_SECRET_CHARS_MAX
    printable characters. Every violation at once."""
    found: list[Violation] = []
    url = url.strip()
    bad_url = webhook_url_violation("url", url)
    if bad_url is not None:
        found.append(bad_url)
    picked = sorted({k.strip() for k in kinds if k.strip()})
    too_many = count_violation("kinds", len(picked), WEBHOOK_KINDS_MAX)
    if too_many is not None:
        found.append(too_many)
    else:
        options = sorted(known)
        for kind in picked:
            bad = choice_violation("kinds", kind, options)
            if bad is not None:
                found.append(bad)
    if secret is not None:
        bad_secret = text_violation(
            "secret", secret, multiline=False, bound=WEBHOOK_SECRET_CHARS_MAX
        )
        if bad_secret is not None:
            found.append(bad_secret)
        elif len(secret) < WEBHOOK_SECRET_CHARS_MIN or secret != secret.strip():
            found.append(
                _invalid(
                    "secret",
                    t("{field} needs at least {least} characters, without spaces around them"),
                    least=WEBHOOK_SECRET_CHARS_MIN,
                )
            )
    if found:
        raise AcsaError(found)
    return url, picked, secret


def wants(kinds: Iterable[str], kind: str) -> bool:
    """Whether a webhook of ``kinds`` takes a notice of ``kind`` (no kinds: every kind)."""
    chosen = list(kinds)
    return not chosen or kind in chosen


def secret_prefix(secret: str) -> str:
    """What is shown of a webhook's key after it was made: its first characters."""
    return secret[:6] + "…"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Acsa-Signature`` of ``body`` sent at ``timestamp``: ``sha256=`` and the hex
    HMAC-SHA256, under ``secret``, of the timestamp, a full stop and the body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def retry_delay(attempts: int) -> timedelta | None:
    """How long after its ``attempts``-th failed attempt a delivery is tried again (30 s,
    2 min, 8 min, ...), or None when it has had its DELIVERY_ATTEMPTS_MAX and is abandoned."""
    if attempts >= DELIVERY_ATTEMPTS_MAX:
        return None
    return timedelta(seconds=DELIVERY_RETRY_FIRST_S * DELIVERY_RETRY_FACTOR ** (attempts - 1))


def next_digest(now: datetime, hour: int) -> datetime:
    """The first time at ``hour`` o'clock (UTC) at or after ``now``: when a digest notice of
    ``now`` is sent."""
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at >= now else at + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where mail goes: the relay's host and port, implicit TLS (``smtps``) or STARTTLS
    (``smtp``, always required), the sign-in if any, a CA file to trust (a private CA), the
    sender, and the public address links in mails start with."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    ca_file: str | None
    sender: str
    public_url: str


ENV_SMTP_URL = "ACSA_SMTP_URL"
ENV_SMTP_CA_FILE = "ACSA_SMTP_CA_FILE"
ENV_SMTP_FROM = "ACSA_SMTP_FROM"
ENV_PUBLIC_URL = "ACSA_PUBLIC_URL"
ENV_DIGEST_HOUR = "ACSA_DIGEST_HOUR"


def smtp_settings(env: Mapping[str, str]) -> SmtpSettings | None:
    """The relay from ACSA_SMTP_URL (``smtps://user:pass@host:465`` or ``smtp://host:587``),
    ACSA_SMTP_FROM, ACSA_SMTP_CA_FILE and ACSA_PUBLIC_URL; None when ACSA_SMTP_URL is not set
    (no mail is sent). Refused (INVALID_FIELD naming the variable): another scheme, no host,
    no sender, a public address that is not http(s)."""
    raw = env.get(ENV_SMTP_URL, "").strip()
    if not raw:
        return None
    found: list[Violation] = []
    bounded = text_violation(ENV_SMTP_URL, raw, multiline=False, bound=SMTP_URL_CHARS_MAX)
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if bounded is not None:
        found.append(bounded)
    elif parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        found.append(
            _invalid(
                ENV_SMTP_URL,
                t(
                    "{field} must be smtps://user:password@host:465 (TLS) or smtp://host:587 "
                    "(STARTTLS)"
                ),
            )
        )
    sender = check_email_violations(ENV_SMTP_FROM, env.get(ENV_SMTP_FROM, "").strip(), found)
    public = env.get(ENV_PUBLIC_URL, "").strip().rstrip("/")
    ca_file = env.get(ENV_SMTP_CA_FILE, "").strip()
    bad_ca = text_violation(ENV_SMTP_CA_FILE, ca_file, multiline=False, bound=PATH_CHARS_MAX)
    if bad_ca is not None:
        found.append(bad_ca)
    bad_public = text_violation(ENV_PUBLIC_URL, public, multiline=False, bound=PUBLIC_URL_CHARS_MAX)
    if bad_public is not None:
        found.append(bad_public)
    elif public and urlsplit(public).scheme not in ("http", "https"):
        found.append(_invalid(ENV_PUBLIC_URL, t("{field} must be an http(s) address")))
    if found:
        raise AcsaError(found)
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname or "",
        port=port or (465 if implicit else 587),
        implicit_tls=implicit,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ca_file=ca_file or None,
        sender=sender,
        public_url=public,
    )


def check_email_violations(field: str, value: str, found: list[Violation]) -> str:
    """``value`` when it is an address; else a violation naming ``field`` is added to
    ``found`` (an empty value is one too: the field is required)."""
    if not value:
        found.append(_invalid(field, t("{field} is required")))
        return value
    violation = email_violation(field, value)
    if violation is not None:
        found.append(violation)
    return value


def digest_hour(env: Mapping[str, str]) -> int:
    """ACSA_DIGEST_HOUR: the hour (UTC, 0 to 23) daily digests are sent at; default 7."""
    raw = env.get(ENV_DIGEST_HOUR, "").strip()
    if not raw:
        return DIGEST_HOUR_DEFAULT
    if not raw.isascii() or not raw.isdigit() or int(raw) > DIGEST_HOUR_MAX:
        raise AcsaError(
            [
                _invalid(
                    ENV_DIGEST_HOUR,
                    t("{field} is {value}; it must be a whole hour from 0 to {most}"),
                    value=repr(raw[:40]),
                    most=DIGEST_HOUR_MAX,
                )
            ]
        )
    return int(raw)


def link(public_url: str, order_id: int | None) -> str:
    """Where a notice's mail points: the order's page, or the inbox for a notice of no order."""
    path = f"/orders/{order_id}" if order_id is not None else "/inbox"
    return public_url + path
