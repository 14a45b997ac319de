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
from acsa.domain.messages import Message, Term, t
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
    return [
        Violation(
            Code.AGREEMENT_NOT_IN_FORCE,
            "order_date",
            "agreement {agreement} was not in force on the order date {day}: it {why}",
            version.clause("in_force", agreement.id),
            params={
                "agreement": agreement.id,
                "day": on,
                "why": _not_in_force(agreement, version, on),
            },
        )
    ]


def _not_in_force(agreement: Agreement, version: AgreementVersion, on: date) -> Message:
    """Why ``agreement`` was not in force on ``on`` (the rest of "it ...")."""
    status = agreement.status_on(on)
    signed = str(version.signed)
    if status is None:
        return Message(t("was not signed until {day}"), {"day": agreement.first_signed})
    if status is AgreementStatus.ENDED:
        notice = agreement.termination
        if notice is not None and notice.effective <= on:
            return Message(
                t("ended on {day} by {notice}"),
                {"day": notice.effective, "notice": notice.describe()},
            )
        return Message(t("had ended by then"), {})
    if version.in_force is None:
        return Message(
            t("was signed on {signed} but has not entered into force"), {"signed": signed}
        )
    if version.in_force_uncertain:
        return Message(
            t(
                "was signed on {signed} and entered into force in {in_force} (the day is not "
                "known), after the order date"
            ),
            {"signed": signed, "in_force": str(version.in_force)},
        )
    return Message(
        t("was signed on {signed} and enters into force on {in_force}"),
        {"signed": signed, "in_force": str(version.in_force)},
    )


def in_force_uncertain(agreement: Agreement, version: AgreementVersion, on: date) -> Violation:
    """The warning for an order dated where ``version`` may or may not have entered into
    force yet: the sources give only its month or year."""
    window = version.in_force_window()
    assert window is not None
    first, last = window
    return Violation(
        Code.IN_FORCE_DATE_UNCERTAIN,
        "order_date",
        "{agreement} {version} entered into force in {in_force}, on a day acsa does not know "
        "(between {first} and {last}); the order date {day} lies inside that window and the "
        "order is valid only if the text was in force by then: confirm it (confirm "
        "IN_FORCE_DATE_UNCERTAIN) or record the day with `acsa agreements amend {agreement} "
        "--version {number} --in-force YYYY-MM-DD`",
        version.clause("in_force", agreement.id),
        params={
            "agreement": agreement.id,
            "version": version.label,
            "in_force": str(version.in_force),
            "first": first,
            "last": last,
            "day": on,
            "number": version.version,
        },
    )


def check_parties(order: Order, agreement: Agreement, version: AgreementVersion) -> list[Violation]:
    found = [
        Violation(
            Code.PARTY_NOT_IN_AGREEMENT,
            role,
            "{role} {party} is not a party to agreement {agreement} (parties: {parties})",
            version.clause("parties", agreement.id),
            params={
                "role": Term(role),
                "party": party,
                "agreement": agreement.id,
                "parties": agreement.parties,
            },
        )
        for role, party in (("requester", order.requester), ("supplier", order.supplier))
        if not agreement.has_party(party)
    ]
    if order.requester == order.supplier:
        found.append(
            Violation(
                Code.SAME_PARTY,
                "supplier",
                "requester and supplier are both {party}; an order is between the two parties "
                "of the agreement",
                params={"party": order.requester},
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
                "activity '{activity}' is reported covered by {agreement} {version}, but acsa "
                "could not verify it against the text: confirm it (confirm ACTIVITY_UNVERIFIED) "
                "if you know the text covers it",
                clause,
                params={
                    "activity": Term(order.activity),
                    "agreement": agreement.id,
                    "version": version.label,
                },
            )
        ]
    return [
        Violation(
            Code.ACTIVITY_NOT_COVERED,
            "activity",
            "activity '{activity}' is not covered by {agreement} {version} (covered: {covered})",
            clause,
            params={
                "activity": Term(order.activity),
                "agreement": agreement.id,
                "version": version.label,
                "covered": _terms(version.activities),
            },
        )
    ]


def _terms(values: Iterable[str]) -> tuple[Term, ...]:
    """Words of the vocabulary, sorted, for a message's list (``covered: a, b``)."""
    return tuple(Term(value) for value in sorted(values))


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
                "activity '{activity}' under {agreement} {version} needs a mutual "
                "determination of the two governments: cite it (its reference and date); "
                "missing: {missing}",
                clause,
                params={
                    "activity": Term(order.activity),
                    "agreement": agreement.id,
                    "version": version.label,
                    "missing": missing,
                },
            )
        ]
    if given.determination_date > order.order_date:
        return [
            Violation(
                Code.INVALID_DATE,
                "determination_date",
                "determination_date {determined} is after the order date {day}; an order "
                "cites a determination already made",
                clause,
                params={"determined": given.determination_date, "day": order.order_date},
            )
        ]
    return []


def check_categories(
    order: Order, agreement: Agreement, version: AgreementVersion
) -> list[Violation]:
    found: list[Violation] = []
    for index, line in enumerate(order.lines):
        field = f"lines[{index}].category"
        params = {
            "line": line.number,
            "category": Term(line.category),
            "agreement": agreement.id,
            "version": version.label,
        }
        if line.category in version.excluded:
            found.append(
                Violation(
                    Code.CATEGORY_EXCLUDED,
                    field,
                    "line {line}: '{category}' is excluded from {agreement} {version}; it "
                    "cannot be provided under the agreement",
                    version.clause("excluded", agreement.id),
                    params=params,
                )
            )
        elif line.category not in version.categories:
            found.append(
                Violation(
                    Code.CATEGORY_NOT_COVERED,
                    field,
                    "line {line}: category '{category}' is not covered by {agreement} {version}",
                    version.clause("categories", agreement.id),
                    params=params,
                )
            )
        elif (
            line.category in version.category_conditions
            and order.activity not in version.category_conditions[line.category]
        ):
            found.append(
                Violation(
                    Code.CATEGORY_NOT_COVERED,
                    field,
                    "line {line}: '{category}' is covered by {agreement} {version} only for: "
                    "{allowed}; not for '{activity}'",
                    version.clause("categories", agreement.id),
                    params={
                        **params,
                        "allowed": _terms(version.category_conditions[line.category]),
                        "activity": Term(order.activity),
                    },
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
                "settlement '{method}' is not allowed by {agreement} {version} (allowed: "
                "{allowed})",
                clause,
                params={
                    "method": Term(method),
                    "agreement": agreement.id,
                    "version": version.label,
                    "allowed": _terms(version.settlement_methods),
                },
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
        kind_names = _either(kinds)
        if SupportKind.SUPPLIES not in kinds and method == Settlement.REPLACEMENT_IN_KIND:
            why = Message(t("a service cannot be returned in kind"), {})
        else:
            why = Message(
                t("{agreement} {version} does not settle {kinds} by {method}"),
                {
                    "agreement": agreement.id,
                    "version": version.label,
                    "kinds": kind_names,
                    "method": Term(method),
                },
            )
        methods = _terms(allowed) or Message(t("nothing"), {})
        found.append(
            Violation(
                Code.SETTLEMENT_METHOD_NOT_ALLOWED,
                f"lines[{index}].category",
                "line {line}: '{category}' is {kinds}; {why} (allowed for it: {allowed})",
                clause,
                params={
                    "line": line.number,
                    "category": Term(line.category),
                    "kinds": kind_names,
                    "why": why,
                    "allowed": methods,
                },
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
            found.append(
                Violation(
                    Code.CASH_REASON_REQUIRED,
                    "cash_reason",
                    "{agreement} {version} settles supplies by returning the same items or "
                    "items of the same kind, equivalent quality and quantity, and in currency "
                    "only where that return is difficult: give the reason cash settles the "
                    "supplies on line(s) {lines}",
                    clause,
                    params={
                        "agreement": agreement.id,
                        "version": version.label,
                        "lines": tuple(line.number for line in goods),
                    },
                )
            )
    return found


def _either(kinds: Iterable[str]) -> Term | Message:
    """``supplies``, ``services`` or ``services or supplies``: the kinds of support a category
    is, for a message."""
    names = sorted(kinds)
    if len(names) == 1:
        return Term(names[0])
    return Message(t("{first} or {second}"), {"first": Term(names[0]), "second": Term(names[-1])})


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
                "the order is worth {worth}; an order is worth at most {most}",
                params={"worth": total, "most": limits.AMOUNT_MAX},
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
                "line {line}: {currency} is not an ISO 4217 currency code",
                params={"line": line.number, "currency": repr(line.currency)},
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
                "line {line}: quantity {quantity} at {price} is worth {worth}; a line is worth "
                "at most {most}",
                params={
                    "line": line.number,
                    "quantity": quantity,
                    "price": price,
                    "worth": value,
                    "most": limits.AMOUNT_MAX,
                },
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
            "all lines of an order are priced in one currency; found {currencies}",
            params={"currencies": tuple(sorted(currencies))},
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
                "needed_by {needed_by} is before the order date {day}",
                params={"needed_by": order.needed_by, "day": order.order_date},
            )
        ]
    return dates_bad


def _on_line(violation: Violation, number: int) -> Violation:
    """``violation`` with the line's number in front of its message."""
    return Violation(
        violation.code,
        violation.field,
        "line {line}: {problem}",
        params={"line": number, "problem": Message(violation.template, violation.params)},
    )


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
                "line {line}: unit price {price} has more decimals than {currency} allows "
                "({decimals})",
                params={
                    "line": number,
                    "price": price,
                    "currency": currency,
                    "decimals": minor_units(currency),
                },
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
