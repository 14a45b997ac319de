"""Source documents through a real server (SQLite and PostgreSQL): a file uploaded as multipart
is kept by its SHA-256 and downloaded as an attachment with safe headers; a third nation sees
nothing; oversized and disguised files are refused with their codes and nothing is written;
the exceptions report lists a receipt without the scan its nation requires."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.server import Server, add_people
from tests.orders_data import order_doc

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
CSV = b"line,category,received\n1,fuel,12000\n2,rations,400\n"
HTML = b"<html><body><script>fetch('/api/v1/orders')</script></body></html>"
LIMIT = 4096


@pytest.fixture
def small(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """A server taking files of at most LIMIT bytes."""
    monkeypatch.setenv("ACSA_MAX_ATTACHMENT_BYTES", str(LIMIT))
    people = add_people(db_url, passwords=False)
    with (
        Server(db_url, log=tmp_path / "serve.log") as server,
        httpx.Client(base_url=server.base + "/api/v1", timeout=30) as client,
    ):
        yield Api(server, people, client, db_url)


def _upload(
    api: Api, who: str, oid: int, name: str, content: bytes, kind: str, step: str | None = None
) -> httpx.Response:
    data = {"step": step} if step else {}
    return api.client.post(
        f"/orders/{oid}/attachments",
        files={"file": (name, content, kind)},
        data=data,
        headers=api.as_(who),
    )


def _listed(api: Api, who: str, oid: int) -> list[dict[str, object]]:
    answer = api.client.get(f"/orders/{oid}/attachments", headers=api.as_(who))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, object]] = answer.json()
    return found


def test_upload_hash_and_download_as_an_attachment_with_safe_headers(small: Api) -> None:
    api = small
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]
    name = "Reçu signé; <b>.pdf"
    sent = _upload(api, "AUS-logistics", oid, name, PDF, "application/pdf")
    assert sent.status_code == 201, sent.text
    digest = hashlib.sha256(PDF).hexdigest()
    body = sent.json()
    assert (body["sha256"], body["type"], body["size"], body["nation"]) == (
        digest,
        "application/pdf",
        len(PDF),
        "AUS",
    )
    assert body["name"] == "Reçu signé_ _b_.pdf"
    assert sent.headers["Location"] == f"/api/v1/attachments/{digest}"
    again = _upload(api, "JPN-finance", oid, "sheet.csv", CSV, "text/csv")
    assert again.status_code == 201, again.text

    for reader in ("JPN-viewer", "AUS-auditor"):
        assert [(a["sha256"], a["actor"]) for a in _listed(api, reader, oid)] == [
            (digest, "AUS-logistics"),
            (hashlib.sha256(CSV).hexdigest(), "JPN-finance"),
        ]
    got = c.get(f"/attachments/{digest}", headers=api.as_("JPN-viewer"))
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    csp = got.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "sandbox" in csp
    disposition = got.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    plain = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert plain == "Recu_signe___b_.pdf"
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "Reçu signé_ _b_.pdf"
    sheet = c.get(f"/attachments/{hashlib.sha256(CSV).hexdigest()}", headers=api.as_("AUS-viewer"))
    assert sheet.headers["Content-Type"].startswith("text/csv")
    assert sheet.headers["Content-Disposition"].startswith("attachment; ")

    # A third nation sees neither the file, nor the list, and may not attach.
    for path in (f"/attachments/{digest}", f"/orders/{oid}/attachments"):
        hidden = c.get(path, headers=api.as_("FRA-all"))
        assert hidden.status_code == 404, path
    assert c.get(f"/attachments/{digest}", headers=api.as_("FRA-all")).json()["code"] == (
        "ATTACHMENT_NOT_FOUND"
    )
    refused = _upload(api, "FRA-all", oid, "x.pdf", PDF, "application/pdf")
    assert (refused.status_code, refused.json()["code"]) == (404, "ORDER_NOT_FOUND")
    viewer = _upload(api, "JPN-viewer", oid, "x.pdf", PDF, "application/pdf")
    assert (viewer.status_code, viewer.json()["code"]) == (403, "FORBIDDEN")
    unknown = c.get("/attachments/" + "0" * 64, headers=api.as_("AUS-viewer"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "ATTACHMENT_NOT_FOUND")
    assert c.get("/attachments/not-a-hash", headers=api.as_("AUS-viewer")).status_code == 400


def test_oversized_and_disguised_files_are_refused_and_nothing_is_written(small: Api) -> None:
    api = small
    oid = api.client.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()[
        "id"
    ]
    cases = [
        ("scan.pdf", HTML, "application/pdf", "ATTACHMENT_TYPE_MISMATCH"),
        ("scan.pdf", b"MZ\x90\x00" + bytes(100), "application/pdf", "ATTACHMENT_TYPE_MISMATCH"),
        ("page.html", HTML, "text/html", "ATTACHMENT_TYPE_MISMATCH"),
        ("scan.png", PDF, "image/png", "ATTACHMENT_TYPE_MISMATCH"),
        ("big.pdf", PDF + bytes(LIMIT), "application/pdf", "ATTACHMENT_TOO_LARGE"),
    ]
    for name, content, kind, code in cases:
        refused = _upload(api, "AUS-logistics", oid, name, content, kind)
        assert refused.status_code == 422, (name, refused.text)
        assert refused.json()["code"] == code, name
        assert refused.json()["errors"][0]["field"] == "file"
    step = _upload(api, "AUS-logistics", oid, "x.pdf", PDF, "application/pdf", "receipt:9")
    assert (step.status_code, step.json()["code"]) == (422, "ATTACHMENT_STEP_NOT_FOUND")
    assert _listed(api, "AUS-viewer", oid) == []
    for content in (HTML, PDF):
        digest = hashlib.sha256(content).hexdigest()
        gone = api.client.get(f"/attachments/{digest}", headers=api.as_("AUS-viewer"))
        assert gone.status_code == 404


def test_exceptions_report_lists_a_receipt_without_its_required_scan(api: Api) -> None:
    c = api.client
    oid = c.post("/orders", json=order_doc(), headers=api.as_("AUS-requester")).json()["id"]

    def step(who: str, action: str) -> None:
        version = c.get(f"/orders/{oid}", headers=api.as_(who)).json()["version"]
        done = c.post(
            f"/orders/{oid}/{action}", headers={**api.as_(who), "If-Match": f'"{version}"'}
        )
        assert done.status_code == 200, done.text

    for who, action in (
        ("AUS-requester", "submit"),
        ("JPN-approver", "accept"),
        ("JPN-logistics", "deliver"),
        ("AUS-logistics", "receive"),
    ):
        step(who, action)
    history = c.get(f"/orders/{oid}", headers=api.as_("AUS-viewer")).json()["history"]
    receipt = next(e["seq"] for e in history if e["action"] == "receive")

    def missing(who: str) -> list[str | None]:
        found = c.get("/reports/exceptions", headers=api.as_(who)).json()
        return [e["document"] for e in found if e["kind"] == "missing_source_document"]

    assert missing("AUS-viewer") == []
    denied = c.put(
        "/attachments-required", json={"steps": ["receipt"]}, headers=api.as_("AUS-logistics")
    )
    assert denied.status_code == 403
    setting = c.put(
        "/attachments-required", json={"steps": ["receipt"]}, headers=api.as_("AUS-admin")
    )
    assert setting.status_code == 200, setting.text
    assert setting.json() == {"nation": "AUS", "steps": ["receipt"]}
    assert missing("AUS-viewer") == [f"receipt:{receipt}"]
    scan = _upload(api, "AUS-logistics", oid, "r.pdf", PDF, "application/pdf", f"receipt:{receipt}")
    assert scan.status_code == 201, scan.text
    assert scan.json()["step"] == f"receipt:{receipt}"
    assert missing("AUS-viewer") == []
