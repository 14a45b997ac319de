"""Notices' deliveries as stored: webhooks, deliveries (one per notice and target) and the
attempts of each (the delivery log).

Two runners may work on one database at once: a delivery is planned with an insert that does
nothing where its (notice, channel, target) exists, and claimed with a conditional UPDATE (its
state and time still what this runner read), so only one runner sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from acsa.adapters.db import tables as t
from acsa.adapters.db.notice_repository import insert_ignoring
from acsa.domain.limits import DELIVERY_ERROR_CHARS_MAX
from acsa.domain.notice_delivery import Channel, Notify, State

#: The states a runner may claim a delivery in (``sending``: its runner's lease ran out).
CLAIMABLE = (State.PENDING.value, State.FAILED.value, State.SENDING.value)
_MAILS = (Channel.EMAIL.value, Channel.DIGEST.value)


class DeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- webhooks ----------------------------------------------------------------------

    def add_webhook(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(t.webhooks).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def webhook(self, webhook_id: int) -> Row[Any] | None:
        return self.conn.execute(select(t.webhooks).where(t.webhooks.c.id == webhook_id)).first()

    def webhooks(self, nation: str | None, active_only: bool = False) -> Sequence[Any]:
        w = t.webhooks
        query = select(w).order_by(w.c.id)
        if nation is not None:
            query = query.where(w.c.nation == nation)
        if active_only:
            query = query.where(w.c.active.is_(True))
        return self.conn.execute(query).all()

    def deactivate_webhook(self, webhook_id: int) -> None:
        w = t.webhooks
        self.conn.execute(update(w).where(w.c.id == webhook_id).values(active=False))

    def count_webhooks(self, nation: str) -> int:
        w = t.webhooks
        query = select(func.count()).where(w.c.nation == nation, w.c.active.is_(True))
        return int(self.conn.execute(query).scalar_one())

    # --- planning ----------------------------------------------------------------------

    def mail_candidates(self, since: datetime, limit: int) -> Sequence[Any]:
        """Inbox rows of notices made since ``since`` for active users with an address and a
        notify choice other than off, that have no mail delivery yet."""
        n, i, u, d = t.notices, t.notice_inbox, t.users, t.notice_deliveries
        planned = exists().where(
            d.c.notice_id == n.c.id, d.c.user_id == u.c.id, d.c.channel.in_(_MAILS)
        )
        query = (
            select(n.c.id.label("notice_id"), u.c.id.label("user_id"), u.c.email, u.c.notify)
            .select_from(i.join(n, n.c.id == i.c.notice_id).join(u, u.c.id == i.c.user_id))
            .where(
                n.c.created_at >= since,
                u.c.email.is_not(None),
                u.c.notify != Notify.OFF.value,
                u.c.active.is_(True),
                ~planned,
            )
            .order_by(n.c.id, u.c.id)
            .limit(limit)
        )
        return self.conn.execute(query).all()

    def webhook_candidates(self, since: datetime, limit: int) -> Sequence[Any]:
        """Notices made since ``since`` (and since the webhook was added) with an active
        webhook of their nation that has no delivery of them yet."""
        n, w, d = t.notices, t.webhooks, t.notice_deliveries
        target = literal("webhook:", String) + cast(w.c.id, String)
        planned = exists().where(
            d.c.notice_id == n.c.id, d.c.channel == Channel.WEBHOOK.value, d.c.target == target
        )
        query = (
            select(n.c.id.label("notice_id"), n.c.kind, w.c.id.label("webhook_id"), w.c.kinds)
            .select_from(n.join(w, and_(w.c.nation == n.c.nation, w.c.active.is_(True))))
            .where(n.c.created_at >= since, n.c.created_at >= w.c.created_at, ~planned)
            .order_by(n.c.id, w.c.id)
            .limit(limit)
        )
        return self.conn.execute(query).all()

    def contact_candidates(self, since: datetime, limit: int) -> Sequence[Any]:
        """Notices made since ``since`` about an order that names an implementing arrangement
        (its points of contact are told too), none of whose contacts has a mail yet: the
        notice, its nation and the arrangement's body (what each side names)."""
        n, o, a, d = t.notices, t.orders, t.arrangements, t.notice_deliveries
        planned = exists().where(
            d.c.notice_id == n.c.id, d.c.user_id.is_(None), d.c.channel == Channel.EMAIL.value
        )
        query = (
            select(n.c.id.label("notice_id"), n.c.nation, a.c.body)
            .select_from(n.join(o, o.c.id == n.c.order_id).join(a, a.c.id == o.c.arrangement_id))
            .where(n.c.created_at >= since, ~planned)
            .order_by(n.c.id)
            .limit(limit)
        )
        return self.conn.execute(query).all()

    def mailed(self, notice_id: int, target: str) -> bool:
        """Whether ``target`` has a mail (or a digest line) of ``notice_id`` planned."""
        d = t.notice_deliveries
        query = select(d.c.id).where(
            d.c.notice_id == notice_id, d.c.target == target, d.c.channel.in_(_MAILS)
        )
        return self.conn.execute(query.limit(1)).first() is not None

    def plan(
        self,
        notice_id: int,
        channel: Channel,
        target: str,
        user_id: int | None,
        next_at: datetime,
    ) -> bool:
        """Add the delivery of ``notice_id`` to ``target`` unless it is there (planned by this
        runner before, or by another one at the same time); whether it was added."""
        values = {
            "notice_id": notice_id,
            "channel": channel.value,
            "target": target,
            "user_id": user_id,
            "state": State.PENDING.value,
            "attempts": 0,
            "next_at": next_at,
        }
        d = t.notice_deliveries
        query = insert_ignoring(self.conn, d, values)  # unique: notice, channel, target
        # RETURNING: psycopg tells no row count of an INSERT ... ON CONFLICT DO NOTHING.
        return self.conn.execute(query.returning(d.c.id)).first() is not None

    # --- claiming ----------------------------------------------------------------------

    def due(self, now: datetime, channels: Sequence[str], limit: int) -> Sequence[Any]:
        d = t.notice_deliveries
        query = (
            select(d.c.id, d.c.state, d.c.next_at, d.c.attempts, d.c.user_id, d.c.target)
            .where(d.c.channel.in_(channels), d.c.state.in_(CLAIMABLE), d.c.next_at <= now)
            .order_by(d.c.next_at, d.c.id)
            .limit(limit)
        )
        return self.conn.execute(query).all()

    def claim(self, row: Row[Any], until: datetime) -> bool:
        """Take delivery ``row`` for sending (held until ``until``) if it is still as read."""
        d = t.notice_deliveries
        query = (
            update(d)
            .where(
                d.c.id == row.id,
                d.c.state == row.state,
                d.c.next_at == row.next_at,
                d.c.attempts == row.attempts,
            )
            .values(state=State.SENDING.value, next_at=until)
        )
        return self.conn.execute(query).rowcount == 1

    def digest_owners(self, now: datetime, limit: int) -> Sequence[Any]:
        d = t.notice_deliveries
        query = (
            select(d.c.user_id, d.c.target)
            .where(
                d.c.channel == Channel.DIGEST.value,
                d.c.state.in_(CLAIMABLE),
                d.c.next_at <= now,
            )
            .group_by(d.c.user_id, d.c.target)
            .order_by(d.c.user_id, d.c.target)
            .limit(limit)
        )
        return self.conn.execute(query).all()

    def claim_digest(
        self, user_id: int | None, target: str, now: datetime, token: datetime
    ) -> Sequence[Any]:
        """Take every due digest line of ``user_id`` to ``target`` at once, marked with
        ``token`` (a time no other claim uses); the lines taken (none: another runner took
        them first)."""
        d = t.notice_deliveries
        owner = d.c.user_id.is_(None) if user_id is None else d.c.user_id == user_id
        self.conn.execute(
            update(d)
            .where(
                owner,
                d.c.target == target,
                d.c.channel == Channel.DIGEST.value,
                d.c.state.in_(CLAIMABLE),
                d.c.next_at <= now,
            )
            .values(state=State.SENDING.value, next_at=token)
        )
        query = (
            select(d.c.id, d.c.notice_id, d.c.attempts)
            .where(
                owner,
                d.c.target == target,
                d.c.channel == Channel.DIGEST.value,
                d.c.state == State.SENDING.value,
                d.c.next_at == token,
            )
            .order_by(d.c.notice_id)
        )
        return self.conn.execute(query).all()

    # --- what is sent ------------------------------------------------------------------

    def delivery(self, delivery_id: int) -> Row[Any] | None:
        d = t.notice_deliveries
        return self.conn.execute(select(d).where(d.c.id == delivery_id)).first()

    def notices(self, ids: Sequence[int]) -> dict[int, Row[Any]]:
        n = t.notices
        rows = self.conn.execute(select(n).where(n.c.id.in_(list(ids)))).all()
        return {row.id: row for row in rows}

    def user(self, user_id: int) -> Row[Any] | None:
        u = t.users
        return self.conn.execute(select(u).where(u.c.id == user_id)).first()

    def record(
        self,
        delivery_id: int,
        at: datetime,
        ok: bool,
        status: int | None,
        error: str | None,
        duration_ms: int,
        after: dict[str, Any],
    ) -> None:
        """Log one attempt of ``delivery_id`` and set what came of it (``after``: its state,
        attempts, next time, when sent, last error)."""
        cut = None if error is None else error[:DELIVERY_ERROR_CHARS_MAX]
        self.conn.execute(
            insert(t.delivery_attempts).values(
                delivery_id=delivery_id,
                at=at,
                ok=ok,
                status=status,
                error=cut,
                duration_ms=duration_ms,
            )
        )
        d = t.notice_deliveries
        values = dict(after)
        if "last_error" in values and values["last_error"] is not None:
            values["last_error"] = str(values["last_error"])[:DELIVERY_ERROR_CHARS_MAX]
        self.conn.execute(update(d).where(d.c.id == delivery_id).values(**values))

    # --- the log -----------------------------------------------------------------------

    def log(
        self, nation: str | None, webhook_id: int | None, limit: int, offset: int
    ) -> Sequence[Any]:
        """The attempts of the deliveries of ``nation``'s notices (of one webhook, if
        given), newest first."""
        a, d, n = t.delivery_attempts, t.notice_deliveries, t.notices
        query = (
            select(
                a.c.id,
                a.c.delivery_id,
                a.c.at,
                a.c.ok,
                a.c.status,
                a.c.error,
                a.c.duration_ms,
                d.c.channel,
                d.c.target,
                d.c.state,
                d.c.attempts,
                n.c.id.label("notice_id"),
                n.c.kind,
                n.c.order_id,
            )
            .select_from(a.join(d, d.c.id == a.c.delivery_id).join(n, n.c.id == d.c.notice_id))
            .order_by(a.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if nation is not None:
            query = query.where(n.c.nation == nation)
        if webhook_id is not None:
            query = query.where(
                d.c.channel == Channel.WEBHOOK.value, d.c.target == f"webhook:{webhook_id}"
            )
        return self.conn.execute(query).all()

    def deliveries_of(self, notice_ids: Sequence[int]) -> Sequence[Any]:
        d = t.notice_deliveries
        query = select(d).where(d.c.notice_id.in_(list(notice_ids))).order_by(d.c.id)
        return self.conn.execute(query).all()

    def set_user(self, user_id: int, values: dict[str, Any]) -> None:
        u = t.users
        self.conn.execute(update(u).where(u.c.id == user_id).values(**values))
