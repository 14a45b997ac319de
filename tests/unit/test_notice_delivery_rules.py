"""The rules of notices by e-mail and webhook: addresses, webhook URLs and keys, the relay's
settings, the signature, the backoff and the digest's hour."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acsa.domain.errors import AcsaError, Code
from acsa.domain.limits import DELIVERY_ATTEMPTS_MAX, EMAIL_CHARS_MAX
from acsa.domain.notice_delivery import (
    check_email,
    check_notify,
    check_webhook,
    digest_hour,
    link,
    next_digest,
    retry_delay,
    signature,
    smtp_settings,
    wants,
)

KINDS = ["pay", "accept"]


def _fields(exc: pytest.ExceptionInfo[AcsaError]) -> list[str]:
    return [v.field for v in exc.value.violations]


@pytest.mark.parametrize(
    "address", ["kate@jpn.example", "k.a+te@mail.jpn.example", "x_y@a-b.example"]
)
def test_addresses_taken(address: str) -> None:
    assert check_email("email", f"  {address} ") == address


@pytest.mark.parametrize(
    "address",
    [
        "kate",
        "kate@",
        "@jpn.example",
        "kate@localhost",
        "ka te@jpn.example",
        "kate@jpn..example",
        "kate@-jpn.example",
        "kate@jpn.\nexample",
        "kate\x00@jpn.example",
        "a" * 65 + "@jpn.example",
        "a@" + "b" * (EMAIL_CHARS_MAX - 10) + ".example",
        "けい@jpn.example",
    ],
)
def test_addresses_refused_naming_the_field(address: str) -> None:
    with pytest.raises(AcsaError) as refused:
        check_email("email", address)
    assert _fields(refused) == ["email"]
    assert refused.value.violations[0].code is Code.INVALID_FIELD


def test_no_address_is_none() -> None:
    assert check_email("email", "  ") is None
    assert check_email("email", None) is None


def test_notify_choices() -> None:
    assert [check_notify("notify", v).value for v in ("off", "each", "digest")] == [
        "off",
        "each",
        "digest",
    ]
    with pytest.raises(AcsaError) as refused:
        check_notify("notify", "daily")
    assert _fields(refused) == ["notify"]


def test_webhook_urls() -> None:
    assert check_webhook("https://hooks.jpn.example/acsa", [], KINDS, None)[0].startswith("https")
    assert check_webhook("http://127.0.0.1:8080/x", ["pay"], KINDS, None)[1] == ["pay"]
    for bad in (
        "http://hooks.jpn.example/x",
        "ftp://hooks.jpn.example/x",
        "https://user:pw@hooks.jpn.example/x",
        "https:///x",
        "https://hooks.jpn.example/" + "x" * 500,
    ):
        with pytest.raises(AcsaError) as refused:
            check_webhook(bad, [], KINDS, None)
        assert _fields(refused) == ["url"], bad


def test_webhook_kinds_and_key_are_checked_together_with_the_url() -> None:
    with pytest.raises(AcsaError) as refused:
        check_webhook("ftp://x", ["pay", "nope"], KINDS, "short")
    assert _fields(refused) == ["url", "kinds", "secret"]
    assert wants([], "pay")
    assert wants(["pay"], "pay")
    assert not wants(["pay"], "accept")


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id": 1}'
    expected = hmac.new(b"key-key-key-key-1", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("key-key-key-key-1", "1700000000", body) == "sha256=" + expected
    assert signature("key-key-key-key-2", "1700000000", body) != "sha256=" + expected


def test_backoff_grows_fourfold_and_ends() -> None:
    delays = [retry_delay(n) for n in range(1, DELIVERY_ATTEMPTS_MAX + 1)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=8)]
    assert delays[-1] is None
    assert all(d is not None for d in delays[:-1])


def test_the_digest_goes_at_its_hour_today_or_tomorrow() -> None:
    early = datetime(2027, 3, 1, 6, 59, tzinfo=UTC)
    assert next_digest(early, 7) == datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
    late = datetime(2027, 3, 1, 7, 0, 1, tzinfo=UTC)
    assert next_digest(late, 7) == datetime(2027, 3, 2, 7, 0, tzinfo=UTC)
    assert digest_hour({}) == 7
    assert digest_hour({"ACSA_DIGEST_HOUR": "23"}) == 23
    for bad in ("24", "-1", "7.5", "٣"):
        with pytest.raises(AcsaError) as refused:
            digest_hour({"ACSA_DIGEST_HOUR": bad})
        assert _fields(refused) == ["ACSA_DIGEST_HOUR"]


def test_relay_settings() -> None:
    assert smtp_settings({}) is None
    implicit = smtp_settings(
        {
            "ACSA_SMTP_URL": "smtps://me%40x:p%3Ass@mail.example",
            "ACSA_SMTP_FROM": "acsa@jpn.example",
            "ACSA_PUBLIC_URL": "https://acsa.example/",
        }
    )
    assert implicit is not None
    assert (implicit.port, implicit.implicit_tls, implicit.username, implicit.password) == (
        465,
        True,
        "me@x",
        "p:ss",
    )
    assert implicit.public_url == "https://acsa.example"
    starttls = smtp_settings(
        {"ACSA_SMTP_URL": "smtp://mail.example", "ACSA_SMTP_FROM": "a@b.example"}
    )
    assert starttls is not None
    assert (starttls.port, starttls.implicit_tls) == (587, False)
    with pytest.raises(AcsaError) as refused:
        smtp_settings(
            {"ACSA_SMTP_URL": "http://mail.example", "ACSA_PUBLIC_URL": "ftp://acsa.example"}
        )
    assert _fields(refused) == ["ACSA_SMTP_URL", "ACSA_SMTP_FROM", "ACSA_PUBLIC_URL"]


def test_links() -> None:
    assert link("https://acsa.example", 12) == "https://acsa.example/orders/12"
    assert link("https://acsa.example", None) == "https://acsa.example/inbox"


def test_the_relay_from_the_environment(tmp_path: Path) -> None:
    from acsa.services.notice_delivery import delivery_from_env

    base = {"ACSA_SMTP_URL": "smtp://mail.example", "ACSA_SMTP_FROM": "acsa@jpn.example"}
    assert delivery_from_env({}).send_mail is None  # no relay: no mail
    assert delivery_from_env({}).post is not None  # webhooks still go
    ca = tmp_path / "ca.pem"
    ca.write_text("not read here")
    made = delivery_from_env({**base, "ACSA_SMTP_CA_FILE": str(ca), "ACSA_DIGEST_HOUR": "6"})
    assert made.send_mail is not None
    assert made.digest_hour == 6
    with pytest.raises(AcsaError) as missing:
        delivery_from_env({**base, "ACSA_SMTP_CA_FILE": str(tmp_path / "none.pem")})
    assert _fields(missing) == ["ACSA_SMTP_CA_FILE"]
    with pytest.raises(AcsaError) as long_path:
        delivery_from_env({**base, "ACSA_SMTP_CA_FILE": "/x" * 3000})
    assert _fields(long_path) == ["ACSA_SMTP_CA_FILE"]
