"""A notice in words, in the reader's language: its subject line and its text, from its kind
and parameters (acsa.domain.notices). The inbox page, the command line and the e-mails all write
notices with ``notice_text``, so one notice reads the same everywhere; nothing is stored in a
language.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from acsa.domain.notices import NoticeKind
from acsa.i18n.speech import N_, Speech

#: Each kind's subject line and text (English message ids; Japanese in ja/notices.po).
WORDS: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.APPROVE: (
        N_("Order %(order)s waits for your approval"),
        N_(
            "Order %(order)s (%(requester)s from %(supplier)s) is a draft waiting in the "
            "approval tiers. Approve it or return it."
        ),
    ),
    NoticeKind.ACCEPT: (
        N_("Order %(order)s waits for acceptance"),
        N_("%(requester)s submitted order %(order)s to %(supplier)s. Accept it or reject it."),
    ),
    NoticeKind.DELIVER: (
        N_("Order %(order)s waits for delivery"),
        N_("Order %(order)s of %(requester)s was accepted and waits to be delivered."),
    ),
    NoticeKind.RECEIVE: (
        N_("Order %(order)s waits for receipt"),
        N_("%(supplier)s delivered order %(order)s. Record what was received."),
    ),
    NoticeKind.INVOICE: (
        N_("Order %(order)s waits for an invoice"),
        N_(
            "Order %(order)s was received and %(amount)s is owed in cash by %(requester)s. "
            "Issue the invoice."
        ),
    ),
    NoticeKind.PAY: (
        N_("Invoice %(invoice)s waits for payment"),
        N_(
            "Invoice %(invoice)s of order %(order)s from %(supplier)s for %(amount)s is issued "
            "and due on %(due)s. Pay it."
        ),
    ),
    NoticeKind.REPLACEMENT_DUE: (
        N_("Replacement for order %(order)s due in %(days)s days"),
        N_(
            "The replacement in kind for order %(order)s from %(supplier)s is due on %(due)s, "
            "in %(days)s days. On that day what is not replaced converts to cash."
        ),
    ),
    NoticeKind.REPLACEMENT_OVERDUE: (
        N_("Replacement for order %(order)s is past its deadline"),
        N_(
            "The replacement in kind for order %(order)s from %(supplier)s was due on %(due)s "
            "and is not complete. It converts to cash at the next deadline sweep."
        ),
    ),
    NoticeKind.REPLACEMENT_CONVERTED: (
        N_("Order %(order)s converted to cash"),
        N_(
            "The replacement in kind for order %(order)s (%(requester)s from %(supplier)s) was "
            "not complete on its deadline, %(due)s: %(amount)s is now owed in cash."
        ),
    ),
    NoticeKind.INVOICE_DUE: (
        N_("Invoice %(invoice)s due in %(days)s days"),
        N_(
            "Invoice %(invoice)s of order %(order)s (%(requester)s to %(supplier)s), "
            "%(amount)s still owed, is due on %(due)s."
        ),
    ),
    NoticeKind.INVOICE_OVERDUE: (
        N_("Invoice %(invoice)s is %(days)s days overdue"),
        N_(
            "Invoice %(invoice)s of order %(order)s (%(requester)s to %(supplier)s) was due on "
            "%(due)s; %(amount)s is still owed."
        ),
    ),
    NoticeKind.DISPUTE_OPENED: (
        N_("Dispute %(dispute)s opened on order %(order)s"),
        N_(
            "%(party)s disputes %(amount)s of order %(order)s (%(step)s). Answer the dispute "
            "on the order's page."
        ),
    ),
    NoticeKind.DISPUTE_ANSWERED: (
        N_("Dispute %(dispute)s on order %(order)s answered"),
        N_("%(party)s answered dispute %(dispute)s of order %(order)s: %(resolution)s."),
    ),
    NoticeKind.DOCUMENT_REFUSED: (
        N_("%(partner)s refused document %(document)s"),
        N_(
            "The node of %(partner)s refused document %(document)s (%(kind)s) of order "
            "%(order)s: %(reason)s"
        ),
    ),
    NoticeKind.AUDIT_FAILED: (
        N_("The audit chain failed its check"),
        N_(
            "audit verify found %(problems)s problems in the audit log on %(day)s. Run "
            "'acsa audit verify' to see them."
        ),
    ),
}


#: A dispute's answer in words.
RESOLUTIONS: dict[str, str] = {
    "accept": N_("the step stands as billed"),
    "credit_note": N_("a credit note"),
    "redelivery": N_("delivered again"),
    "write_off": N_("written off"),
    "withdraw": N_("withdrawn"),
}


class _Params(dict[str, str]):
    """Parameters that write an absent one as nothing (an older notice, a missing value)."""

    def __missing__(self, key: str) -> str:
        return ""


def _day(say: Speech, value: str) -> str:
    try:
        return say.day(date.fromisoformat(value))
    except ValueError:
        return value


def _values(say: Speech, params: Mapping[str, Any]) -> _Params:
    values = _Params({k: str(v) for k, v in params.items()})
    for name in ("due", "day"):
        if values.get(name):
            values[name] = _day(say, values[name])
    if values.get("amount") and values.get("currency"):
        with contextlib.suppress(InvalidOperation):
            values["amount"] = say.money(Decimal(values["amount"]), values["currency"])
    resolution = RESOLUTIONS.get(values.get("resolution", ""))
    if resolution:
        values["resolution"] = say(resolution)
    return values


def notice_text(kind: str, params: Mapping[str, Any], lang: str) -> tuple[str, str]:
    """The subject line and the text of a notice of ``kind`` with ``params`` in ``lang``."""
    say = Speech(lang)
    try:
        subject, body = WORDS[NoticeKind(kind)]
    except ValueError:
        return kind, ""
    values = _values(say, params)
    return say.messages.gettext(subject) % values, say.messages.gettext(body) % values


def kind_label(kind: str, lang: str) -> str:
    """A kind's name in words (``Waits for payment``), for lists and filters."""
    say = Speech(lang)
    label = KIND_LABELS.get(kind)
    return say(label) if label else kind


KIND_LABELS: dict[str, str] = {
    NoticeKind.APPROVE: N_("Waits for approval"),
    NoticeKind.ACCEPT: N_("Waits for acceptance"),
    NoticeKind.DELIVER: N_("Waits for delivery"),
    NoticeKind.RECEIVE: N_("Waits for receipt"),
    NoticeKind.INVOICE: N_("Waits for an invoice"),
    NoticeKind.PAY: N_("Waits for payment"),
    NoticeKind.REPLACEMENT_DUE: N_("Replacement due"),
    NoticeKind.REPLACEMENT_OVERDUE: N_("Replacement overdue"),
    NoticeKind.REPLACEMENT_CONVERTED: N_("Converted to cash"),
    NoticeKind.INVOICE_DUE: N_("Invoice due"),
    NoticeKind.INVOICE_OVERDUE: N_("Invoice overdue"),
    NoticeKind.DISPUTE_OPENED: N_("Dispute opened"),
    NoticeKind.DISPUTE_ANSWERED: N_("Dispute answered"),
    NoticeKind.DOCUMENT_REFUSED: N_("Document refused"),
    NoticeKind.AUDIT_FAILED: N_("Audit check failed"),
}
