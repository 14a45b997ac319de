"""The checks of an order against its agreement: pure functions returning violations.

Each check takes the order, the agreement and the version governing the order date, and
returns the violations it finds, so a refusal reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from acsa.domain import limits
from acsa.domain.agreement import Agreement, AgreementStatus, AgreementVersion
from acsa.domain.errors import Code, Violation
from acsa.domain.money import fits_minor_units, is_known_currency, minor_units
from acsa.domain.order import Order, OrderLine
from acsa.domain.vocabulary import (
    CategoryKind,
    Settlement,
    SupportKind,
    category_kind,
    support_kinds,
)

Check = Callable[[Order, Agreement, AgreementVersion], Iterable[Violation]]


def check_in_force(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    on = order.order_date
    if agreement.version_in_force_on(on) is not None:
        return []
    maybe = agreement.version_maybe_in_force_on(on)
    if maybe is not None:
        return [in_force_uncertain(agreement, maybe, on)]
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
    elif version.in_force_uncertain:
        why = (
            f"was signed on {version.signed} and entered into force in {version.in_force} "
            "(the day is not known), after the order date"
        )
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


def in_force_uncertain(agreement: Agreement, version: AgreementVersion, on: date) -> Violation:
    """The warning for an order dated where ``version`` may or may not have entered into
    force yet: the sources give only its month or year."""
    window = version.in_force_window()
    assert window is not None
    first, last = window
    return Violation(
        Code.IN_FORCE_DATE_UNCERTAIN,
        "order_date",
        f"{agreement.id} {version.label} entered into force in {version.in_force}, on a day "
        f"acsa does not know (between {first} and {last}); the order date {on} lies inside "
        "that window and the order is valid only if the text was in force by then: confirm "
        "it (confirm IN_FORCE_DATE_UNCERTAIN) or record the day with `acsa agreements amend "
        f"{agreement.id} --version {version.version} --in-force YYYY-MM-DD`",
        version.clause("in_force", agreement.id),
    )


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
    clause = version.clause("activities", agreement.id)
    if order.activity in version.activities:
        return check_determination(order, agreement, version)
    if order.activity in version.unverified_activities:
        return [
            Violation(
                Code.ACTIVITY_UNVERIFIED,
                "activity",
                f"activity {order.activity!r} is reported covered by {agreement.id} "
                f"{version.label}, but acsa could not verify it against the text: confirm "
                "it (confirm ACTIVITY_UNVERIFIED) if you know the text covers it",
                clause,
            )
        ]
    return [
        Violation(
            Code.ACTIVITY_NOT_COVERED,
            "activity",
            f"activity {order.activity!r} is not covered by {agreement.id} {version.label} "
            f"(covered: {', '.join(sorted(version.activities))})",
            clause,
        )
    ]


def check_determination(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    """An order under an activity the two governments must first determine (post-2016
    texts' "other activities") cites that determination: its reference and date."""
    if order.activity not in version.determination_activities:
        return []
    clause = version.clause("determination", agreement.id)
    given = order.attestations
    if not given.determination or given.determination_date is None:
        missing = " and ".join(
            name
            for name, value in (
                ("determination", given.determination),
                ("determination_date", given.determination_date),
            )
            if not value
        )
        return [
            Violation(
                Code.DETERMINATION_REQUIRED,
                "determination" if not given.determination else "determination_date",
                f"activity {order.activity!r} under {agreement.id} {version.label} needs a "
                "mutual determination of the two governments: cite it (its reference and "
                f"date); missing: {missing}",
                clause,
            )
        ]
    if given.determination_date > order.order_date:
        return [
            Violation(
                Code.INVALID_DATE,
                "determination_date",
                f"determination_date {given.determination_date} is after the order date "
                f"{order.order_date}; an order cites a determination already made",
                clause,
            )
        ]
    return []


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
    """The order's method against the methods the text offers for each line's kind of
    support (supplies, services; a category that may be either passes if either allows
    it); cash for supplies under a text that settles them by return gives its reason."""
    clause = version.clause("settlement", agreement.id)
    method = order.settlement
    if method not in version.settlement_methods:
        return [
            Violation(
                Code.SETTLEMENT_METHOD_NOT_ALLOWED,
                "settlement",
                f"settlement {method!r} is not allowed by {agreement.id} "
                f"{version.label} (allowed: {', '.join(sorted(version.settlement_methods))})",
                clause,
            )
        ]
    found: list[Violation] = []
    for index, line in enumerate(order.lines):
        kinds = support_kinds(line.category)
        allowed = frozenset().union(*(version.methods_for(k) for k in kinds))
        if SupportKind.SUPPLIES not in kinds:
            allowed = allowed - {Settlement.REPLACEMENT_IN_KIND}
        if method in allowed:
            continue
        kind_names = " or ".join(sorted(kinds))
        if SupportKind.SUPPLIES not in kinds and method == Settlement.REPLACEMENT_IN_KIND:
            why = "a service cannot be returned in kind"
        else:
            why = f"{agreement.id} {version.label} does not settle {kind_names} by {method}"
        found.append(
            Violation(
                Code.SETTLEMENT_METHOD_NOT_ALLOWED,
                f"lines[{index}].category",
                f"line {line.number}: {line.category!r} is {kind_names}; {why} (allowed for "
                f"it: {', '.join(sorted(allowed)) or 'nothing'})",
                clause,
            )
        )
    if (
        not found
        and method == Settlement.CASH
        and version.supplies_return_preferred
        and not order.attestations.cash_reason
    ):
        goods = [line for line in order.lines if category_kind(line.category) is CategoryKind.GOODS]
        if goods:
            numbers = ", ".join(str(line.number) for line in goods)
            found.append(
                Violation(
                    Code.CASH_REASON_REQUIRED,
                    "cash_reason",
                    f"{agreement.id} {version.label} settles supplies by returning the same "
                    "items or items of the same kind, equivalent quality and quantity, and in "
                    "currency only where that return is difficult: give the reason cash "
                    f"settles the supplies on line(s) {numbers}",
                    clause,
                )
            )
    return found


def check_lines(order: Order, agreement: Agreement, version: AgreementVersion) -> list[Violation]:  # noqa: ARG001
    return validate_lines(order)


def validate_lines(order: Order) -> list[Violation]:
    """Quantities, prices, currencies, dates and texts, which need no agreement to judge;
    every number, date, text and list within its bound (``acsa.domain.limits``)."""
    too_many = limits.count_violation("lines", len(order.lines), limits.ORDER_LINES_MAX)
    if too_many is not None:
        return [too_many]
    found: list[Violation] = [*_order_texts(order)]
    total = Decimal(0)
    for index, line in enumerate(order.lines):
        on_line, value = _line_violations(index, line)
        found.extend(on_line)
        total += value
    if total > limits.AMOUNT_MAX and not any(v.code is Code.INVALID_AMOUNT for v in found):
        found.append(
            Violation(
                Code.INVALID_AMOUNT,
                "lines",
                f"the order is worth {total:,}; an order is worth at most {limits.AMOUNT_MAX:,}",
            )
        )
    found.extend(_mixed_currencies(order))
    found.extend(_date_violations(order))
    if not order.lines:
        found.append(Violation(Code.MISSING_FIELD, "lines", "an order needs at least one line"))
    return found


def _line_violations(index: int, line: OrderLine) -> tuple[list[Violation], Decimal]:
    """What is wrong with the line at ``index`` (its texts, quantity, price, currency and
    worth), and its worth (zero when its quantity or price cannot be read)."""
    field = f"lines[{index}]"
    found = limits.text_violations(
        (
            (f"{field}.category", line.category),
            (f"{field}.description", line.description),
            (f"{field}.unit", line.unit),
            (f"{field}.nsn", line.nsn),
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
    elif price is not None:
        found.extend(_price_violations(index, line.number, price, line.currency))
    if quantity is None or price is None:
        return found, Decimal(0)
    value = quantity * price
    if value > limits.AMOUNT_MAX:
        found.append(
            Violation(
                Code.INVALID_AMOUNT,
                field,
                f"line {line.number}: quantity {quantity} at {price} is worth {value:,}; "
                f"a line is worth at most {limits.AMOUNT_MAX:,}",
            )
        )
    return found, value


def _mixed_currencies(order: Order) -> list[Violation]:
    """MIXED_CURRENCIES when the lines are priced in more than one (known) currency."""
    currencies = {line.currency for line in order.lines if is_known_currency(line.currency)}
    if len(currencies) <= 1:
        return []
    return [
        Violation(
            Code.MIXED_CURRENCIES,
            "lines",
            "all lines of an order are priced in one currency; found "
            + ", ".join(sorted(currencies)),
        )
    ]


def _date_violations(order: Order) -> list[Violation]:
    """The order's dates within bounds, and needed by no earlier than ordered."""
    dates_bad = [
        v
        for v in (
            limits.date_violation("order_date", order.order_date),
            limits.date_violation("needed_by", order.needed_by),
        )
        if v is not None
    ]
    if not dates_bad and order.needed_by < order.order_date:
        return [
            Violation(
                Code.INVALID_DATE,
                "needed_by",
                f"needed_by {order.needed_by} is before the order date {order.order_date}",
            )
        ]
    return dates_bad


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


#: Every check of the agreement's scope, in the order their violations are reported; the
#: check of its entry into force runs first (``check_order``).
SCOPE_CHECKS: tuple[Check, ...] = (
    check_parties,
    check_activity,
    check_categories,
    check_settlement,
    check_lines,
)

#: Every check, in the order their violations are reported.
CHECKS: tuple[Check, ...] = (check_in_force, *SCOPE_CHECKS)

#: Codes that are warnings a person confirms on the order (``Attestations.confirmed``), not
#: refusals of a rule of the text.
CONFIRMABLE = frozenset({Code.IN_FORCE_DATE_UNCERTAIN, Code.ACTIVITY_UNVERIFIED})


def _scope(order: Order, agreement: Agreement, version: AgreementVersion) -> list[Violation]:
    return [v for check in SCOPE_CHECKS for v in check(order, agreement, version)]


def check_order(order: Order, agreement: Agreement) -> list[Violation]:
    """Every violation of ``agreement`` by ``order``, judged on the order date, less the
    warnings the order confirmed.

    The version surely in force on that day governs. Where a newer version may already have
    entered into force (the sources give only its month or year) and the order passes under
    it but not under the older one, the order is not refused: it gets the warning
    IN_FORCE_DATE_UNCERTAIN, which a person confirms."""
    on = order.order_date
    version = agreement.version_on(on)
    found = [*check_in_force(order, agreement, version), *_scope(order, agreement, version)]
    maybe = agreement.version_maybe_in_force_on(on)
    if maybe is not None and maybe is not version and found:
        under_newer = _scope(order, agreement, maybe)
        if not [v for v in under_newer if v.code not in CONFIRMABLE]:
            found = [in_force_uncertain(agreement, maybe, on), *under_newer]
    confirmed = order.attestations.confirmed
    return [v for v in found if not (v.code in CONFIRMABLE and v.code.value in confirmed)]
