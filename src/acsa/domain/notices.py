"""Notices: what acsa tells people, so nothing slips (issue 20).

A notice is one event (an order waiting for an action, a deadline coming or passed, an invoice
due or overdue, a dispute, a refused document, a failed audit check) told to the users of one
nation holding one of its roles. It is stored without words: its ``kind`` and ``params`` are
written in each reader's language when shown or sent (``acsa.i18n.notice_words``).

Each notice has a ``key`` naming its kind, its subject, the marker of the event (the deadline
day and the step: ``2027-01-05:d30``) and the nation: a notice with a key already made is not
made again, so a re-run, a restart or a second scheduler never tells anyone twice.

Pure: which notices are due is decided here from what the services read (``due_notices``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from acsa.domain import limits
from acsa.domain.access import Role
from acsa.domain.account import OrderAccount
from acsa.domain.disputes import Dispute
from acsa.domain.errors import AcsaError
from acsa.domain.order import OrderStatus


class NoticeKind(StrEnum):
    """What a notice tells (its words: acsa.i18n.notice_words)."""

    #: A draft waits in the nation's approval tiers: its approvers.
    APPROVE = "approve"
    #: A submitted order waits to be accepted or rejected: the supplier's logistics.
    ACCEPT = "accept"
    #: An accepted order waits to be delivered: the supplier's logistics.
    DELIVER = "deliver"
    #: A delivery waits to be received: the requester's logistics.
    RECEIVE = "receive"
    #: What was received and is owed in cash waits to be invoiced: the supplier's finance.
    INVOICE = "invoice"
    #: An issued invoice waits to be paid: the debtor's finance.
    PAY = "pay"
    #: A replacement in kind is due in 30 or 7 days: the requester's logistics.
    REPLACEMENT_DUE = "replacement_due"
    #: A replacement in kind is past its deadline, not yet converted: the requester's logistics
    #: and finance.
    REPLACEMENT_OVERDUE = "replacement_overdue"
    #: A replacement in kind was converted to cash on its deadline: both nations' finance.
    REPLACEMENT_CONVERTED = "replacement_converted"
    #: An invoice is due in 7 days: the debtor's finance.
    INVOICE_DUE = "invoice_due"
    #: An invoice is overdue (on the day after due, then at 30, 60, 90 days): both finances.
    INVOICE_OVERDUE = "invoice_overdue"
    #: A dispute was opened: the other side's finance and logistics.
    DISPUTE_OPENED = "dispute_opened"
    #: A dispute was answered (resolved or withdrawn): the other side's finance and logistics.
    DISPUTE_ANSWERED = "dispute_answered"
    #: The partner's node refused a document this node sent: the nation's admins.
    DOCUMENT_REFUSED = "document_refused"
    #: The audit chain failed ``audit verify``: the nation's auditors and admins.
    AUDIT_FAILED = "audit_failed"


#: Days before a replacement's deadline at which its requester is told.
REPLACEMENT_WARNINGS = (30, 7)
#: Days before an invoice is due at which its debtor is told.
INVOICE_WARNING = 7
#: Days past due at which an overdue invoice is told again (1: the first day overdue).
OVERDUE_STEPS = (1, 30, 60, 90)


@dataclass(frozen=True)
class Notice:
    """One event told to one nation's users holding one of ``roles``."""

    kind: NoticeKind
    nation: str
    roles: tuple[Role, ...]
    #: What it is about: ``order:12``, ``invoice:<number>``, ``dispute:<order>/<number>``,
    #: ``document:<id>``, ``audit``.
    subject: str
    #: What makes the event one: the deadline day and step (``2027-01-05:d30``), a step's
    #: stamp; with kind, subject and nation it is the key.
    marker: str
    as_of: date
    params: Mapping[str, str] = field(default_factory=dict)
    order_id: int | None = None
    due: date | None = None

    @property
    def key(self) -> str:
        """The event's idempotency key (``replacement_due:order:12:2027-01-05:d30:JPN``)."""
        return f"{self.kind.value}:{self.subject}:{self.marker}:{self.nation}"

    @property
    def role_names(self) -> str:
        return ",".join(r.value for r in self.roles)


def checked(notice: Notice) -> Notice:
    """``notice`` if every field is within its bound (AcsaError INVALID_FIELD otherwise)."""
    found = [
        limits.text_violation("key", notice.key, bound=limits.NOTICE_KEY_CHARS_MAX),
        limits.text_violation("subject", notice.subject, bound=limits.NOTICE_SUBJECT_CHARS_MAX),
        limits.text_violation("roles", notice.role_names, bound=limits.NOTICE_ROLES_CHARS_MAX),
        limits.text_violation("nation", notice.nation, bound=3),
        limits.count_violation("params", len(notice.params), limits.NOTICE_PARAMS_MAX),
    ]
    for name, value in notice.params.items():
        found.append(
            limits.text_violation(f"params.{name}", value, bound=limits.NOTICE_PARAM_CHARS_MAX)
        )
    violations = [v for v in found if v is not None]
    if violations:
        raise AcsaError(violations)
    return notice


# --- which notices are due on a day ------------------------------------------------------------

L, F, AP, AD, AU = Role.LOGISTICS, Role.FINANCE, Role.APPROVER, Role.ADMIN, Role.AUDITOR

#: An order in each state waits for: the action's notice, whose side (requester or supplier)
#: and role acts.
WAITING: Mapping[OrderStatus, tuple[NoticeKind, str, Role]] = {
    OrderStatus.SUBMITTED: (NoticeKind.ACCEPT, "supplier", L),
    OrderStatus.ACCEPTED: (NoticeKind.DELIVER, "supplier", L),
    OrderStatus.PARTIALLY_DELIVERED: (NoticeKind.RECEIVE, "requester", L),
    OrderStatus.DELIVERED: (NoticeKind.RECEIVE, "requester", L),
    OrderStatus.PARTIALLY_RECEIVED: (NoticeKind.DELIVER, "supplier", L),
}


@dataclass(frozen=True)
class OrderFacts:
    """What a notice of an order names: its id, its two nations, its value."""

    id: int
    requester: str
    supplier: str
    currency: str = ""
    value: Decimal | None = None

    @property
    def subject(self) -> str:
        return f"order:{self.id}"

    def params(self, **more: object) -> dict[str, str]:
        found = {"order": str(self.id), "requester": self.requester, "supplier": self.supplier}
        if self.value is not None and self.currency:
            found.update(amount=str(self.value), currency=self.currency)
        found.update({k: str(v) for k, v in more.items() if v is not None})
        return found


def waiting_notice(
    order: OrderFacts, status: OrderStatus, since: str, as_of: date
) -> Notice | None:
    """The notice of ``order`` waiting in ``status`` since the step stamped ``since`` (the
    step's sequence number: a later step of the same kind is a new event), or None when no
    one's action is awaited."""
    found = WAITING.get(status)
    if found is None:
        return None
    kind, side, role = found
    nation = order.supplier if side == "supplier" else order.requester
    return Notice(
        kind, nation, (role,), order.subject, f"s{since}", as_of, order.params(), order.id
    )


def approval_notice(order: OrderFacts, tier: int, version: int, as_of: date) -> Notice:
    """The notice of a draft waiting in tier ``tier`` of its nation's approvals (at its
    ``version``: an edited draft is approved anew), to that nation's approvers."""
    return Notice(
        NoticeKind.APPROVE,
        order.requester,
        (AP,),
        order.subject,
        f"t{tier}:v{version}",
        as_of,
        order.params(tier=tier),
        order.id,
    )


def _money(value: Decimal) -> str:
    return str(value)


@dataclass
class _Told:
    """The notices of one order's account, as they are found."""

    account: OrderAccount
    as_of: date
    found: list[Notice] = field(default_factory=list)

    def add(
        self,
        kind: NoticeKind,
        nation: str,
        roles: tuple[Role, ...],
        marker: str,
        subject: str | None = None,
        due: date | None = None,
        **params: object,
    ) -> None:
        h = self.account.head
        order = OrderFacts(h.order, h.requester, h.supplier)
        day = None if due is None else due.isoformat()
        said = order.params(currency=self.account.currency, due=day, **params)
        self.found.append(
            Notice(
                kind,
                nation,
                roles,
                subject or order.subject,
                marker,
                self.as_of,
                said,
                h.order,
                due,
            )
        )


def account_notices(account: OrderAccount, as_of: date, lookback_days: int) -> list[Notice]:
    """The notices an order's money gives on ``as_of``: to invoice, to pay, an invoice due in
    7 days or overdue (1, 30, 60, 90 days), a replacement due in 30 or 7 days or past its
    deadline, a conversion to cash (told for ``lookback_days`` after it)."""
    told = _Told(account, as_of)
    h = account.head
    uninvoiced = account.uninvoiced_tranches()
    if uninvoiced and account.uninvoiced > 0:
        last = max(t.day for t in uninvoiced)
        if last <= as_of:
            told.add(
                NoticeKind.INVOICE,
                h.supplier,
                (F,),
                f"r{last.isoformat()}",
                amount=_money(account.uninvoiced),
            )
    _invoice_notices(told)
    _in_kind_notices(told)
    for conversion in account.conversions:
        if not as_of - timedelta(days=lookback_days) <= conversion.day <= as_of:
            continue
        deadline = conversion.deadline or conversion.day
        for nation in (h.requester, h.supplier):
            told.add(
                NoticeKind.REPLACEMENT_CONVERTED,
                nation,
                (F,),
                f"{deadline.isoformat()}:c{conversion.day.isoformat()}",
                due=deadline,
                amount=_money(conversion.value),
            )
    return told.found


def _invoice_notices(told: _Told) -> None:
    """An issued invoice to pay, due in 7 days, or overdue (the largest step reached)."""
    h, as_of = told.account.head, told.as_of
    for invoice in told.account.invoices:
        if invoice.voided or invoice.unpaid <= 0 or invoice.issued > as_of:
            continue
        subject = f"invoice:{invoice.number}"
        said: dict[str, object] = {"invoice": invoice.number, "amount": _money(invoice.unpaid)}
        due = invoice.due
        if as_of <= due:
            told.add(NoticeKind.PAY, h.requester, (F,), "issued", subject, due, **said)
            if (due - as_of).days <= INVOICE_WARNING:
                marker = f"{due.isoformat()}:d{INVOICE_WARNING}"
                said["days"] = INVOICE_WARNING
                told.add(NoticeKind.INVOICE_DUE, h.requester, (F,), marker, subject, due, **said)
            continue
        late = (as_of - due).days
        step = max(s for s in OVERDUE_STEPS if late >= s)
        said["days"] = late if step == 1 else step
        for nation in (h.requester, h.supplier):
            marker = f"{due.isoformat()}:o{step}"
            told.add(NoticeKind.INVOICE_OVERDUE, nation, (F,), marker, subject, due, **said)


def _in_kind_notices(told: _Told) -> None:
    """In-kind debt per deadline: due in 30 or 7 days, or past its deadline."""
    account, as_of = told.account, told.as_of
    by_deadline: dict[date, Decimal] = {}
    for tranche in account.awaiting_tranches():
        deadline = account.deadline_of(tranche)
        by_deadline[deadline] = by_deadline.get(deadline, Decimal(0)) + tranche.value
    requester = account.head.requester
    for deadline, value in sorted(by_deadline.items()):
        left = (deadline - as_of).days
        amount = _money(value)
        if left < 0:
            marker = f"{deadline.isoformat()}:late"
            kind, roles = NoticeKind.REPLACEMENT_OVERDUE, (L, F)
            told.add(kind, requester, roles, marker, due=deadline, amount=amount)
            continue
        warned = [w for w in sorted(REPLACEMENT_WARNINGS) if left <= w]
        if warned:
            marker = f"{deadline.isoformat()}:d{warned[0]}"
            told.add(
                NoticeKind.REPLACEMENT_DUE,
                requester,
                (L,),
                marker,
                due=deadline,
                days=left,
                amount=amount,
            )


def dispute_notices(
    dispute: Dispute, order: OrderFacts, as_of: date, lookback_days: int
) -> list[Notice]:
    """A dispute opened or answered within ``lookback_days`` before ``as_of``, told to the
    other side's finance and logistics."""
    since = as_of - timedelta(days=lookback_days)
    subject = f"dispute:{order.id}/{dispute.number}"
    sides = (order.requester, order.supplier)
    found: list[Notice] = []
    said = {
        "dispute": dispute.number,
        "step": f"{dispute.step.kind.value} {dispute.step.ref}",
    }
    if since <= dispute.day <= as_of:
        other = sides[1] if dispute.opened_by == sides[0] else sides[0]
        found.append(
            Notice(
                NoticeKind.DISPUTE_OPENED,
                other,
                (F, L),
                subject,
                "opened",
                as_of,
                {
                    **order.params(),
                    **said,
                    "party": dispute.opened_by,
                    "amount": _money(dispute.amount),
                    "currency": dispute.currency,
                },
                order.id,
            )
        )
    answered, by = dispute.answered, dispute.answered_by
    if answered is not None and by is not None and since <= answered <= as_of:
        other = sides[1] if by == sides[0] else sides[0]
        resolution = dispute.resolution.value if dispute.resolution is not None else ""
        found.append(
            Notice(
                NoticeKind.DISPUTE_ANSWERED,
                other,
                (F, L),
                subject,
                f"answered:{resolution}",
                as_of,
                {**order.params(), **said, "party": by, "resolution": resolution},
                order.id,
            )
        )
    return found


@dataclass(frozen=True)
class Refusal:
    """A document this node sent that the partner's node refused."""

    document: str
    nation: str
    partner: str
    kind: str
    attempts: int
    reason: str
    order_id: int | None = None


def refusal_notice(refusal: Refusal, as_of: date) -> Notice:
    """The notice of a refused document to the nation's admins (a new refusal after sending
    it again, at a later attempt, is a new event)."""
    params = {
        "document": refusal.document,
        "partner": refusal.partner,
        "kind": refusal.kind,
        "reason": refusal.reason[: limits.NOTICE_PARAM_CHARS_MAX],
        "order": "" if refusal.order_id is None else str(refusal.order_id),
    }
    return Notice(
        NoticeKind.DOCUMENT_REFUSED,
        refusal.nation,
        (AD,),
        f"document:{refusal.document}",
        f"a{refusal.attempts}",
        as_of,
        params,
        refusal.order_id,
    )


def audit_notices(nations: Iterable[str], problems: int, day: date) -> list[Notice]:
    """The notice of a failed ``audit verify`` on ``day`` to each nation's auditors and
    admins (once a day)."""
    return [
        Notice(
            NoticeKind.AUDIT_FAILED,
            nation,
            (AU, AD),
            "audit",
            day.isoformat(),
            day,
            {"problems": str(problems), "day": day.isoformat()},
        )
        for nation in sorted(set(nations))
    ]


def unique(notices: Iterable[Notice]) -> list[Notice]:
    """``notices`` with each key once (the first), every one within its bounds."""
    seen: dict[str, Notice] = {}
    for n in notices:
        seen.setdefault(n.key, checked(n))
    return list(seen.values())
