"""Orders: the visitor's nation's orders (filtered, sorted, paged), one order (its lines, a
timeline of every step and document, and the actions the visitor may take now), and the
new-order form, checked against the agreement as it is filled in.

What a visitor sees and does is decided where the API decides it: the units of work of
:class:`acsa.web.session.Visitor` (the per-nation guard, If-Match), the services, and
``access.allowed`` for which buttons to show. Every form carries the session's CSRF token.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from acsa.clock import today
from acsa.commands import LIFECYCLE, EditDraft, OrderCommand, PlaceOrder, SubmitOrder
from acsa.domain import limits
from acsa.domain.access import ForbiddenError, Permission, allowed
from acsa.domain.agreement import Agreement
from acsa.domain.dates import parse_day
from acsa.domain.errors import AcsaError, Code, NotFoundError, Violation
from acsa.domain.messages import Term
from acsa.domain.order import Action, Event, Order, OrderStatus
from acsa.domain.order_search import STATUS_RANK, order_query
from acsa.domain.order_search import OrderPage as OrdersFound
from acsa.domain.rules import CONFIRMABLE, check_order
from acsa.i18n.event_words import Detail, event_details, units
from acsa.i18n.speech import N_, Speech
from acsa.schemas.orders import OrderLineOut, OrderOut, order_out
from acsa.services import orders as service
from acsa.services.agreements import list_agreements
from acsa.services.audit import AuditRecordOut, audit_log
from acsa.services.forks import ForkOut, order_forks
from acsa.services.handlers import handle
from acsa.services.settlement import closable as closable_orders
from acsa.web.form_keys import FORM_KEY_FIELD, SentForm
from acsa.web.pages import Pages, PagesDep
from acsa.web.routes.order_form import (
    CONFIRM_PREFIX,
    CONFIRMATIONS,
    Choice,
    Draft,
    Problem,
    activity_choices,
    activity_title,
    category_choices,
    category_title,
    check_draft,
    chosen_agreement,
    document,
    form_of,
    plain,
    problem,
    read_form,
    refusal_status,
    settlement_choices,
    settlement_title,
)
from acsa.web.session import CSRF_FIELD, Visitor, check_csrf, visitor

router = APIRouter()

VisitorDep = Annotated[Visitor, Depends(visitor)]

#: Orders per page of the list.
PAGE_SIZE = 25
#: The header orders.js sends the CSRF token in.
CSRF_HEADER = "X-CSRF-Token"
#: Most form fields a page reads (the order form's lines are ``MAX_LINES`` times seven).
MAX_FIELDS = 1600


async def form_values(request: Request) -> dict[str, str]:
    """A posted form's text fields (files are ignored)."""
    async with request.form(max_fields=MAX_FIELDS) as form:
        return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def json_values(request: Request) -> dict[str, str]:
    """A posted JSON object's text fields; anything else reads as an empty form."""
    try:
        body = await request.json()
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    return {str(k): v for k, v in list(body.items())[:MAX_FIELDS] if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(form_values)]
JsonDep = Annotated[dict[str, str], Depends(json_values)]


def my_agreements(who: Visitor) -> dict[str, Agreement]:
    """The agreements the visitor's nation is party to, by id."""
    return {a.id: a for a in list_agreements(who.reader(), party=who.nation)}


# --- the list -----------------------------------------------------------------------------

#: The columns that sort, and the way each sorts first.
FIRST_DIRECTION = {"id": "desc", "date": "desc", "status": "asc", "total": "desc"}
DEFAULT_SORT = "id"
#: The last page a list may be asked for (its offset within ``limits.PAGE_OFFSET_MAX``).
LAST_PAGE = limits.PAGE_OFFSET_MAX // PAGE_SIZE + 1


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _page(value: str | None) -> int:
    text = _blank_to_none(value)
    if text is None:
        return 1
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= LAST_PAGE:
        raise AcsaError.single(
            Code.INVALID_FIELD,
            "page",
            "page '{value}' is not a page number (1, 2, ... {last})",
            value=text[:40],
            last=LAST_PAGE,
        )
    return int(text)


@dataclass(frozen=True)
class ListQuery:
    """The list's filters, sort and page, as the query string gives them."""

    status: str | None = None
    agreement: str | None = None
    partner: str | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    direction: str = "desc"
    page: int = 1

    @property
    def filtered(self) -> bool:
        return any((self.status, self.agreement, self.partner, self.since, self.until, self.q))

    def params(self) -> dict[str, str]:
        values = {
            "status": self.status,
            "agreement": self.agreement,
            "partner": self.partner,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "q": self.q or None,
            "sort": None if self.sort == DEFAULT_SORT else self.sort,
            "dir": None if self.direction == FIRST_DIRECTION[self.sort] else self.direction,
            "page": str(self.page) if self.page > 1 else None,
        }
        return {k: v for k, v in values.items() if v}

    def link(self, **changes: str | int | None) -> str:
        """This list's address with ``changes`` applied (None drops a parameter)."""
        params: dict[str, str | int | None] = dict(self.params())
        params.update(changes)
        kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
        return "/orders?" + urlencode(kept) if kept else "/orders"

    def sort_link(self, column: str) -> str:
        """Sort by ``column``: its first direction, or the other one when sorted by it."""
        if column == self.sort:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = FIRST_DIRECTION[column]
        return self.link(
            sort=None if column == DEFAULT_SORT else column,
            dir=None if direction == FIRST_DIRECTION[column] else direction,
            page=None,
        )

    def aria_sort(self, column: str) -> str:
        if column != self.sort:
            return "none"
        return "ascending" if self.direction == "asc" else "descending"


def parse_list_query(
    status: str | None,
    agreement: str | None,
    partner: str | None,
    since: str | None,
    until: str | None,
    q: str | None,
    sort: str | None,
    direction: str | None,
    page: str | None,
    agreements: Mapping[str, Agreement],
    nation: str,
) -> ListQuery:
    """The list's parameters; a bad one is refused (400), naming it."""
    wanted = _blank_to_none(agreement)
    if wanted is not None:
        wanted = wanted.upper()
        if wanted not in agreements:
            raise AcsaError.single(
                Code.AGREEMENT_NOT_FOUND,
                "agreement",
                "agreement '{agreement}' is not one of your nation's agreements",
                agreement=agreement,
            )
    partners = sorted({a.partner_of(nation) for a in agreements.values()})
    other = _blank_to_none(partner)
    if other is not None:
        other = other.upper()
        if other not in partners:
            raise AcsaError.single(
                Code.INVALID_FIELD,
                "partner",
                "partner '{partner}' is not one of your nation's partners: {partners}",
                partner=partner,
                partners=", ".join(partners) or "-",
            )
    state = _blank_to_none(status.lower() if status else None)
    start, end = parse_day(since, "since"), parse_day(until, "until")
    checked = order_query(
        status=state,
        since=start,
        until=end,
        q=q,
        sort=_blank_to_none(sort) or DEFAULT_SORT,
        direction=_blank_to_none(direction),
    )
    way = checked.direction if _blank_to_none(direction) else FIRST_DIRECTION[checked.sort]
    return ListQuery(state, wanted, other, start, end, checked.q, checked.sort, way, _page(page))


@dataclass(frozen=True)
class ListRow:
    """One order of the list, with what needs attention and what the visitor may do."""

    order: OrderOut
    activity: str
    problems: int = 0
    stopped: str | None = None
    reason: str = ""
    short_lines: int = 0
    yours: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OrderList:
    query: ListQuery
    rows: list[ListRow]
    total: int
    page: int
    pages: int
    statuses: list[str]
    agreements: list[str]
    partners: list[str]
    can_place: bool

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


#: The actions that stop an order.
STOPS = (Action.REJECT, Action.CANCEL)


def _stopped(event: Event | None) -> tuple[str | None, str]:
    """The action and reason of ``event``, the one that stopped an order (if any)."""
    if event is None:
        return None, ""
    return event.action.value, str(event.details.get("reason") or "")


def _stop_reason(order: Order) -> tuple[str | None, str]:
    """The action and reason of the event that stopped the order (reject or cancel)."""
    return _stopped(next((e for e in reversed(order.history) if e.action in STOPS), None))


def _search(who: Visitor, query: ListQuery, page: int) -> OrdersFound:
    """Page ``page`` of the visitor's nation's orders ``query`` names, found by the database."""
    found = order_query(
        status=query.status,
        agreement=query.agreement,
        party=who.nation,
        partner=query.partner,
        since=query.since,
        until=query.until,
        q=query.q or None,
        sort=query.sort,
        direction=query.direction,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return service.search_orders(who.reader(), found)


def order_list(
    who: Visitor, say: Speech, query: ListQuery, agreements: Mapping[str, Agreement]
) -> OrderList:
    found = _search(who, query, query.page)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    page = min(query.page, pages)
    if page != query.page:
        found = _search(who, query, page)
    rows = []
    shown = found.orders
    ids = [o.id for o in shown if o.id is not None]
    received = [o.id for o in shown if o.id is not None and o.status is OrderStatus.RECEIVED]
    closable = closable_orders(who.reader(), received) if received else set()
    stops = service.last_events(who.reader(), ids, STOPS)
    for order in shown:
        problems = 0
        if order.status is OrderStatus.DRAFT:
            agreement = agreements.get(order.agreement_id)
            problems = len(
                check_order(order, agreement)
                if agreement
                else service.violations_now(who.reader(), order)
            )
        stopped, reason = _stopped(stops.get(order.id) if order.id is not None else None)
        rows.append(
            ListRow(
                order=order_out(order),
                activity=activity_title(say, order.activity),
                problems=problems,
                stopped=stopped,
                reason=reason,
                short_lines=len(order.discrepancies),
                yours=[
                    say(ACTION_BUTTONS[a])
                    for a in actions_for(who, order, order.id in closable)
                    if a in NEXT_STEPS
                ],
            )
        )
    return OrderList(
        query=query,
        rows=rows,
        total=found.total,
        page=page,
        pages=pages,
        statuses=list(STATUS_RANK),
        agreements=sorted(agreements),
        partners=sorted({a.partner_of(who.nation) for a in agreements.values()}),
        can_place=who.may(Permission.PLACE),
    )


# --- one order ----------------------------------------------------------------------------

#: The actions that move an order on (the list names them as the visitor's move).
NEXT_STEPS = frozenset({Action.SUBMIT, Action.ACCEPT, Action.DELIVER, Action.RECEIVE, Action.CLOSE})
ACTION_BUTTONS: dict[Action, str] = {
    Action.SUBMIT: N_("Submit to the supplier"),
    Action.ACCEPT: N_("Accept"),
    Action.DELIVER: N_("Record delivery"),
    Action.RECEIVE: N_("Record receipt"),
    Action.CLOSE: N_("Close the order"),
    Action.REJECT: N_("Reject"),
    Action.CANCEL: N_("Cancel the order"),
}
EVENT_TITLES: dict[str, str] = {
    "create": N_("Draft created"),
    "edit": N_("Draft edited"),
    "submit": N_("Submitted to the supplier"),
    "accept": N_("Order accepted"),
    "reject": N_("Order rejected"),
    "deliver": N_("Delivery recorded"),
    "receive": N_("Receipt recorded"),
    "cancel": N_("Order cancelled"),
    "close": N_("Order closed"),
    "undo": N_("Step taken back: the supplier's step took its place"),
}
DOCUMENT_TITLES: dict[str, str] = {
    "invoice.issue": N_("Invoice issued"),
    "payment.record": N_("Payment recorded"),
    "settlement.replacement": N_("Replacement in kind recorded"),
    "settlement.exchange": N_("Equal value exchange recorded"),
    "order.convert": N_("Unreplaced goods converted to a cash debt"),
    service.NOTE_RECORD: N_("Note added"),
}
#: Audit records that are the order's own steps (already in its history).
STEP_RECORDS = frozenset({"order.place", *(f"order.{a.value}" for a in Action)})
DONE: dict[str, str] = {
    "place": N_("The draft is saved. Submit it once the agreement checks pass."),
    "held": N_(
        "The draft is saved but was not submitted: the agreement checks refuse it. "
        "See the problems below."
    ),
    "edit": N_("The draft is saved with your changes."),
    "submit": N_("The order is submitted to the supplier."),
    "accept": N_("You accepted the order."),
    "reject": N_("You rejected the order."),
    "deliver": N_("The delivery is recorded."),
    "receive": N_("The receipt is recorded."),
    "cancel": N_("The order is cancelled."),
    "close": N_("The order is closed."),
    "dispute": N_("The dispute is recorded and sent to the partner."),
    "answer": N_("The dispute is answered and closed."),
}
#: Orders whose settlement has begun: the detail page links to the settlement page.
SETTLING = frozenset({OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED, OrderStatus.CLOSED})


def actions_for(who: Visitor, order: Order, closable: bool = False) -> list[Action]:
    """Exactly the actions ``who`` may take on ``order`` now: the state allows them and the
    visitor holds the role on the right side; closing only when the order's account owes
    nothing (``closable``, from the settlement service)."""
    found = []
    for action, command in LIFECYCLE.items():
        if not order.allows(action):
            continue
        if action is Action.CLOSE and not closable:
            continue
        if not allowed(who.principal, command.spec.permission, order.requester, order.supplier):
            continue
        if action is Action.DELIVER and not any(ln.to_deliver > 0 for ln in order.lines):
            continue
        if action is Action.RECEIVE and not any(ln.to_receive > 0 for ln in order.lines):
            continue
        found.append(action)
    return found


@dataclass(frozen=True)
class QuantityInput:
    """One line's quantity in an accept, deliver or receive form."""

    number: int
    description: str
    unit: str
    limit: str
    value: str
    problem: str = ""


@dataclass(frozen=True)
class ActionForm:
    action: str
    button: str
    quantities: list[QuantityInput] = field(default_factory=list)
    reason: str | None = None
    note: str | None = None
    danger: bool = False


@dataclass(frozen=True)
class Moment:
    """One entry of the timeline: a step of the order or a document about it.

    ``at`` is when it happened (the business moment the form, the statement and the PDF show:
    the day an invoice was issued, a payment made, goods returned); ``recorded`` is when acsa
    recorded it, given only where it falls on another day (a record entered later)."""

    at: datetime
    actor: str
    title: str
    kind: str
    from_status: str | None = None
    to_status: str | None = None
    details: list[Detail] = field(default_factory=list)
    recorded: datetime | None = None


@dataclass(frozen=True)
class LineView:
    number: int
    category: str
    category_key: str
    description: str
    nsn: str | None
    unit: str
    quantity: Decimal
    accepted: Decimal | None
    delivered: Decimal
    received: Decimal
    short: Decimal
    unit_price: Decimal
    currency: str
    total: Decimal


@dataclass(frozen=True)
class OrderPage:
    order: OrderOut
    activity: str
    settlement: str
    lines: list[LineView]
    timeline: list[Moment]
    actions: list[ActionForm]
    refusals: list[Problem]
    stopped: str | None
    reason: str
    short_lines: int
    done: str = ""
    errors: list[Problem] = field(default_factory=list)
    failed: str = ""
    settlement_link: bool = False
    can_copy: bool = False
    #: The warnings the order confirmed, each with what the person confirmed.
    confirmed: list[Choice] = field(default_factory=list)
    #: Documents of the order that lost their place in its chain (acsa.services.forks).
    forks: list[ForkOut] = field(default_factory=list)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _document_details(say: Speech, record: AuditRecordOut) -> list[Detail]:
    after = record.after if isinstance(record.after, dict) else {}
    if record.action == service.NOTE_RECORD:
        return [Detail(say("Note"), str(after.get("note", "")))]
    found = []
    number = after.get("number") or after.get("invoice")
    if number:
        found.append(Detail(say("Number"), str(number)))
    elif record.subject:
        found.append(Detail(say("Document"), str(record.subject)))
    paid = _latest_payment(after) if record.action == "payment.record" else {}
    amount = paid.get("amount", after.get("amount", after.get("value")))
    currency = after.get("currency")
    if amount is not None and isinstance(currency, str):
        found.append(Detail(say("Amount"), say.money(_decimal(amount), currency)))
    for key, label in (("due", N_("Due")), ("deadline", N_("Deadline"))):
        if isinstance(after.get(key), str):
            try:
                found.append(Detail(say(label), say.day(date.fromisoformat(after[key]))))
            except ValueError:
                found.append(Detail(say(label), after[key]))
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _latest_payment(after: Mapping[str, Any]) -> Mapping[str, Any]:
    payments = [p for p in after.get("payments") or [] if isinstance(p, dict)]
    return max(payments, key=lambda p: int(p.get("id") or 0)) if payments else {}


#: Where a document's own day lies in what its audit record holds, by the record's action.
BUSINESS_DAY = {
    "invoice.issue": "issued",
    "settlement.replacement": "effective",
    "settlement.exchange": "effective",
    "order.convert": "effective",
}


def _business_at(record: AuditRecordOut) -> datetime:
    """When a document's change happened in the business: the payment's or the settlement's
    own moment (a partner's note: its own date), falling back to its day at noon UTC, else when
    it was recorded."""
    after: Mapping[str, Any] = record.after if isinstance(record.after, dict) else {}
    if record.action == "payment.record":
        after = _latest_payment(after)
        stated, day = after.get("at"), after.get("paid")
    else:
        stated, day = after.get("at"), after.get(BUSINESS_DAY.get(record.action, ""))
    recorded = _aware(datetime.fromisoformat(record.at))
    moment = _moment(stated)
    if isinstance(day, str) and (moment is None or moment.date().isoformat() != day):
        try:
            moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
        except ValueError:
            moment = None
    return moment or recorded


def _document_moment(say: Speech, record: AuditRecordOut) -> Moment:
    at = _business_at(record)
    recorded = _aware(datetime.fromisoformat(record.at))
    return Moment(
        at=at,
        actor=record.actor,
        title=say(DOCUMENT_TITLES[record.action])
        if record.action in DOCUMENT_TITLES
        else say.action(record.action),
        kind="document",
        details=_document_details(say, record),
        recorded=recorded if recorded.date() != at.date() else None,
    )


def timeline(who: Visitor, say: Speech, order: Order, shown: OrderOut) -> list[Moment]:
    """Every step of the order and every document about it (invoices, payments, returns in
    kind), oldest first, each with who and when."""
    moments = [
        Moment(
            at=e.at,
            actor=e.actor,
            title=say(EVENT_TITLES.get(e.action, e.action)),
            kind="step",
            from_status=e.from_status,
            to_status=e.to_status,
            details=event_details(say, units(order), e.action, e.details),
        )
        for e in shown.history
    ]
    for record in audit_log(who.reader(), order_id=shown.id):
        if record.action in STEP_RECORDS or record.action.startswith(("session.", "token.")):
            continue
        moments.append(_document_moment(say, record))
    return sorted(moments, key=lambda m: m.at)


def _quantity_inputs(
    order: Order, action: Action, submitted: Mapping[str, str], problems: Mapping[int, str]
) -> list[QuantityInput]:
    found = []
    for line in order.lines:
        if action is Action.ACCEPT:
            limit = line.quantity
        elif action is Action.DELIVER:
            limit = line.to_deliver
        else:
            limit = line.to_receive
        if limit <= 0:
            continue
        name = f"line-{line.number}"
        found.append(
            QuantityInput(
                number=line.number,
                description=line.description,
                unit=line.unit,
                limit=plain(limit),
                value=submitted.get(name, plain(limit)),
                problem=problems.get(line.number, ""),
            )
        )
    return found


def action_forms(
    who: Visitor,
    say: Speech,
    order: Order,
    failed: str = "",
    submitted: Mapping[str, str] | None = None,
    errors: list[Problem] | None = None,
) -> list[ActionForm]:
    """A form for each action the visitor may take now; the one that was just refused keeps
    what was entered, its lines marked where the refusal points."""
    forms = []
    closable = (
        order.id is not None
        and order.status is OrderStatus.RECEIVED
        and order.id in closable_orders(who.reader(), [order.id])
    )
    for action in actions_for(who, order, closable):
        again = submitted if submitted and failed == action.value else {}
        problems: dict[int, str] = {}
        for p in (errors or []) if again else []:
            found = re.match(r"^lines\[(\d+)\]", p.field)
            if found:
                problems[int(found[1])] = " ".join(x for x in (p.summary, p.message) if x)
        fields = _fields(LIFECYCLE[action])
        quantities = (
            _quantity_inputs(order, action, again, problems) if "quantities" in fields else []
        )
        forms.append(
            ActionForm(
                action=action.value,
                button=say(ACTION_BUTTONS[action]),
                quantities=quantities,
                reason=again.get("reason", "") if "reason" in fields else None,
                note=again.get("note", "") if "note" in fields else None,
                danger="reason" in fields,
            )
        )
    return forms


def _line_view(say: Speech, line: OrderLineOut) -> LineView:
    return LineView(
        number=line.number,
        category=category_title(say, line.category),
        category_key=line.category,
        description=line.description,
        nsn=line.nsn,
        unit=line.unit,
        quantity=line.quantity,
        accepted=line.quantity_accepted,
        delivered=line.quantity_delivered,
        received=line.quantity_received,
        short=line.quantity_short,
        unit_price=line.unit_price,
        currency=line.currency,
        total=line.total,
    )


def parse_order_id(value: str) -> int:
    """The order number in a path; anything else is simply not found."""
    text = value.strip()
    if not text.isdigit() or len(text) > 12:
        raise NotFoundError.single(Code.ORDER_NOT_FOUND, "id", "no order '{order}'", order=value)
    return int(text)


def order_page(
    who: Visitor,
    say: Speech,
    order_id: int,
    done: str | None = None,
    errors: list[Problem] | None = None,
    failed: str = "",
    submitted: Mapping[str, str] | None = None,
) -> OrderPage:
    order = service.get_order(who.reader(), order_id)
    refusals = []
    if order.status is OrderStatus.DRAFT:
        refusals = [problem(say, v) for v in service.violations_now(who.reader(), order)]
    shown = order_out(order)
    stopped, reason = _stop_reason(order)
    return OrderPage(
        order=shown,
        activity=activity_title(say, order.activity),
        settlement=settlement_title(say, order.settlement),
        lines=[_line_view(say, line) for line in shown.lines],
        timeline=timeline(who, say, order, shown),
        actions=action_forms(who, say, order, failed, submitted, errors),
        refusals=refusals,
        stopped=stopped,
        reason=reason,
        short_lines=len(order.discrepancies),
        done=say(DONE[done]) if done in DONE else "",
        errors=errors or [],
        failed=failed,
        settlement_link=order.status in SETTLING,
        can_copy=who.may(Permission.PLACE) and order.requester == who.nation,
        confirmed=[
            Choice(code, say(CONFIRMATIONS[code]) if code in CONFIRMATIONS else code)
            for code in shown.confirmed
        ],
        forks=_forks(who, order),
    )


def _forks(who: Visitor, order: Order) -> list[ForkOut]:
    """The order's forks (the order was loaded through the visitor's guard already)."""
    with who.reader() as uow:
        return order_forks(uow, order.uid)


# --- acting on an order -------------------------------------------------------------------

LINE_INPUT = re.compile(r"^line-(\d{1,6})$")


def _quantities(values: Mapping[str, str], action: Action) -> dict[int, Decimal] | None:
    """The per-line quantities of an accept, deliver or receive form; None for "in full".

    A blank line is left to the default (accept: what was requested; receive: what was
    delivered); a delivery takes only the lines given a quantity above zero."""
    found: dict[int, Decimal] = {}
    errors = []
    given = False
    for name, raw in values.items():
        match = LINE_INPUT.match(name)
        if not match:
            continue
        given = True
        number, text = int(match[1]), raw.strip().replace(",", "")
        if not text:
            continue
        field = f"lines[{number}].quantity"
        quantity, bad = limits.number_violation(
            field, text, limits.QUANTITY_OR_ZERO, Code.INVALID_QUANTITY
        )
        if bad is not None or quantity is None:
            errors.append(
                bad
                or Violation(
                    Code.INVALID_QUANTITY,
                    field,
                    "line {line}: '{value}' is not a quantity (a number such as 12 or 2.5)",
                    params={"line": number, "value": raw[:40]},
                )
            )
            continue
        if action is Action.DELIVER and quantity == 0:
            continue
        found[number] = quantity
    if errors:
        raise AcsaError(errors)
    if action is Action.DELIVER and given and not found:
        raise AcsaError.single(
            Code.INVALID_QUANTITY,
            "lines",
            "give a quantity above zero for at least one line to deliver",
        )
    return found or None


def _text(values: Mapping[str, str], name: str) -> str:
    return limits.check_text(name, values.get(name, "").strip())


def _version(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 9:
        raise AcsaError.single(
            Code.PRECONDITION_REQUIRED,
            "version",
            "the form does not say which version of the order it was made from; reload the page",
        )
    return int(text)


def _action(value: str | None) -> Action:
    try:
        action = Action((value or "").strip())
    except ValueError:
        action = Action.CREATE
    if action not in LIFECYCLE:
        raise AcsaError.single(
            Code.INVALID_FIELD, "action", "unknown action '{action}'", action=value
        )
    return action


def _fields(command: type[OrderCommand]) -> list[str]:
    """What a person fills in for ``command`` (beyond the order it acts on)."""
    return [f.name for f in dataclasses.fields(command) if f.name != "order_id"]


def act(
    who: Visitor, order_id: int, action: Action, version: int, values: Mapping[str, str]
) -> None:
    """Take ``action`` for ``who`` on the order at ``version``; refusals are raised."""
    kind = LIFECYCLE[action]
    given: dict[str, Any] = {
        name: _quantities(values, action) if name == "quantities" else _text(values, name)
        for name in _fields(kind)
    }
    uow = who.writer(kind.spec.permission, expected_version=version)
    handle(uow, kind(order_id=order_id, **given), who.principal.name)


# --- the new-order form -------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementChoice:
    id: str
    partner: str
    in_force: bool


@dataclass(frozen=True)
class FormRow:
    """A line row of the form: the number its inputs are named by, and what it holds."""

    index: int
    values: dict[str, str]
    spare: bool = False


@dataclass(frozen=True)
class Confirmation:
    """A checkbox confirming one warning: shown when the checks give that warning, or when
    it is ticked already."""

    code: str
    name: str
    label: str
    checked: bool
    shown: bool


@dataclass(frozen=True)
class DraftForm:
    values: dict[str, str]
    rows: list[FormRow]
    agreements: list[AgreementChoice]
    activities: list[Choice]
    categories: list[Choice]
    settlements: list[Choice]
    errors: dict[str, list[Problem]]
    general: list[Problem]
    supplier: str
    confirmations: list[Confirmation]
    checked: bool = False

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.errors.values()) + len(self.general)


#: Blank line rows a form offers (for visitors without JavaScript, who cannot add rows).
SPARE_ROWS = 2


def order_form(
    who: Visitor,
    say: Speech,
    draft: Draft,
    agreements: Mapping[str, Agreement],
    violations: list[Violation] | None = None,
) -> DraftForm:
    draft = draft.renumbered()
    errors: dict[str, list[Problem]] = {}
    general: list[Problem] = []
    for v in violations or []:
        target = draft.target(v.field)
        shown = problem(say, v, target)
        if target:
            errors.setdefault(target, []).append(shown)
        else:
            general.append(shown)
    blank = dict.fromkeys(("category", "description", "nsn", "quantity", "unit", "unit_price"), "")
    currency = draft.rows[-1][1].get("currency", "") if draft.rows else ""
    rows = [FormRow(i, values) for i, values in draft.rows]
    spare = SPARE_ROWS + (1 if not rows else 0)
    rows += [FormRow(len(rows) + i, {**blank, "currency": currency}, True) for i in range(spare)]
    agreement, _ = chosen_agreement(draft, agreements)
    on = today()
    warned = {v.code.value for v in violations or []}
    confirmations = [
        Confirmation(
            code=code,
            name=CONFIRM_PREFIX + code,
            label=say(label),
            checked=bool(draft.values.get(CONFIRM_PREFIX + code)),
            shown=code in warned or bool(draft.values.get(CONFIRM_PREFIX + code)),
        )
        for code, label in CONFIRMATIONS.items()
    ]
    return DraftForm(
        values=draft.values,
        rows=rows,
        agreements=[
            AgreementChoice(a.id, a.partner_of(who.nation), a.version_in_force_on(on) is not None)
            for a in sorted(agreements.values(), key=lambda a: a.id)
        ],
        activities=activity_choices(say),
        categories=category_choices(say),
        settlements=settlement_choices(say),
        errors=errors,
        general=general,
        supplier=agreement.partner_of(who.nation) if agreement else "",
        confirmations=confirmations,
        checked=violations is not None,
    )


def blank_draft(agreements: Mapping[str, Agreement]) -> Draft:
    values = {
        "order_date": today().isoformat(),
        "settlement": "cash",
        "agreement": next(iter(agreements)) if len(agreements) == 1 else "",
    }
    return Draft(values)


def form_problems(
    who: Visitor, draft: Draft, agreements: Mapping[str, Agreement], error: AcsaError
) -> list[Violation]:
    """What a refused save shows: every problem the form's live check finds (so the count and
    the list at the top are the ones the check shows below), and those of the refusal the
    check does not name (a stale form, a replayed key)."""
    found = check_draft(who, draft, agreements)
    named = {(v.code, v.field) for v in found}
    return found + [v for v in error.violations if (v.code, v.field) not in named]


def _require_place(who: Visitor) -> None:
    if not who.may(Permission.PLACE):
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "permission",
            "placing an order needs the role requester; {user} ({nation}) holds {roles}",
            user=who.principal.name,
            nation=who.nation,
            roles=", ".join(sorted(who.principal.roles)) or "-",
        )


def _require_confirmed(violations: list[Violation]) -> None:
    """Refuse to place an order while the checks give a warning a person must confirm
    (the form then shows it with its checkbox), with every problem the checks found; a
    draft saved unconfirmed could never be submitted."""
    if any(v.code in CONFIRMABLE for v in violations):
        raise AcsaError(violations)


@dataclass(frozen=True)
class EditTarget:
    """The draft an order form edits in place (its number, and the version it was read at)."""

    id: int
    version: int


def _render_form(
    request: Request,
    pages: Pages,
    who: Visitor,
    form: DraftForm,
    status_code: int = 200,
    edit: EditTarget | None = None,
) -> HTMLResponse:
    title = Speech(who.lang)("Edit draft order #%(id)s", id=edit.id) if edit else "New order"
    return pages.render(
        request,
        "order_new.html",
        who,
        status_code=status_code,
        title=title,
        form=form,
        edit=edit,
    )


def _submit_placed(who: Visitor, order_id: int, warnings: list[Violation]) -> str:
    """Submit a draft just saved with "Save and submit": what the order page then says
    (``submit``, or ``held`` when the agreement checks refuse it)."""
    if warnings:
        return "held"
    try:
        submit = SubmitOrder(order_id=order_id)
        handle(who.writer(submit.spec.permission), submit, who.principal.name)
    except AcsaError:
        return "held"
    return "submit"


def _editable(who: Visitor, order_id: int) -> OrderOut:
    """The draft ``order_id`` as its requester edits it: refused as the edit itself would be
    (another nation's order is not found; only a requester of its side, only a draft)."""
    _require_place(who)
    order = service.get_order(who.reader(), order_id)
    if order.requester != who.nation:
        raise ForbiddenError.single(
            Code.FORBIDDEN,
            "permission",
            "only {nation}, the requesting nation, edits order {order}",
            nation=order.requester,
            order=order_id,
        )
    if order.status is not OrderStatus.DRAFT:
        raise AcsaError.single(
            Code.INVALID_TRANSITION,
            "status",
            "order {order} is {status}: only a draft is edited",
            order=order_id,
            status=Term(order.status.value),
        )
    return order_out(order)


# --- routes -------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def list_page(
    request: Request,
    pages: PagesDep,
    who: VisitorDep,
    status: str | None = None,
    agreement: str | None = None,
    partner: str | None = None,
    since: str | None = None,
    until: str | None = None,
    q: str | None = None,
    sort: str | None = None,
    dir: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    """The nation's orders: filtered, sorted by a column, a page at a time."""
    agreements = my_agreements(who)
    query = parse_list_query(
        status, agreement, partner, since, until, q, sort, dir, page, agreements, who.nation
    )
    view = order_list(who, Speech(who.lang), query, agreements)
    return pages.render(request, "orders_list.html", who, title="Orders", view=view)


@router.get("/orders/new", response_class=HTMLResponse)
def new_order(
    request: Request, pages: PagesDep, who: VisitorDep, copy: str | None = None
) -> HTMLResponse:
    """The form for a new order (``?copy=ID``: filled in like that order)."""
    _require_place(who)
    agreements = my_agreements(who)
    say = Speech(who.lang)
    draft = blank_draft(agreements)
    if copy:
        draft = form_of(order_out(service.get_order(who.reader(), parse_order_id(copy))))
    return _render_form(request, pages, who, order_form(who, say, draft, agreements))


@router.post("/orders/new", response_model=None)
def place(request: Request, pages: PagesDep, who: VisitorDep, values: FormDep) -> Response:
    """Save the draft ("save"), or save and submit it when the checks pass ("submit")."""
    return _save_form(request, pages, who, values, None)


@router.get("/orders/{order_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, pages: PagesDep, who: VisitorDep, order_id: str) -> HTMLResponse:
    """The form of a draft, filled in with every field, to edit it in place."""
    draft = _editable(who, parse_order_id(order_id))
    form = order_form(who, Speech(who.lang), form_of(draft), my_agreements(who))
    return _render_form(request, pages, who, form, edit=EditTarget(draft.id, draft.version))


@router.post("/orders/{order_id}/edit", response_model=None)
def edit(
    request: Request, pages: PagesDep, who: VisitorDep, order_id: str, values: FormDep
) -> Response:
    """Save the draft's new terms ("save"), or save and submit it when the checks pass
    ("submit"), as of the version the form was read at."""
    return _save_form(request, pages, who, values, parse_order_id(order_id))


def _save_form(
    request: Request, pages: Pages, who: Visitor, values: dict[str, str], number: int | None
) -> Response:
    """An order form sent: a new draft (``number`` None) or draft ``number`` edited in place,
    saved (and submitted when asked and the checks pass), once however often it is sent; a
    refusal shows the form again with what was entered and every problem."""
    say = Speech(who.lang)
    agreements = my_agreements(who)
    draft = Draft({k: values.get(k, "") for k in ("agreement",)})
    target = EditTarget(number, 0) if number is not None else None
    read = False
    sent = SentForm.of(request, who, values.get(FORM_KEY_FIELD), values)
    try:
        check_csrf(who, values.get(CSRF_FIELD))
        earlier = sent.replayed()
        if earlier is not None:  # this very form was sent before: nothing twice
            return earlier
        if number is not None:
            target = EditTarget(number, _version(values.get("version")))
        _require_place(who)
        draft = read_form(values)
        read = True
        agreement, missing = chosen_agreement(draft, agreements)
        if missing:
            raise AcsaError([missing])
        wire = document(draft, who, agreement)
        command: PlaceOrder | EditDraft = (
            PlaceOrder.from_wire(wire)
            if number is None
            else EditDraft.from_wire(wire, order_id=number)
        )
        _require_confirmed(service.check_document(who.reader(), command.order))
        writer = sent.writer(
            command.spec.permission, expected_version=target.version if target else None
        )
        order, warnings = handle(writer, command, who.principal.name)
        assert order.id is not None
        earlier = sent.commit(f"/orders/{order.id}")
    except NotFoundError:
        raise
    except AcsaError as error:
        earlier = sent.raced()
        if earlier is not None:
            return earlier
        shown = form_problems(who, draft, agreements, error) if read else error.violations
        form = order_form(who, say, draft, agreements, list(shown))
        return _render_form(request, pages, who, form, refusal_status(error), target)
    finally:
        sent.close()
    if earlier is not None:
        return earlier
    done = "place" if number is None else "edit"
    if values.get("intent") == "submit":
        done = _submit_placed(who, order.id, warnings)
    return RedirectResponse(f"/orders/{order.id}?done={done}", status_code=303)


@router.post("/orders/check", response_model=None)
def check(request: Request, who: VisitorDep, values: JsonDep) -> JSONResponse:
    """What the agreement checks say of the form as filled in so far (nothing is saved):
    ``{"ok": ..., "errors": [{code, field, where, summary, message, clause, target}]}``."""
    say = Speech(who.lang)
    try:
        check_csrf(who, request.headers.get(CSRF_HEADER))
        draft = read_form(values)
    except AcsaError as error:
        found = [problem(say, v) for v in error.violations]
        return JSONResponse(
            {"ok": False, "errors": [p.as_json() for p in found]},
            status_code=refusal_status(error),
        )
    agreements = my_agreements(who)
    violations = check_draft(who, draft, agreements)
    agreement, _ = chosen_agreement(draft, agreements)
    found = [problem(say, v, draft.target(v.field)) for v in violations]
    return JSONResponse(
        {
            "ok": not found,
            "supplier": agreement.partner_of(who.nation) if agreement else "",
            "errors": [p.as_json() for p in found],
        }
    )


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def show(
    request: Request, pages: PagesDep, who: VisitorDep, order_id: str, done: str | None = None
) -> HTMLResponse:
    """One order: lines, timeline, and the actions the visitor may take now."""
    say = Speech(who.lang)
    view = order_page(who, say, parse_order_id(order_id), done=done)
    title = say("Order #%(id)s", id=view.order.id)
    return pages.render(request, "order_detail.html", who, title=title, view=view)


@router.post("/orders/{order_id}", response_model=None)
def take_action(
    request: Request, pages: PagesDep, who: VisitorDep, order_id: str, values: FormDep
) -> Response:
    """Take one action (the form's ``action``) on the order as the form saw it (``version``);
    back to the order page, or the page again with why it was refused."""
    number = parse_order_id(order_id)
    say = Speech(who.lang)
    name = values.get("action", "")
    try:
        check_csrf(who, values.get(CSRF_FIELD))
        action = _action(name)
        act(who, number, action, _version(values.get("version")), values)
    except NotFoundError:
        raise
    except AcsaError as error:
        one_based = name != Action.SUBMIT.value
        errors = [problem(say, v, one_based=one_based) for v in error.violations]
        view = order_page(who, say, number, errors=errors, failed=name, submitted=values)
        title = say("Order #%(id)s", id=view.order.id)
        return pages.render(
            request,
            "order_detail.html",
            who,
            status_code=refusal_status(error),
            title=title,
            view=view,
        )
    return RedirectResponse(f"/orders/{number}?done={action.value}", status_code=303)
