"""The orders list filters, searches, sorts and pages in the database: the repository and the
service on a real SQLite file and on PostgreSQL give the same answers, and migration 0008 fills
in the orders stored before it and goes back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, select, text, update
from sqlalchemy.engine import make_url

from acsa.adapters.db import tables as t
from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.migrate import alembic_config, current_revision, head_revision, upgrade
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.errors import AcsaError
from acsa.domain.order import Action
from acsa.domain.order_search import order_query
from acsa.schemas.orders import OrderIn, order_from_doc
from acsa.services import orders
from acsa.services.setup import init_database
from tests.conftest import PG_SERVER_URL
from tests.orders_data import order_doc, with_line

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def store(engine: Engine, status: str = "draft", **changes: Any) -> int:
    """An order stored through the repository (``status``: submitted, rejected, cancelled)."""
    order = order_from_doc(OrderIn.model_validate(order_doc(**changes)))
    order.record_creation(T0, "Lt K. Sato")
    uow = UnitOfWork(engine)
    with uow:
        order_id = uow.orders.add(order, T0)
        if status != "draft":
            order.submit([], T0, "Lt K. Sato")
            if status == "rejected":
                order.reject(T0, "Cdr J. Smith", reason="no fuel at Darwin")
            elif status == "cancelled":
                order.cancel(T0, "Lt K. Sato", reason="exercise called off")
            uow.orders.update(order, T0)
        uow.commit()
    return order_id


def found(engine: Engine, **params: Any) -> list[int]:
    page = orders.search_orders(UnitOfWork(engine, read_only=True), order_query(**params))
    return [o.id for o in page.orders if o.id is not None]


def total(engine: Engine, **params: Any) -> int:
    return orders.search_orders(UnitOfWork(engine, read_only=True), order_query(**params)).total


def test_a_search_finds_the_words_of_an_order_in_any_case_alike_on_every_database(
    engine: Engine,
) -> None:
    strasse = store(engine, location="Hauptstraße 1, Wilhelmshaven", remarks=None)
    tokyo = store(engine, location="東京 Ichigaya", operation="ÉCLAIR Ünit")
    nsn = store(engine, **with_line(order_doc(), 0, nsn="6505-01-123-4567"))
    remarks = store(engine, remarks="Deliver to Pier 5_B at 100% readiness")
    units = store(engine, requester_unit="1st Brigade", fund_citation="FC-77/x")

    assert found(engine, q="STRASSE") == [strasse]
    assert found(engine, q="hauptSTRAßE") == [strasse]
    assert found(engine, q="東京") == [tokyo]
    assert found(engine, q="éclair ü") == [tokyo]
    assert found(engine, q="ÜNIT") == [tokyo]
    assert found(engine, q="6505-01") == [nsn]
    assert found(engine, q="1st brigade") == [units]
    assert found(engine, q="fc-77/") == [units]
    # The search is text, never a pattern: % and _ are themselves.
    assert found(engine, q="100%") == [remarks]
    assert found(engine, q="5_b") == [remarks]
    assert found(engine, q="5%b") == []
    assert found(engine, q="_") == [remarks]
    # Words are apart: no search matches across the end of one and the start of another.
    assert found(engine, q="wilhelmshaven exercise") == []
    # Every order has the default lines: a line's description is searched.
    every = [strasse, tokyo, nsn, remarks, units]
    assert found(engine, q="jp-8 AVIATION") == every
    assert total(engine, q="combat rations", limit=2) == len(every)


def test_a_number_finds_that_order_and_a_hash_finds_only_that_order(engine: Engine) -> None:
    first = store(engine)
    second = store(engine, location=f"Pier {first}")
    assert found(engine, q=str(first)) == [first, second]
    assert found(engine, q=f"#{first}") == [first]
    assert found(engine, q="#99999999999999") == []
    assert found(engine, q=f"#{second}") == [second]


def test_filters_sorts_and_pages_are_done_by_the_database(engine: Engine) -> None:
    early = store(engine, order_date="2026-09-01", needed_by="2026-09-05")
    cheap = store(
        engine, "submitted", **with_line(order_doc(order_date="2026-10-03"), 0, quantity="1")
    )
    rejected = store(engine, "rejected", order_date="2026-10-02")
    late = store(engine, "cancelled", order_date="2026-11-01", needed_by="2026-11-05")
    ids = [early, cheap, rejected, late]

    assert found(engine) == ids
    assert found(engine, direction="desc") == ids[::-1]
    assert found(engine, sort="date") == [early, rejected, cheap, late]
    assert found(engine, sort="date", direction="desc") == [late, cheap, rejected, early]
    # Lifecycle order: draft, submitted, ..., rejected, ..., cancelled; then by number.
    assert found(engine, sort="status") == [early, cheap, rejected, late]
    assert found(engine, sort="total") == [cheap, early, rejected, late]
    assert found(engine, sort="total", direction="desc") == [late, rejected, early, cheap]

    assert found(engine, status="rejected") == [rejected]
    assert found(engine, since=date(2026, 10, 1), until=date(2026, 10, 31)) == [cheap, rejected]
    assert found(engine, party="AUS", partner="JPN", agreement="JPN-AUS") == ids
    assert found(engine, party="ITA") == []

    page = orders.search_orders(
        UnitOfWork(engine, read_only=True), order_query(sort="date", limit=2, offset=1)
    )
    assert ([o.id for o in page.orders], page.total) == ([rejected, cheap], 4)
    beyond = orders.search_orders(
        UnitOfWork(engine, read_only=True), order_query(limit=2, offset=8)
    )
    assert (beyond.orders, beyond.total) == ([], 4)
    # The list keeps its old shape: a list of orders, by number unless sorted.
    listed = orders.list_orders(
        UnitOfWork(engine, read_only=True), order_query(sort="date", limit=3)
    )
    assert [o.id for o in listed] == [early, rejected, cheap]


def test_a_list_loads_no_history_and_stopped_orders_give_their_reason(engine: Engine) -> None:
    draft = store(engine)
    rejected = store(engine, "rejected")
    cancelled = store(engine, "cancelled")
    page = orders.search_orders(UnitOfWork(engine, read_only=True))
    assert [o.history for o in page.orders] == [[], [], []]
    assert [len(o.lines) for o in page.orders] == [3, 3, 3]
    full = orders.search_orders(UnitOfWork(engine, read_only=True), with_history=True)
    assert [len(o.history) for o in full.orders] == [1, 3, 3]

    stops = orders.last_events(
        UnitOfWork(engine, read_only=True),
        [draft, rejected, cancelled],
        (Action.REJECT, Action.CANCEL),
    )
    assert sorted(stops) == [rejected, cancelled]
    assert stops[rejected].details["reason"] == "no fuel at Darwin"
    assert stops[cancelled].action is Action.CANCEL


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"q": "fuel\x07"}, "q"),
        ({"sort": "price"}, "sort"),
        ({"direction": "sideways"}, "dir"),
        ({"limit": 0}, "limit"),
        ({"offset": -5}, "offset"),
        ({"status": "lost"}, "status"),
    ],
)
def test_a_query_out_of_bounds_is_refused_naming_it_before_the_database_is_asked(
    engine: Engine, params: dict[str, Any], field: str
) -> None:
    """The query every list (web, API, CLI, dashboard) is made with checks each bound."""
    with pytest.raises(AcsaError) as refused:
        orders.search_orders(UnitOfWork(engine, read_only=True), order_query(**params))
    assert [(v.code.value, v.field) for v in refused.value.violations] == [("INVALID_FIELD", field)]


# --- migration 0008 -----------------------------------------------------------------------


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own (migrations go down and up on it)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"acsa_search_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def test_migration_0008_fills_in_stored_orders_and_goes_back(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    try:
        init_database(engine)
        one = store(engine, location="Hauptstraße 1", remarks="ＡＢＣ")
        two = store(engine, **with_line(order_doc(), 0, quantity="0.5", unit_price="3"))
        o = t.orders
        with engine.connect() as conn:
            written = conn.execute(select(o.c.id, o.c.search_text, o.c.total_minor)).all()

        _migrate(engine, "0007")
        assert current_revision(engine) == "0007"
        columns = {c["name"] for c in inspect(engine).get_columns("orders")}
        assert not {"search_text", "total_minor"} & columns
        indexes = {i["name"] for i in inspect(engine).get_indexes("orders")}
        assert not {"ix_orders_order_date_id", "ix_orders_currency_total_minor_id"} & indexes

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            again = conn.execute(select(o.c.id, o.c.search_text, o.c.total_minor)).all()
        assert sorted(again) == sorted(written)
        assert found(engine, q="STRASSE") == [one]
        assert found(engine, q="ａｂｃ") == [one]
        assert found(engine, sort="total") == [two, one]
        # A row's stored words are what the search reads: change them and the search follows.
        with engine.begin() as conn:
            conn.execute(update(o).where(o.c.id == two).values(search_text="elsewhere"))
        assert found(engine, q="elsewhere") == [two]
    finally:
        engine.dispose()
