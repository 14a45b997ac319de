"""The order / receipt / invoice form of one order: every field of the standard form
(ACSA.md, "The order form"), gathered from the order, its agreement, its dated and attributed
history, its invoices, payments and settlements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from acsa.clock import utc_now
from acsa.domain.agreement import AgreementVersion
from acsa.domain.designations import Designation
from acsa.domain.errors import AcsaError
from acsa.domain.messages import fill, plain, t, words
from acsa.domain.money import Money
from acsa.domain.order import Action, Event, Order
from acsa.domain.profile import Profile
from acsa.domain.vocabulary import USE_CONDITIONS
from acsa.schemas.arrangements import FormArrangement, form_arrangement
from acsa.schemas.ledger import InvoiceOut, SettlementOut
from acsa.schemas.orders import order_out
from acsa.schemas.reports import (
    FormApproval,
    FormDocument,
    FormFact,
    FormLine,
    OrderForm,
    Said,
    Signature,
)
from acsa.services.agreements import get_agreement
from acsa.services.designations import designation_fields, designations_of_order
from acsa.services.orders import get_order
from acsa.services.ports import UnitOfWork
from acsa.services.rates import Converter
from acsa.services.settlement import list_invoices, order_account, settlements_of
from acsa.services.users import profiles

#: What each warning a person confirmed on the order stands for, as the form prints it.
CONFIRMED_WARNINGS = {
    "IN_FORCE_DATE_UNCERTAIN": t(
        "the agreement was in force on the order date, though the day its text entered into "
        "force is not known"
    ),
    "ACTIVITY_UNVERIFIED": t(
        "the agreement covers the activity, though acsa could not verify it against the text"
    ),
}
CONFIRMED_BY_REQUESTER = t("confirmed by the requester")
SAME_CURRENCY = t("same currency")

#: The steps that carry a signature, in the order the form shows them, with the capacity of
#: the person and whether the requester (True) or the supplier (False) signs.
SIGNED_STEPS: tuple[tuple[Action, str, bool], ...] = (
    (Action.SUBMIT, t("Requesting official (order)"), True),
    (Action.ACCEPT, t("Supplier's acceptance"), False),
    (Action.DELIVER, t("Supplier's delivery"), False),
    (Action.RECEIVE, t("Receipt"), True),
    (Action.CLOSE, t("Certifying official (order closed)"), True),
)


def order_form(uow: UnitOfWork, order_id: int, now: datetime | None = None) -> OrderForm:
    """Everything the form of order ``order_id`` shows, as of ``now`` (default: the clock)."""
    at = now or utc_now()
    order = get_order(uow, order_id)
    agreement = get_agreement(uow, order.agreement_id)
    version = agreement.version_on(order.order_date)
    invoices = list_invoices(uow, order_id=order_id, as_of=at.date())
    settlements = settlements_of(uow, order_id)
    submit, accept = _first(order, Action.SUBMIT), _first(order, Action.ACCEPT)
    deliveries = _all(order, Action.DELIVER)
    return OrderForm(
        order=order_out(order),
        agreement_title=agreement.title,
        agreement_version=version.version,
        agreement_label=version.label,
        forces=dict(agreement.forces),
        requesting_official=submit.actor if submit else None,
        supplying_official=accept.actor if accept else None,
        delivered_on=deliveries[-1].at.date() if deliveries else None,
        **_rate(uow, order),
        lines=_lines(order, settlements),
        signatures=_signatures(
            order,
            profiles(uow, (e.actor for e in order.history)),
            designations_of_order(uow, order),
        ),
        approvals=_approvals(order),
        invoices=invoices,
        settlements=settlements,
        account=order_account(uow, order_id),
        documents=_documents(invoices, settlements),
        use_conditions=use_conditions(version),
        attestations=attestations(order),
        generated_at=at,
        arrangement=_arrangement(uow, order),
    )


def _arrangement(uow: UnitOfWork, order: Order) -> FormArrangement | None:
    """The arrangement the order names, as the form prints it (None: it names none)."""
    from acsa.services.arrangements import of_order

    named = of_order(uow, order)
    if named is None:
        return None
    return form_arrangement(named.reference, named.arrangement, order.requester, order.supplier)


def _approvals(order: Order) -> list[FormApproval]:
    """Who authorised the order before its submission, as the submission names them."""
    from acsa.services.approvals import submitted_approvals

    fields = FormApproval.model_fields
    return [
        FormApproval(**{k: str(a.get(k, "")) for k in fields}) for a in submitted_approvals(order)
    ]


def use_conditions(version: AgreementVersion) -> list[str]:
    """The conditions of use the text ``version`` carries, in the registry's words."""
    return [USE_CONDITIONS.get(code, code) for code in version.use_conditions]


def attestations(order: Order) -> list[FormFact]:
    """What ``order`` attests beyond its terms, each as a labelled statement."""
    given = order.attestations
    facts: list[FormFact] = []
    if given.cash_reason:
        facts.append(FormFact(label=t("Reason for cash"), value=given.cash_reason))
    if given.determination or given.determination_date:
        day = given.determination_date.isoformat() if given.determination_date else None
        facts.append(
            _fact(
                t("Determination"),
                t("{reference} of {day}"),
                reference=given.determination or _said(t("no reference")),
                day=day or _said(t("no date")),
            )
        )
    if given.hostilities:
        facts.append(
            _fact(
                t("Hostilities"),
                t(
                    "declared by {nation}: annual ceilings that do not apply then "
                    "(10 U.S.C. 2347) are not counted"
                ),
                nation=order.requester,
            )
        )
    facts.extend(
        _fact(
            t("Warning confirmed"),
            t("{code}: {meaning}"),
            code=code,
            meaning=_said(CONFIRMED_WARNINGS.get(code, CONFIRMED_BY_REQUESTER)),
        )
        for code in sorted(given.confirmed)
    )
    return facts


def _said(template: str, **params: str | Said) -> Said:
    return Said(message_id=template, params=params)


def said_text(said: Said) -> str:
    """A ``Said`` in English."""
    params = {k: v if isinstance(v, str) else said_text(v) for k, v in said.params.items()}
    return fill(said.message_id, params)


def _fact(label: str, template: str, **params: str | Said) -> FormFact:
    said = _said(template, **params)
    return FormFact(label=label, value=said_text(said), said=said)


def _first(order: Order, action: Action) -> Event | None:
    found = _all(order, action)
    return found[0] if found else None


def _all(order: Order, action: Action) -> list[Event]:
    return [e for e in order.history if e.action is action]


def _rate(uow: UnitOfWork, order: Order) -> dict[str, Any]:
    """The rate of the order's currency in the requester's own currency on the order date,
    under the requester's rate rule: the rate, its date and its source, or, when no rate is
    known, why not (never a blank)."""
    with uow:
        rates = Converter.open(uow)
        rule = rates.rule(order.requester)
        if order.currency == rule.currency:
            source = _said(
                t("the order is in {nation}'s own currency ({currency})"),
                nation=rule.nation,
                currency=rule.currency,
            )
            return _rated(_said(SAME_CURRENCY), None, source)
        one = Money(Decimal(1), order.currency)
        try:
            done = rates.convert(order.requester, one, rule.currency, order.order_date)
        except AcsaError as exc:
            why = exc.violations[0]
            reason = _said(why.template, **{k: plain(v) for k, v in why.params.items()})
            source = _said(
                t("none ({nation} converts by its {rule} rule)"),
                nation=rule.nation,
                rule=rule.rule.value,
            )
            return _rated(_said(t("no rate known: {reason}"), reason=reason), None, source)
    rate = _said(
        t("{rate} {currency} per 1 {base}"),
        rate=str(done.rate),
        currency=rule.currency,
        base=order.currency,
    )
    return _rated(rate, done.rate_date, _said(done.source))


def _rated(rate: Said, day: date | None, source: Said) -> dict[str, Any]:
    return {
        "rate": said_text(rate),
        "rate_date": day,
        "rate_source": said_text(source),
        "rate_said": rate,
        "rate_source_said": source,
    }


def _returned(settlements: list[SettlementOut]) -> dict[int, Decimal]:
    """Quantities returned in kind per line, from the replacements."""
    returned: dict[int, Decimal] = defaultdict(Decimal)
    for settlement in settlements:
        if settlement.kind == "replacement":
            for line in settlement.lines:
                returned[int(line["line"])] += Decimal(str(line["quantity"]))
    return returned


def _lines(order: Order, settlements: list[SettlementOut]) -> list[FormLine]:
    returned = _returned(settlements)
    return [
        FormLine(
            number=line.number,
            category=line.category,
            description=line.description,
            nsn=line.nsn,
            unit=line.unit,
            requested=line.quantity,
            accepted=line.quantity_accepted,
            provided=line.quantity_delivered,
            received=line.quantity_received,
            short=line.quantity_short,
            returned=returned.get(line.number, Decimal(0)),
            unit_price=line.unit_price,
            currency=line.currency,
            total=line.total.amount,
        )
        for line in order.lines
    ]


def _signatures(
    order: Order,
    signers: Mapping[str, Profile],
    designated: Mapping[tuple[str, str], Sequence[Designation]] | None = None,
) -> list[Signature]:
    """One signature per signed step: every delivery and receipt, the submission, the
    acceptance and the closing; a step not yet taken is an empty signature block. Each
    signature carries its signer's profile from ``signers`` (by sign-in name) and the
    designation they held for the step on its day (``designated``: by nation and user)."""
    signatures: list[Signature] = []
    for action, role, by_requester in SIGNED_STEPS:
        nation = order.requester if by_requester else order.supplier
        events = _all(order, action)
        if action in (Action.SUBMIT, Action.ACCEPT, Action.CLOSE):
            events = events[:1]
        for e in events:
            profile = signers.get(e.actor, Profile())
            signatures.append(
                Signature(
                    role=role,
                    nation=nation,
                    name=e.actor,
                    at=e.at,
                    full_name=profile.full_name,
                    rank=profile.rank,
                    position=profile.position,
                    unit=profile.unit,
                    **designation_fields(
                        (designated or {}).get((nation, e.actor), ()), action, e.at.date()
                    ),
                )
            )
        if not events:
            signatures.append(Signature(role=role, nation=nation, name=None, at=None))
    return signatures


#: The document kind of each correction, as the form names it.
CORRECTION_KINDS = {"void": "void", "reversal": "reversal", "credit": "credit_note"}


def _documents(invoices: list[InvoiceOut], settlements: list[SettlementOut]) -> list[FormDocument]:
    """The invoices, payments and settlements that stand with the order, by date."""
    documents: list[FormDocument] = []
    for invoice in invoices:
        kind = "invoice" if invoice.kind == "cash" else f"invoice ({invoice.kind})"
        due = _said(
            t("due {day}, {status}"),
            day=invoice.due.isoformat(),
            status=_said(words(invoice.status)),
        )
        documents.append(
            _document(kind, invoice.number, invoice.issued, invoice.amount, invoice.currency, due)
        )
        documents.extend(
            _document(
                "payment",
                p.reference or f"payment {p.id}",
                p.paid,
                p.amount,
                p.currency,
                _said(
                    t("against invoice {invoice}, reversed")
                    if p.reversed
                    else t("against invoice {invoice}"),
                    invoice=invoice.number,
                ),
            )
            for p in invoice.payments
        )
        documents.extend(
            _document(
                CORRECTION_KINDS.get(c.kind, c.kind),
                c.number or f"{c.kind} {c.id}",
                c.effective,
                c.amount,
                c.currency,
                _said(t("of invoice {invoice}: {reason}"), invoice=invoice.number, reason=c.reason),
            )
            for c in invoice.corrections
        )
    documents.extend(
        _document(s.kind, f"settlement {s.id}", s.effective, s.value, s.currency, _settled(s))
        for s in settlements
    )
    return sorted(documents, key=lambda d: d.day)


def _document(
    kind: str, reference: str, day: date, amount: Decimal, currency: str, detail: Said
) -> FormDocument:
    return FormDocument(
        kind=kind,
        reference=reference,
        day=day,
        amount=amount,
        currency=currency,
        detail=said_text(detail),
        said=detail,
    )


def _settled(settlement: SettlementOut) -> Said:
    """A settlement's note and who agreed it."""
    note, agreed = settlement.note, settlement.agreed_by
    if note and agreed:
        return _said(t("{note}; agreed by {name}"), note=note, name=agreed)
    if agreed:
        return _said(t("agreed by {name}"), name=agreed)
    # a note alone is the person's own text, as it is
    return _said("{note}", note=note)
