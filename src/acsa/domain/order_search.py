"""Searching orders: the filters, search words, sort and page a list of orders asks for, each
checked once against :mod:`acsa.domain.limits`, and the words of an order a search looks in.

A search (``q``) matches an order when it is the order's number (``12``; ``#12`` matches that
number only) or when it is part of one of the order's words (place, operation, remarks,
references, units, and each line's description and NSN), compared case-folded. The words are
folded here, in Python, once when the order is stored (its search text), so the search means
the same on SQLite and PostgreSQL whatever their collations fold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import Order, OrderStatus

#: What a list sorts by: the order's number, its date, its state (in lifecycle order) or its
#: value (per currency).
SORTS = ("id", "date", "status", "total")
DIRECTIONS = ("asc", "desc")
#: The lifecycle order of the states (the ``status`` sort).
STATUS_RANK: dict[str, int] = {s.value: i for i, s in enumerate(OrderStatus)}
#: Between two words of an order's search text: a control character no search may hold
#: (``limits.text_violation``), so no search matches across two words.
WORD_SEPARATOR = "\x1f"

_NUMBER = re.compile(r"#?([0-9]+)")


class _LineWords(Protocol):
    @property
    def description(self) -> str: ...
    @property
    def nsn(self) -> str | None: ...


class Worded(Protocol):
    """What an order's words are read from: an :class:`Order`, or its stored row and lines."""

    @property
    def location(self) -> str: ...
    @property
    def operation(self) -> str | None: ...
    @property
    def remarks(self) -> str | None: ...
    @property
    def partner_reference(self) -> str | None: ...
    @property
    def fund_citation(self) -> str | None: ...
    @property
    def requester_unit(self) -> str | None: ...
    @property
    def supplier_unit(self) -> str | None: ...
    @property
    def lines(self) -> Sequence[_LineWords]: ...


def order_words(order: Worded) -> list[str]:
    """The words of ``order`` a search looks in (None and blank ones left out)."""
    words = [
        order.location,
        order.operation,
        order.remarks,
        order.partner_reference,
        order.fund_citation,
        order.requester_unit,
        order.supplier_unit,
        *(line.description for line in order.lines),
        *(line.nsn for line in order.lines),
    ]
    return [w for w in words if w]


def search_text(words: Iterable[str | None]) -> str:
    """The stored form of an order's words: each case-folded, joined by WORD_SEPARATOR."""
    return WORD_SEPARATOR.join(w.casefold() for w in words if w)


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Which orders a list holds and in what order: filters (``party``: a nation's orders;
    ``partner``: those with that other nation; ``since``/``until``: the order date, inclusive),
    a search ``q``, a sort column and direction, and a page (``limit`` None: every order)."""

    status: str | None = None
    agreement: str | None = None
    party: str | None = None
    partner: str | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""
    sort: str = "id"
    direction: str = "asc"
    limit: int | None = None
    offset: int = 0

    @property
    def words(self) -> str:
        """The search as compared with an order's search text ("" for ``#12``)."""
        if self.only_number:
            return ""
        return self.q.casefold()

    @property
    def number(self) -> int | None:
        """The order number the search names, if it is one (``12`` or ``#12``)."""
        found = _NUMBER.fullmatch(self.q)
        if found is None:
            return None
        number = int(found[1])
        return number if 0 < number <= limits.ID_MAX else None

    @property
    def only_number(self) -> bool:
        """Whether the search is ``#`` and a number: that order only, no word search."""
        return self.q.startswith("#") and _NUMBER.fullmatch(self.q) is not None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of a list of orders and how many orders the whole list holds."""

    orders: list[Order]
    total: int


def order_query(
    *,
    status: str | None = None,
    agreement: str | None = None,
    party: str | None = None,
    partner: str | None = None,
    since: date | None = None,
    until: date | None = None,
    q: str | None = None,
    sort: str | None = None,
    direction: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> OrderQuery:
    """The query, every parameter checked against its bound (a blank search is none); every
    problem at once, each naming its field."""
    text = (q or "").strip()
    found: list[Violation | None] = [
        None if status is None else limits.choice_violation("status", status, list(STATUS_RANK)),
        *(
            limits.text_violation(name, value)
            for name, value in (("agreement", agreement), ("party", party), ("partner", partner))
            if value is not None
        ),
        None if since is None else limits.date_violation("since", since),
        None if until is None else limits.date_violation("until", until),
        limits.text_violation("q", text, multiline=False),
        None if sort is None else limits.choice_violation("sort", sort, SORTS),
        None if direction is None else limits.choice_violation("dir", direction, DIRECTIONS),
        *limits.page_violations(limit, offset),
    ]
    if since and until and until < since:
        found.append(
            Violation(
                Code.INVALID_DATE,
                "until",
                "until {until} is before since {since}",
                params={"until": until, "since": since},
            )
        )
    violations = [v for v in found if v is not None]
    if violations:
        raise AcsaError(violations)
    return OrderQuery(
        status=status,
        agreement=agreement,
        party=party,
        partner=partner,
        since=since,
        until=until,
        q=text,
        sort=sort or "id",
        direction=direction or "asc",
        limit=limit,
        offset=offset,
    )
