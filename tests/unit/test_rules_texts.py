"""The rules that make checks say what a text says, on agreements written for the test (the
shipped registry's own facts are tested in test_registry_texts.py): windows where a text's
day of entry into force is not known, confirmed warnings, settlement per kind of support,
the reason cash settles supplies, and the determination "other activities" need."""

from __future__ import annotations

from typing import Any

import pytest

from acsa.domain.agreement import Agreement
from acsa.domain.ceilings import applicable
from acsa.domain.errors import Code
from acsa.domain.order import Attestations, Order
from acsa.domain.rules import check_order
from acsa.schemas.orders import AgreementDoc, agreement_from_doc, parse_model
from tests.unit.helpers import order_from

JAPAN_STYLE = {
    "supplies": ["replacement_in_kind", "cash"],
    "services": ["cash", "equal_value_exchange"],
}


def version(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "label": "2016 text",
        "signed": "2016-01-14",
        "in_force": "2016-03-01",
        "activities": ["exercise", "other_activities"],
        "determination_activities": ["other_activities"],
        "categories": ["food", "fuel", "water", "medical", "communications", "ammunition"],
        "settlement_methods": ["cash", "replacement_in_kind", "equal_value_exchange"],
        "settlement_by_kind": JAPAN_STYLE,
        "supplies_return_preferred": True,
        "clauses": {
            "settlement": "Art. 5",
            "determination": "Art. 6(2)",
            "in_force": "Art. 7(1)",
        },
    }
    doc.update(changes)
    return doc


def agreement(*versions: dict[str, Any]) -> Agreement:
    doc = {
        "id": "JPN-AUS",
        "title": "A text written for the test",
        "parties": ["JPN", "AUS"],
        "versions": list(versions),
    }
    return agreement_from_doc(parse_model(AgreementDoc, doc))


def order(day: str = "2020-06-01", **changes: Any) -> Order:
    base: dict[str, Any] = {"order_date": day, "needed_by": day, "cash_reason": None}
    return order_from(**{**base, **changes})


def attest(found: Order, **given: Any) -> Order:
    found.attestations = Attestations(**given)
    return found


def codes(found: Order, text: Agreement) -> list[str]:
    return [v.code.value for v in check_order(found, text)]


# --- settlement per kind of support ---------------------------------------------------------


def test_cash_for_supplies_under_a_text_that_settles_them_by_return_needs_the_reason():
    text = agreement(version())
    [violation] = check_order(order(), text)
    assert (violation.code, violation.field) == (Code.CASH_REASON_REQUIRED, "cash_reason")
    assert violation.clause == "JPN-AUS 2016 text, Art. 5"
    assert "line(s) 1, 2, 3" in violation.message
    given = order(cash_reason="the fuel is burnt in the exercise; return is difficult")
    assert codes(given, text) == []


def test_cash_for_services_alone_needs_no_reason():
    lines = [
        {
            "category": "medical",
            "description": "Field surgery",
            "quantity": "1",
            "unit": "EA",
            "unit_price": "900000",
            "currency": "JPY",
        }
    ]
    assert codes(order(lines=lines), agreement(version())) == []


def test_a_text_that_does_not_prefer_return_takes_cash_for_supplies_without_a_reason():
    text = agreement(version(supplies_return_preferred=False))
    assert codes(order(), text) == []


def test_equal_value_exchange_of_supplies_is_refused_per_line_where_the_text_offers_none():
    text = agreement(version())
    found = check_order(order(settlement="equal_value_exchange"), text)
    assert [(v.code, v.field) for v in found] == [
        (Code.SETTLEMENT_METHOD_NOT_ALLOWED, f"lines[{i}].category") for i in range(3)
    ]
    assert "does not settle supplies by equal value exchange" in found[0].message
    assert "allowed for it: cash, replacement in kind" in found[0].message
    assert found[0].clause == "JPN-AUS 2016 text, Art. 5"
    us_style = {"supplies": ["cash", "replacement_in_kind", "equal_value_exchange"]}
    assert (
        codes(
            order(settlement="equal_value_exchange"),
            agreement(version(settlement_by_kind={**JAPAN_STYLE, **us_style})),
        )
        == []
    )


def test_a_service_is_never_returned_in_kind_whatever_the_text_lists():
    lines = [
        {
            "category": "medical",
            "description": "Field surgery",
            "quantity": "1",
            "unit": "EA",
            "unit_price": "900000",
            "currency": "JPY",
        }
    ]
    loose = version(settlement_by_kind={}, supplies_return_preferred=False)
    [violation] = check_order(
        order(lines=lines, settlement="replacement_in_kind"), agreement(loose)
    )
    assert violation.code is Code.SETTLEMENT_METHOD_NOT_ALLOWED
    assert "a service cannot be returned in kind" in violation.message


def test_a_category_that_may_be_either_passes_if_either_kind_allows_the_method():
    lines = [
        {
            "category": "communications",
            "description": "Satellite link, 1 week",
            "quantity": "1",
            "unit": "EA",
            "unit_price": "500000",
            "currency": "JPY",
        }
    ]
    text = agreement(version())
    for method in ("cash", "replacement_in_kind", "equal_value_exchange"):
        assert codes(order(lines=lines, settlement=method), text) == []


# --- other activities need the governments' determination -----------------------------------


def test_other_activities_need_the_determination_cited_with_its_date():
    text = agreement(version())
    plain = order(activity="other_activities", cash_reason="consumed")
    [violation] = check_order(plain, text)
    assert (violation.code, violation.field) == (Code.DETERMINATION_REQUIRED, "determination")
    assert violation.clause == "JPN-AUS 2016 text, Art. 6(2)"
    assert "missing: determination and determination_date" in violation.message
    half = attest(order(activity="other_activities"), cash_reason="c", determination="D-1")
    [violation] = check_order(half, text)
    assert violation.field == "determination_date"
    cited = order(
        activity="other_activities",
        cash_reason="consumed",
        determination="Exchange of notes 2020/3",
        determination_date="2020-05-30",
    )
    assert codes(cited, text) == []


def test_a_determination_made_after_the_order_is_refused():
    later = order(
        activity="other_activities",
        cash_reason="consumed",
        determination="Exchange of notes 2020/3",
        determination_date="2020-06-02",
    )
    [violation] = check_order(later, agreement(version()))
    assert (violation.code, violation.field) == (Code.INVALID_DATE, "determination_date")


def test_an_activity_without_determination_needs_none():
    assert codes(order(cash_reason="consumed"), agreement(version())) == []


# --- days of entry into force the sources do not give ---------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2016-12-31", ["AGREEMENT_NOT_IN_FORCE"]),
        ("2017-01-01", ["IN_FORCE_DATE_UNCERTAIN"]),
        ("2017-12-30", ["IN_FORCE_DATE_UNCERTAIN"]),
        ("2017-12-31", []),
    ],
)
def test_an_order_inside_a_year_known_window_is_a_warning_not_a_refusal(day, expected):
    text = agreement(version(signed="2016-04-21", in_force="2017"))
    assert codes(order(day, cash_reason="consumed"), text) == expected


def test_the_window_names_its_days_and_how_to_settle_it():
    text = agreement(version(signed="2018-04-21", in_force="2019-07"))
    [violation] = check_order(order("2019-07-10", cash_reason="c"), text)
    assert violation.code is Code.IN_FORCE_DATE_UNCERTAIN
    assert "between 2019-07-01 and 2019-07-31" in violation.message
    assert "--version 1 --in-force YYYY-MM-DD" in violation.message
    assert violation.clause == "JPN-AUS 2016 text, Art. 7(1)"
    before = check_order(order("2019-06-30", cash_reason="c"), text)
    assert [v.code for v in before] == [Code.AGREEMENT_NOT_IN_FORCE]


def test_a_window_never_starts_before_the_signature():
    text = agreement(version(signed="2017-01-26", in_force="2017"))
    assert codes(order("2017-01-25", cash_reason="c"), text) == ["AGREEMENT_NOT_IN_FORCE"]
    assert codes(order("2017-01-26", cash_reason="c"), text) == ["IN_FORCE_DATE_UNCERTAIN"]


def test_a_confirmed_warning_passes_and_other_refusals_stay():
    text = agreement(version(signed="2018-04-21", in_force="2019-07"))
    confirmed = frozenset({"IN_FORCE_DATE_UNCERTAIN"})
    found = attest(order("2019-07-10"), cash_reason="c", confirmed=confirmed)
    assert codes(found, text) == []
    wrong = attest(order("2019-07-10", activity="armed_attack"), confirmed=confirmed)
    assert codes(wrong, text) == ["ACTIVITY_NOT_COVERED", "CASH_REASON_REQUIRED"]


def test_a_newer_text_whose_day_is_unknown_warns_only_where_the_older_one_refuses():
    older = version(
        label="1996 text",
        signed="1996-04-15",
        in_force="1996-10-22",
        activities=["exercise"],
        categories=["food", "fuel", "medical"],
        supplies_return_preferred=False,
        determination_activities=[],
    )
    newer = version(
        label="1998 amendment",
        kind="amendment",
        signed="1998-04-28",
        in_force="1999-09",
        activities=["exercise", "areas_surrounding_japan"],
        categories=["food", "fuel", "medical"],
        supplies_return_preferred=False,
        determination_activities=[],
    )
    text = agreement(older, newer)
    lines = order().lines[:2]
    surrounding = order("1999-09-10", activity="areas_surrounding_japan")
    surrounding.lines = lines
    [warning] = check_order(surrounding, text)
    assert warning.code is Code.IN_FORCE_DATE_UNCERTAIN
    assert "1998 amendment entered into force in 1999-09" in warning.message
    exercise = order("1999-09-10")
    exercise.lines = lines
    assert codes(exercise, text) == []  # the 1996 text surely covers it: nothing to confirm
    armed = order("1999-09-10", activity="armed_attack")
    armed.lines = lines
    assert codes(armed, text) == ["ACTIVITY_NOT_COVERED"]  # neither text covers it
    assert "1996 text" in check_order(armed, text)[0].message
    after = order("1999-09-30", activity="areas_surrounding_japan")
    after.lines = lines
    assert codes(after, text) == []


# --- unverified activities ------------------------------------------------------------------


def test_an_unverified_activity_is_a_warning_a_person_confirms():
    text = agreement(version(unverified_activities=["disaster_response"]))
    found = order(activity="disaster_response", cash_reason="c")
    [warning] = check_order(found, text)
    assert warning.code is Code.ACTIVITY_UNVERIFIED
    assert "could not verify" in warning.message
    confirmed = attest(
        order(activity="disaster_response"),
        cash_reason="c",
        confirmed=frozenset({"ACTIVITY_UNVERIFIED"}),
    )
    assert codes(confirmed, text) == []
    # Confirming one warning does not confirm another.
    other = attest(
        order(activity="disaster_response"),
        cash_reason="c",
        confirmed=frozenset({"IN_FORCE_DATE_UNCERTAIN"}),
    )
    assert codes(other, text) == ["ACTIVITY_UNVERIFIED"]


# --- the hostilities exception to annual ceilings -------------------------------------------


def test_ceilings_exempt_in_hostilities_are_not_applied_to_an_order_that_declares_them():
    caps = [
        {"currency": "USD", "amount": "60000000", "party": "USA", "hostilities_exempt": True},
        {"currency": "USD", "amount": "1", "party": "USA"},
    ]
    doc = {
        "id": "JPN-USA",
        "title": "A text written for the test",
        "parties": ["JPN", "USA"],
        "versions": [version(annual_ceilings=caps)],
    }
    text = agreement_from_doc(parse_model(AgreementDoc, doc)).latest
    assert [c.amount for c in applicable(text, "USA")] == [60000000, 1]
    assert [c.amount for c in applicable(text, "USA", hostilities=True)] == [1]
    assert applicable(text, "JPN") == []
