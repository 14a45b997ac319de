"""Notices: which are due on a day (the rules: ``acsa.domain.notices``), making each once with
its inbox rows, and one reader's inbox.

``run_alerts`` reads the stored state (orders waiting for an action, drafts in the approval
tiers, each order's money, disputes, documents the partner refused) as of a day, makes every
due notice not yet made (insert-if-absent on its key: a concurrent runner's notice is not an
error) and puts it in the inbox of every active user of its nation holding one of its roles.
What a notice says is written in each reader's language when read (acsa.i18n.notice_words).

An inbox is its reader's own: a user sees and marks only their rows (NOTICE_NOT_FOUND for
another's). Marking a notice read is idempotent: marking a read notice again answers as the
first did (200, with the first read time), so concurrent clients never see an error. A read
mark is the reader's, not the books': it has no audit record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import cast

from sqlalchemy import select

from acsa.adapters.db import tables as db
from acsa.adapters.db.dispute_repository import DisputeRepository
from acsa.adapters.db.notice_repository import NoticeRepository, StoredNotice
from acsa.clock import today, utc_now
from acsa.domain import limits
from acsa.domain.access import Principal, Role
from acsa.domain.errors import Code, NotFoundError, Violation
from acsa.domain.notices import (
    Notice,
    OrderFacts,
    Refusal,
    account_notices,
    approval_notice,
    audit_notices,
    dispute_notices,
    refusal_notice,
    unique,
    waiting_notice,
)
from acsa.domain.order import Action, OrderStatus
from acsa.i18n import language
from acsa.i18n.notice_words import notice_text
from acsa.schemas.notices import (
    AlertsOut,
    CreatedNoticeOut,
    InboxOut,
    NoticeOut,
    ReadAllOut,
    SweptOut,
)
from acsa.services.ports import SqlUnitOfWork, UnitOfWork

#: The audit records of an alerts run that made notices, and of the daily deadline sweep.
ALERTS_RECORD = "alerts.run"
SWEEP_RECORD = "scheduler.sweep"
#: Days an event (a conversion, a dispute) is told after it happened: an alerts run that
#: missed days still tells it; an installation's first run does not tell its whole past.
LOOKBACK_DAYS = 14
#: The step that put an order in each waiting state (its stamp marks the event).
_ENTERED_BY: dict[OrderStatus, tuple[Action, ...]] = {
    OrderStatus.SUBMITTED: (Action.SUBMIT,),
    OrderStatus.ACCEPTED: (Action.ACCEPT,),
    OrderStatus.PARTIALLY_DELIVERED: (Action.DELIVER,),
    OrderStatus.DELIVERED: (Action.DELIVER,),
    OrderStatus.PARTIALLY_RECEIVED: (Action.RECEIVE,),
}


def _repo(uow: UnitOfWork) -> NoticeRepository:
    return NoticeRepository(cast(SqlUnitOfWork, uow).connection)


# --- which notices are due --------------------------------------------------------------------


def _waiting(uow: UnitOfWork, as_of: date) -> list[Notice]:
    found: list[Notice] = []
    for status, actions in _ENTERED_BY.items():
        orders = [
            o for o in uow.orders.find(status=status.value, with_history=False) if o.id is not None
        ]
        stamps = uow.orders.last_events([o.id for o in orders if o.id is not None], actions)
        for order in orders:
            assert order.id is not None
            event = stamps.get(order.id)
            since = str(event.seq) if event is not None else f"v{order.version}"
            facts = OrderFacts(
                order.id, order.requester, order.supplier, order.currency, order.total.amount
            )
            notice = waiting_notice(facts, status, since, as_of)
            if notice is not None:
                found.append(notice)
    return found


def _approvals(uow: UnitOfWork, as_of: date) -> list[Notice]:
    from acsa.services.approvals import queue

    o = db.orders.c
    nations = sorted(
        set(
            cast(SqlUnitOfWork, uow)
            .connection.execute(
                select(o.requester).where(o.status == OrderStatus.DRAFT.value).distinct()
            )
            .scalars()
        )
    )
    found: list[Notice] = []
    for nation in nations:
        for item in queue(uow, nation).items:
            facts = OrderFacts(item.order_id, nation, item.partner, item.currency, item.value)
            found.append(approval_notice(facts, item.tier, item.version, as_of))
    return found


def _money(uow: UnitOfWork, as_of: date) -> list[Notice]:
    from acsa.services.ledger import order_debts

    found: list[Notice] = []
    for account in order_debts(uow):
        found.extend(account_notices(account, as_of, LOOKBACK_DAYS))
    return found


def _disputes(uow: UnitOfWork, as_of: date) -> list[Notice]:
    conn = cast(SqlUnitOfWork, uow).connection
    since = as_of - timedelta(days=LOOKBACK_DAYS)
    c = db.disputes.c
    recent = (c.opened >= since) | (c.answered >= since)
    ids = sorted(set(conn.execute(select(c.order_id).where(recent)).scalars()))
    if not ids:
        return []
    o = db.orders.c
    parties = {
        r.id: OrderFacts(r.id, r.requester, r.supplier)
        for r in conn.execute(select(o.id, o.requester, o.supplier).where(o.id.in_(ids)))
    }
    found: list[Notice] = []
    for dispute in DisputeRepository(conn).of_orders(ids):
        found.extend(dispute_notices(dispute, parties[dispute.order_id], as_of, LOOKBACK_DAYS))
    return found


def _refusals(uow: UnitOfWork, as_of: date) -> list[Notice]:
    node = uow.node
    if node is None:
        return []
    found: list[Notice] = []
    rows = uow.outbox.entries(statuses=("refused",), limit=limits.NOTICE_PAGE_MAX)
    for row in rows:
        order_id = uow.orders.id_of(row.order_uid) if row.order_uid else None
        refusal = Refusal(
            document=str(row.document_id),
            nation=node.nation,
            partner=str(row.partner),
            kind=str(row.kind),
            attempts=int(row.attempts),
            reason=str(row.code or row.last_error or ""),
            order_id=order_id,
        )
        found.append(refusal_notice(refusal, as_of))
    return found


def due_notices(uow: UnitOfWork, as_of: date) -> list[Notice]:
    """Every notice due on ``as_of`` from the stored state, each key once."""
    limits.check_date("as_of", as_of)
    with uow:
        found = [
            *_waiting(uow, as_of),
            *_approvals(uow, as_of),
            *_money(uow, as_of),
            *_disputes(uow, as_of),
            *_refusals(uow, as_of),
        ]
    return unique(found)


# --- making them --------------------------------------------------------------------------------


def _created_out(notice: Notice, notice_id: int, recipients: int) -> CreatedNoticeOut:
    return CreatedNoticeOut(
        id=notice_id,
        key=notice.key,
        kind=notice.kind.value,
        nation=notice.nation,
        roles=[r.value for r in notice.roles],
        subject=notice.subject,
        order=notice.order_id,
        due=notice.due,
        recipients=recipients,
    )


def make_notices(
    uow: UnitOfWork,
    notices: Iterable[Notice],
    actor: str,
    as_of: date,
    holder: str | None = None,
) -> tuple[list[CreatedNoticeOut], int]:
    """Store each of ``notices`` not made yet with its inbox rows, in one transaction with an
    ``alerts.run`` audit record when something was made: (what was made, inbox rows added)."""
    # In the order of their keys: two runners at once (a cron run beside the server's) take
    # the keys' row locks in one order, so neither waits for the other in a cycle.
    wanted = sorted(notices, key=lambda n: n.key)
    now = utc_now()
    created: list[CreatedNoticeOut] = []
    rows = 0
    with uow:
        repo = _repo(uow)
        known = repo.known_keys(n.key for n in wanted)
        # The readers of a nation and roles, read once per run (many notices share them).
        readers: dict[tuple[str, tuple[Role, ...]], list[int]] = {}
        for notice in wanted:
            if notice.key in known:
                continue
            notice_id = repo.add_if_absent(notice, now)
            if notice_id is None:
                continue  # a concurrent runner made it: it delivers it too
            who = (notice.nation, notice.roles)
            if who not in readers:
                found = repo.recipients(notice.nation, [r.value for r in notice.roles])
                readers[who] = [r.id for r in found]
            added = repo.deliver(notice_id, readers[who])
            rows += added
            created.append(_created_out(notice, notice_id, added))
        if created:
            uow.record(
                ALERTS_RECORD,
                f"alerts:{as_of.isoformat()}",
                actor,
                None,
                {
                    "as_of": as_of.isoformat(),
                    "notices": len(created),
                    "inbox_rows": rows,
                    "keys": [c.key for c in created[: limits.NOTICE_PAGE_MAX]],
                    **({"holder": holder} if holder else {}),
                },
            )
        uow.commit()
    return created, rows


def run_alerts(
    uow: UnitOfWork,
    as_of: date | None,
    actor: str,
    sweep: bool = False,
    holder: str | None = None,
) -> AlertsOut:
    """Make every notice due on ``as_of`` (default today) not made yet; with ``sweep`` run the
    deadline sweep of that day first (``daily_sweep``). ``holder``: the scheduler process that
    runs it, named in the audit record."""
    day = as_of or today()
    limits.check_date("as_of", day)
    swept = daily_sweep(uow, day, actor, holder) if sweep else None
    created, rows = make_notices(uow, due_notices(uow, day), actor, day, holder)
    return AlertsOut(as_of=day, created=created, inbox_rows=rows, sweep=swept)


def daily_sweep(uow: UnitOfWork, day: date, actor: str, holder: str | None = None) -> SweptOut:
    """The settlement deadline sweep of ``day`` (in-kind debt past its deadline converted to
    cash, each order audited as ``order.convert``), with a ``scheduler.sweep`` record saying
    what it did."""
    from acsa.services.settlement import sweep

    result = sweep(uow, actor, as_of=day)
    out = SweptOut(as_of=day, converted=[c.order for c in result.converted])
    with uow:
        uow.record(
            SWEEP_RECORD,
            f"sweep:{day.isoformat()}",
            actor,
            None,
            {
                "as_of": day.isoformat(),
                "converted": out.converted[: limits.NOTICE_PAGE_MAX],
                "count": len(out.converted),
                **({"holder": holder} if holder else {}),
            },
        )
        uow.commit()
    return out


def audit_failed(uow: UnitOfWork, day: date, problems: int, actor: str) -> list[CreatedNoticeOut]:
    """Tell the auditors and admins of every nation with such users that ``audit verify``
    failed on ``day`` (once that day)."""
    u = db.users.c
    with uow:
        rows = cast(SqlUnitOfWork, uow).connection.execute(
            select(u.nation, u.roles).where(u.active.is_(True))
        )
        wanted = {Role.AUDITOR.value, Role.ADMIN.value}
        nations = [r.nation for r in rows if wanted & set(r.roles.split(","))]
    created, _rows = make_notices(uow, unique(audit_notices(nations, problems, day)), actor, day)
    return created


# --- one reader's inbox -----------------------------------------------------------------------


def notice_out(stored: StoredNotice, lang: str) -> NoticeOut:
    title, text = notice_text(stored.kind, stored.params, language(lang))
    return NoticeOut(
        id=stored.id,
        kind=stored.kind,
        nation=stored.nation,
        subject=stored.subject,
        order=stored.order_id,
        title=title,
        text=text,
        params=stored.params,
        due=stored.due,
        as_of=stored.as_of,
        created_at=stored.created_at,
        read_at=stored.read_at,
    )


def _reader(principal: Principal | None) -> int:
    if principal is None or principal.user_id is None:
        raise NotFoundError(
            [Violation(Code.NOTICE_NOT_FOUND, "user", "an inbox is a signed-in user's")]
        )
    return principal.user_id


def _language(uow: UnitOfWork, user_id: int, lang: str | None) -> str:
    """``lang`` when given, else the language the user reads (their account's)."""
    if lang is not None:
        return language(lang)
    u = db.users.c
    found = (
        cast(SqlUnitOfWork, uow)
        .connection.execute(select(u.language).where(u.id == user_id))
        .scalar_one_or_none()
    )
    return language(found)


def inbox(
    uow: UnitOfWork,
    principal: Principal | None,
    lang: str | None = None,
    unread_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> InboxOut:
    """``principal``'s notices, newest first, in ``lang`` (None: the language they read), and
    how many are unread."""
    limits.check_count("limit", limit, limits.NOTICE_PAGE_MAX)
    user_id = _reader(principal)
    with uow:
        repo = _repo(uow)
        items = repo.inbox(user_id, unread_only, limit, max(offset, 0))
        total, unread = repo.counts(user_id)
        said = _language(uow, user_id, lang)
    return InboxOut(unread=unread, total=total, items=[notice_out(n, said) for n in items])


def unread_count(uow: UnitOfWork, principal: Principal | None) -> int:
    """How many notices ``principal`` has not read (0 for no one signed in)."""
    if principal is None or principal.user_id is None:
        return 0
    with uow:
        return _repo(uow).unread(principal.user_id)


def _not_found(notice_id: int) -> NotFoundError:
    return NotFoundError(
        [
            Violation(
                Code.NOTICE_NOT_FOUND,
                "notice",
                "no notice {notice} in your inbox",
                params={"notice": notice_id},
            )
        ]
    )


def mark_read(
    uow: UnitOfWork, principal: Principal | None, notice_id: int, lang: str | None = None
) -> NoticeOut:
    """Mark notice ``notice_id`` of ``principal``'s inbox read; a notice read already stays
    as it was (idempotent). NOTICE_NOT_FOUND when it is not in their inbox."""
    user_id = _reader(principal)
    with uow:
        repo = _repo(uow)
        if repo.entry(notice_id, user_id) is None:
            raise _not_found(notice_id)
        repo.mark_read(notice_id, user_id, utc_now())
        found = repo.entry(notice_id, user_id)
        assert found is not None
        said = _language(uow, user_id, lang)
        uow.commit()
    return notice_out(found, said)


def mark_all_read(uow: UnitOfWork, principal: Principal | None) -> ReadAllOut:
    """Mark every unread notice of ``principal``'s inbox read."""
    user_id = _reader(principal)
    with uow:
        repo = _repo(uow)
        marked = repo.mark_all_read(user_id, utc_now())
        unread = repo.unread(user_id)
        uow.commit()
    return ReadAllOut(marked=marked, unread=unread)


def reader_named(uow: UnitOfWork, name: str) -> Principal:
    """The user named ``name`` as the reader of their inbox (on a local database: the command
    line's acting user); USER_NOT_FOUND when there is none."""
    from acsa.services.users import principal_of

    with uow:
        row = uow.accounts.user(name)
    if row is None:
        raise NotFoundError(
            [
                Violation(
                    Code.USER_NOT_FOUND,
                    "user",
                    "no user {user}",
                    params={"user": repr(name)},
                )
            ]
        )
    return principal_of(row)
