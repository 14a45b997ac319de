"""The API speaks the reader's language through a real server (SQLite and PostgreSQL):
``Accept-Language: ja`` gives a refusal's title, detail and messages in Japanese, each violation
with its message id (the English template) and its parameters; English is the default; every
answer says its language in ``Content-Language``."""

from __future__ import annotations

from typing import Any

import httpx

from acsa.i18n import say
from tests.api.conftest import Api
from tests.orders_data import order_doc

PROBLEM = "application/problem+json"
JAPANESE = {"Accept-Language": "ja"}


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


def test_an_unknown_query_parameter_is_refused_in_japanese_with_its_message_id(api: Api) -> None:
    refused = api.client.get(
        "/orders", params={"limt": "5"}, headers={**api.as_("JPN-viewer"), **JAPANESE}
    )
    problem = _problem(refused, 400)
    assert refused.headers["Content-Language"] == "ja"
    assert problem["title"] == "要求を読み取れません"
    [error] = problem["errors"]
    assert error["code"] == "INVALID_INPUT"
    assert error["field"] == "limt"
    assert error["clause"] is None
    assert error["message_id"] == "query parameter {name} is not one {path} takes ({takes})"
    assert error["params"]["name"] == "'limt'"
    assert error["params"]["path"] == "/api/v1/orders"
    assert error["message"].startswith(
        "クエリパラメータ 'limt' は /api/v1/orders では使用できません"
    )
    assert problem["detail"] == error["message"]


def test_english_is_the_default_and_keeps_the_same_id_and_params(api: Api) -> None:
    asked = {"limt": "5"}
    english = _problem(api.client.get("/orders", params=asked, headers=api.as_("JPN-viewer")), 400)
    japanese = _problem(
        api.client.get("/orders", params=asked, headers={**api.as_("JPN-viewer"), **JAPANESE}),
        400,
    )
    assert english["title"] == "The request cannot be read"
    [en], [ja] = english["errors"], japanese["errors"]
    assert en["message"].startswith("query parameter 'limt' is not one /api/v1/orders takes")
    assert (en["code"], en["field"], en["clause"]) == (ja["code"], ja["field"], ja["clause"])
    assert en["message_id"] == ja["message_id"]
    assert en["params"] == ja["params"]


def test_the_language_asked_first_among_acsas_is_used(api: Api) -> None:
    refused = api.client.get(
        "/nowhere", headers={**api.as_("JPN-viewer"), "Accept-Language": "fr, ja;q=0.5, en;q=0.1"}
    )
    problem = _problem(refused, 404)
    assert refused.headers["Content-Language"] == "ja"
    [error] = problem["errors"]
    assert error["code"] == "PATH_NOT_FOUND"
    assert error["message"] == "API に /api/v1/nowhere はありません"
    assert error["params"] == {"path": "/api/v1/nowhere"}
    unknown = api.client.get("/nowhere", headers={"Accept-Language": "fr"})
    assert unknown.headers["Content-Language"] == "en"
    assert unknown.json()["errors"][0]["message"] == "nothing at /api/v1/nowhere in the API"


def test_a_refusal_before_the_api_reads_the_body_is_in_japanese_too(api: Api) -> None:
    refused = api.client.post(
        "/orders",
        content=b"[" * 200 + b"]" * 200,
        headers={**api.as_("AUS-requester"), **JAPANESE, "Content-Type": "application/json"},
    )
    problem = _problem(refused, 422)
    assert refused.headers["Content-Language"] == "ja"
    [error] = problem["errors"]
    assert error["code"] == "BODY_TOO_DEEP"
    assert error["message_id"].startswith("the JSON body nests arrays and objects more than")
    assert "何も保存していません" in error["message"]


def test_a_refusal_of_the_rules_is_written_from_its_id_in_the_readers_language(api: Api) -> None:
    """The agreement's checks on a JPN-NZL order dated before the agreement was in force: the
    Japanese message is the Japanese of the same id with the same parameters."""
    doc = order_doc(agreement="JPN-NZL", requester="NZL")
    headers = api.as_("JPN-viewer")
    english = api.client.post("/orders/check", json=doc, headers=headers)
    japanese = api.client.post("/orders/check", json=doc, headers={**headers, **JAPANESE})
    assert english.status_code == japanese.status_code == 200, japanese.text
    assert english.headers["Content-Language"] == "en"
    assert japanese.headers["Content-Language"] == "ja"
    [en] = english.json()["errors"]
    [ja] = japanese.json()["errors"]
    assert en["code"] == ja["code"] == "AGREEMENT_NOT_IN_FORCE"
    assert en["message_id"] == ja["message_id"]
    assert ja["message"] == say(ja["message_id"], "ja", ja["params"])
    assert ja["message"] != en["message"]
    assert _has_japanese(ja["message"])


def test_an_answer_that_is_no_refusal_says_its_language(api: Api) -> None:
    answered = api.client.get("/agreements", headers={**api.as_("JPN-viewer"), **JAPANESE})
    assert answered.status_code == 200
    assert answered.headers["Content-Language"] == "ja"
    assert "Accept-Language" in answered.headers["Vary"]
    default = api.client.get("/agreements", headers=api.as_("JPN-viewer"))
    assert default.headers["Content-Language"] == "en"


def test_the_openapi_description_documents_accept_language(api: Api) -> None:
    document = httpx.get(api.url("/openapi.json"), timeout=30).json()
    description = document["info"]["description"]
    assert "Accept-Language" in description
    assert "Content-Language" in description
    violation = document["components"]["schemas"]["ViolationOut"]["properties"]
    assert {"message_id", "params"} <= set(violation)


def test_a_finding_of_the_exceptions_report_is_written_in_the_readers_language(api: Api) -> None:
    c = api.client
    placed = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester"))
    assert placed.status_code == 201, placed.text
    oid = int(placed.json()["id"])
    for action, who in [
        ("submit", "AUS-requester"),
        ("accept", "JPN-approver"),
        ("deliver", "JPN-logistics"),
        ("receive", "AUS-logistics"),
    ]:
        moved = c.post(f"/orders/{oid}/{action}", headers=api.as_(who))
        assert moved.status_code == 200, moved.text
    english = c.get("/reports/exceptions", headers=api.as_("JPN-viewer"))
    japanese = c.get("/reports/exceptions", headers={**api.as_("JPN-viewer"), **JAPANESE})
    assert english.status_code == japanese.status_code == 200, japanese.text
    assert japanese.headers["Content-Language"] == "ja"
    kind = "received_not_invoiced"
    [en] = [f for f in english.json() if f["order"] == oid and f["kind"] == kind]
    [ja] = [f for f in japanese.json() if f["order"] == oid and f["kind"] == kind]
    assert en["message"].startswith(f"order {oid}: ")
    assert en["message_id"] == ja["message_id"]
    assert ja["message"] == say(ja["message_id"], "ja", ja["params"])
    assert ja["message"] != en["message"]
    assert _has_japanese(ja["message"])
