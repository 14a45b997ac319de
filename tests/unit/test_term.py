"""An agreement's term, a notice of termination and a learnt day of entry into force, in the
domain alone (no database). The agreements are written here from Japan-Australia Art. 7 as
ACSA.md quotes it (ten years, renewed for ten unless notice six months before expiry; one
year's written notice ends it), not read from the shipped registry; every date is fixed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from acsa.domain.agreement import Agreement, AgreementStatus
from acsa.domain.agreement_records import InForceDay, check_in_force_day, with_records
from acsa.domain.rules import check_in_force
from acsa.domain.term import (
    Term,
    Termination,
    add_months,
    check_termination,
    current_term,
    governing_term,
    period_on,
)
from acsa.schemas.orders import AgreementDoc, agreement_from_doc, parse_model
from tests.unit.helpers import order_from

TEN_YEARS = {
    "years": 10,
    "renewal_years": 10,
    "renewal_notice_months": 6,
    "termination_notice_months": 12,
}


def text(label: str, signed: str, in_force: str | None, **more: Any) -> dict[str, Any]:
    return {
        "label": label,
        "signed": signed,
        "in_force": in_force,
        "activities": ["exercise"],
        "categories": ["food", "fuel", "water"],
        "settlement_methods": ["cash"],
        "clauses": {"term": "Art. 7"},
        **more,
    }


def agreement(*versions: dict[str, Any], parties: tuple[str, str] = ("JPN", "AUS")) -> Agreement:
    doc = {"id": "TST-AUS", "title": "test", "parties": list(parties), "versions": list(versions)}
    return agreement_from_doc(parse_model(AgreementDoc, doc))


def australia_2017(in_force: str = "2017-09-06") -> Agreement:
    return agreement(text("2017 text", "2017-01-14", in_force, term=TEN_YEARS))


def notice(given: str, effective: str, by: str = "AUS") -> Termination:
    return Termination(date.fromisoformat(given), date.fromisoformat(effective), by, "note 1/2030")


def codes(found: list[Any]) -> list[str]:
    return [v.code.value for v in found]


# --- the term ---------------------------------------------------------------------------------


def test_the_first_term_runs_ten_years_from_entry_into_force() -> None:
    a = australia_2017()
    period = current_term(a, date(2017, 9, 6))
    assert period is not None
    assert (period.number, period.start, period.end) == (1, date(2017, 9, 6), date(2027, 9, 6))
    assert period.renewal_notice_by == date(2027, 3, 6)
    assert period.approximate is False
    assert current_term(a, date(2027, 9, 5)) == period
    assert current_term(a, date(2017, 9, 5)) is None  # not yet in force


def test_renewals_start_at_ten_and_twenty_years_each_with_its_own_notice_deadline() -> None:
    a = australia_2017()
    second = current_term(a, date(2027, 9, 6))
    assert second is not None
    assert (second.number, second.start, second.end) == (2, date(2027, 9, 6), date(2037, 9, 6))
    assert second.renewal_notice_by == date(2037, 3, 6)
    third = current_term(a, date(2037, 9, 6))
    assert third is not None
    assert (third.number, third.start, third.end) == (3, date(2037, 9, 6), date(2047, 9, 6))
    assert current_term(a, date(2037, 9, 5)) == second


def test_a_term_on_a_partial_date_starts_on_its_last_possible_day_and_is_approximate() -> None:
    period = current_term(australia_2017(in_force="2017"), date(2020, 1, 1))
    assert period is not None
    assert (period.start, period.end, period.approximate) == (
        date(2017, 12, 31),
        date(2027, 12, 31),
        True,
    )
    month = current_term(australia_2017(in_force="2019-07"), date(2020, 1, 1))
    assert month is not None
    assert month.start == date(2019, 7, 31)
    assert month.approximate


def test_an_amendment_keeps_the_term_of_the_text_and_a_new_text_starts_its_own() -> None:
    a = agreement(
        text("2010 text", "2010-05-19", "2013-01-31", term=TEN_YEARS),
        text("2015 amendment", "2015-01-01", "2015-06-01", kind="amendment"),
        text("2017 text", "2017-01-14", "2017-09-06", term=TEN_YEARS),
    )
    amended = current_term(a, date(2016, 1, 1))
    assert amended is not None
    assert (amended.text_version, amended.start, amended.end) == (
        1,
        date(2013, 1, 31),
        date(2023, 1, 31),
    )
    new = current_term(a, date(2018, 1, 1))
    assert new is not None
    assert (new.text_version, new.start) == (3, date(2017, 9, 6))


def test_a_term_the_sources_do_not_give_is_none() -> None:
    a = agreement(text("1996 text", "1996-04-15", "1996-10"))
    assert current_term(a, date(2000, 1, 1)) is None
    assert governing_term(a, date(2000, 1, 1)) is None


def test_months_are_calendar_months_and_a_missing_day_is_the_months_last() -> None:
    assert add_months(date(2016, 2, 29), 120) == date(2026, 2, 28)
    assert add_months(date(2027, 8, 31), -6) == date(2027, 2, 28)
    assert add_months(date(2017, 9, 6), -12) == date(2016, 9, 6)
    leap = period_on(Term(), date(2016, 2, 29), date(2026, 2, 28))
    assert leap is not None
    assert leap.number == 2


# --- a notice of termination --------------------------------------------------------------------


def test_one_years_written_notice_ends_the_agreement_and_a_day_less_is_too_short() -> None:
    a = australia_2017()
    assert check_termination(a, notice("2020-01-10", "2021-01-10")) == []
    assert check_termination(a, notice("2020-01-10", "2023-05-01")) == []
    [short] = check_termination(a, notice("2020-01-10", "2021-01-09"))
    assert short.code.value == "TERMINATION_NOTICE_TOO_SHORT"
    assert short.field == "effective"
    assert "no sooner than 2021-01-10" in short.message
    assert "end of term 1 on 2027-09-06 if given by 2027-03-06" in short.message
    assert short.clause == "TST-AUS 2017 text, Art. 7"


def test_notice_of_non_renewal_by_the_deadline_ends_it_at_the_terms_end() -> None:
    a = australia_2017()
    assert check_termination(a, notice("2027-03-06", "2027-09-06")) == []
    assert codes(check_termination(a, notice("2027-03-07", "2027-09-06"))) == [
        "TERMINATION_NOTICE_TOO_SHORT"
    ]
    # before the deadline, but not at the term's end: only a year's notice counts then
    assert codes(check_termination(a, notice("2027-01-04", "2027-09-05"))) == [
        "TERMINATION_NOTICE_TOO_SHORT"
    ]
    # in the second term, its own end and deadline
    assert check_termination(a, notice("2037-03-06", "2037-09-06")) == []


def test_misdated_notices_are_invalid_dates_and_a_third_nation_cannot_give_one() -> None:
    a = australia_2017()
    [backwards] = check_termination(a, notice("2020-01-10", "2020-01-09"))
    assert (backwards.code.value, backwards.field) == ("INVALID_DATE", "effective")
    before = check_termination(a, notice("2016-01-01", "2017-09-06"))
    assert codes(before) == ["INVALID_DATE", "INVALID_DATE"]
    assert [v.field for v in before] == ["notice_date", "effective"]
    [party] = check_termination(a, notice("2020-01-10", "2021-01-10", by="FRA"))
    assert (party.code.value, party.field) == ("PARTY_NOT_IN_AGREEMENT", "by")
    never = agreement(text("2024 text", "2024-01-01", None, term=TEN_YEARS))
    assert codes(check_termination(never, notice("2024-06-01", "2025-06-01"))) == [
        "AGREEMENT_NOT_IN_FORCE"
    ]


def test_without_a_known_term_only_the_order_of_the_days_is_checked() -> None:
    a = agreement(text("1996 text", "1996-04-15", "1996-10"))
    assert check_termination(a, notice("2020-01-10", "2020-02-01", by="JPN")) == []


def test_after_the_effective_day_the_agreement_has_ended_and_orders_are_refused() -> None:
    given = notice("2030-01-15", "2031-01-15")
    a = with_records(australia_2017(), [given])
    assert a.termination == given
    assert a.version_in_force_on(date(2031, 1, 14)) is not None
    assert a.version_in_force_on(date(2031, 1, 15)) is None
    assert a.status_on(date(2031, 1, 15)) is AgreementStatus.ENDED
    assert current_term(a, date(2031, 1, 15)) is None
    order = order_from(agreement="TST-AUS", order_date="2031-01-15", needed_by="2031-01-20")
    [refused] = check_in_force(order, a, a.version_on(order.order_date))
    assert refused.code.value == "AGREEMENT_NOT_IN_FORCE"
    assert "ended on 2031-01-15 by the notice of termination AUS gave on 2030-01-15" in (
        refused.message
    )
    day_before = order_from(agreement="TST-AUS", order_date="2031-01-14", needed_by="2031-01-20")
    assert check_in_force(day_before, a, a.version_on(day_before.order_date)) == []
    assert codes(check_termination(a, notice("2030-02-01", "2031-06-01"))) == [
        "AGREEMENT_TERMINATED"
    ]


# --- a learnt day of entry into force --------------------------------------------------------


def learnt(version: int, day: str) -> InForceDay:
    return InForceDay(version, date.fromisoformat(day), "MOFA press release")


@pytest.mark.parametrize(
    ("in_force", "day", "window"),
    [
        ("2017", "2018-01-01", "from 2017-01-26 to 2017-12-31"),
        ("2017", "2017-01-25", "from 2017-01-26 to 2017-12-31"),
        ("2019-07", "2019-08-01", "from 2019-07-01 to 2019-07-31"),
        ("2019-07", "2019-06-30", "from 2019-07-01 to 2019-07-31"),
    ],
)
def test_a_learnt_day_outside_the_registrys_window_is_an_invalid_date_naming_it(
    in_force: str, day: str, window: str
) -> None:
    a = agreement(text("text", "2017-01-26", in_force), parties=("JPN", "GBR"))
    [refused] = check_in_force_day(a, learnt(1, day))
    assert (refused.code.value, refused.field) == ("INVALID_DATE", "in_force")
    assert window in refused.message


def test_a_learnt_day_closes_the_uncertain_window() -> None:
    a = agreement(text("2017 text", "2017-01-26", "2017"), parties=("JPN", "GBR"))
    assert a.version_maybe_in_force_on(date(2017, 9, 1)) is not None
    fact = learnt(1, "2017-08-18")
    assert check_in_force_day(a, fact) == []
    known = with_records(a, [fact])
    assert known.versions[0].in_force_window() is None
    assert known.version_maybe_in_force_on(date(2017, 9, 1)) is None
    assert known.version_in_force_on(date(2017, 8, 18)) is not None
    assert known.version_in_force_on(date(2017, 8, 17)) is None
    assert known.in_force_days[0].was == "2017"
    assert a.versions[0].in_force is not None
    assert str(a.versions[0].in_force) == "2017"


def test_a_day_already_known_or_a_version_that_is_not_one_is_refused() -> None:
    a = australia_2017()
    assert codes(check_in_force_day(a, learnt(1, "2017-09-06"))) == ["IN_FORCE_DAY_KNOWN"]
    [missing] = check_in_force_day(a, learnt(4, "2017-09-06"))
    assert (missing.code.value, missing.field) == ("INVALID_FIELD", "version")


def test_a_version_not_yet_in_force_takes_a_day_on_or_after_its_signing() -> None:
    a = agreement(text("2024 text", "2024-01-29", None), parties=("JPN", "PHL"))
    assert check_in_force_day(a, learnt(1, "2025-09-11")) == []
    [early] = check_in_force_day(a, learnt(1, "2024-01-28"))
    assert "on or after 2024-01-29" in early.message


def test_a_long_term_is_reckoned_to_the_end_of_the_calendar_without_failing() -> None:
    yearly = Term(years=1, renewal_years=1, renewal_notice_months=0, termination_notice_months=0)
    period = period_on(yearly, date(1990, 1, 1), date(2100, 12, 31))
    assert period is not None
    assert (period.number, period.start) == (111, date(2100, 1, 1))
    long = Term(years=99, renewal_years=99)
    last = period_on(long, date(9000, 1, 1), date.max)
    assert last is not None
    assert last.end == date.max
    assert add_months(date(9999, 12, 1), 1) == date.max
