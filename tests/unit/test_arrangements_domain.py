"""Implementing arrangements, the pure rules: every field bounded and named when wrong, the days
an arrangement is in force, and its ceilings per fiscal year or in total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from acsa.adapters.nations_file import shipped_fiscal_calendars
from acsa.domain import limits
from acsa.domain.arrangements import (
    ArrangementCeilingContext,
    amended,
    arrangement_from_doc,
    ceiling_violations,
    check_end,
    check_in_force,
)
from acsa.domain.ceilings import Acquired, acquired
from acsa.domain.errors import AcsaError
from acsa.domain.money import Money

CALENDARS = shipped_fiscal_calendars()


def fiscal_year_of(nation: str, day: date):
    return CALENDARS.fiscal_year_of(nation, day)


PARTIES = ("JPN", "AUS")


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "reference": "JPN-AUS IA 2025-01",
        "title": "Billing and payment under the Japan-Australia ACSA",
        "signed": "2025-01-15",
        "in_force": "2025-02-01",
        "payment_term_days": 45,
        "sides": {
            "JPN": {
                "billing_office": {
                    "name": "MOD Accounting Division",
                    "address": ["5-1 Ichigaya-Honmuracho", "Tokyo 162-8801"],
                    "email": "billing@mod.example.jp",
                },
                "contacts": [{"name": "Maj. T. Ono", "email": "t.ono@mod.example.jp"}],
                "fund_citation": "MOD 0131-2026",
            },
            "AUS": {
                "paying_office": {"name": "Defence Finance Group", "address": "Canberra ACT"},
                "contacts": [{"name": "Ms P. Harris", "phone": "+61 2 6265 9111"}],
            },
        },
        "ceilings": [{"currency": "JPY", "amount": "1000000", "party": "AUS"}],
    }
    base.update(changes)
    return base


def refused(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(AcsaError) as caught:
        arrangement_from_doc("JPN-AUS", PARTIES, data)
    return [(v.code.value, v.field) for v in caught.value.violations]


def test_a_whole_document_reads_into_an_arrangement() -> None:
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc())
    assert (a.reference, a.payment_term_days, a.signed, a.in_force) == (
        "JPN-AUS IA 2025-01",
        45,
        date(2025, 1, 15),
        date(2025, 2, 1),
    )
    billing, paying = a.side("JPN").billing_office, a.side("AUS").paying_office
    assert billing is not None
    assert billing.address == ("5-1 Ichigaya-Honmuracho", "Tokyo 162-8801")
    assert paying is not None
    assert paying.address == ("Canberra ACT",)
    assert a.side("JPN").fund_citation == "MOD 0131-2026"
    assert a.side("AUS").fund_citation is None
    assert [c.name for c in a.side("AUS").contacts] == ["Ms P. Harris"]
    [ceiling] = a.ceilings
    assert (ceiling.amount, ceiling.period, ceiling.party) == (
        Decimal(1000000),
        "fiscal_year",
        "AUS",
    )
    # its JSON reads back into the same arrangement
    again = arrangement_from_doc("JPN-AUS", PARTIES, a.to_json())
    assert again == a


def test_every_wrong_field_is_named_at_once() -> None:
    wrong = doc(
        reference="",
        signed="2025-13-01",
        payment_term_days=0,
        sides={
            "JPN": {
                "billing_office": {"name": "X", "email": "not-an-address"},
                "contacts": [{"name": "A", "phone": "call me"}],
            },
            "USA": {},
        },
        ceilings=[{"currency": "XXQ", "amount": "-5"}],
        colour="blue",
    )
    found = refused(wrong)
    assert ("MISSING_FIELD", "reference") in found
    assert ("INVALID_DATE", "signed") in found
    assert ("INVALID_FIELD", "payment_term_days") in found
    assert ("INVALID_FIELD", "sides.JPN.billing_office.email") in found
    assert ("INVALID_FIELD", "sides.JPN.contacts[0].phone") in found
    assert ("PARTY_NOT_IN_AGREEMENT", "sides.USA") in found
    assert ("UNKNOWN_CURRENCY", "ceilings[0].currency") in found
    assert ("INVALID_AMOUNT", "ceilings[0].amount") in found
    assert ("INVALID_FIELD", "colour") in found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"reference": "R" * (limits.ARRANGEMENT_REF_CHARS_MAX + 1)}, "reference"),
        ({"title": "T" * (limits.NAME_CHARS_MAX + 1)}, "title"),
        ({"payment_term_days": limits.PAYMENT_TERM_DAYS_MAX + 1}, "payment_term_days"),
        ({"payment_term_days": "30.5"}, "payment_term_days"),
        (
            {
                "ceilings": [{"currency": "JPY", "amount": "1"}]
                * (limits.ARRANGEMENT_CEILINGS_MAX + 1)
            },
            "ceilings",
        ),
        ({"title": "two\nlines"}, "title"),
    ],
)
def test_each_bound_is_its_field(change: dict[str, Any], expected: str) -> None:
    assert [f for _, f in refused(doc(**change))] == [expected]


def test_contacts_and_address_lines_are_bounded() -> None:
    many = [{"name": f"P{i}"} for i in range(limits.CONTACTS_MAX + 1)]
    assert refused(doc(sides={"JPN": {"contacts": many}})) == [
        ("INVALID_FIELD", "sides.JPN.contacts")
    ]
    lines = [f"line {i}" for i in range(limits.ADDRESS_LINES_MAX + 1)]
    office = {"name": "Office", "address": lines}
    assert refused(doc(sides={"AUS": {"paying_office": office}})) == [
        ("INVALID_FIELD", "sides.AUS.paying_office.address")
    ]
    long_line = {"name": "Office", "address": ["x" * (limits.ADDRESS_LINE_CHARS_MAX + 1)]}
    assert refused(doc(sides={"AUS": {"billing_office": long_line}})) == [
        ("INVALID_FIELD", "sides.AUS.billing_office.address[0]")
    ]
    # exactly at the bounds is taken
    at_bounds = {
        "contacts": [{"name": f"P{i}"} for i in range(limits.CONTACTS_MAX)],
        "billing_office": {"name": "O", "address": ["x"] * limits.ADDRESS_LINES_MAX},
    }
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc(sides={"JPN": at_bounds}))
    assert len(a.side("JPN").contacts) == limits.CONTACTS_MAX


def test_dates_must_follow_each_other() -> None:
    assert refused(doc(in_force="2025-01-01")) == [("INVALID_DATE", "in_force")]
    assert refused(doc(ended="2025-02-01")) == [("INVALID_DATE", "ended")]
    assert refused(doc(signed="1989-12-31")) == [("INVALID_DATE", "signed")]


def test_in_force_from_its_day_until_the_day_it_ends() -> None:
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc(ended="2026-04-01"))
    assert [v.code.value for v in check_in_force(a, date(2025, 1, 31))] == [
        "ARRANGEMENT_NOT_IN_FORCE"
    ]
    assert check_in_force(a, date(2025, 2, 1)) == []
    assert check_in_force(a, date(2026, 3, 31)) == []
    [late] = check_in_force(a, date(2026, 4, 1))
    assert (late.code.value, late.field, late.params["ended"]) == (
        "ARRANGEMENT_NOT_IN_FORCE",
        "arrangement",
        date(2026, 4, 1),
    )
    assert a.status_on(date(2025, 1, 20)) == "signed"
    assert a.status_on(date(2025, 6, 1)) == "in_force"
    assert a.status_on(date(2026, 4, 1)) == "ended"


def test_ending_and_amending() -> None:
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc())
    with pytest.raises(AcsaError) as early:
        check_end(a, date(2025, 2, 1))
    assert early.value.violations[0].code.value == "INVALID_DATE"
    check_end(a, date(2025, 2, 2))
    changed = amended(a, {"payment_term_days": 60}, PARTIES)
    assert (changed.payment_term_days, changed.reference, changed.title) == (
        60,
        a.reference,
        a.title,
    )
    with pytest.raises(AcsaError) as renamed:
        amended(a, {"reference": "another"}, PARTIES)
    assert renamed.value.violations[0].field == "reference"


def value(day: date, amount: str) -> Acquired:
    return acquired(day, "JPY", [("food", Decimal(1), Decimal(amount))])


def context(period: str, used: tuple[Acquired, ...], adds: str, day: date = date(2026, 5, 1)):
    ceilings = [{"currency": "JPY", "amount": "1000000", "party": "AUS", "period": period}]
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc(ceilings=ceilings))
    return ArrangementCeilingContext(
        arrangement=a,
        party="AUS",
        year=fiscal_year_of("AUS", day),
        value=value(day, adds),
        used=used,
    )


def test_a_fiscal_year_ceiling_counts_only_the_acquirers_year() -> None:
    # Australia's fiscal year runs July to June: an order of May 2026 is in FY 2025-26
    last_year = value(date(2025, 6, 30), "900000")
    this_year = value(date(2025, 7, 1), "600000")
    assert ceiling_violations(context("fiscal_year", (last_year,), "1000000")) == []
    assert ceiling_violations(context("fiscal_year", (this_year,), "400000")) == []
    [over] = ceiling_violations(context("fiscal_year", (this_year,), "400001"))
    assert (over.code.value, over.field) == ("ARRANGEMENT_CEILING_EXCEEDED", "arrangement")
    assert over.params["left"] == Money(Decimal(400000), "JPY")
    assert over.params["adds"] == Money(Decimal(400001), "JPY")


def test_a_total_ceiling_counts_every_year() -> None:
    last_year = value(date(2025, 6, 30), "900000")
    assert ceiling_violations(context("total", (last_year,), "100000")) == []
    [over] = ceiling_violations(context("total", (last_year,), "100001"))
    assert over.code.value == "ARRANGEMENT_CEILING_EXCEEDED"


def test_a_ceiling_of_the_other_party_does_not_apply() -> None:
    ceilings = [{"currency": "JPY", "amount": "1", "party": "JPN"}]
    a = arrangement_from_doc("JPN-AUS", PARTIES, doc(ceilings=ceilings))
    day = date(2026, 5, 1)
    found = ceiling_violations(
        ArrangementCeilingContext(a, "AUS", fiscal_year_of("AUS", day), value(day, "5"))
    )
    assert found == []
