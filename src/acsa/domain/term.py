"""The term of an agreement and its end by notice.

Japan's texts run for a first term (ten years), renewed automatically for further periods
(ten years each) unless a party gives notice of non-renewal some months (six) before the
term expires; either party may also end the agreement by written notice (one year) at any
time (Japan-Australia Art. 7; the New Zealand text also runs ten years). An amendment keeps
the term of the text it amends; a new text starts a term of its own.

A term's ``end`` is the day it expires: the agreement is in force up to the day before and,
unless renewed, not on that day (as a version's ``ended`` day). When the text's entry into
force is known only to the month or the year, the term is reckoned from the last day it
could have been, and its days are approximate.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from acsa.domain.errors import Code, Violation
from acsa.domain.messages import Message, t

if TYPE_CHECKING:
    from acsa.domain.agreement import Agreement, AgreementVersion

#: A term is reckoned for at most this many periods (one-year periods: ten thousand years, past
#: the last day a date can hold).
PERIODS_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Term:
    """How long a text runs and how it ends, as its final clauses say.

    Attributes:
        years: the first term, from entry into force.
        renewal_years: each automatic renewal.
        renewal_notice_months: notice of non-renewal is given at least this long before the
            term expires.
        termination_notice_months: written notice ends the agreement this long after it is
            given, whatever the term.
    """

    years: int = 10
    renewal_years: int = 10
    renewal_notice_months: int = 6
    termination_notice_months: int = 12


@dataclass(frozen=True, slots=True)
class TermPeriod:
    """The period of a text's term running on a day.

    Attributes:
        term: the text's term.
        text_version: the version number of the text whose entry into force starts it.
        number: 1 for the first term, 2 for the first renewal, and so on.
        start: the day the period began.
        end: the day it expires (not in force from then unless renewed).
        renewal_notice_by: the last day a notice of non-renewal ends the agreement at ``end``.
        approximate: the text's entry into force is known only to the month or year, so these
            days are reckoned from the last day it could have been.
    """

    term: Term
    text_version: int
    number: int
    start: date
    end: date
    renewal_notice_by: date
    approximate: bool


@dataclass(frozen=True, slots=True)
class Termination:
    """A notice of termination one party gave the other.

    Attributes:
        notice_date: the day the written notice was given.
        effective: the day the agreement ends: not in force from that day.
        by: the party (ISO alpha-3) that gave it.
        source: where the notice is recorded (a note verbale, a press release).
        reference: the notice's own reference, if it has one.
    """

    notice_date: date
    effective: date
    by: str
    source: str
    reference: str = ""

    def describe(self) -> Message:
        """``the notice of termination JPN gave on 2030-01-15 (ref)``, for messages."""
        params = {"party": self.by, "day": self.notice_date, "reference": self.reference}
        if self.reference:
            return Message(
                t("the notice of termination {party} gave on {day} ({reference})"), params
            )
        return Message(t("the notice of termination {party} gave on {day}"), params)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; a day the month lacks becomes its last
    (29 February plus a year is 28 February). Past the calendar's ends: its first or last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def text_of(agreement: Agreement, version: AgreementVersion) -> AgreementVersion:
    """The text ``version`` belongs to: itself when it is a text, else the newest text
    before it (an amendment keeps the term of the text it amends)."""
    texts = [v for v in agreement.versions if v.version <= version.version and v.kind == "text"]
    return texts[-1] if texts else agreement.versions[0]


def period_on(
    term: Term, start: date, on: date, text_version: int = 1, approximate: bool = False
) -> TermPeriod | None:
    """The period of ``term``, counted from ``start``, that runs on ``on``; None before
    ``start`` (or past PERIODS_MAX periods)."""
    if on < start:
        return None
    begin, months = start, term.years * 12
    for number in range(1, PERIODS_MAX + 1):
        end = add_months(start, months)
        if on < end or end == date.max:
            notice_by = add_months(end, -term.renewal_notice_months)
            return TermPeriod(term, text_version, number, begin, end, notice_by, approximate)
        begin, months = end, months + term.renewal_years * 12
    return None


def current_term(agreement: Agreement, on: date) -> TermPeriod | None:
    """The period of the governing text's term running on ``on``: None when the agreement is
    not in force then or its text's term is not known from the sources."""
    version = agreement.version_in_force_on(on)
    if version is None:
        return None
    text = text_of(agreement, version)
    if text.term is None or text.in_force is None:
        return None
    start = text.in_force.latest
    return period_on(text.term, start, on, text.version, not text.in_force.is_exact)


def governing_term(agreement: Agreement, on: date) -> tuple[AgreementVersion, Term] | None:
    """The text governing ``on`` (in force, else the newest signed) and its term; None when
    its term is not known from the sources."""
    text = text_of(agreement, agreement.version_on(on))
    return None if text.term is None else (text, text.term)


def check_termination(agreement: Agreement, notice: Termination) -> list[Violation]:
    """What is wrong with recording ``notice`` on ``agreement`` (nothing: it may be recorded).

    The notice ends the agreement on ``effective`` when that is at least the text's notice
    of termination (one year) after the notice, or the end of the term running when it was
    given if it came by that term's renewal-notice deadline. A term not known from the
    sources leaves only the order of the days to check."""
    found = _misdated(agreement, notice)
    if found:
        return found
    governing = governing_term(agreement, notice.notice_date)
    if governing is None:
        return []
    text, term = governing
    earliest = add_months(notice.notice_date, term.termination_notice_months)
    if notice.effective >= earliest:
        return []
    period = current_term(agreement, notice.notice_date)
    if (
        period is not None
        and notice.effective == period.end
        and notice.notice_date <= period.renewal_notice_by
    ):
        return []
    params = {
        "effective": notice.effective,
        "day": notice.notice_date,
        "agreement": agreement.id,
        "earliest": earliest,
        "months": term.termination_notice_months,
    }
    if period is None:
        return [
            Violation(
                Code.TERMINATION_NOTICE_TOO_SHORT,
                "effective",
                "effective is {effective}: a notice given on {day} ends agreement {agreement} no "
                "sooner than {earliest} ({months} months' written notice)",
                text.clause("term", agreement.id),
                params=params,
            )
        ]
    return [
        Violation(
            Code.TERMINATION_NOTICE_TOO_SHORT,
            "effective",
            "effective is {effective}: a notice given on {day} ends agreement {agreement} no "
            "sooner than {earliest} ({months} months' written notice), or at the end of term "
            "{term} on {end} if given by {notice_by} ({renewal_months} months before)",
            text.clause("term", agreement.id),
            params={
                **params,
                "term": period.number,
                "end": period.end,
                "notice_by": period.renewal_notice_by,
                "renewal_months": term.renewal_notice_months,
            },
        )
    ]


def _misdated(agreement: Agreement, notice: Termination) -> list[Violation]:
    """The notice's days out of order: before signing, effective before the notice or not
    after entry into force; a party that is not one; a notice already recorded."""
    if agreement.termination is not None:
        return [
            Violation(
                Code.AGREEMENT_TERMINATED,
                "agreement",
                "agreement {agreement} already ends on {day} by {notice}; a recorded notice is "
                "not replaced",
                params={
                    "agreement": agreement.id,
                    "day": agreement.termination.effective,
                    "notice": agreement.termination.describe(),
                },
            )
        ]
    found: list[Violation] = []
    if notice.by not in agreement.parties:
        found.append(
            Violation(
                Code.PARTY_NOT_IN_AGREEMENT,
                "by",
                "by is {party}: the notice is given by a party to agreement {agreement} "
                "({parties})",
                params={
                    "party": notice.by,
                    "agreement": agreement.id,
                    "parties": agreement.parties,
                },
            )
        )
    if notice.notice_date < agreement.first_signed.earliest:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "notice_date",
                "notice_date {day} is before agreement {agreement} was signed ({signed})",
                params={
                    "day": notice.notice_date,
                    "agreement": agreement.id,
                    "signed": str(agreement.first_signed),
                },
            )
        )
    if notice.effective < notice.notice_date:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "effective",
                "effective {effective} is before the notice date {day}",
                params={"effective": notice.effective, "day": notice.notice_date},
            )
        )
    first = next((v.in_force for v in agreement.versions if v.in_force is not None), None)
    if first is None:
        found.append(
            Violation(
                Code.AGREEMENT_NOT_IN_FORCE,
                "effective",
                "agreement {agreement} has not entered into force: there is no term to end",
                params={"agreement": agreement.id},
            )
        )
    elif notice.effective <= first.latest:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "effective",
                "effective {effective} is not after agreement {agreement} entered into force "
                "({in_force})",
                params={
                    "effective": notice.effective,
                    "agreement": agreement.id,
                    "in_force": str(first),
                },
            )
        )
    return found
