"""The checks of an order against its agreement: pure functions returning violations.

Each check takes the order, the agreement and the version governing the order date, and
returns the violations it finds, so a refusal reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from acsa.domain import limits
from acsa.domain.agreement import Agreement, AgreementStatus, AgreementVersion
from acsa.domain.errors import Code, Violation
from acsa.domain.money import fits_minor_units, is_known_currency, minor_units
from acsa.domain.order import Order
from acsa.domain.vocabulary import Kind, Settlement, category_kind

Check = Callable[[Order, Agreement, AgreementVersion], Iterable[Violation]]


def check_in_force(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    on = order.order_date
    if agreement.version_in_force_on(on) is not None:
        return []
    status = agreement.status_on(on)
    if status is None:
        why = f"was not signed until {agreement.first_signed}"
    elif status is AgreementStatus.ENDED:
        notice = agreement.termination
        if notice is not None and notice.effective <= on:
            why = f"ended on {notice.effective} by {notice.describe()}"
        else:
            why = "had ended by then"
    elif version.in_force is None:
        why = f"was signed on {version.signed} but has not entered into force"
    else:
        why = f"was signed on {version.signed} and enters into force on {version.in_force}"
    return [
        Violation(
            Code.AGREEMENT_NOT_IN_FORCE,
            "order_date",
            f"agreement {agreement.id} was not in force on the order date {on}: it {why}",
            version.clause("in_force", agreement.id),
        )
    ]


def check_parties(order: Order, agreement: Agreement, version: AgreementVersion) -> list[Violation]:
    found = [
        Violation(
            Code.PARTY_NOT_IN_AGREEMENT,
            role,
            f"{role} {party} is not a party to agreement {agreement.id} "
            f"(parties: {', '.join(agreement.parties)})",
            version.clause("parties", agreement.id),
        )
        for role, party in (("requester", order.requester), ("supplier", order.supplier))
        if not agreement.has_party(party)
    ]
    if order.requester == order.supplier:
        found.append(
            Violation(
                Code.SAME_PARTY,
                "supplier",
                f"requester and supplier are both {order.requester}; an order is between the two "
                "parties of the agreement",
            )
        )
    return found


def check_activity(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    if order.activity in version.activities:
        return []
    return [
        Violation(
            Code.ACTIVITY_NOT_COVERED,
            "activity",
            f"activity {order.activity!r} is not covered by {agreement.id} {version.label} "
            f"(covered: {', '.join(sorted(version.activities))})",
            version.clause("activities", agreement.id),
        )
    ]


def check_categories(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    found: list[Violation] = []
    for index, line in enumerate(order.lines):
        field = f"lines[{index}].category"
        if line.category in version.excluded:
            found.append(
                Violation(
                    Code.CATEGORY_EXCLUDED,
                    field,
                    f"line {line.number}: {line.category!r} is excluded from {agreement.id} "
                    f"{version.label}; it cannot be provided under the agreement",
                    version.clause("excluded", agreement.id),
                )
            )
        elif line.category not in version.categories:
            found.append(
                Violation(
                    Code.CATEGORY_NOT_COVERED,
                    field,
                    f"line {line.number}: category {line.category!r} is not covered by "
                    f"{agreement.id} {version.label}",
                    version.clause("categories", agreement.id),
                )
            )
        elif (
            line.category in version.category_conditions
            and order.activity not in version.category_conditions[line.category]
        ):
            allowed = ", ".join(sorted(version.category_conditions[line.category]))
            found.append(
                Violation(
                    Code.CATEGORY_NOT_COVERED,
                    field,
                    f"line {line.number}: {line.category!r} is covered by {agreement.id} "
                    f"{version.label} only for: {allowed}; not for {order.activity!r}",
                    version.clause("categories", agreement.id),
                )
            )
    return found


def check_settlement(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    clause = version.clause("settlement", agreement.id)
    if order.settlement not in version.settlement_methods:
        return [
            Violation(
                Code.SETTLEMENT_METHOD_NOT_ALLOWED,
                "settlement",
                f"settlement {order.settlement!r} is not allowed by {agreement.id} "
                f"{version.label} (allowed: {', '.join(sorted(version.settlement_methods))})",
                clause,
            )
        ]
    if order.settlement == Settlement.REPLACEMENT_IN_KIND:
        services = [line for line in order.lines if category_kind(line.category) is Kind.SERVICES]
        return [
            Violation(
                Code.SETTLEMENT_METHOD_NOT_ALLOWED,
                "settlement",
                f"line {line.number}: {line.category!r} is a service and cannot be returned in "
                "kind; settle services in cash or by equal value exchange",
                clause,
            )
            for line in services
        ]
    return []


def check_lines(order: Order, agreement: Agreement, version: AgreementVersion) -> list[Violation]:  # noqa: ARG001
    return validate_lines(order)


def validate_lines(order: Order) -> list[Violation]:
    """Quantities, prices, currencies, dates and texts, which need no agreement to judge;
    every number, date, text and list within its bound (``acsa.domain.limits``)."""
    found: list[Violation] = []
    currencies = set()
    too_many = limits.count_violation("lines", len(order.lines), limits.ORDER_LINES_MAX)
    if too_many is not None:
        return [too_many]
    found.extend(_order_texts(order))
    total = Decimal(0)
    for index, line in enumerate(order.lines):
        field = f"lines[{index}]"
        found.extend(
            limits.text_violations(
                (
                    (f"{field}.category", line.category),
                    (f"{field}.description", line.description),
                    (f"{field}.unit", line.unit),
                    (f"{field}.nsn", line.nsn),
                )
            )
        )
        quantity, bad_quantity = limits.number_violation(
            f"{field}.quantity", line.quantity, limits.QUANTITY, Code.INVALID_QUANTITY
        )
        if bad_quantity is not None:
            found.append(_on_line(bad_quantity, line.number))
        price, bad_price = limits.number_violation(
            f"{field}.unit_price", line.unit_price, limits.PRICE, Code.INVALID_PRICE
        )
        if bad_price is not None:
            found.append(_on_line(bad_price, line.number))
        if not is_known_currency(line.currency):
            found.append(
                Violation(
                    Code.UNKNOWN_CURRENCY,
                    f"{field}.currency",
                    f"line {line.number}: {line.currency!r} is not an ISO 4217 currency code",
                )
            )
        else:
            currencies.add(line.currency)
            if price is not None:
                found.extend(_price_violations(index, line.number, price, line.currency))
        if quantity is not None and price is not None:
            value = quantity * price
            total += value
            if value > limits.AMOUNT_MAX:
                found.append(
                    Violation(
                        Code.INVALID_AMOUNT,
                        field,
                        f"line {line.number}: quantity {quantity} at {price} is worth {value:,}; "
                        f"a line is worth at most {limits.AMOUNT_MAX:,}",
                    )
                )
    if total > limits.AMOUNT_MAX and not any(v.code is Code.INVALID_AMOUNT for v in found):
        found.append(
            Violation(
                Code.INVALID_AMOUNT,
                "lines",
                f"the order is worth {total:,}; an order is worth at most {limits.AMOUNT_MAX:,}",
            )
        )
    if len(currencies) > 1:
        found.append(
            Violation(
                Code.MIXED_CURRENCIES,
                "lines",
                "all lines of an order are priced in one currency; found "
                + ", ".join(sorted(currencies)),
            )
        )
    dates_bad = [
        v
        for v in (
            limits.date_violation("order_date", order.order_date),
            limits.date_violation("needed_by", order.needed_by),
        )
        if v is not None
    ]
    found.extend(dates_bad)
    if not dates_bad and order.needed_by < order.order_date:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "needed_by",
                f"needed_by {order.needed_by} is before the order date {order.order_date}",
            )
        )
    if not order.lines:
        found.append(Violation(Code.MISSING_FIELD, "lines", "an order needs at least one line"))
    return found


def _on_line(violation: Violation, number: int) -> Violation:
    """``violation`` with the line's number in front of its message."""
    return Violation(violation.code, violation.field, f"line {number}: {violation.message}")


def _order_texts(order: Order) -> list[Violation]:
    return limits.text_violations(
        (
            ("agreement", order.agreement_id),
            ("requester", order.requester),
            ("supplier", order.supplier),
            ("activity", order.activity),
            ("settlement", order.settlement),
            ("location", order.location),
            ("operation", order.operation),
            ("requester_unit", order.requester_unit),
            ("supplier_unit", order.supplier_unit),
            ("fund_citation", order.fund_citation),
            ("partner_reference", order.partner_reference),
            ("remarks", order.remarks),
            ("uid", order.uid),
        )
    )


def _price_violations(index: int, number: int, price: Decimal, currency: str) -> list[Violation]:
    field = f"lines[{index}].unit_price"
    if not fits_minor_units(price, currency):
        return [
            Violation(
                Code.INVALID_PRICE,
                field,
                f"line {number}: unit price {price} has more decimals than {currency} allows "
                f"({minor_units(currency)})",
            )
        ]
    return []


#: Every check, in the order their violations are reported.
CHECKS: tuple[Check, ...] = (
    check_in_force,
    check_parties,
    check_activity,
    check_categories,
    check_settlement,
    check_lines,
)


def check_order(order: Order, agreement: Agreement) -> list[Violation]:
    """Every violation of ``agreement`` by ``order``, judged on the order date."""
    version = agreement.version_on(order.order_date)
    return [violation for check in CHECKS for violation in check(order, agreement, version)]
