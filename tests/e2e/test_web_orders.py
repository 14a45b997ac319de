"""Working on orders through the pages of a real ``acsa serve`` (SQLite and PostgreSQL), as
people of Australia (requesting), Japan (supplying) and France (a stranger to these orders) do:
the new-order form and its live checks, the actions each may take, refusals, stale pages,
forms without their token, partial delivery and receipt with a discrepancy, the list's pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder, SubmitOrder
from acsa.domain.order import Order
from acsa.i18n import catalog
from acsa.services import orders
from acsa.services.handlers import handle
from acsa.web import routes
from acsa.web.render import TEMPLATES
from tests.e2e.test_web_pages import (
    BACKEND_PARAMS,
    Site,
    action_buttons,
    body_rows,
    csrf_of,
    forms,
    fresh_database,
    running_site,
    text_of,
)
from tests.orders_data import order_doc, with_line

ORDER_TEMPLATES = ("orders_list.html", "order_detail.html", "order_new.html", "_order_macros.html")
ORDER_MODULES = ("orders.py", "order_form.py")


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A server over the registry and a few people; each test places orders of its own."""
    tmp = tmp_path_factory.mktemp("web-orders")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log") as s:
        yield s


# --- helpers ---------------------------------------------------------------------------------


def stored(site: Site, order_id: int) -> Order:
    engine = make_engine(site.db_url)
    try:
        return orders.get_order(UnitOfWork(engine, read_only=True), order_id)
    finally:
        engine.dispose()


def order_count(site: Site) -> int:
    engine = make_engine(site.db_url)
    try:
        return len(orders.list_orders(UnitOfWork(engine, read_only=True)))
    finally:
        engine.dispose()


def submitted(site: Site, **changes: Any) -> int:
    """A JPN-AUS order placed and submitted by Australia's requester, through the services."""
    engine = make_engine(site.db_url)
    try:
        uow = UnitOfWork(engine)
        order, _ = handle(uow, PlaceOrder.from_wire(order_doc(**changes)), "AUS-requester")
        assert order.id is not None
        handle(uow, SubmitOrder(order_id=order.id), "AUS-requester")
        return order.id
    finally:
        engine.dispose()


def form_fields(doc: dict[str, Any]) -> dict[str, str]:
    """The new-order form's fields for an order document (lines-<row>-<field>)."""
    fields = {
        name: str(doc.get(name) or "")
        for name in ("agreement", "activity", "settlement", "order_date", "needed_by")
    }
    fields.update(location=doc["location"], operation=doc.get("operation") or "")
    fields["cash_reason"] = doc.get("cash_reason") or ""  # what the order attests
    for i, line in enumerate(doc["lines"]):
        for key, value in line.items():
            fields[f"lines-{i}-{key}"] = str(value or "")
    return fields


def order_of(location: str, done: str) -> int:
    """The order number of a redirect to ``/orders/<id>?done=<done>``."""
    found = re.fullmatch(rf"/orders/(\d+)\?done={done}", location)
    assert found, location
    return int(found[1])


def check(client: httpx.Client, token: str | None, fields: dict[str, str]) -> httpx.Response:
    headers = {"X-CSRF-Token": token} if token else {}
    return client.post("/orders/check", json=fields, headers=headers)


def act(client: httpx.Client, order_id: int, action: str, **fields: str) -> httpx.Response:
    """Take ``action`` through its form on the order page as it stands now."""
    page = client.get(f"/orders/{order_id}").text
    form = forms(page)[f"form-{action}"]
    return client.post(f"/orders/{order_id}", data={**form["fields"], **fields, "action": action})


def status_of(html: str) -> str:
    found = re.search(r'<h1>Order #\d+ <span class="badge badge-(\w+)">', html)
    assert found, "no status badge in the heading"
    return found[1]


class _Controls(HTMLParser):
    """The visible form controls of a page (outside <template>) and what labels them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labelled: set[str] = set()
        self.in_template = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "template":
            self.in_template += 1
        elif tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        elif (
            tag in ("input", "select", "textarea")
            and not self.in_template
            and a.get("type") != "hidden"
        ):
            self.controls.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.in_template -= 1


def unlabelled(html: str) -> list[dict[str, str]]:
    parser = _Controls()
    parser.feed(html)
    return [
        c
        for c in parser.controls
        if c.get("id") not in parser.labelled and not c.get("aria-labelledby")
    ]


# --- the new-order form ----------------------------------------------------------------------


def test_the_form_labels_every_field_and_offers_only_the_nations_agreements(site: Site) -> None:
    client = site.as_("AUS-requester")
    response = client.get("/orders/new")
    assert response.status_code == 200
    html = response.text
    assert unlabelled(html) == []
    assert '<script src="/static/orders.js" defer></script>' in html
    agreement = re.search(r'<select id="agreement".*?</select>', html, re.S)
    assert agreement
    assert re.findall(r'<option value="([^"]*)"', agreement[0]) == ["", "JPN-AUS"]
    assert '<span class="fixed" id="requester"' in html
    for name in ("lines-0-category", "lines-0-quantity", "activity", "order_date"):
        assert f'id="{name}" name="{name}"' in html
        assert f'id="err-{name}"' in html
        control = re.search(rf'id="{name}"[^>]*>', html)
        assert control
        assert f"err-{name}" in control[0]
    # the order pages label their controls too
    assert unlabelled(client.get("/orders").text) == []
    # only those who place orders get the form
    assert site.get("/orders/new", name="JPN-viewer").status_code == 403
    assert 'id="new-order"' not in site.get("/orders", name="JPN-viewer").text
    assert 'id="new-order"' in client.get("/orders").text


def test_a_requester_is_told_what_the_agreement_refuses_fixes_it_and_submits(site: Site) -> None:
    client = site.as_("AUS-requester")
    token = csrf_of(client.get("/orders/new").text)
    weapons = form_fields(with_line(order_doc(), 0, category="weapons", nsn=None))

    # as the form is filled in: the violation, its field's input and the agreement's clause
    result = check(client, token, weapons)
    assert result.status_code == 200
    body = result.json()
    assert body["ok"] is False
    assert body["supplier"] == "JPN"
    [problem] = body["errors"]
    assert problem["code"] == "CATEGORY_EXCLUDED"
    assert problem["field"] == "lines[0].category"
    assert problem["target"] == "lines-0-category"
    assert problem["where"] == "Line 1: Category"
    assert problem["summary"] == "This category is excluded from the agreement."
    assert "JPN-AUS" in problem["clause"]
    services = form_fields(order_doc(settlement="replacement_in_kind"))
    services["lines-1-category"] = "medical"
    targets = {(p["code"], p["target"]) for p in check(client, token, services).json()["errors"]}
    # the method is refused for the line whose kind of support it cannot settle (issue 14)
    assert targets == {("SETTLEMENT_METHOD_NOT_ALLOWED", "lines-1-category")}
    # half-filled: what is missing, and the agreement's verdict on the rest all the same
    partial = {"agreement": "JPN-AUS", "activity": "exercise", "lines-0-category": "weapons"}
    found = {(p["code"], p["target"]) for p in check(client, token, partial).json()["errors"]}
    assert ("CATEGORY_EXCLUDED", "lines-0-category") in found
    assert ("MISSING_FIELD", "lines-0-quantity") in found
    assert ("MISSING_FIELD", "location") in found
    # no token, no answer
    refused = check(client, None, weapons)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "FORBIDDEN"

    # without JavaScript: saving keeps the draft and the order page explains the refusal
    before = order_count(site)
    saved = client.post("/orders/new", data={**weapons, "csrf": token, "intent": "save"})
    assert saved.status_code == 303
    draft_id = order_of(saved.headers["location"], "place")
    page = client.get(saved.headers["location"]).text
    assert "The draft is saved." in page
    [row] = body_rows(page, "violations")
    assert row[0] == "CATEGORY_EXCLUDED"
    assert row[1] == "lines[0].category Line 1: Category"
    assert "JPN-AUS" in row[3]
    assert f'href="/orders/new?copy={draft_id}"' in page
    assert action_buttons(page) == {"submit", "cancel"}
    refusal = act(client, draft_id, "submit")
    assert refusal.status_code == 422
    assert 'role="alert"' in refusal.text
    assert "CATEGORY_EXCLUDED" in refusal.text
    assert stored(site, draft_id).status.value == "draft"
    # "save and submit" with a refusal keeps a draft too, and says so
    held = client.post("/orders/new", data={**weapons, "csrf": token, "intent": "submit"})
    assert held.headers["location"].endswith("?done=held")
    assert "was not submitted" in client.get(held.headers["location"]).text
    assert order_count(site) == before + 2

    # a form that cannot be saved comes back with each problem next to its field
    broken = {**weapons, "lines-0-category": "fuel", "lines-0-quantity": "", "needed_by": ""}
    again = client.post("/orders/new", data={**broken, "csrf": token, "intent": "save"})
    assert again.status_code == 422
    assert order_count(site) == before + 2
    html = again.text
    slot = re.search(r'<div class="field-error" id="err-lines-0-quantity">(.*?)</div>', html, re.S)
    assert slot
    assert "Required." in slot[1]
    assert 'id="err-needed_by">' in html
    assert re.search(r'id="lines-0-quantity"[^>]*aria-invalid="true"', html)
    assert 'value="JP-8 aviation turbine fuel"' in html
    assert "The order was not saved" in html

    # fixed: the checks pass, and "save and submit" submits at once
    fixed = form_fields(order_doc())
    fixed.update({"lines-7-currency": "JPY"})  # a blank row is left out
    assert check(client, token, fixed).json() == {"ok": True, "supplier": "JPN", "errors": []}
    done = client.post("/orders/new", data={**fixed, "csrf": token, "intent": "submit"})
    assert done.status_code == 303
    order_id = order_of(done.headers["location"], "submit")
    page = client.get(done.headers["location"]).text
    assert "The order is submitted to the supplier." in page
    assert status_of(page) == "submitted"
    assert len(stored(site, order_id).lines) == 3
    # a refused draft can be fixed in a new one, filled in like it
    copy = client.get("/orders/new", params={"copy": str(draft_id)}).text
    assert 'name="lines-0-description" value="JP-8 aviation turbine fuel"' in copy
    assert re.search(r'<option value="weapons" selected>', copy)


def test_the_supplier_accepts_and_others_see_only_their_own_actions(site: Site) -> None:
    order_id = submitted(site)
    path = f"/orders/{order_id}"
    assert action_buttons(site.get(path, name="JPN-approver").text) == {"accept", "reject"}
    assert action_buttons(site.get(path, name="AUS-requester").text) == {"cancel"}
    for name in ("JPN-viewer", "AUS-viewer", "JPN-logistics", "AUS-logistics"):
        page = site.get(path, name=name).text
        assert action_buttons(page) == set(), name
        assert 'id="no-actions"' in page, name
    # a viewer who forges the form is refused, and nothing changes
    viewer = site.as_("JPN-viewer")
    page = viewer.get(path).text
    forged = viewer.post(path, data={"csrf": csrf_of(page), "version": "2", "action": "accept"})
    assert forged.status_code == 403
    assert "FORBIDDEN" in forged.text
    assert stored(site, order_id).status.value == "submitted"

    approver = site.as_("JPN-approver")
    accepted = act(approver, order_id, "accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"{path}?done=accept"
    page = approver.get(accepted.headers["location"]).text
    assert '<p class="flash" role="status" id="flash">You accepted the order.</p>' in page
    assert status_of(page) == "accepted"
    assert "Order accepted · By: JPN-approver" in text_of(page)
    assert action_buttons(page) == set()
    assert action_buttons(site.get(path, name="JPN-logistics").text) == {"deliver"}
    assert action_buttons(site.get(path, name="AUS-requester").text) == {"cancel"}
    assert action_buttons(site.get(path, name="AUS-all").text) == {"cancel"}


def test_a_stale_page_or_a_form_without_its_token_changes_nothing(site: Site) -> None:
    order_id = submitted(site)
    path = f"/orders/{order_id}"
    requester = site.as_("AUS-requester")
    old = forms(requester.get(path).text)["form-cancel"]["fields"]
    assert act(site.as_("JPN-approver"), order_id, "accept").status_code == 303

    stale = requester.post(path, data={**old, "action": "cancel", "reason": "not needed"})
    assert stale.status_code == 409
    assert "changed meanwhile" in stale.text
    assert "CONCURRENT_UPDATE" in stale.text
    assert status_of(stale.text) == "accepted"  # the page shows the order as it now stands
    fresh = forms(stale.text)["form-cancel"]["fields"]
    assert fresh["version"] == str(stored(site, order_id).version)
    assert fresh["reason"] == "not needed"  # what was typed is kept
    assert stored(site, order_id).status.value == "accepted"

    version = stored(site, order_id).version
    for token in (None, "forged", csrf_of(site.get("/orders", name="AUS-viewer").text)):
        data = {"version": str(version), "action": "cancel"}
        if token is not None:
            data["csrf"] = token
        refused = requester.post(path, data=data)
        assert refused.status_code == 403, token
        assert "the form is stale or did not come from this site" in refused.text
    assert stored(site, order_id).status.value == "accepted"
    assert stored(site, order_id).version == version

    before = order_count(site)
    no_token = requester.post("/orders/new", data={**form_fields(order_doc()), "intent": "save"})
    assert no_token.status_code == 403
    assert order_count(site) == before
    # the one change that carries both: done
    assert act(requester, order_id, "cancel", reason="not needed").status_code == 303
    assert stored(site, order_id).status.value == "cancelled"


def test_another_nation_sees_neither_the_order_nor_its_agreement(site: Site) -> None:
    order_id = submitted(site)
    french = site.as_("FRA-all")
    page = french.get("/orders").text
    assert body_rows(page, "orders") == [["Your nation has no orders yet."]]
    assert french.get(f"/orders/{order_id}").status_code == 404
    token = csrf_of(page)
    for action in ("accept", "cancel", "submit"):
        response = french.post(
            f"/orders/{order_id}", data={"csrf": token, "version": "2", "action": action}
        )
        assert response.status_code == 404
        assert "ORDER_NOT_FOUND" in response.text
    new = french.get("/orders/new").text
    agreement = re.search(r'<select id="agreement".*?</select>', new, re.S)
    assert agreement
    assert re.findall(r'<option value="([^"]*)"', agreement[0]) == ["", "JPN-FRA"]
    aus = form_fields(order_doc(requester="FRA"))
    [problem] = [
        p for p in check(french, token, aus).json()["errors"] if p["target"] == "agreement"
    ]
    assert problem["code"] == "AGREEMENT_NOT_FOUND"
    before = order_count(site)
    refused = french.post("/orders/new", data={**aus, "csrf": token, "intent": "save"})
    assert refused.status_code == 422
    assert "Choose one of your nation&#39;s agreements." in refused.text
    assert order_count(site) == before
    assert stored(site, order_id).status.value == "submitted"


def test_partial_delivery_and_receipt_with_a_discrepancy(site: Site) -> None:
    order_id = submitted(site)
    path = f"/orders/{order_id}"
    supplier, receiver = site.as_("JPN-logistics"), site.as_("AUS-logistics")
    assert (
        act(site.as_("JPN-approver"), order_id, "accept", **{"line-1": "10000"}).status_code == 303
    )
    partly = act(supplier, order_id, "deliver", **{"line-1": "6000", "line-2": "0", "line-3": ""})
    assert partly.status_code == 303
    assert status_of(supplier.get(path).text) == "partially_delivered"

    too_much = act(supplier, order_id, "deliver", **{"line-1": "5000", "line-2": "", "line-3": ""})
    assert too_much.status_code == 422
    assert "QUANTITY_EXCEEDS_ACCEPTED" in too_much.text
    assert "More than remains to be delivered." in too_much.text
    assert re.search(
        r'id="deliver-line-1" name="line-1" value="5000"[^>]*aria-invalid="true"', too_much.text
    )
    nothing = act(supplier, order_id, "deliver", **{"line-1": "0", "line-2": "0", "line-3": "0"})
    assert nothing.status_code == 422
    assert stored(site, order_id).version == 4

    receipt = act(
        receiver, order_id, "receive", **{"line-1": "5900", "note": "100 L lost <b>pump</b>"}
    )
    assert receipt.status_code == 303
    page = receiver.get(path).text
    assert status_of(page) == "partially_received"
    fuel = body_rows(page, "lines")[0]
    assert fuel[5:10] == ["12,000", "10,000", "6,000", "5,900", "⚠ 100 (discrepancy)"]
    assert '<tr id="line-1" class="short">' in page
    assert "Discrepancy: 1 line was received short of what was delivered." in page
    words = text_of(page)
    assert "10,000 L accepted" in words
    assert "6,000 L delivered" in words
    assert '<dd class="discrepancy">5,900 L received, 100 L short</dd>' in page
    assert "100 L lost &lt;b&gt;pump&lt;/b&gt;" in page
    assert 'id="settlement-link"' in page

    assert act(supplier, order_id, "deliver").status_code == 303
    assert act(receiver, order_id, "receive").status_code == 303
    order = stored(site, order_id)
    assert order.status.value == "received"
    assert [line.quantity_short for line in order.lines] == [Decimal(100), 0, 0]
    assert [line.quantity_received for line in order.lines] == [
        Decimal(9900),
        Decimal(400),
        Decimal("2000.5"),
    ]


def test_the_list_pages_and_sorts_a_nations_orders(site: Site) -> None:
    ids = [
        submitted(site, operation="Exercise Paging", location=f"Darwin pad {n}") for n in range(27)
    ]
    engine = make_engine(site.db_url)
    try:
        uow = UnitOfWork(engine)
        doc = with_line(order_doc(operation="Exercise Paging"), 0, unit_price="1")
        cheap, _ = handle(uow, PlaceOrder.from_wire(doc), "AUS-requester")
    finally:
        engine.dispose()
    assert cheap.id is not None
    client = site.as_("AUS-viewer")
    first = client.get("/orders", params={"q": "exercise paging"}).text
    assert "Orders 1–25 of 28" in first
    assert len(body_rows(first, "orders")) == 25
    assert 'href="/orders?q=exercise+paging&amp;page=2"' in first
    assert "Page 1 of 2" in first
    second = client.get("/orders", params={"q": "exercise paging", "page": "2"}).text
    rows = body_rows(second, "orders")
    assert [int(r[0].split()[0][1:]) for r in rows] == sorted(ids[:3], reverse=True)
    assert 'id="page-prev"' in second
    assert 'id="page-next"' not in second
    by_total = client.get(
        "/orders", params={"q": "exercise paging", "sort": "total", "dir": "asc"}
    ).text
    assert body_rows(by_total, "orders")[0][0].startswith(f"#{cheap.id} ")
    assert re.search(r'aria-sort="ascending"[^>]*>\s*<a class="sort" id="sort-total"', by_total)
    drafts = client.get("/orders", params={"q": "exercise paging", "status": "draft"}).text
    assert [r[0].split()[0] for r in body_rows(drafts, "orders")] == [f"#{cheap.id}"]
    assert "Your move:" not in drafts  # a viewer has no move


def test_the_checks_speak_japanese(site: Site) -> None:
    client = site.as_("AUS-all")
    page = client.get("/orders/new").text
    token = csrf_of(page)
    assert (
        client.post(
            "/language", data={"language": "ja", "csrf": token, "next": "/orders/new"}
        ).status_code
        == 303
    )
    html = client.get("/orders/new").text
    assert "新規発注" in html
    assert "保存して提出" in html
    weapons = form_fields(with_line(order_doc(), 0, category="weapons", nsn=None))
    [problem] = check(client, token, weapons).json()["errors"]
    assert problem["summary"] == "この区分は協定の適用から除外されています。"
    assert problem["where"] == "明細 1：品目区分"


# --- the catalogue -------------------------------------------------------------------------


def _messages() -> set[str]:
    """Every message the order pages show: the templates' and the Python's."""
    found: set[str] = set()
    for name in ORDER_TEMPLATES:
        with (TEMPLATES / name).open("rb") as stream:
            for _, _, message, _ in babel_extract(
                stream,
                ("_", "gettext", "ngettext"),
                [],
                {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"},
            ):
                first = message if isinstance(message, str) else message[0]
                if first:
                    found.add(first)
    for name in ORDER_MODULES:
        path = Path(routes.__file__).parent / name
        for _, message, _, _ in extract_from_file(
            "python", str(path), keywords={"N_": None, "say": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_order_pages_has_a_japanese_translation() -> None:
    japanese = catalog("ja")
    messages = _messages()
    assert len(messages) > 150
    missing = sorted(m for m in messages if not getattr(japanese.get(m), "string", None))
    assert missing == []
