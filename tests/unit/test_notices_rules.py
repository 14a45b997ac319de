"""The rules of which notices are due on a day (acsa.domain.notices), their keys, their words
in English and Japanese (acsa.i18n.notice_words) and the scheduler's settings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from acsa.api.scheduler import alerts_interval_s, sweep_hour
from acsa.domain.access import Role
from acsa.domain.account import (
    AccountHead,
    Conversion,
    Invoice,
    OrderAccount,
    Payment,
    Terms,
    Tranche,
)
from acsa.domain.attachments import Step, StepKind
from acsa.domain.disputes import Dispute, Ground, Resolution, Status
from acsa.domain.errors import AcsaError
from acsa.domain.notices import (
    Notice,
    NoticeKind,
    OrderFacts,
    account_notices,
    audit_notices,
    checked,
    dispute_notices,
    unique,
    waiting_notice,
)
from acsa.domain.order import OrderStatus
from acsa.i18n import catalog
from acsa.i18n.notice_words import KIND_LABELS, RESOLUTIONS, WORDS, notice_text
from acsa.i18n.speech import Speech

RECEIVED = date(2026, 3, 10)
ISSUED = date(2026, 4, 1)
DUE = ISSUED + timedelta(days=30)
DEADLINE = RECEIVED + timedelta(days=365)


def cash(paid: Decimal = Decimal(0)) -> OrderAccount:
    """JPN supplied AUS 1,000 JPY of cash support, invoiced on ISSUED, ``paid`` paid."""
    head = AccountHead(7, "JPN", "AUS", "JPY", "cash", OrderStatus.RECEIVED)
    payments = (Payment("JPN-2026-000001", paid, date(2026, 4, 20)),) if paid else ()
    invoice = Invoice("JPN-2026-000001", "cash", Decimal(1000), ISSUED, DUE, payments)
    return OrderAccount(head, Terms(365, 30), (Tranche(RECEIVED, Decimal(1000)),), (invoice,))


def in_kind(converted_on: date | None = None) -> OrderAccount:
    head = AccountHead(9, "USA", "JPN", "JPY", "replacement_in_kind", OrderStatus.RECEIVED)
    done = (Conversion(converted_on, Decimal(500), DEADLINE),) if converted_on is not None else ()
    return OrderAccount(head, Terms(365, 30), (Tranche(RECEIVED, Decimal(500)),), in_kind=done)


def told(account: OrderAccount, day: date) -> list[tuple[str, str, str]]:
    return sorted((n.kind.value, n.nation, n.marker) for n in account_notices(account, day, 14))


def test_an_invoice_is_to_pay_then_due_in_7_days_then_overdue_to_both_finances() -> None:
    assert told(cash(), DUE - timedelta(days=8)) == [("pay", "AUS", "issued")]
    assert told(cash(), DUE - timedelta(days=7)) == [
        ("invoice_due", "AUS", f"{DUE}:d7"),
        ("pay", "AUS", "issued"),
    ]
    assert told(cash(), DUE) == told(cash(), DUE - timedelta(days=7))
    for late, step in ((1, 1), (29, 1), (30, 30), (59, 30), (60, 60), (90, 90), (400, 90)):
        assert told(cash(), DUE + timedelta(days=late)) == [
            ("invoice_overdue", "AUS", f"{DUE}:o{step}"),
            ("invoice_overdue", "JPN", f"{DUE}:o{step}"),
        ], late
    [first, *_] = account_notices(cash(), DUE + timedelta(days=30), 14)
    assert first.roles == (Role.FINANCE,)
    assert first.key == f"invoice_overdue:invoice:JPN-2026-000001:{DUE}:o30:{first.nation}"
    assert first.params["days"] == "30"


def test_paying_an_invoice_in_full_stops_its_notices_and_a_part_payment_does_not() -> None:
    for late in (-8, -7, 1, 30, 60, 90):
        assert told(cash(paid=Decimal(1000)), DUE + timedelta(days=late)) == []
    [overdue, _] = account_notices(cash(paid=Decimal(400)), DUE + timedelta(days=60), 14)
    assert overdue.params["amount"] == "600"


def test_a_replacement_is_due_in_30_then_7_days_then_past_its_deadline() -> None:
    assert told(in_kind(), DEADLINE - timedelta(days=31)) == []
    for left, step in ((30, 30), (8, 30), (7, 7), (1, 7), (0, 7)):
        assert told(in_kind(), DEADLINE - timedelta(days=left)) == [
            ("replacement_due", "JPN", f"{DEADLINE}:d{step}")
        ], left
    [due] = account_notices(in_kind(), DEADLINE - timedelta(days=30), 14)
    assert due.key == f"replacement_due:order:9:{DEADLINE}:d30:JPN"
    assert due.roles == (Role.LOGISTICS,)
    assert (due.due, due.params["days"], due.params["amount"]) == (DEADLINE, "30", "500")
    assert due.params["due"] == DEADLINE.isoformat()
    # What it says names the day (every kind with a due day).
    for notice in [
        due,
        *account_notices(cash(), DUE - timedelta(days=7), 14),
        *account_notices(cash(), DUE + timedelta(days=1), 14),
        *account_notices(in_kind(), DEADLINE + timedelta(days=1), 14),
    ]:
        assert notice.due is not None
        for lang in ("en", "ja"):
            said = notice_text(notice.kind, notice.params, lang)[1]
            assert Speech(lang).day(notice.due) in said, (notice.key, lang)
    assert told(in_kind(), DEADLINE + timedelta(days=1)) == [
        ("replacement_overdue", "JPN", f"{DEADLINE}:late")
    ]


def test_a_conversion_tells_both_finances_for_a_fortnight() -> None:
    swept = DEADLINE + timedelta(days=1)
    converted = in_kind(converted_on=swept)
    expected = [
        ("replacement_converted", "JPN", f"{DEADLINE}:c{swept}"),
        ("replacement_converted", "USA", f"{DEADLINE}:c{swept}"),
    ]
    # The conversion's cash is then to invoice (by the supplier's finance).
    invoice = ("invoice", "USA", f"r{swept}")
    assert told(converted, swept) == sorted([*expected, invoice])
    assert told(converted, swept + timedelta(days=14)) == sorted([*expected, invoice])
    assert told(converted, swept + timedelta(days=15)) == [invoice]


def test_an_order_waiting_tells_the_side_and_role_that_acts() -> None:
    order = OrderFacts(3, "AUS", "JPN")
    cases = {
        OrderStatus.SUBMITTED: ("accept", "JPN"),
        OrderStatus.ACCEPTED: ("deliver", "JPN"),
        OrderStatus.PARTIALLY_DELIVERED: ("receive", "AUS"),
        OrderStatus.DELIVERED: ("receive", "AUS"),
        OrderStatus.PARTIALLY_RECEIVED: ("deliver", "JPN"),
    }
    for status, (kind, nation) in cases.items():
        notice = waiting_notice(order, status, "5", date(2026, 5, 1))
        assert notice is not None
        assert (notice.kind.value, notice.nation, notice.roles) == (
            kind,
            nation,
            (Role.LOGISTICS,),
        )
        assert notice.key == f"{kind}:order:3:s5:{nation}"
    for status in (OrderStatus.DRAFT, OrderStatus.RECEIVED, OrderStatus.CLOSED):
        assert waiting_notice(order, status, "5", date(2026, 5, 1)) is None


def test_a_dispute_tells_the_other_side_when_opened_and_when_answered() -> None:
    order = OrderFacts(4, "AUS", "JPN")
    opened = Dispute(
        order_id=4,
        number="D-1",
        step=Step(StepKind.INVOICE, "JPN-2026-000001"),
        ground=Ground("amount"),
        reason="twice billed",
        amount=Decimal(100),
        currency="JPY",
        evidence=None,
        opened_by="AUS",
        actor="aus-fin",
        day=date(2026, 5, 1),
        at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    [told_open] = dispute_notices(opened, order, date(2026, 5, 2), 14)
    assert (told_open.kind, told_open.nation) == (NoticeKind.DISPUTE_OPENED, "JPN")
    assert told_open.roles == (Role.FINANCE, Role.LOGISTICS)
    assert told_open.subject == "dispute:4/D-1"
    assert dispute_notices(opened, order, date(2026, 5, 16), 14) == []
    answered = dataclasses.replace(
        opened,
        status=Status.RESOLVED,
        resolution=Resolution.CREDIT_NOTE,
        answered_by="JPN",
        answered=date(2026, 5, 20),
    )
    [told_answer] = dispute_notices(answered, order, date(2026, 5, 20), 14)
    assert (told_answer.kind, told_answer.nation) == (NoticeKind.DISPUTE_ANSWERED, "AUS")
    assert told_answer.params["resolution"] == "credit_note"


def test_keys_are_bounded_and_each_made_once() -> None:
    day = date(2026, 5, 1)
    [failed] = audit_notices(["JPN", "JPN"], 3, day)
    assert failed.key == "audit_failed:audit:2026-05-01:JPN"
    assert unique([failed, failed]) == [failed]
    long = Notice(NoticeKind.AUDIT_FAILED, "JPN", (Role.ADMIN,), "x" * 201, "m", day)
    with pytest.raises(AcsaError) as refused:
        checked(long)
    assert {v.field for v in refused.value.violations} == {"key", "subject"}
    params = {f"p{n}": "v" for n in range(17)}
    with pytest.raises(AcsaError):
        checked(Notice(NoticeKind.AUDIT_FAILED, "JPN", (Role.ADMIN,), "audit", "m", day, params))


def test_every_notice_reads_in_english_and_in_japanese() -> None:
    japanese = catalog("ja")
    for subject, body in WORDS.values():
        assert subject in japanese
        assert body in japanese
    for label in [*KIND_LABELS.values(), *RESOLUTIONS.values()]:
        assert label in japanese
    params = {
        "order": "12",
        "requester": "AUS",
        "supplier": "JPN",
        "due": "2027-01-05",
        "days": "30",
        "amount": "5000000",
        "currency": "JPY",
    }
    assert notice_text("replacement_due", params, "en") == (
        "Replacement for order 12 due in 30 days",
        "The replacement in kind for order 12 from JPN is due on 5 Jan 2027, in 30 days. On "
        "that day what is not replaced converts to cash.",
    )
    title, text = notice_text("replacement_due", params, "ja")
    assert title == "発注 12 の同種返還の期限まであと 30 日"
    assert "2027/01/05" in text
    assert "5,000,000 JPY" in notice_text("invoice", params, "ja")[1]
    for kind in NoticeKind:
        en, ja = notice_text(kind, params, "en"), notice_text(kind, params, "ja")
        assert en[0], kind
        assert ja[0], kind
        assert en != ja, kind
    assert notice_text("no_such_kind", {}, "en") == ("no_such_kind", "")


@pytest.mark.parametrize(
    ("given", "interval"), [("", 60.0), ("0", 0.0), (" 1 ", 1.0), ("86400", 86400.0)]
)
def test_the_alerts_interval(given: str, interval: float) -> None:
    assert alerts_interval_s({"ACSA_ALERTS_INTERVAL": given}) == interval


@pytest.mark.parametrize("given", ["86401", "-1", "1.5", "soon", "١٠"])
def test_a_bad_alerts_interval_is_refused_naming_it(given: str) -> None:
    with pytest.raises(AcsaError) as refused:
        alerts_interval_s({"ACSA_ALERTS_INTERVAL": given})
    assert refused.value.violations[0].field == "ACSA_ALERTS_INTERVAL"


def test_the_sweep_hour() -> None:
    assert sweep_hour({}) == 2
    assert sweep_hour({"ACSA_SWEEP_HOUR": "0"}) == 0
    assert sweep_hour({"ACSA_SWEEP_HOUR": "23"}) == 23
    for bad in ("24", "-1", "noon"):
        with pytest.raises(AcsaError) as refused:
            sweep_hour({"ACSA_SWEEP_HOUR": bad})
        assert refused.value.violations[0].field == "ACSA_SWEEP_HOUR"
