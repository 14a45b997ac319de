"""What a reconciliation tells a person: each differing order by its uid and by its number in
each book (ours, and the number the partner's file gives), in the JSON, the CLI's table and the
statements; and a signature that fails says which: a key other than the partner's registered
one, or the registered key named over content it did not sign."""

from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine
from typer.testing import CliRunner

from acsa.adapters.exports.reconciliation import write_xlsx
from acsa.adapters.signing import NodeKey
from acsa.cli import app
from acsa.clock import utc_now
from acsa.services import books
from tests.integration.test_books import as_partner, node

__all__ = ["node"]  # the fixture, used by name


def _numbered(uid_number: dict[str, int]) -> Any:
    """A change giving the file's orders other numbers (the partner numbers its own)."""

    def change(doc: dict[str, Any]) -> None:
        for order in doc["orders"]:
            order["number"] = uid_number.get(order["uid"], order["number"] + 100)

    return change


def test_a_differing_order_is_named_by_its_number_in_each_book(
    node: tuple[Engine, NodeKey, str], tmp_path: Path
) -> None:
    engine, partner_key, url = node
    data, _ = books.export_book(engine, "AUS")
    # The file lists the orders by uid (version 2); people know them by number.
    ours = sorted(json.loads(data)["orders"], key=lambda o: o["number"])
    assert [o["number"] for o in ours] == [1, 2, 3]
    uid = ours[0]["uid"]

    def change(doc: dict[str, Any]) -> None:
        _numbered({uid: 70})(doc)
        by_uid = {o["uid"]: o for o in doc["orders"]}
        by_uid[uid]["paid"] = "12.5"
        doc["orders"].remove(by_uid[ours[1]["uid"]])  # our order 2 is not in their file

    report = books.reconcile_file(engine, as_partner(data, partner_key, change))
    assert [(d.kind, d.order) for d in report.differences] == [
        ("amount", uid),
        ("missing_there", ours[1]["uid"]),
    ]
    assert report.order_numbers(uid) == (1, 70)
    assert report.order_numbers(ours[1]["uid"]) == (2, None)
    out = books.report_out(report).differences
    assert [(d.our_number, d.their_number) for d in out] == [(1, 70), (2, None)]
    rows = books.differences_rows(report)
    assert rows[0][1:4] == [uid, "#1", "#70"]
    assert rows[1][1:4] == [ours[1]["uid"], "#2", "-"]
    # the statement carries them too
    path = write_xlsx(report, tmp_path / "statement.xlsx", utc_now())
    sheet = load_workbook(BytesIO(path.read_bytes())).worksheets[1]
    assert sheet.cell(2, 2).value == f"{uid} (#1 / #70)"
    # and the CLI's table, full width when piped
    theirs = tmp_path / "theirs.json"
    theirs.write_bytes(as_partner(data, partner_key, change))
    shown = CliRunner().invoke(
        app, ["books", "reconcile", str(theirs), "--db", url], env={"COLUMNS": "240"}
    )
    assert shown.exit_code == 1, shown.output
    [row] = [line for line in shown.output.splitlines() if uid in line]
    assert re.search(r"#1\s.*#70\s", row), row
    found = CliRunner().invoke(app, ["books", "reconcile", str(theirs), "--json", "--db", url])
    body = json.loads(found.output)
    assert [(d["our_number"], d["their_number"]) for d in body["differences"]] == [
        (1, 70),
        (2, None),
    ]


def test_a_file_that_does_not_number_its_orders_is_read(
    node: tuple[Engine, NodeKey, str],
) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")

    def unnumbered(doc: dict[str, Any]) -> None:
        third = next(o for o in doc["orders"] if o["number"] == 3)
        for order in doc["orders"]:
            del order["number"]
        third["status"] = "closed"

    report = books.reconcile_file(engine, as_partner(data, partner_key, unnumbered))
    [difference] = report.differences
    assert report.order_numbers(difference.order) == (3, None)


def test_a_file_signed_with_another_key_names_both_keys(
    node: tuple[Engine, NodeKey, str],
) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")
    other = NodeKey.generate()
    report = books.reconcile_file(engine, as_partner(data, other))
    [finding] = report.differences
    assert (finding.kind, finding.field) == ("signature", "key")
    assert (finding.ours, finding.theirs) == (partner_key.fingerprint, other.fingerprint)
    assert finding.ours != finding.theirs
    assert f"signed with key {other.fingerprint}" in finding.message
    assert f"AUS's key registered here ({partner_key.fingerprint})" in finding.message


def test_a_changed_file_under_the_right_key_says_it_was_changed_after_signing(
    node: tuple[Engine, NodeKey, str],
) -> None:
    engine, partner_key, _ = node
    data, _ = books.export_book(engine, "AUS")
    tampered = json.loads(as_partner(data, partner_key))
    tampered["orders"][0]["paid"] = "99"
    report = books.reconcile_file(engine, json.dumps(tampered).encode())
    finding = next(d for d in report.differences if d.kind == "signature")
    assert finding.field == "signature"
    # not the same fingerprint twice: ours is the key expected, theirs shows nothing
    assert (finding.ours, finding.theirs) == (partner_key.fingerprint, None)
    assert "its signature does not verify with that key" in finding.message
    assert "changed after AUS signed it" in finding.message
    said = books.report_out(report).differences[0]
    assert said.message_id.startswith("the file names {nation}'s registered key")
