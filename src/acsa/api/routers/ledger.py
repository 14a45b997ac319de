"""/api/v1/ledger: your nation's book, as ``acsa ledger balance|statement|aging|overdue|verify``
prints it.

The book is always the signed-in person's nation's: there is no ``nation`` (or ``book``)
parameter, and one sent is ignored, so that nobody reads another nation's book. A partner
that is not a party to any of your postings simply has no rows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from acsa.api.context import CtxDep
from acsa.api.language import in_reader_language
from acsa.api.problems import problem_responses
from acsa.domain.limits import DATE_MAX, DATE_MIN, PAGE_LIMIT_MAX
from acsa.schemas.ledger import AgingOut, OverdueOut, PositionOut, StatementOut, VerifyOut
from acsa.schemas.limits import Day
from acsa.services import ledger as service

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

#: The days a query may name: the dates acsa takes (``acsa.domain.limits``), ISO YYYY-MM-DD only
#: (``as_of=0`` is not a day).
FIRST_DAY = DATE_MIN
LAST_DAY = DATE_MAX

Partner = Annotated[
    str | None,
    Query(min_length=3, max_length=3, description="Only the accounts with this partner (NZL)."),
]
AsOf = Annotated[
    Day | None,
    Query(ge=FIRST_DAY, le=LAST_DAY, description="As of the end of this day (default: now)."),
]
RESPONSES = problem_responses(400, 401, 422)


@router.get("/balances", response_model=list[PositionOut], responses=RESPONSES)
def balances(ctx: CtxDep, partner: Partner = None, as_of: AsOf = None) -> list[PositionOut]:
    """Where your nation stands with each partner, per currency: cash owed each way, what
    awaits replacement in kind each way, the net, and the support provided and received.
    Always your own nation's book: a ``nation`` parameter is ignored."""
    return service.balances(ctx.reader(), ctx.nation, partner, as_of)


@router.get("/statement", response_model=list[StatementOut], responses=RESPONSES)
def statement(
    ctx: CtxDep,
    partner: Annotated[
        str, Query(min_length=3, max_length=3, description="The partner (e.g. AUS).")
    ],
    since: Annotated[
        Day, Query(ge=FIRST_DAY, le=LAST_DAY, description="First day (the CLI's --from).")
    ],
    until: Annotated[
        Day, Query(ge=FIRST_DAY, le=LAST_DAY, description="Last day (the CLI's --to).")
    ],
    currency: Annotated[
        str | None, Query(min_length=3, max_length=3, description="Only this currency.")
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=PAGE_LIMIT_MAX,
            description=f"Entries per page (default {service.STATEMENT_PAGE}).",
        ),
    ] = service.STATEMENT_PAGE,
    after: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The page after this cursor: the previous page's next (2026-03-01:1234).",
        ),
    ] = None,
) -> list[StatementOut]:
    """A statement of account of your nation's book with one partner, one per currency: the
    opening balance the partner owes (negative: is owed), the entries of the period with their
    order and document, the period's debits and credits, and the closing balance. Always your
    own nation's book.

    Paged: at most ``limit`` entries (all currencies together) after the cursor ``after``; each
    statement's ``next`` is the cursor of the next page (null on the last). The opening,
    totals and closing are the whole period's on every page, and the balance column carries on
    from the page before."""
    return service.statement(
        ctx.reader(), ctx.nation, partner, since, until, currency, limit, after
    )


@router.get("/aging", response_model=list[AgingOut], responses=RESPONSES)
def aging(ctx: CtxDep, partner: Partner = None, as_of: AsOf = None) -> list[AgingOut]:
    """Your nation's open debts, each way, by age band in days: unpaid invoices from their
    issue, received value not invoiced and in-kind debt awaiting replacement from receipt.
    Always your own nation's book."""
    return service.aging(ctx.reader(), ctx.nation, partner, as_of)


@router.get("/overdue", response_model=list[OverdueOut], responses=RESPONSES)
def overdue(ctx: CtxDep, as_of: AsOf = None) -> list[OverdueOut]:
    """What is overdue on orders your nation is party to, most overdue first: invoices past
    due with something unpaid, in-kind debt past its replacement deadline. Always your own
    nation's orders."""
    return service.overdue(ctx.reader(), ctx.nation, as_of)


@router.get("/verify", response_model=VerifyOut, responses=problem_responses(401))
def verify(ctx: CtxDep) -> VerifyOut:
    """Your nation's running balances against a recompute from its postings, whether its
    book balances per currency, and whether every order of yours keeps the money rules in its
    stored records and matches its postings (``ok``, else every difference and breach).
    Always your own nation's book."""
    return in_reader_language(service.verify(ctx.reader(), ctx.nation))
