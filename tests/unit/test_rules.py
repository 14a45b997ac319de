"""Each agreement check, passing and refusing, with the field and clause it names."""

from decimal import Decimal

import pytest

from acsa.domain.errors import AcsaError
from acsa.domain.rules import check_order
from tests.orders_data import order_doc, with_line
from tests.unit.helpers import codes_for, order_from
from tests.unit.registry import registry


def violations(order):
    return check_order(order, registry()[order.agreement_id])


def test_a_fuel_order_within_the_agreement_passes_every_check():
    assert codes_for(order_from()) == []


def test_order_under_an_agreement_signed_but_not_in_force_is_refused():
    order = order_from(agreement="JPN-NZL", requester="NZL")
    [violation] = violations(order)
    assert violation.code == "AGREEMENT_NOT_IN_FORCE"
    assert violation.field == "order_date"
    assert "has not entered into force" in violation.message
    assert violation.clause is not None
    assert violation.clause.startswith("JPN-NZL 2025 text")


def test_order_dated_the_day_before_entry_into_force_is_refused_and_the_day_of_passes():
    before = order_from(agreement="JPN-ITA", requester="ITA", order_date="2025-09-04")
    on_the_day = order_from(
        agreement="JPN-ITA", requester="ITA", order_date="2025-09-05", needed_by="2025-09-06"
    )
    assert codes_for(before) == ["AGREEMENT_NOT_IN_FORCE"]
    assert codes_for(on_the_day) == []


def test_order_dated_before_signature_is_refused():
    order = order_from(agreement="JPN-DEU", requester="DEU", order_date="2023-01-01")
    [violation] = violations(order)
    assert violation.code == "AGREEMENT_NOT_IN_FORCE"
    assert "was not signed until 2024-01-29" in violation.message


def test_party_outside_the_agreement_is_refused_naming_the_field():
    order = order_from(requester="NZL")
    [violation] = violations(order)
    assert (violation.code, violation.field) == ("PARTY_NOT_IN_AGREEMENT", "requester")


def test_requester_and_supplier_must_differ():
    assert "SAME_PARTY" in codes_for(order_from(requester="JPN", supplier="JPN"))


def test_activity_not_covered_is_refused():
    order = order_from(activity="armed_attack")
    [violation] = violations(order)
    assert violation.code == "ACTIVITY_NOT_COVERED"
    assert violation.field == "activity"
    assert "activities covered" in (violation.clause or "")


def test_category_not_covered_is_refused_per_line():
    order = order_from(with_line(order_doc(), 1, category="calibration"))
    [violation] = violations(order)
    assert (violation.code, violation.field) == ("CATEGORY_NOT_COVERED", "lines[1].category")
    assert "annex" in (violation.clause or "")


def test_weapons_are_excluded_from_every_agreement():
    for agreement in registry().values():
        requester = agreement.partner_of("JPN")
        doc = with_line(order_doc(), 0, category="weapons", description="Rifles")
        doc.update(agreement=agreement.id, requester=requester)
        order = order_from(doc)
        excluded = [v for v in violations(order) if v.code == "CATEGORY_EXCLUDED"]
        assert [v.field for v in excluded] == ["lines[0].category"], agreement.id


def test_ammunition_under_the_2010_australia_text_is_excluded_and_under_2017_allowed():
    doc = with_line(order_doc(), 0, category="ammunition", description="5.56 mm ball")
    in_2016 = order_from({**doc, "order_date": "2016-05-01", "needed_by": "2016-05-02"})
    assert codes_for(in_2016) == ["CATEGORY_EXCLUDED"]
    assert codes_for(order_from(doc)) == []


def test_ammunition_under_the_1996_us_text_only_in_armed_attack_situations():
    base = with_line(order_doc(), 0, category="ammunition", description="20 mm")
    base.update(
        agreement="JPN-USA", requester="USA", order_date="2010-01-10", needed_by="2010-01-20"
    )
    exercise = order_from(base)
    [violation] = violations(exercise)
    assert violation.code == "CATEGORY_NOT_COVERED"
    assert "only for: armed attack" in violation.message
    assert codes_for(order_from({**base, "activity": "armed_attack"})) == []


def test_services_cannot_be_replaced_in_kind():
    doc = with_line(
        order_doc(settlement="replacement_in_kind"),
        1,
        category="medical",
        description="Field surgery",
    )
    [violation] = violations(order_from(doc))
    assert (violation.code, violation.field) == (
        "SETTLEMENT_METHOD_NOT_ALLOWED",
        "lines[1].category",
    )
    assert "a service cannot be returned in kind" in violation.message


def test_goods_may_be_replaced_in_kind():
    doc = order_doc(settlement="replacement_in_kind")
    assert codes_for(order_from(doc)) == []


def test_settlement_method_not_in_the_agreement_is_refused():
    agreement = registry()["JPN-AUS"]
    from dataclasses import replace

    version = replace(agreement.latest, settlement_methods=frozenset({"cash"}))
    narrowed = replace(agreement, versions=(*agreement.versions[:-1], version))
    order = order_from(settlement="equal_value_exchange")
    [violation] = check_order(order, narrowed)
    assert violation.code == "SETTLEMENT_METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"quantity": "0"}, "INVALID_QUANTITY", "lines[0].quantity"),
        ({"quantity": "-5"}, "INVALID_QUANTITY", "lines[0].quantity"),
        ({"unit_price": "-1"}, "INVALID_PRICE", "lines[0].unit_price"),
        ({"unit_price": "10.5"}, "INVALID_PRICE", "lines[0].unit_price"),
        ({"currency": "XYZ"}, "UNKNOWN_CURRENCY", "lines[0].currency"),
        ({"currency": "USD"}, "MIXED_CURRENCIES", "lines"),
    ],
)
def test_malformed_lines_are_refused_naming_the_field(change, code, field):
    order = order_from(with_line(order_doc(), 0, **change))
    found = [(v.code.value, v.field) for v in violations(order)]
    assert (code, field) in found


def test_cents_are_fine_in_a_currency_that_has_them():
    doc = order_doc()
    for line in doc["lines"]:
        line.update(currency="EUR", unit_price="1.25")
    assert codes_for(order_from(doc)) == []


def test_every_violation_is_reported_at_once():
    doc = with_line(
        order_doc(agreement="JPN-NZL", requester="NZL", activity="armed_attack"),
        0,
        category="weapons",
        quantity="0",
    )
    codes = codes_for(order_from(doc))
    assert codes == [
        "AGREEMENT_NOT_IN_FORCE",
        "ACTIVITY_NOT_COVERED",
        "CATEGORY_EXCLUDED",
        "INVALID_QUANTITY",
    ]


@pytest.mark.parametrize(
    ("doc", "code", "field"),
    [
        ({**order_doc(), "settlement": "barter"}, "SETTLEMENT_METHOD_NOT_ALLOWED", "settlement"),
        ({**order_doc(), "requester": "XXX"}, "UNKNOWN_PARTY", "requester"),
        ({**order_doc(), "order_date": "2026-02-30"}, "INVALID_DATE", "order_date"),
        (with_line(order_doc(), 2, quantity="lots"), "INVALID_QUANTITY", "lines[2].quantity"),
        (with_line(order_doc(), 0, unit_price="cheap"), "INVALID_PRICE", "lines[0].unit_price"),
        ({k: v for k, v in order_doc().items() if k != "location"}, "MISSING_FIELD", "location"),
        ({**order_doc(), "colour": "red"}, "INVALID_FIELD", "colour"),
    ],
)
def test_documents_that_are_not_orders_are_refused_with_coded_errors(doc, code, field):
    with pytest.raises(AcsaError) as refused:
        order_from(doc)
    assert (code, field) in [(v.code.value, v.field) for v in refused.value.violations]


def test_json_numbers_keep_their_exact_value():
    order = order_from(with_line(order_doc(), 2, quantity=Decimal("2000.5")))
    assert order.lines[2].quantity == Decimal("2000.5")
