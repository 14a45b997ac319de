"""Notices by e-mail and by webhook: one pass, :func:`deliver_due`, run by the scheduler inside
``acsa serve`` on every tick and by ``acsa alerts deliver`` from cron; and the webhooks, the
delivery log and each person's e-mail choice, managed from the CLI, the API and the pages.

A pass (1) plans the deliveries of new notices (an e-mail to each recipient who asked for them,
a line of tomorrow's digest for those who asked for a digest, a POST to each webhook of the
notice's nation that takes its kind), each planned once whatever runs it; (2) sends what is
due, each delivery claimed by one runner (a conditional UPDATE), its attempt logged, sent or
retried later (30 s, 2 min, 8 min, ...) and abandoned after DELIVERY_ATTEMPTS_MAX attempts;
(3) sends each person's due digest as one mail. Sending happens outside any transaction.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine

from acsa.adapters.db.arrangement_repository import stored_side
from acsa.adapters.db.delivery_repository import DeliveryRepository
from acsa.adapters.db.unit_of_work import UnitOfWork as SqlUnitOfWork
from acsa.adapters.smtp import Mail, SmtpMailer
from acsa.adapters.webhook_sender import WebhookPoster
from acsa.clock import utc_now
from acsa.domain.access import ForbiddenError, Principal, Role
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.limits import (
    DELIVERY_BATCH_MAX,
    DELIVERY_LEASE_S,
    DELIVERY_PLAN_DAYS,
    DIGEST_NOTICES_MAX,
    WEBHOOKS_PER_NATION_MAX,
    check_count,
)
from acsa.domain.messages import t
from acsa.domain.notice_delivery import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Channel,
    Notify,
    State,
    check_email,
    check_notify,
    check_webhook,
    digest_hour,
    email_violation,
    link,
    next_digest,
    retry_delay,
    secret_prefix,
    signature,
    smtp_settings,
    wants,
)
from acsa.domain.notices import NoticeKind
from acsa.i18n.notice_words import notice_text
from acsa.i18n.speech import Speech
from acsa.services.ports import UnitOfWork

#: Sends one mail (raises on failure).
SendMail = Callable[[Mail], None]
#: POSTs a body with headers to a URL; the HTTP status (raises when there is none).
Post = Callable[[str, bytes, dict[str, str]], int]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a pass sends with: the mailer (None: no relay configured, no mail planned), the
    webhook poster, the public address links start with, and the digest's hour (UTC)."""

    send_mail: SendMail | None
    post: Post | None
    public_url: str = ""
    digest_hour: int = 7


@dataclass(slots=True)
class DeliveryReport:
    """What one pass did: deliveries planned, attempts that succeeded and failed, deliveries
    given up, and digest mails sent."""

    planned: int = 0
    sent: int = 0
    failed: int = 0
    abandoned: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)


def delivery_from_env(env: Mapping[str, str] | None = None) -> Delivery:
    """The real adapters from the environment: mail through ACSA_SMTP_URL if set (checked:
    INVALID_FIELD naming the variable), webhooks by HTTP, ACSA_PUBLIC_URL, ACSA_DIGEST_HOUR."""
    environ = os.environ if env is None else env
    settings = smtp_settings(environ)
    if settings is not None and settings.ca_file and not Path(settings.ca_file).is_file():
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "ACSA_SMTP_CA_FILE",
            "ACSA_SMTP_CA_FILE names {path}, which is no file",
            path=settings.ca_file,
        )
    hour = digest_hour(environ)
    if settings is None:
        return Delivery(None, WebhookPoster(), "", hour)
    # ACSA_PUBLIC_URL is read (and checked) with the relay's settings: only mails link to it.
    return Delivery(SmtpMailer(settings), WebhookPoster(), settings.public_url, hour)


# --- the pass ----------------------------------------------------------------------------


def _uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)


def _ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


def deliver_due(engine: Engine, now: datetime, delivery: Delivery) -> DeliveryReport:
    """Plan, send and retry what is due at ``now``; see the module's text. Safe to run in
    several processes at once: each notice reaches each target once."""
    report = DeliveryReport()
    _plan(engine, now, delivery, report)
    _send_single(engine, now, delivery, report)
    if delivery.send_mail is not None:
        _send_digests(engine, now, delivery, report)
    return report


def _plan(engine: Engine, now: datetime, delivery: Delivery, report: DeliveryReport) -> None:
    since = now - timedelta(days=DELIVERY_PLAN_DAYS)
    with _uow(engine) as uow:
        repo = DeliveryRepository(uow.connection)
        if delivery.send_mail is not None:
            for row in repo.mail_candidates(since, DELIVERY_BATCH_MAX):
                digest = row.notify == Notify.DIGEST.value
                channel = Channel.DIGEST if digest else Channel.EMAIL
                at = next_digest(now, delivery.digest_hour) if digest else now
                report.planned += repo.plan(row.notice_id, channel, row.email, row.user_id, at)
            for row in repo.contact_candidates(since, DELIVERY_BATCH_MAX):
                for address in contact_addresses(row.body, row.nation):
                    if not repo.mailed(row.notice_id, address):
                        report.planned += repo.plan(
                            row.notice_id, Channel.EMAIL, address, None, now
                        )
        if delivery.post is not None:
            for row in repo.webhook_candidates(since, DELIVERY_BATCH_MAX):
                if wants(row.kinds or [], row.kind):
                    target = f"webhook:{row.webhook_id}"
                    report.planned += repo.plan(row.notice_id, Channel.WEBHOOK, target, None, now)
        uow.commit()


#: The language of a mail to a point of contact (no user of acsa: no language of their own):
#: their nation's, where acsa speaks it, else English.
NATION_LANGUAGES = {"JPN": "ja"}


def contact_addresses(body: Any, nation: str) -> list[str]:
    """The e-mail addresses of ``nation``'s points of contact in an arrangement's stored
    ``body`` (each once, in order; one that is no address acsa sends to is left out)."""
    found: list[str] = []
    for contact in stored_side(body, nation).contacts:
        address = contact.email.strip()
        if address and address not in found and email_violation("email", address) is None:
            found.append(address)
    return found


def _claimed(engine: Engine, now: datetime, channels: Sequence[str]) -> Iterator[int]:
    """The due deliveries of ``channels``, each taken by this runner (in its own transaction)
    just before it is sent: one held is sent within seconds, long before its hold of
    DELIVERY_LEASE_S runs out and another runner could take it back."""
    with _uow(engine) as uow:
        due = DeliveryRepository(uow.connection).due(now, channels, DELIVERY_BATCH_MAX)
    for row in due:
        # Held from the moment it is taken (a pass with many slow sends lasts a while).
        until = max(now, utc_now()) + timedelta(seconds=DELIVERY_LEASE_S)
        with _uow(engine) as uow:
            taken = DeliveryRepository(uow.connection).claim(row, until)
            uow.commit()
        if taken:
            yield row.id


def _outcome(attempts: int, now: datetime, error: str | None) -> dict[str, Any]:
    """A delivery's new state after its ``attempts``-th attempt at ``now``."""
    if error is None:
        return {"state": State.SENT.value, "attempts": attempts, "sent_at": now, "last_error": None}
    delay = retry_delay(attempts)
    if delay is None:
        return {"state": State.ABANDONED.value, "attempts": attempts, "last_error": error}
    return {
        "state": State.FAILED.value,
        "attempts": attempts,
        "next_at": now + delay,
        "last_error": error,
    }


def _count(report: DeliveryReport, after: Mapping[str, Any], lines: int = 1) -> None:
    if after["state"] == State.SENT.value:
        report.sent += lines
    else:
        report.failed += lines
        if after["state"] == State.ABANDONED.value:
            report.abandoned += lines


def _send_single(engine: Engine, now: datetime, delivery: Delivery, report: DeliveryReport) -> None:
    channels = [
        c.value
        for c, ready in ((Channel.EMAIL, delivery.send_mail), (Channel.WEBHOOK, delivery.post))
        if ready is not None
    ]
    if not channels:
        return
    for delivery_id in _claimed(engine, now, channels):
        with _uow(engine) as uow:
            repo = DeliveryRepository(uow.connection)
            row = repo.delivery(delivery_id)
            assert row is not None
            notice = repo.notices([row.notice_id])[row.notice_id]
            user = None if row.user_id is None else repo.user(row.user_id)
            hook = None
            if row.channel == Channel.WEBHOOK.value:
                hook = repo.webhook(int(row.target.split(":", 1)[1]))
        start = time.monotonic()
        status: int | None = None
        gone = _gone(row.channel, row.target, user, hook)
        error: str | None = gone
        if gone is None:
            try:
                if row.channel == Channel.EMAIL.value:
                    assert delivery.send_mail is not None
                    language = (
                        user.language
                        if user is not None
                        else NATION_LANGUAGES.get(notice.nation, "en")
                    )
                    mail = _mail(row.target, notice, language, delivery.public_url, user is None)
                    delivery.send_mail(mail)
                else:
                    assert delivery.post is not None
                    status, error = _post(delivery.post, hook, row.id, notice, now)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        if gone is not None:
            after: dict[str, Any] = {
                "state": State.ABANDONED.value,
                "attempts": row.attempts + 1,
                "last_error": gone,
            }
        else:
            after = _outcome(row.attempts + 1, now, error)
        with _uow(engine) as uow:
            DeliveryRepository(uow.connection).record(
                row.id, now, error is None, status, error, _ms(start), after
            )
            uow.commit()
        _count(report, after)
        if error is not None:
            report.errors.append(f"{row.target}: {error}")


def _gone(channel: str, target: str, user: Any, hook: Any) -> str | None:
    """Why a delivery is given up without being sent: its webhook was removed, or its person
    asks no more for mail at its address (notify off, another address, switched off); else
    None."""
    if channel == Channel.WEBHOOK.value:
        return None if hook is not None and hook.active else "the webhook was removed"
    if channel == Channel.EMAIL.value and user is None:
        return None  # a point of contact of the order's arrangement
    if user is None or not user.active or user.notify == Notify.OFF.value or user.email != target:
        return "the person asks no more for notices at this address"
    return None


def webhook_body(notice: Any) -> bytes:
    """The JSON a webhook receives of a stored notice (keys sorted, UTF-8)."""
    data = {
        "id": notice.id,
        "key": notice.key,
        "kind": notice.kind,
        "nation": notice.nation,
        "order_id": notice.order_id,
        "subject": notice.subject,
        "params": notice.params,
        "due": None if notice.due is None else notice.due.isoformat(),
        "as_of": notice.as_of.isoformat(),
        "created_at": notice.created_at.isoformat(),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _post(
    post: Post, hook: Any, delivery_id: int, notice: Any, now: datetime
) -> tuple[int, str | None]:
    body = webhook_body(notice)
    stamp = str(int(now.timestamp()))
    headers = {
        SIGNATURE_HEADER: signature(hook.secret, stamp, body),
        TIMESTAMP_HEADER: stamp,
        DELIVERY_HEADER: str(delivery_id),
    }
    status = post(hook.url, body, headers)
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def _mail(to: str, notice: Any, language: str, public_url: str, contact: bool = False) -> Mail:
    say = Speech(language)
    subject, body = notice_text(notice.kind, notice.params, language)
    lines = [body, ""]
    if public_url:
        lines += [link(public_url, notice.order_id), ""]
    if contact:
        why = t(
            "You receive this mail as a point of contact of the order's implementing arrangement."
        )
    else:
        why = t("You receive this mail because your acsa account asks for notices by e-mail.")
    lines.append(say(why))
    return Mail(to=to, subject=f"[acsa] {subject}", body="\n".join(lines), language=language)


def _digest_mail(to: str, notices: Sequence[Any], language: str, public_url: str) -> Mail:
    say = Speech(language)
    shown = notices[:DIGEST_NOTICES_MAX]
    lines: list[str] = []
    for notice in shown:
        subject, body = notice_text(notice.kind, notice.params, language)
        lines += [f"- {subject}", f"  {body}"]
        if public_url:
            lines.append(f"  {link(public_url, notice.order_id)}")
        lines.append("")
    if len(notices) > len(shown):
        more = len(notices) - len(shown)
        lines += [say(t("… and %(count)s more in your inbox."), count=more), ""]
    if public_url:
        lines += [public_url + "/inbox", ""]
    lines.append(say(t("You receive this mail because your acsa account asks for a daily digest.")))
    subject = say(t("acsa: %(count)s notices"), count=len(notices))
    return Mail(to=to, subject=subject, body="\n".join(lines), language=language)


def _send_digests(
    engine: Engine, now: datetime, delivery: Delivery, report: DeliveryReport
) -> None:
    assert delivery.send_mail is not None
    with _uow(engine) as uow:
        owners = DeliveryRepository(uow.connection).digest_owners(now, DELIVERY_BATCH_MAX)
    for owner in owners:
        # A time no other claim uses marks the lines this runner took.
        held = timedelta(seconds=DELIVERY_LEASE_S, microseconds=secrets.randbelow(10**6))
        token = max(now, utc_now()) + held
        with _uow(engine) as uow:
            repo = DeliveryRepository(uow.connection)
            lines = repo.claim_digest(owner.user_id, owner.target, now, token)
            uow.commit()
        if not lines:
            continue
        with _uow(engine) as uow:
            repo = DeliveryRepository(uow.connection)
            found = repo.notices([line.notice_id for line in lines])
            user = None if owner.user_id is None else repo.user(owner.user_id)
        notices = [found[line.notice_id] for line in lines]
        language = user.language if user is not None else "en"
        start = time.monotonic()
        gone = _gone(Channel.DIGEST.value, owner.target, user, None)
        error: str | None = gone
        if gone is None:
            mail = _digest_mail(owner.target, notices, language, delivery.public_url)
            try:
                delivery.send_mail(mail)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        took = _ms(start)
        with _uow(engine) as uow:
            repo = DeliveryRepository(uow.connection)
            for line in lines:
                after = _outcome(line.attempts + 1, now, error)
                if gone is not None:
                    after = {**after, "state": State.ABANDONED.value, "last_error": gone}
                    after.pop("next_at", None)
                repo.record(line.id, now, error is None, None, error, took, after)
                _count(report, after)
            uow.commit()
        if error is None:
            report.digests += 1
        else:
            report.errors.append(f"{owner.target}: {error}")


# --- webhooks ------------------------------------------------------------------------------


def _may_manage(principal: Principal | None, nation: str) -> None:
    """The operator, or an admin of ``nation``; FORBIDDEN otherwise."""
    if principal is None or (Role.ADMIN in principal.roles and principal.nation == nation):
        return
    raise ForbiddenError.single(
        Code.FORBIDDEN,
        "nation",
        "the webhooks of {nation} are managed by an admin of {nation}",
        nation=nation,
    )


def _repo(uow: UnitOfWork) -> DeliveryRepository:
    return DeliveryRepository(cast(SqlUnitOfWork, uow).connection)


def webhook_out(row: Any) -> dict[str, Any]:
    """A webhook as shown: its key only by its first characters."""
    return {
        "id": row.id,
        "nation": row.nation,
        "url": row.url,
        "secret_prefix": secret_prefix(row.secret),
        "kinds": list(row.kinds or []),
        "active": bool(row.active),
        "created_at": row.created_at,
        "actor": row.actor,
    }


def add_webhook(
    uow: UnitOfWork,
    nation: str,
    url: str,
    kinds: Sequence[str],
    actor: str,
    secret: str | None = None,
) -> dict[str, Any]:
    """Add a webhook of ``nation`` (an admin of it, or the operator): every notice of the
    nation of ``kinds`` (none: every kind) is POSTed to ``url``, signed with ``secret`` (made
    here when not given). The answer holds the whole key: it is never shown again."""
    url, picked, given = check_webhook(url, kinds, [k.value for k in NoticeKind], secret)
    key = given or secrets.token_urlsafe(32)
    with uow:
        _may_manage(uow.principal, nation)
        repo = _repo(uow)
        check_count("webhooks", repo.count_webhooks(nation) + 1, WEBHOOKS_PER_NATION_MAX)
        webhook_id = repo.add_webhook(
            {
                "nation": nation,
                "url": url,
                "secret": key,
                "kinds": picked,
                "active": True,
                "created_at": utc_now(),
                "actor": actor,
            }
        )
        row = repo.webhook(webhook_id)
        shown = webhook_out(row)
        uow.record("webhook.add", f"webhook:{webhook_id}", actor, None, _audited(shown))
        uow.commit()
    return {**shown, "secret": key}


def _audited(shown: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in shown.items()}


def _webhook(repo: DeliveryRepository, nation: str, webhook_id: int) -> Any:
    row = repo.webhook(webhook_id)
    if row is None or row.nation != nation:
        raise NotFoundError.single(
            Code.WEBHOOK_NOT_FOUND,
            "webhook",
            "no webhook {webhook} of {nation}",
            webhook=webhook_id,
            nation=nation,
        )
    return row


def list_webhooks(uow: UnitOfWork, nation: str) -> list[dict[str, Any]]:
    """The webhooks of ``nation``, removed ones too, oldest first (an admin of it)."""
    with uow:
        _may_manage(uow.principal, nation)
        return [webhook_out(row) for row in _repo(uow).webhooks(nation)]


def remove_webhook(uow: UnitOfWork, nation: str, webhook_id: int, actor: str) -> dict[str, Any]:
    """Stop webhook ``webhook_id`` of ``nation``: nothing more is sent to it (what is waiting
    is abandoned); it is kept, with its log. WEBHOOK_NOT_FOUND for none of the nation."""
    with uow:
        _may_manage(uow.principal, nation)
        repo = _repo(uow)
        row = _webhook(repo, nation, webhook_id)
        before = webhook_out(row)
        if row.active:
            repo.deactivate_webhook(webhook_id)
            after = webhook_out(repo.webhook(webhook_id))
            uow.record(
                "webhook.remove", f"webhook:{webhook_id}", actor, _audited(before), _audited(after)
            )
            uow.commit()
            return after
        return before


def delivery_log(
    uow: UnitOfWork,
    nation: str,
    webhook_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The delivery log of ``nation``'s notices (an admin of it): each attempt, newest first,
    of one webhook if given."""
    with uow:
        _may_manage(uow.principal, nation)
        repo = _repo(uow)
        if webhook_id is not None:
            _webhook(repo, nation, webhook_id)
        return [dict(row._mapping) for row in repo.log(nation, webhook_id, limit, offset)]


# --- a person's choice ---------------------------------------------------------------------


def set_notify(
    uow: UnitOfWork,
    name: str,
    actor: str,
    email: str | None = None,
    notify: str | None = None,
) -> dict[str, Any]:
    """Set user ``name``'s e-mail address (an empty text clears it) and how notices reach it
    (off, each, digest); only what is given changes. INVALID_FIELD naming ``email`` or
    ``notify``; a choice other than off needs an address. Audited (``user.notify``)."""
    values: dict[str, Any] = {}
    if email is not None:
        values["email"] = check_email("email", email)
    if notify is not None:
        values["notify"] = check_notify("notify", notify).value
    with uow:
        row = uow.accounts.user(name)
        if row is None:
            raise NotFoundError.single(
                Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name)
            )
        before = {"email": row.email, "notify": row.notify}
        after = {**before, **values}
        if after["notify"] != Notify.OFF.value and after["email"] is None:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "email",
                "notices by e-mail ({notify}) need an e-mail address",
                notify=after["notify"],
            )
        if after != before:
            _repo(uow).set_user(row.id, values)
            uow.record("user.notify", f"user:{name}", actor, before, after)
            uow.commit()
        return after


def notify_choice(uow: UnitOfWork, name: str) -> dict[str, Any]:
    """User ``name``'s e-mail address and notify choice."""
    with uow:
        row = uow.accounts.user(name)
        if row is None:
            raise NotFoundError.single(
                Code.USER_NOT_FOUND, "user", "no user {user}", user=repr(name)
            )
        return {"email": row.email, "notify": row.notify}


def deliveries_of(engine: Engine, notice_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The deliveries of ``notice_ids`` as stored (for checks and tests)."""
    with _uow(engine) as uow:
        rows = DeliveryRepository(uow.connection).deliveries_of(notice_ids)
        return [dict(row._mapping) for row in rows]


def delivery_pass(engine: Engine, now: datetime) -> DeliveryReport:
    """The scheduler's pass (``acsa serve``, ``acsa alerts deliver``): deliver_due with the real
    adapters from the environment (ACSA_SMTP_URL...; a setting refused raises INVALID_FIELD
    naming the variable)."""
    return deliver_due(engine, now, delivery_from_env())
