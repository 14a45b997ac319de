"""Source documents through the command line and the order page (SQLite and PostgreSQL):
``acsa attachments add|list|get|required`` on a local database and through a real server, and
the order page's upload form, list and download links; a disguised file refused with its code
and nothing written; another nation's people see no file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import Server, add_people
from tests.e2e.cli import Result, run
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.orders_data import order_doc

NO_SERVER = {"ACSA_SERVER": "", "ACSA_TOKEN": ""}
NO_DATABASE = {"ACSA_DATABASE_URL": "sqlite:////nonexistent-dir/acsa.db"}
PDF = b"%PDF-1.7\n% delivery note, signed\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(30)


def ok(result: Result) -> Any:
    assert result.code == 0, (result.stdout, result.stderr)
    return result.json


def _order_file(tmp_path: Path) -> str:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order_doc()))
    return str(path)


def test_attach_list_get_and_required_on_a_local_database(sqlite_url: str, tmp_path: Path) -> None:
    db = ("--db", sqlite_url)
    oid = str(ok(run("orders", "new", "--file", _order_file(tmp_path), *db, "--json"))["id"])
    scan = tmp_path / "delivery-note.pdf"
    scan.write_bytes(PDF)
    added = ok(run("attachments", "add", oid, str(scan), "--actor", "Lt Sato", *db, "--json"))
    digest = hashlib.sha256(PDF).hexdigest()
    assert (added["sha256"], added["name"], added["type"], added["actor"]) == (
        digest,
        "delivery-note.pdf",
        "application/pdf",
        "Lt Sato",
    )
    listed = ok(run("attachments", "list", oid, *db, "--json", env=NO_SERVER))
    assert [a["sha256"] for a in listed] == [digest]
    out = tmp_path / "copy.pdf"
    ok(run("attachments", "get", digest, "-o", str(out), *db, "--json", env=NO_SERVER))
    assert out.read_bytes() == PDF

    disguised = tmp_path / "scan.pdf"
    disguised.write_bytes(b"<html><script>alert(1)</script></html>")
    refused = run("attachments", "add", oid, str(disguised), *db, "--json", env=NO_SERVER)
    assert refused.code == 2, (refused.stdout, refused.stderr)
    assert refused.json["errors"][0]["code"] == "ATTACHMENT_TYPE_MISMATCH"
    step = run("attachments", "add", oid, str(scan), "--step", "receipt:3", *db, "--json")
    assert step.code == 2
    assert step.json["errors"][0]["code"] == "ATTACHMENT_STEP_NOT_FOUND"
    assert len(ok(run("attachments", "list", oid, *db, "--json"))) == 1

    assert ok(run("attachments", "required", "AUS", *db, "--json")) == {
        "nation": "AUS",
        "steps": [],
    }
    assert ok(run("attachments", "required", "AUS", "receipt", "invoice", *db, "--json")) == {
        "nation": "AUS",
        "steps": ["invoice", "receipt"],
    }
    bad = run("attachments", "required", "AUS", "receipts", *db, "--json")
    assert bad.code == 2
    assert bad.json["errors"][0]["code"] == "INVALID_FIELD"


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Any]]]:
    people = add_people(db_url, nations=("JPN", "AUS", "FRA"))
    with Server(db_url, log=tmp_path / "serve.log") as server:
        yield server, people


def test_the_cli_through_a_server_and_the_order_page(
    served: tuple[Server, dict[str, Any]], tmp_path: Path
) -> None:
    server, people = served

    def remote(who: str, *args: str) -> Result:
        token = people[who].token
        return run(*args, env={**NO_DATABASE, "ACSA_SERVER": server.base, "ACSA_TOKEN": token})

    placed = ok(remote("AUS-requester", "orders", "new", "--file", _order_file(tmp_path), "--json"))
    oid = str(placed["id"])
    photo = tmp_path / "pallets.png"
    photo.write_bytes(PNG)
    added = ok(remote("JPN-logistics", "attachments", "add", oid, str(photo), "--json"))
    png_digest = hashlib.sha256(PNG).hexdigest()
    assert (added["sha256"], added["nation"], added["type"]) == (png_digest, "JPN", "image/png")
    listed = ok(remote("AUS-viewer", "attachments", "list", oid, "--json"))
    assert [a["sha256"] for a in listed] == [png_digest]
    out = tmp_path / "got.png"
    ok(remote("AUS-viewer", "attachments", "get", png_digest, "-o", str(out), "--json"))
    assert out.read_bytes() == PNG
    elsewhere = str(tmp_path / "x")
    hidden = remote("FRA-all", "attachments", "get", png_digest, "-o", elsewhere, "--json")
    assert hidden.code == 2
    assert hidden.json["errors"][0]["code"] == "ATTACHMENT_NOT_FOUND"

    # The order page: its list links each file for download; its form attaches another.
    aus = sign_in(server.base, "AUS-logistics")
    try:
        page = aus.get(f"/orders/{oid}")
        assert page.status_code == 200
        assert f'href="/attachments/{png_digest}"' in page.text
        assert 'id="form-attach"' in page.text
        form = {"csrf": csrf_of(page.text), "step": ""}
        sent = aus.post(
            f"/orders/{oid}/attachments",
            data=form,
            files={"file": ("note.pdf", PDF, "application/pdf")},
        )
        assert sent.status_code == 303, sent.text
        page = aus.get(f"/orders/{oid}")
        pdf_digest = hashlib.sha256(PDF).hexdigest()
        assert f'href="/attachments/{pdf_digest}"' in page.text
        got = aus.get(f"/attachments/{pdf_digest}")
        assert got.status_code == 200
        assert got.content == PDF
        assert got.headers["Content-Disposition"].startswith('attachment; filename="note.pdf"')
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got.headers["Content-Security-Policy"]

        refused = aus.post(
            f"/orders/{oid}/attachments",
            data={"csrf": csrf_of(page.text)},
            files={"file": ("scan.pdf", b"MZ\x90\x00" + bytes(50), "application/pdf")},
        )
        assert refused.status_code == 422
        assert "ATTACHMENT_TYPE_MISMATCH" in refused.text
        stale = aus.post(
            f"/orders/{oid}/attachments",
            data={"csrf": "wrong"},
            files={"file": ("n.pdf", PDF + b" ", "application/pdf")},
        )
        assert stale.status_code == 403
        report = aus.get("/reports/exceptions")
        assert report.status_code == 200
        assert 'id="source-documents-rule"' in report.text
    finally:
        aus.close()
    listed = ok(remote("AUS-viewer", "attachments", "list", oid, "--json"))
    assert [a["sha256"] for a in listed] == [png_digest, pdf_digest]

    fra = sign_in(server.base, "FRA-all")
    try:
        assert fra.get(f"/attachments/{pdf_digest}").status_code == 404
    finally:
        fra.close()
