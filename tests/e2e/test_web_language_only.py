"""The pages speak one language at a time, through a real ``acsa serve`` (SQLite and
PostgreSQL): a refusal on a Japanese page is said in Japanese only (its code shown small), the
audit log's actions and subjects are words in English and in Japanese (no raw ``order.accept``
on the dashboard), and the new-order form counts its problems once, the same at the top, at
the bottom and in the live check.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from acsa.adapters.db.engine import make_engine
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.i18n import violation_text
from acsa.services import orders
from tests.e2e.test_web_orders import act, check, form_fields, submitted
from tests.e2e.test_web_pages import (
    BACKEND_PARAMS,
    Site,
    body_rows,
    csrf_of,
    fill,
    fresh_database,
    running_site,
    text_of,
)
from tests.orders_data import order_doc


@pytest.fixture(scope="module", params=BACKEND_PARAMS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """The orders of the web page tests (a NZ draft the checks refuse among them), served."""
    tmp = tmp_path_factory.mktemp("web-language")
    url = fresh_database(request, tmp)
    with running_site(url, tmp / "serve.log", fill(url)) as s:
        yield s


def speak(client: httpx.Client, lang: str) -> None:
    """The person behind ``client`` chooses ``lang`` with the header's language button."""
    page = client.get("/orders").text
    chosen = client.post("/language", data={"language": lang, "csrf": csrf_of(page)})
    assert chosen.status_code == 303


def refusals_now(site: Site, order_id: int) -> list[tuple[str, str]]:
    """What the agreement checks say of a draft now: (English, Japanese) of each violation."""
    engine = make_engine(site.db_url)
    try:
        read = UnitOfWork(engine, read_only=True)
        found = orders.violations_now(read, orders.get_order(read, order_id))
    finally:
        engine.dispose()
    return [(violation_text(v, "en"), violation_text(v, "ja")) for v in found]


def test_a_refusal_on_a_japanese_page_is_in_japanese_only(site: Site) -> None:
    client = site.as_("JPN-viewer")
    speak(client, "ja")
    [(english, japanese)] = refusals_now(site, site.placed.nz_draft)
    assert english != japanese
    draft = client.get(f"/orders/{site.placed.nz_draft}").text
    assert '<html lang="ja">' in draft
    [row] = body_rows(draft, "violations")
    code, _field, message, _clause = row
    assert code == "AGREEMENT_NOT_IN_FORCE"
    assert japanese in message
    assert "JPN-NZL" in message
    assert not re.search(r"[A-Za-z]{3,} [a-z]{3,}", message.replace("JPN-NZL", "")), message
    assert english not in draft
    assert "was not in force" not in draft
    assert "The agreement was not in force on the order date." not in draft
    # the pages' own refusals too, with the code shown small
    for path, mine, theirs in (
        ("/orders/abc", "発注 'abc' はありません", "no order 'abc'"),
        ("/orders?page=two", "'two' はページ番号ではありません", "is not a page number"),
    ):
        refused = client.get(path)
        assert refused.status_code in (400, 404), path
        said = html.unescape(re.sub(r"<[^>]+>", "", refused.text))
        assert mine in said, (path, said)
        assert theirs not in said, path
        assert re.search(
            r'<code class="code small" title="[^"a-zA-Z]+">[A-Z_]+</code>', refused.text
        )
    # the same refusal on an English page is in English only
    english_page = site.get(f"/orders/{site.placed.nz_draft}", name="JPN-approver").text
    assert english in text_of(english_page)
    assert japanese not in english_page


def test_the_dashboard_and_the_audit_log_name_actions_in_words(site: Site) -> None:
    order_id = submitted(site)
    accepted = act(site.as_("JPN-approver"), order_id, "accept")
    assert accepted.status_code == 303, accepted.text
    dashboard = site.get("/", name="JPN-approver").text
    assert '<html lang="en">' in dashboard
    recent = text_of(dashboard)
    assert f"order accepted · order {order_id}" in recent
    assert "order.accept" not in dashboard
    assert f"order:{order_id}" not in dashboard
    audit = site.get("/audit", name="AUS-all", order=str(order_id)).text
    assert "order accepted" in audit
    assert f">order {order_id}</a>" in audit
    assert re.search(r'<code class="small muted">order\.accept</code>', audit)
    # in Japanese, the same in Japanese words
    japanese = site.as_("AUS-all")
    speak(japanese, "ja")
    audit = japanese.get("/audit", params={"order": str(order_id)}).text
    assert "発注の承認" in audit
    assert f">発注 {order_id}</a>" in audit
    assert "order accepted" not in audit
    japanese_dashboard = text_of(japanese.get("/").text)
    assert "発注の提出" in japanese_dashboard
    assert "order submitted" not in japanese_dashboard


def _count(pattern: str, page: str) -> int:
    found = re.search(pattern, page)
    assert found, pattern
    return int(found[1])


def test_the_new_order_form_counts_its_problems_once(site: Site) -> None:
    client = site.as_("AUS-requester")
    page = client.get("/orders/new").text
    token = csrf_of(page)
    broken = {
        **form_fields(order_doc()),
        "lines-0-quantity": "",
        "needed_by": "",
        "lines-1-category": "weapons",
    }
    refused = client.post("/orders/new", data={**broken, "csrf": token, "intent": "save"})
    assert refused.status_code == 422
    shown = refused.text
    top = _count(r'id="form-problems-count"[^>]*>(\d+) problems? must be fixed first', shown)
    bottom = _count(r'id="check-status"[^>]*>Problems found: (\d+)\.', shown)
    slots = re.findall(r'<div class="field-error" id="err-[^"]+">(.*?)</div>', shown, re.S)
    listed = sum(s.count("data-code=") for s in slots)
    general = re.search(r'<ul class="problems" id="check-general">(.*?)</ul>', shown, re.S)
    listed += general[1].count("data-code=") if general else 0
    live = check(client, token, broken).json()["errors"]
    assert top == bottom == listed == len(live) >= 3
    assert {p["code"] for p in live} >= {"MISSING_FIELD", "CATEGORY_EXCLUDED"}
    # the page's script says the count again as it checks: both sentences are there for it
    assert 'data-one="{n} problem must be fixed first; it is marked below."' in shown
    assert 'data-many="{n} problems must be fixed first; they are marked below."' in shown


def test_a_refused_payment_on_a_japanese_page_is_in_japanese_only(site: Site) -> None:
    client = site.as_("AUS-finance")
    speak(client, "ja")
    page = f"/orders/{site.placed.received}/settlement"
    token = csrf_of(client.get(page).text)
    typed = {"invoice": site.placed.invoice, "amount": "99999999", "paid": "2026-10-02"}
    refused = client.post(f"{page}/payment", data={**typed, "csrf": token})
    assert refused.status_code == 409
    said = html.unescape(re.sub(r"<[^>]+>", "", refused.text))
    owed = "2,628,820 JPY"
    assert f"請求書 {site.placed.invoice} は {owed} のうち {owed} が未払です" in said
    assert "would overpay" not in said
    assert "The payment is more than" not in said
    assert re.search(r'<code class="code small" title="[^"]+">OVERPAYMENT</code>', refused.text)
