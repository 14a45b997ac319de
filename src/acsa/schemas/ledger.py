"""JSON shapes of settlement and the ledger: invoices, payments, settlements in kind,
positions, statements, aging. Shared by the CLI, the API and the remote client."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, computed_field

from acsa.domain.limits import ORDER_LINES_MAX, SETTLEMENT_LINES_MAX
from acsa.i18n import memos
from acsa.schemas.arrangements import OfficeOut
from acsa.schemas.language import reader_language
from acsa.schemas.limits import Amount, Day, Quantity, Text
from acsa.schemas.messages import MESSAGE_ID, PARAMS
from acsa.schemas.orders import DecimalStr, Strict


class ReturnedLineIn(Strict):
    line: int = Field(ge=1, le=ORDER_LINES_MAX)
    category: Annotated[str, Text("category")]
    quantity: Quantity
    nsn: Annotated[str, Text("nsn")] | None = None
    description: Annotated[str, Text("description")] = ""


class ReplacementIn(Strict):
    """``acsa settle replace ORDER --file lines.json``: the goods returned in kind."""

    lines: list[ReturnedLineIn] = Field(min_length=1, max_length=SETTLEMENT_LINES_MAX)
    date: Annotated[Day | None, Field(description="Day of the return; default today.")] = None
    note: Annotated[str, Text("note")] = ""


class ExchangeLineIn(Strict):
    category: Annotated[str, Text("category")]
    description: Annotated[str, Text("description", min_length=1)]
    quantity: Quantity = Decimal(1)
    unit: Annotated[str, Text("unit")] = "EA"
    value: Amount
    currency: str | None = Field(default=None, max_length=3)


class ExchangeIn(Strict):
    """``acsa settle exchange ORDER --file lines.json``: other goods or services of equal value."""

    lines: list[ExchangeLineIn] = Field(min_length=1, max_length=SETTLEMENT_LINES_MAX)
    agreed_by: Annotated[str, Text("agreed_by", min_length=1)] = Field(
        description="Who agreed the valuation, both sides."
    )
    valuation_note: Annotated[str, Text("valuation_note")] = ""
    date: Day | None = None


class PaymentOut(BaseModel):
    id: int
    amount: DecimalStr
    currency: str
    paid: date
    reference: str
    at: datetime
    actor: str
    place: int = Field(default=1, description="Its place among the invoice's payments (1: first).")
    reversed: bool = Field(default=False, description="Whether a reversal took it back.")


class CorrectionOut(BaseModel):
    """A correcting record of an invoice: its void, a payment's reversal or a credit note."""

    id: int
    kind: str = Field(description="void, reversal or credit.")
    invoice: str
    amount: DecimalStr
    currency: str
    effective: date
    reason: str
    payment: int | None = Field(default=None, description="A reversal's payment, by its place.")
    number: str = Field(default="", description="A credit note's number.")
    at: datetime
    actor: str


class InvoiceOut(BaseModel):
    id: int
    number: str
    order: int
    issuer: str
    debtor: str
    kind: str
    amount: DecimalStr
    currency: str
    issued: date
    due: date
    paid: DecimalStr
    unpaid: DecimalStr
    status: str
    at: datetime
    actor: str
    payments: list[PaymentOut] = []
    credited: DecimalStr = Decimal(0)
    billed: DecimalStr | None = Field(
        default=None, description="What it bills now: its amount less credit notes; 0 if void."
    )
    voided: bool = False
    corrections: list[CorrectionOut] = []
    arrangement: str | None = Field(
        default=None, description="The implementing arrangement the order names (reference)."
    )
    bill_to: OfficeOut | None = Field(
        default=None,
        description="Where the invoice goes: the debtor's paying office under the "
        "arrangement (when shown one by one, and this node holds the arrangement).",
    )
    billed_by: OfficeOut | None = Field(
        default=None, description="The issuer's billing office under the arrangement."
    )


class SettlementOut(BaseModel):
    id: int
    order: int
    kind: str
    value: DecimalStr
    currency: str
    effective: date
    lines: list[dict[str, Any]]
    agreed_by: str
    note: str
    at: datetime
    actor: str


class OrderAccountOut(BaseModel):
    """What an order has left owing."""

    order: int
    settlement: str
    currency: str
    received: DecimalStr
    invoiced: DecimalStr
    paid: DecimalStr
    settled_in_kind: DecimalStr
    converted: DecimalStr
    uninvoiced: DecimalStr
    owed_in_cash: DecimalStr
    awaiting_replacement: DecimalStr
    replacement_deadline: date | None
    settled: bool
    credited: DecimalStr = Decimal(0)
    disputed: DecimalStr = Field(
        default=Decimal(0),
        description="What open disputes hold in dispute (apart from what is owed; it still ages).",
    )
    corrections: list[CorrectionOut] = []
    actions: list[str] = Field(
        default=[], description="What may be done with the order's money now."
    )


class ConversionOut(BaseModel):
    order: int
    amount: DecimalStr
    currency: str
    invoice: str
    deadline: date


class SweepOut(BaseModel):
    as_of: date
    converted: list[ConversionOut]


class PositionOut(BaseModel):
    """Where ``nation`` stands with ``partner`` in one currency, from ``nation``'s book."""

    nation: str
    partner: str
    currency: str
    as_of: date | None
    owed_to_us: DecimalStr
    owed_by_us: DecimalStr
    awaiting_replacement: DecimalStr
    awaiting_replacement_by_us: DecimalStr
    net: DecimalStr
    provided: DecimalStr
    received: DecimalStr


class StatementLineOut(BaseModel):
    """One entry of a statement. ``document`` and ``memo`` are as stored (the document a stable
    reference, ``order 5 receipt (event 5)``); ``document_text`` and ``memo_text`` are the same
    in the reader's language (``Accept-Language``: ``注文5の受領（記録5）``)."""

    entry: int
    effective: date
    kind: str
    order: int | None
    document: str
    memo: str
    debit: DecimalStr
    credit: DecimalStr
    balance: DecimalStr

    @computed_field  # type: ignore[prop-decorator]
    @property
    def document_text(self) -> str:
        return memos.memo_text(self.document, reader_language())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def memo_text(self) -> str:
        return memos.memo_text(self.memo, reader_language())


class StatementOut(BaseModel):
    """A statement of account: what ``partner`` owes ``nation`` (positive) or is owed.

    ``opening``, ``closing`` and the period's ``debits`` and ``credits`` are the whole
    period's; ``lines`` may be one page of it: at most ``limit`` entries after the cursor
    ``after``, and ``next`` the cursor of the page after (None: this is the last page)."""

    nation: str
    partner: str
    currency: str
    start: date
    end: date
    opening: DecimalStr
    closing: DecimalStr
    lines: list[StatementLineOut]
    debits: DecimalStr | None = None
    credits: DecimalStr | None = None
    limit: int | None = None
    after: str | None = None
    next: str | None = None
    disputed: DecimalStr = Field(
        default=Decimal(0),
        description="What disputes open at the end of the period hold between the two, in "
        "this currency: shown apart, not taken off the balance (it still ages).",
    )


class AgingOut(BaseModel):
    """Open debts between ``nation`` and ``partner`` in one currency, one direction
    (``owed_to_us`` or ``owed_by_us``), by age band in days; ``by_kind`` splits the bands into
    unpaid invoices (``invoiced``), received value not yet invoiced (``uninvoiced``) and debt
    awaiting replacement or exchange (``in_kind``)."""

    nation: str
    partner: str
    currency: str
    direction: str
    buckets: dict[str, DecimalStr]
    total: DecimalStr
    as_of: date | None = None
    by_kind: dict[str, dict[str, DecimalStr]] = {}


class OverdueOut(BaseModel):
    """A debt past due; ``document_text`` is ``document`` in the reader's language."""

    kind: str
    order: int
    document: str
    creditor: str
    debtor: str
    currency: str
    amount: DecimalStr
    due: date
    days_overdue: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def document_text(self) -> str:
        return memos.memo_text(self.document, reader_language())


class BalanceDifferenceOut(BaseModel):
    """A running balance that differs from the recompute from postings."""

    book: str
    partner: str
    account: str
    currency: str
    running: DecimalStr
    recomputed: DecimalStr


class MonthDifferenceOut(BaseModel):
    """A period balance (one month of one account) that differs from the recompute from
    postings: its sum, debits and credits as kept and as recomputed."""

    book: str
    partner: str
    account: str
    currency: str
    month: date
    kept: DecimalStr
    recomputed: DecimalStr
    kept_debits: DecimalStr
    recomputed_debits: DecimalStr
    kept_credits: DecimalStr
    recomputed_credits: DecimalStr


class UnbalancedBookOut(BaseModel):
    """A book whose postings do not sum to zero in a currency."""

    book: str
    currency: str
    total: DecimalStr


class BreachOut(BaseModel):
    """An order whose stored records break a money rule, or differ from what the ledger posted
    for them. ``code`` is one of OVER_INVOICED, OVERPAID, OVER_SETTLED, CONVERSION_MISMATCH,
    OWED_BELOW_ZERO or RECORDS_UNPOSTED; ``message`` names the order and the figures (in
    English; ``message_id`` and ``params`` write it in another language)."""

    order: int
    code: str
    message: str
    message_id: str = MESSAGE_ID
    params: dict[str, str] = PARAMS


class VerifyOut(BaseModel):
    """``acsa ledger verify``: running balances against a recompute from postings, and every
    order's records (``orders`` of them checked) against the money rules and their postings."""

    ok: bool
    balances: int
    differences: list[BalanceDifferenceOut]
    unbalanced: list[UnbalancedBookOut]
    orders: int = 0
    breaches: list[BreachOut] = []
    #: Period balances (month rows) checked, and those that differ from their postings.
    months: int = 0
    month_differences: list[MonthDifferenceOut] = []
