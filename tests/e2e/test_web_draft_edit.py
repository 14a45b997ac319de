"""A requester edits a draft in place through the pages of a real ``acsa serve`` (SQLite and
PostgreSQL): the draft's page links its edit form (and the order form PDF), the form comes
filled in with every field, saving replaces the draft's terms and lines as of the version the
form was read at, and "save and submit" submits; a copy into a new draft keeps every field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.test_web_orders import form_fields, order_of, status_of, stored, submitted
from tests.e2e.test_web_pages import (
    BACKEND_PARAMS,
    Site,
    csrf_of,
    forms,
    fresh_database,
    running_site,
)
from tests.orders_data import order_doc, with_line


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("web-edit")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log") as s:
        yield s


def value_of(html: str, name: str) -> str:
    """The value an input of the page holds."""
    found = re.search(rf'<input[^>]* name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, name
    return found[1]


def draft(site: Site, doc: dict[str, Any]) -> int:
    client = site.as_("AUS-requester")
    token = csrf_of(client.get("/orders/new").text)
    saved = client.post("/orders/new", data={**form_fields(doc), "csrf": token, "intent": "save"})
    assert saved.status_code == 303, saved.text
    return order_of(saved.headers["location"], "place")


def test_a_requester_edits_a_draft_in_place_and_submits_it(site: Site) -> None:
    client = site.as_("AUS-requester")
    weapons = with_line(order_doc(), 0, category="weapons", nsn=None)
    oid = draft(site, weapons)
    page = client.get(f"/orders/{oid}").text
    assert f'href="/orders/{oid}/edit"' in page
    # the order form PDF is linked from the order's own page
    assert f'href="/orders/{oid}/form.pdf"' in page
    pdf = client.get(f"/orders/{oid}/form.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    # the form comes filled in with every field of the draft, and posts to its own address
    form = client.get(f"/orders/{oid}/edit")
    assert form.status_code == 200
    html = form.text
    fields = forms(html)["order-form"]
    assert fields["attrs"]["action"] == f"/orders/{oid}/edit"
    assert fields["fields"]["version"] == "1"
    for name in ("order_date", "needed_by", "location", "operation"):
        assert value_of(html, name) == weapons[name], name
    assert fields["fields"]["cash_reason"] == weapons["cash_reason"]
    assert value_of(html, "lines-2-quantity") == "2000.5"

    # fixed: the weapons line goes, the fuel comes back with less of it, and a date moves
    fixed = order_doc(needed_by="2026-10-08")
    fixed["lines"] = [{**fixed["lines"][0], "quantity": "9000"}, fixed["lines"][2]]
    token = csrf_of(html)
    data = {**form_fields(fixed), "csrf": token, "version": "1", "intent": "save"}
    saved = client.post(f"/orders/{oid}/edit", data=data)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/orders/{oid}?done=edit"
    shown = client.get(saved.headers["location"]).text
    assert "The draft is saved with your changes." in shown
    assert "Draft edited" in shown  # the timeline
    order = stored(site, oid)
    assert (order.version, order.status.value, str(order.needed_by)) == (2, "draft", "2026-10-08")
    assert [(ln.number, ln.category, ln.quantity) for ln in order.lines] == [
        (1, "fuel", 9000),
        (2, "water", 2000.5),
    ]

    # the same form again is stale (the draft moved on): refused, the page says why
    stale = client.post(f"/orders/{oid}/edit", data={**data, "csrf": token})
    assert stale.status_code == 409, stale.text
    assert "changed since you read it" in stale.text
    assert stored(site, oid).version == 2

    # save and submit from the form as it now stands
    again = client.get(f"/orders/{oid}/edit").text
    data = {**form_fields(fixed), "csrf": csrf_of(again), "version": "2", "intent": "submit"}
    done = client.post(f"/orders/{oid}/edit", data=data)
    assert done.headers["location"] == f"/orders/{oid}?done=submit"
    assert status_of(client.get(done.headers["location"]).text) == "submitted"
    # a submitted order is no longer edited, in the page or by its form
    closed = client.get(f"/orders/{oid}/edit")
    assert closed.status_code == 400
    assert "only a draft is edited" in closed.text
    late = client.post(f"/orders/{oid}/edit", data={**data, "version": "3"})
    assert late.status_code == 409


def test_only_the_requesting_side_edits_a_draft(site: Site) -> None:
    oid = draft(site, order_doc())
    assert site.get(f"/orders/{oid}/edit", name="JPN-logistics").status_code == 403
    assert site.get(f"/orders/{oid}/edit", name="AUS-viewer").status_code == 403
    assert site.get(f"/orders/{oid}/edit", name="FRA-all").status_code == 404
    page = site.get(f"/orders/{oid}", name="AUS-viewer").text
    assert f'href="/orders/{oid}/edit"' not in page


def test_a_copy_into_a_new_draft_keeps_every_field_and_submits(site: Site) -> None:
    client = site.as_("AUS-requester")
    oid = submitted(site, operation="Talisman Sabre", requester_unit="1st Brigade")
    original = stored(site, oid)
    html = client.get(f"/orders/new?copy={oid}").text
    fields = forms(html)["order-form"]["fields"]
    assert value_of(html, "needed_by") == original.needed_by.isoformat()
    assert value_of(html, "order_date") == original.order_date.isoformat()
    assert (fields["operation"], fields["requester_unit"]) == ("Talisman Sabre", "1st Brigade")
    assert fields["cash_reason"] == original.attestations.cash_reason
    # the copy, sent as it comes, is saved and submitted ("Save and submit" does something)
    doc = order_doc(operation="Talisman Sabre", requester_unit="1st Brigade")
    copied = {
        **form_fields(doc),
        **{k: v for k, v in fields.items() if k not in ("csrf",)},
        "csrf": csrf_of(html),
        "intent": "submit",
    }
    done = client.post("/orders/new", data=copied)
    assert done.status_code == 303, done.text
    new_id = order_of(done.headers["location"], "submit")
    copy = stored(site, new_id)
    assert copy.status.value == "submitted"
    assert (copy.needed_by, copy.requester_unit) == (original.needed_by, "1st Brigade")
