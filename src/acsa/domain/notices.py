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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from acsa.domain import limits
from acsa.domain.access import Role
from acsa.domain.errors import AcsaError


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
