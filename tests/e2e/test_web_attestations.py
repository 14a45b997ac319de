"""What an order attests, through the pages of a real ``acsa serve`` (SQLite and PostgreSQL):
the new-order form asks for the reason cash settles supplies, the determination an order
under "other activities" cites and a declared period of hostilities; a warning a person must
confirm stops the order unsaved, shows its checkbox, and the order placed with it ticked
records the confirmation; the order page shows all of it, in English and Japanese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.domain.errors import Code
from acsa.domain.order import Attestations
from acsa.domain.rules import CONFIRMABLE
from acsa.domain.vocabulary import ACTIVITIES
from acsa.i18n import catalog
from acsa.services import orders
from acsa.web.routes.order_form import CONFIRMATIONS, SUMMARIES
from tests.attestations_data import AGREEMENT_ID, CASH_REASON, add_test_agreement, attest_order
from tests.e2e.test_web_orders import check, form_fields, order_count, order_of, unlabelled
from tests.e2e.test_web_pages import BACKEND_PARAMS, Site, csrf_of, fresh_database, running_site

UNCERTAIN = "confirm-IN_FORCE_DATE_UNCERTAIN"
UNVERIFIED = "confirm-ACTIVITY_UNVERIFIED"


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """A server over the registry, the tests' agreement that asks orders to attest, and a
    few people."""
    tmp = tmp_path_factory.mktemp("web-attestations")
    url = fresh_database(request, tmp)
    add_test_agreement(url)
    with running_site(url, tmp / "serve.log") as s:
        yield s


def fields_of(**changes: Any) -> dict[str, str]:
    """The form's fields for an order under the tests' agreement, with its reason for cash."""
    doc = attest_order(**changes)
    fields = form_fields(doc)
    for name in ("cash_reason", "determination", "determination_date"):
        if doc.get(name):
            fields[name] = str(doc[name])
    return fields


def attested(site: Site, order_id: int) -> Attestations:
    engine = make_engine(site.db_url)
    try:
        return orders.get_order(UnitOfWork(engine, read_only=True), order_id).attestations
    finally:
        engine.dispose()


def confirmation_box(html: str, name: str) -> str:
    """The markup of the confirmation of ``name`` (its div, checkbox and label)."""
    found = re.search(
        rf'<div class="field check confirm"[^>]*>\s*<input[^>]*id="{name}".*?</div>', html, re.S
    )
    assert found, f"no confirmation {name}"
    return found[0]


def post_form(
    client: httpx.Client, fields: dict[str, str], intent: str = "submit"
) -> httpx.Response:
    token = csrf_of(client.get("/orders/new").text)
    return client.post("/orders/new", data={**fields, "csrf": token, "intent": intent})


# --- the form --------------------------------------------------------------------------------


def test_the_form_asks_what_the_order_attests_with_every_field_labelled(site: Site) -> None:
    html = site.get("/orders/new", name="AUS-requester").text
    assert unlabelled(html) == []
    for name in ("cash_reason", "determination", "determination_date"):
        assert f'id="{name}" name="{name}"' in html
        assert f'id="err-{name}"' in html
    assert re.search(
        r'<input type="checkbox" id="hostilities" name="hostilities" value="on" ', html
    )
    assert 'type="date" id="determination_date"' in html
    # no warning yet: the confirmations are there, hidden, for the live check to show
    assert re.search(r'<fieldset class="group confirmations" id="confirmations" hidden>', html)
    for name in (UNCERTAIN, UNVERIFIED):
        box = confirmation_box(html, name)
        assert " hidden>" in box.split("\n", 1)[0]
        assert "checked" not in box
    assert f'<option value="{AGREEMENT_ID}"' in html
    for key in ("anticipated_armed_attack", "areas_surrounding_japan", "other_activities"):
        assert f'<option value="{key}">' in html


def test_an_unknown_day_of_entry_into_force_is_confirmed_before_the_order_is_placed(
    site: Site,
) -> None:
    client = site.as_("AUS-requester")
    token = csrf_of(client.get("/orders/new").text)
    fields = fields_of(order_date="2019-07-10", needed_by="2019-07-12")

    # as the form is filled in: the warning at the order date
    [warning] = check(client, token, fields).json()["errors"]
    assert (warning["code"], warning["target"]) == ("IN_FORCE_DATE_UNCERTAIN", "order_date")
    assert warning["summary"] == (
        "The day the agreement entered into force is not known: confirm it was in force on "
        "the order date."
    )
    assert "between 2019-07-01 and 2019-07-31" in warning["message"]

    # saved without confirming: nothing is saved, the page shows the warning and its checkbox
    before = order_count(site)
    for intent in ("save", "submit"):
        refused = post_form(client, fields, intent)
        assert refused.status_code == 422, intent
        assert order_count(site) == before
    html = refused.text
    assert "The order was not saved" in html
    slot = re.search(r'<div class="field-error" id="err-order_date">(.*?)</div>', html, re.S)
    assert slot
    assert 'data-code="IN_FORCE_DATE_UNCERTAIN"' in slot[1]
    assert re.search(r'<fieldset class="group confirmations" id="confirmations">', html)
    box = confirmation_box(html, UNCERTAIN)
    assert " hidden" not in box
    assert "I confirm the agreement was in force on the order date" in box
    assert " hidden>" in confirmation_box(html, UNVERIFIED).split("\n", 1)[0]
    assert 'value="Townsville Field Training Area"' in html  # what was typed stays

    # confirmed: the check passes and the order is placed and submitted, recording it
    confirmed = {**fields, UNCERTAIN: "on"}
    assert check(client, token, confirmed).json()["ok"] is True
    done = post_form(client, confirmed)
    assert done.status_code == 303, done.text
    order_id = order_of(done.headers["location"], "submit")
    assert attested(site, order_id).confirmed == frozenset({"IN_FORCE_DATE_UNCERTAIN"})
    page = client.get(f"/orders/{order_id}").text
    listed = re.search(r'<dd id="attested-confirmed">(.*?)</dd>', page, re.S)
    assert listed
    assert 'data-code="IN_FORCE_DATE_UNCERTAIN"' in listed[1]
    assert "I confirm the agreement was in force on the order date" in listed[1]


def test_an_unverified_activity_is_confirmed_the_same_way(site: Site) -> None:
    client = site.as_("AUS-requester")
    fields = fields_of(activity="disaster_response")
    before = order_count(site)
    refused = post_form(client, fields, "save")
    assert refused.status_code == 422
    assert order_count(site) == before
    slot = re.search(r'<div class="field-error" id="err-activity">(.*?)</div>', refused.text, re.S)
    assert slot
    assert 'data-code="ACTIVITY_UNVERIFIED"' in slot[1]
    box = confirmation_box(refused.text, UNVERIFIED)
    assert " hidden" not in box
    # ticked and sent back, it stays ticked while another problem is fixed
    broken = {**fields, UNVERIFIED: "on", "location": ""}
    again = post_form(client, broken, "save")
    assert again.status_code == 422
    assert "checked" in confirmation_box(again.text, UNVERIFIED)
    saved = post_form(client, {**fields, UNVERIFIED: "on"}, "save")
    assert saved.status_code == 303, saved.text
    order_id = order_of(saved.headers["location"], "place")
    assert attested(site, order_id).confirmed == frozenset({"ACTIVITY_UNVERIFIED"})
    assert "Draft: the agreement checks pass" in client.get(saved.headers["location"]).text


def test_cash_reason_determination_and_hostilities_are_asked_recorded_and_shown(
    site: Site,
) -> None:
    client = site.as_("AUS-requester")
    token = csrf_of(client.get("/orders/new").text)
    bare = fields_of(activity="other_activities", cash_reason=None)
    found = {(p["code"], p["target"]) for p in check(client, token, bare).json()["errors"]}
    assert found == {
        ("CASH_REASON_REQUIRED", "cash_reason"),
        ("DETERMINATION_REQUIRED", "determination"),
    }
    # a malformed day or an overlong reason is named at its field, and nothing is saved
    before = order_count(site)
    bad = {**bare, "determination": "D-1", "determination_date": "2019-02-30"}
    bad["cash_reason"] = "x" * 2001
    refused = post_form(client, bad)
    assert refused.status_code == 422
    for name in ("determination_date", "cash_reason"):
        assert re.search(rf'id="{name}"[^>]*aria-invalid="true"', refused.text), name
    assert order_count(site) == before

    full = {
        **bare,
        "cash_reason": CASH_REASON,
        "determination": "JPN-AUS determination 2019-03",
        "determination_date": "2019-08-20",
        "hostilities": "on",
    }
    assert check(client, token, full).json()["ok"] is True
    done = post_form(client, full)
    assert done.status_code == 303, done.text
    order_id = order_of(done.headers["location"], "submit")
    assert attested(site, order_id) == Attestations(
        cash_reason=CASH_REASON,
        determination="JPN-AUS determination 2019-03",
        determination_date=attested(site, order_id).determination_date,
        hostilities=True,
    )
    assert str(attested(site, order_id).determination_date) == "2019-08-20"
    page = site.get(f"/orders/{order_id}", name="JPN-viewer").text  # the supplier sees it too
    assert re.search(rf'<dd class="notes" id="attested-cash_reason">{CASH_REASON}</dd>', page)
    determination = re.search(r'<dd id="attested-determination">(.*?)</dd>', page, re.S)
    assert determination
    assert determination[1] == "JPN-AUS determination 2019-03 (of 20 Aug 2019)"
    assert 'id="attested-hostilities"' in page
    assert 'id="attested-confirmed"' not in page

    # a new draft filled in like it carries what it attested
    copy = client.get("/orders/new", params={"copy": str(order_id)}).text
    assert f">{CASH_REASON}</textarea>" in copy
    assert 'value="JPN-AUS determination 2019-03"' in copy
    assert 'id="determination_date" name="determination_date" value="2019-08-20"' in copy
    assert re.search(r'id="hostilities" name="hostilities" value="on" checked', copy)


def test_an_order_that_attests_nothing_shows_nothing_of_it(site: Site) -> None:
    client = site.as_("AUS-requester")
    done = post_form(client, fields_of(), "save")
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"]).text
    assert 'id="attested-cash_reason"' in page
    for name in ("determination", "hostilities", "confirmed"):
        assert f'id="attested-{name}"' not in page


def test_the_attestations_speak_japanese(site: Site) -> None:
    client = site.as_("AUS-all")
    token = csrf_of(client.get("/orders/new").text)
    switched = client.post("/language", data={"language": "ja", "csrf": token, "next": "/"})
    assert switched.status_code == 303
    html = client.get("/orders/new").text
    for words in ("発注の申告事項", "物品を通貨で決済する理由", "確認が必要な警告", "周辺事態"):
        assert words in html, words
    fields = fields_of(order_date="2019-07-10", needed_by="2019-07-12")
    [warning] = check(client, token, fields).json()["errors"]
    assert warning["summary"] == (
        "協定の発効日が特定されていません。発注日に協定が発効していたことを確認してください。"
    )
    done = post_form(client, {**fields, UNCERTAIN: "on", "hostilities": "on"})
    assert done.status_code == 303, done.text
    page = client.get(done.headers["location"]).text
    for words in ("確認済みの警告", "戦闘行為が行われている期間", "発効日は特定されていません"):
        assert words in page, words


# --- the words -------------------------------------------------------------------------------


def test_every_activity_and_the_new_codes_have_english_and_japanese_words() -> None:
    japanese = catalog("ja")
    for title in ACTIVITIES.values():
        assert getattr(japanese.get(title), "string", None), title
    for code in (
        Code.CASH_REASON_REQUIRED,
        Code.DETERMINATION_REQUIRED,
        Code.IN_FORCE_DATE_UNCERTAIN,
        Code.ACTIVITY_UNVERIFIED,
    ):
        assert code.value in SUMMARIES, code
        assert getattr(japanese.get(SUMMARIES[code.value]), "string", None), code
        assert getattr(japanese.get(f"error.{code.value}"), "string", None), code
    assert {c.value for c in CONFIRMABLE} == set(CONFIRMATIONS)
    for label in CONFIRMATIONS.values():
        assert getattr(japanese.get(label), "string", None), label
