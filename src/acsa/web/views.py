"""What each page shows, built from the services and the JSON output models (no HTTP here).

The pages show the same Pydantic models as ``acsa ... --json``, so the terminal, scripts and
the browser never disagree; this module only adds what a page needs around them (counts,
reasons, filters, paging).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.clock import today
from acsa.domain.access import Permission
from acsa.domain.agreement import Agreement
from acsa.domain.dates import parse_day
from acsa.domain.errors import AcsaError, Code, NotFoundError
from acsa.domain.order import Order, OrderStatus
from acsa.schemas import AgreementOut, OrderOut, agreement_out, order_out
from acsa.services.agreements import get_agreement, list_agreements
from acsa.services.orders import get_order, list_orders, violations_now
from acsa.web.session import Visitor

#: Orders per page of the overview.
PAGE_SIZE = 100
#: Actions whose event details carry the reason an order stopped.
REASON_ACTIONS = ("reject", "cancel")


@dataclass(frozen=True)
class OrderRow:
    """One order in the overview, with why it is stuck or stopped."""

    order: OrderOut
    reason_action: str | None = None
    reason: str | None = None
    short_lines: int = 0


@dataclass(frozen=True)
class OrderFilters:
    """The overview's order filters, as given in the query string."""

    status: str | None = None
    agreement: str | None = None
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


@dataclass(frozen=True)
class Overview:
    """The home page: the registry as of a date and a page of orders."""

    as_of: date
    as_of_given: bool
    agreements: list[AgreementOut]
    in_force: int
    agreement_ids: list[str]
    statuses: list[str]
    filters: OrderFilters
    orders: list[OrderRow] = field(default_factory=list)
    has_next: bool = False

    def link(self, **changes: str | int | None) -> str:
        """The overview's address with this page's parameters, ``changes`` applied (None
        drops a parameter)."""
        params: dict[str, str | int | None] = {
            "as_of": self.as_of.isoformat() if self.as_of_given else None,
            "status": self.filters.status,
            "agreement": self.filters.agreement,
            "page": self.filters.page if self.filters.page > 1 else None,
        }
        params.update(changes)
        kept = {
            k: str(v)
            for k, v in params.items()
            if v is not None and v != "" and not (k == "page" and v == 1)
        }
        return "/?" + urlencode(kept) if kept else "/"


def _read(who: Visitor) -> UnitOfWork:
    return who.reader()


# --- parsing the query string -----------------------------------------------------------


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
            f"page {value!r} is not a page number (1, 2, ...)",
        )
    return int(text)


def parse_order_id(value: str) -> int:
    """The order number in a path; a number the store cannot hold is simply not found."""
    text = value.strip()
    if not text.isdigit():
        raise NotFoundError.single(Code.ORDER_NOT_FOUND, "id", f"no order {value!r}")
    return int(text)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def parse_filters(
    status: str | None,
    agreement: str | None,
    page: str | None,
    known: list[str],
) -> OrderFilters:
    """The order filters; an agreement that does not exist is refused, naming ``agreement``."""
    wanted = _blank_to_none(agreement)
    if wanted is not None:
        wanted = wanted.upper()
        if wanted not in known:
            raise AcsaError.single(
                Code.AGREEMENT_NOT_FOUND,
                "agreement",
                f"agreement {agreement!r} is not in the registry",
            )
    state = _blank_to_none(status)
    return OrderFilters(
        status=state.lower() if state else None,
        agreement=wanted,
        page=parse_page(page),
    )


# --- pages ------------------------------------------------------------------------------


def _reason(order: Order) -> tuple[str | None, str | None]:
    """The action and reason of the event that stopped the order (reject or cancel)."""
    for event in reversed(order.history):
        if event.action.value in REASON_ACTIONS:
            return event.action.value, str(event.details.get("reason") or "") or None
    return None, None


def _order_json(who: Visitor, order: Order) -> OrderOut:
    """The order's JSON form; drafts carry what the agreement checks would refuse now."""
    if order.status is not OrderStatus.DRAFT:
        return order_out(order)
    return order_out(order, violations_now(_read(who), order))


def order_row(who: Visitor, order: Order) -> OrderRow:
    action, reason = _reason(order)
    return OrderRow(
        order=_order_json(who, order),
        reason_action=action,
        reason=reason,
        short_lines=len(order.discrepancies),
    )


def visible_agreements(who: Visitor, as_of: date | None = None) -> list[Agreement]:
    """The agreements ``who``'s nation is party to (administrators of the registry: all)."""
    party = None if who.may(Permission.MANAGE_REGISTRY) else who.nation
    return list_agreements(_read(who), party=party, as_of=as_of)


def overview(
    who: Visitor,
    as_of: str | None,
    status: str | None,
    agreement: str | None,
    page: str | None,
) -> Overview:
    """The registry (signed by ``as_of``, with status then) and one page of filtered orders."""
    on = parse_as_of(as_of)
    when = on or today()
    every = visible_agreements(who)
    ids = sorted(a.id for a in every)
    filters = parse_filters(status, agreement, page, ids)
    shown = visible_agreements(who, as_of=on) if on else every
    items = [agreement_out(a, when) for a in shown]
    found = list_orders(
        _read(who),
        filters.status,
        filters.agreement,
        PAGE_SIZE + 1,
        filters.offset,
        party=who.nation,
    )
    return Overview(
        as_of=when,
        as_of_given=on is not None,
        agreements=items,
        in_force=sum(1 for a in items if a.status == "in_force"),
        agreement_ids=ids,
        statuses=[s.value for s in OrderStatus],
        filters=filters,
        orders=[order_row(who, o) for o in found[:PAGE_SIZE]],
        has_next=len(found) > PAGE_SIZE,
    )


def agreement_page(who: Visitor, agreement_id: str, as_of: str | None) -> AgreementOut:
    """One agreement as of a date (today by default), with every version; one the visitor's
    nation is not party to is not found."""
    on = parse_as_of(as_of) or today()
    wanted = agreement_id.strip().upper()
    found = get_agreement(_read(who), wanted)
    if who.nation not in found.parties and not who.may(Permission.MANAGE_REGISTRY):
        raise NotFoundError.single(
            Code.AGREEMENT_NOT_FOUND, "agreement", f"no agreement {agreement_id!r}"
        )
    return agreement_out(found, on)


def order_page(who: Visitor, order_id: str) -> OrderRow:
    """One order with its lines, history and, for a draft, what the checks refuse now."""
    return order_row(who, get_order(_read(who), parse_order_id(order_id)))
