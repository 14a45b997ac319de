"""What the shared pages need from the services: the query-string parsers and the registry
as the visitor's nation may see it (no HTTP here)."""

from __future__ import annotations

from datetime import date

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.domain.agreement import Agreement
from acsa.domain.dates import parse_day
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.schemas.orders import AgreementOut, agreement_out
from acsa.services.agreements import get_agreement, list_agreements
from acsa.web.session import Visitor


def _read(who: Visitor) -> UnitOfWork:
    return who.reader()


def parse_as_of(value: str | None) -> date | None:
    """``?as_of=YYYY-MM-DD``; empty means today. Anything else is refused as INVALID_DATE."""
    return parse_day(value, "as_of")


def parse_page(value: str | None) -> int:
    """``?page=N`` from 1; anything else is refused as INVALID_FIELD naming ``page``."""
    if value is None or not value.strip():
        return 1
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "page",
            "page '{value}' is not a page number (1, 2, ...)",
            value=value,
        )
    return int(text)


def parse_order_id(value: str) -> int:
    """The order number in a path; a number the store cannot hold is simply not found."""
    text = value.strip()
    if not text.isdigit():
        raise NotFoundError.single(Code.ORDER_NOT_FOUND, "id", "no order '{order}'", order=value)
    return int(text)


def visible_agreements(who: Visitor, as_of: date | None = None) -> list[Agreement]:
    """The agreements ``who``'s nation is party to (registry keepers: all); the service
    decides."""
    return list_agreements(_read(who), as_of=as_of)


def agreement_page(who: Visitor, agreement_id: str, as_of: str | None) -> AgreementOut:
    """One agreement as of a date (today by default), with every version; one the visitor's
    nation is not party to is not found, as one that does not exist (the service decides)."""
    on = parse_as_of(as_of) or today()
    found = get_agreement(_read(who), agreement_id.strip().upper())
    return agreement_out(found, on)
