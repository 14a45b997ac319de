"""JSON shapes of the reports and forms: the annual activity report of a nation and the order
form. Shared by the CLI (``--json``), the exports (CSV, XLSX, PDF) and the API.

Money is ``Decimal`` in one currency per figure: a report never adds two currencies together,
so every figure names its currency and a breakdown has one row per key and currency.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from acsa.schemas.arrangements import FormArrangement
from acsa.schemas.ledger import InvoiceOut, OrderAccountOut, SettlementOut
from acsa.schemas.orders import DecimalStr, OrderOut

# --- the annual report ------------------------------------------------------------------------


class Figure(BaseModel):
    """Orders and their value for one key (a partner, category, activity...) in one currency.

    ``count`` counts orders (an order with two fuel lines counts once under fuel); ``value`` is
    their agreed value: the quantities accepted (requested, before acceptance) at the unit
    prices. It is split by direction (``provided``: the nation supplied; ``received``: it
    requested).

    ``settled`` and ``open`` are what the books say on the year's last day, from each order's
    account (at the quantities received, records dated after the year left out): ``settled``
    what was paid in cash or settled in kind, ``open`` what is still owed in cash or in kind.
    They are split by direction too: ``provided_open`` is what partners owe the nation
    (``owed_to_us`` and ``awaiting_replacement`` of the ledger's balance), ``received_open``
    what it owes them (``owed_by_us`` and ``awaiting_replacement_by_us``). ``settled_count``
    and ``open_count`` count the orders with something settled and with something still owed:
    an order paid in part counts in both, one not yet received in neither. Settled and open
    add up to the value received by the year's end, which is not ``value``: orders not yet
    received, received short or in part count at what arrived.
    """

    key: str
    currency: str
    count: int
    value: DecimalStr
    provided_count: int
    provided: DecimalStr
    received_count: int
    received: DecimalStr
    settled_count: int
    settled: DecimalStr
    open_count: int
    open: DecimalStr
    provided_settled: DecimalStr
    provided_open: DecimalStr
    received_settled: DecimalStr
    received_open: DecimalStr


class MonthlyValue(BaseModel):
    """Orders dated in one month with one partner, in one currency."""

    partner: str
    month: str
    currency: str
    count: int
    value: DecimalStr


class BalancePoint(BaseModel):
    """Where the nation stood with a partner at the end of a day, from its own book: debts in
    cash and in kind, positive when owed to the nation."""

    partner: str
    day: date
    currency: str
    owed_to_us: DecimalStr
    owed_by_us: DecimalStr
    balance: DecimalStr


class AnnualReport(BaseModel):
    """A nation's support under its agreements over one fiscal year.

    Orders count when the nation is their requester or supplier and their order date falls in
    the year; drafts, rejected and cancelled orders are left out and counted in ``excluded``.
    ``settled_open`` has two rows per currency, ``settled`` and ``open``, whose ``value`` (split
    into provided and received) is what was settled and what is still owed on those orders on
    the year's last day. ``monthly`` is the agreed value of the orders dated in each month;
    ``balances`` the nation's book with each partner at each month end, every order included.
    """

    nation: str
    fiscal_year: str
    start: date
    end: date
    generated_at: datetime
    orders: int
    excluded: dict[str, int]
    currencies: list[str]
    summary: list[Figure]
    by_partner: list[Figure]
    by_category: list[Figure]
    by_activity: list[Figure]
    settled_open: list[Figure]
    provided_received: list[Figure]
    months: list[str]
    monthly: list[MonthlyValue]
    balances: list[BalancePoint]


# --- the order form ---------------------------------------------------------------------------


class Signature(BaseModel):
    """Who signed a step of the order, in what capacity and when (from the order's history),
    with the signer's profile as it stands when the form is made (None where not given)."""

    role: str
    nation: str
    #: The signer's sign-in name (the actor of the step); None: not signed yet.
    name: str | None
    at: datetime | None
    full_name: str | None = None
    rank: str | None = None
    position: str | None = None
    unit: str | None = None
    #: The designation the signer acted under (issue 19): its role's words ("accepting
    #: official"), the reference of the letter or order and its date; None where none held.
    designation_role: str | None = None
    designation_reference: str | None = None
    designation_date: date | None = None


class FormApproval(BaseModel):
    """Who approved the order before its requester submitted it (approval before
    commitment), as the submission recorded them: the tier and its threshold, the approver's
    sign-in name, name, rank and position, and when."""

    tier: str
    threshold: str
    currency: str
    approver: str
    name: str
    rank: str
    position: str
    at: str


class FormLine(BaseModel):
    """One line of the form with every quantity the standard form carries."""

    number: int
    category: str
    description: str
    nsn: str | None
    unit: str
    requested: DecimalStr
    accepted: DecimalStr | None
    provided: DecimalStr
    received: DecimalStr
    short: DecimalStr
    returned: DecimalStr
    unit_price: DecimalStr
    currency: str
    total: DecimalStr


class Said(BaseModel):
    """A text of the form kept as its message id (the English template) and parameters, so
    that the form is written in its reader's language; a parameter may be a message too."""

    message_id: str
    params: dict[str, str | Said] = {}


class FormDocument(BaseModel):
    """A document attached to the order: an invoice, a payment or a settlement (``detail`` in
    English; ``said``, where there is one, as a message id and parameters)."""

    kind: str
    reference: str
    day: date
    amount: DecimalStr
    currency: str
    detail: str
    said: Said | None = None


class FormFact(BaseModel):
    """One thing the order attests beyond its terms, as the form prints it (``value`` in
    English; ``said``, where there is one, the same as a message id and parameters)."""

    label: str
    value: str
    said: Said | None = None


class OrderForm(BaseModel):
    """Everything the order / receipt / invoice form shows (ACSA.md, "The order form")."""

    order: OrderOut
    agreement_title: str
    agreement_version: int
    agreement_label: str
    forces: dict[str, str]
    requesting_official: str | None
    supplying_official: str | None
    delivered_on: date | None
    #: The order's currency in the requester's own currency on the order date, under the
    #: requester's rate rule: "148.25 JPY per 1 USD", "same currency", or why none is known.
    rate: str
    #: The rate's day (an official rate's: the first day of its fiscal year); None if none.
    rate_date: date | None
    #: Where the rate comes from (ECB reference rates, or the official rate and its source).
    rate_source: str
    #: The rate and its source as message ids and parameters (None: as ``rate`` says).
    rate_said: Said | None = None
    rate_source_said: Said | None = None
    lines: list[FormLine]
    signatures: list[Signature]
    #: Who authorised the order before it was submitted (none: no approval was needed).
    approvals: list[FormApproval] = []
    invoices: list[InvoiceOut]
    settlements: list[SettlementOut]
    account: OrderAccountOut | None
    documents: list[FormDocument]
    #: The conditions of use the governing text sets on what is supplied (the UN Charter,
    #: no transfer to a third party without the supplying government's prior consent), as
    #: the registry records them for that text; empty when it records none.
    use_conditions: list[str]
    #: What the order attests: the reason for cash, the determination it cites, hostilities
    #: declared, the warnings confirmed (none when it attests nothing).
    attestations: list[FormFact]
    generated_at: datetime
    #: The implementing arrangement the order names (None: none): its billing office and
    #: points of contact (acsa.schemas.arrangements.FormArrangement).
    arrangement: FormArrangement | None = None
