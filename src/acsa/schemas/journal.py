"""The nation's general ledger on the wire: mapping rules, journal lines, an export with its
totals and reconciliation, and the exports recorded."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from acsa.domain.limits import (
    GL_CODE_CHARS_MAX,
    GL_IMPORT_BYTES_MAX,
    NAME_CHARS_MAX,
    SINGLE_LINE_PATTERN,
)
from acsa.schemas.limits import Day
from acsa.schemas.orders import DecimalStr, Strict


class GlRuleIn(Strict):
    """A rule to add or replace: ``account`` (receivable_cash, payable_in_kind, cash...) with
    ``partner`` (ISO 3166-1 alpha-3, or ``*``: any) in ``currency`` (ISO 4217, or ``*``) is
    ``gl_code`` in the nation's general ledger, with an optional ``fund_citation``."""

    account: str = Field(max_length=32, pattern=SINGLE_LINE_PATTERN)
    partner: str = Field(default="*", max_length=3, pattern=SINGLE_LINE_PATTERN)
    currency: str = Field(default="*", max_length=3, pattern=SINGLE_LINE_PATTERN)
    gl_code: str = Field(max_length=GL_CODE_CHARS_MAX + 20, pattern=SINGLE_LINE_PATTERN)
    fund_citation: str | None = Field(
        default=None, max_length=NAME_CHARS_MAX + 20, pattern=SINGLE_LINE_PATTERN
    )


class GlRulesIn(Strict):
    """A rules file (CSV with a header naming account, partner, currency, gl_code and
    fund_citation; partner, currency and fund_citation may be left out), added or replaced
    all or none."""

    csv: str = Field(max_length=GL_IMPORT_BYTES_MAX)


class GlRuleOut(BaseModel):
    nation: str
    account: str
    partner: str
    currency: str
    gl_code: str
    fund_citation: str | None
    at: datetime
    actor: str


class JournalLineOut(BaseModel):
    """One posting: its stable ``line_id`` (``<book>-<entry>-<seq>``, the same on every
    export), the entry, its day, kind, document, order and partner, the acsa account, the
    general-ledger code and fund citation it maps to, and the debit or credit (written to the
    currency's exponent; the other is zero)."""

    line_id: str
    entry_id: int
    seq: int
    effective: date
    kind: str
    document: str
    order: int | None
    partner: str
    account: str
    gl_code: str
    fund_citation: str | None
    currency: str
    debit: DecimalStr
    credit: DecimalStr
    memo: str


class GlTotalOut(BaseModel):
    gl_code: str
    currency: str
    debit: DecimalStr
    credit: DecimalStr


class ReconciledOut(BaseModel):
    """An acsa account of the book with a partner in a currency: its balance before the
    export (``opening``), what the export moves it by, and its balance at ``until`` as
    ``acsa ledger balance --as-of`` has it (``closing``); ``ok`` when they add up."""

    partner: str
    account: str
    currency: str
    opening: DecimalStr
    movement: DecimalStr
    closing: DecimalStr
    ok: bool


class JournalNewIn(Strict):
    """A recorded export of what is new: the last day it takes, and whether it must
    reconcile with the book's balances (LEDGER_MISMATCH otherwise)."""

    until: Day
    check: bool = Field(default=False, strict=True)


class JournalOut(BaseModel):
    """A journal export of ``book``: the lines, their totals per general-ledger code and
    currency, and the reconciliation with the book's balances. A ``new`` export took the
    entries after ``after_entry_id`` up to ``last_entry_id`` (``export``: its record's id;
    none when it had nothing new); a period export takes the entries effective from ``since``
    to ``until`` and records nothing."""

    book: str
    since: date | None
    until: date
    new: bool
    after_entry_id: int | None = None
    last_entry_id: int | None = None
    export: int | None = None
    entries: int
    lines: list[JournalLineOut]
    totals: list[GlTotalOut]
    reconciliation: list[ReconciledOut]
    reconciled: bool


class JournalExportOut(BaseModel):
    id: int
    nation: str
    at: datetime
    actor: str
    since: date | None
    until: date
    after_entry_id: int
    last_entry_id: int
    lines: int
    format: str
