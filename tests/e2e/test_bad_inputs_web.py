"""The corpus of bad inputs through the web pages of a real server (SQLite and PostgreSQL;
issue 13): the new-order form (with its CSRF token) and the accept, deliver and receive forms.
Each is refused with its code on the page, never a 5xx, and nothing is saved. The form reads
each field trimmed and a number without its thousands separators (``1,000``), as people write
them; everything else the API refuses, the form refuses."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests import bad_inputs as corpus
from tests.e2e.test_web_orders import act, form_fields, order_count, site, stored, submitted
from tests.e2e.test_web_pages import Site, csrf_of
from tests.orders_data import order_doc

__all__ = ["site"]

#: What the form itself forgives (trimmed fields, thousands separators), or cannot carry.
FORGIVEN = {" 5 ", "1,000", True, 1e28, 10**41}
SENT: Counter[str] = Counter()


def _form_cases() -> list[tuple[str, dict[str, str], str, str]]:
    """(kind, the form's fields, the code, the field) for the new-order form."""
    cases: list[tuple[str, dict[str, str], str, str]] = []
    for value in corpus.NUMBERS:
        if value in FORGIVEN or value == "":
            continue
        doc = order_doc()
        doc["lines"][0]["quantity"] = value
        cases.append(("numbers", form_fields(doc), "INVALID_QUANTITY", "quantity"))
        doc = order_doc()
        doc["lines"][0]["unit_price"] = value
        cases.append(("numbers", form_fields(doc), "INVALID_PRICE", "unit_price"))
    for value in corpus.DATES:
        if not str(value).strip() or str(value) != str(value).strip():
            continue
        cases.append(("dates", form_fields(order_doc(order_date=str(value))), "INVALID_DATE", ""))
    for text in [*corpus.controlled("RAAF Base Darwin"), corpus.too_long("location")]:
        cases.append(("text", form_fields(order_doc(location=text)), "INVALID_FIELD", "location"))
    for text in [*corpus.controlled("JP-8 fuel")[:3], corpus.too_long("description")]:
        doc = order_doc()
        doc["lines"][0]["description"] = text
        cases.append(("text", form_fields(doc), "INVALID_FIELD", "description"))
    return cases


def _refused(answer: Any, code: str) -> str | None:
    if answer.status_code >= 500:
        return f"answered {answer.status_code}"
    if answer.status_code == 303:
        return f"saved: {answer.headers.get('location')}"
    if not 400 <= answer.status_code < 500:
        return f"answered {answer.status_code}"
    if code not in answer.text:
        return f"the page does not name {code}"
    return None


def test_the_new_order_form_refuses_the_corpus_and_saves_nothing(site: Site) -> None:
    client = site.as_("AUS-requester")
    token = csrf_of(client.get("/orders/new").text)
    before = order_count(site)
    failures = []
    cases = _form_cases()
    for kind, fields, code, _field in cases:
        for intent in ("save", "submit"):
            answer = client.post("/orders/new", data={**fields, "csrf": token, "intent": intent})
            why = _refused(answer, code)
            if why:
                plain = form_fields(order_doc())
                changed = {k: v[:30] for k, v in fields.items() if plain.get(k) != v}
                failures.append(f"{kind} {intent} {changed}: {why} ({answer.status_code})")
        SENT[kind] += 2
    assert order_count(site) == before
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("action", ["accept", "deliver", "receive"])
def test_the_step_forms_refuse_bad_quantities_and_notes(site: Site, action: str) -> None:
    order_id = submitted(site)
    people = {
        "accept": "JPN-approver",
        "deliver": "JPN-logistics",
        "receive": "AUS-logistics",
    }
    if action != "accept":
        assert act(site.as_("JPN-approver"), order_id, "accept").status_code == 303
    if action == "receive":
        assert act(site.as_("JPN-logistics"), order_id, "deliver").status_code == 303
    who = site.as_(people[action])
    version = stored(site, order_id).version
    failures = []
    bad = [v for v in corpus.NUMBERS if v not in FORGIVEN and isinstance(v, str) and v]
    for value in bad:
        answer = act(who, order_id, action, **{"line-1": value})
        why = _refused(answer, "INVALID_QUANTITY")
        if why:
            failures.append(f"{action} line-1={value!r}: {why}")
        SENT["numbers"] += 1
    if action == "receive":
        for note in [*corpus.controlled("all fine")[:4], corpus.too_long("note")]:
            answer = act(who, order_id, action, note=note)
            why = _refused(answer, "INVALID_FIELD")
            if why:
                failures.append(f"receive note={note[:20]!r}: {why}")
            SENT["text"] += 1
    assert stored(site, order_id).version == version
    assert not failures, "\n".join(failures)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    if SENT:
        print(f"\nbad inputs sent through the web forms: {dict(SENT)}, {sum(SENT.values())} in all")
