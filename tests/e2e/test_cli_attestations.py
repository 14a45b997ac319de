"""What an order attests, on the command line: ``acsa orders new`` and ``orders check`` take
--cash-reason, --determination, --determination-date, --hostilities and --confirm over the
file's fields; ``orders show`` prints them. The real entry point on a real SQLite file, and
through a real server (the remote client posts the document the options made)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.attestations_data import CASH_REASON, add_test_agreement, attest_order
from tests.e2e.cli import Result, forked_run
from tests.e2e.test_remote_cli import Served, ok, served_sqlite, unique_aside
from tests.orders_data import order_doc

__all__ = ["served_sqlite"]  # the fixture, imported for the remote case


@pytest.fixture
def db(sqlite_url: str) -> str:
    """The registry and the tests' agreement that asks orders to attest."""
    add_test_agreement(sqlite_url)
    return sqlite_url


def write(tmp_path: Path, document: object, name: str = "order.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def acsa(db: str, *args: str) -> Result:
    """``acsa ARGS --db DB``; the commands that act, as Maj. A. Brown."""
    actor = ("--actor", "Maj. A. Brown") if args[1] in ("new", "submit") else ()
    return forked_run(*args, "--db", db, *actor, env={"ACSA_SERVER": ""})


def placed(result: Result) -> dict[str, Any]:
    assert result.code == 0, result.stdout + result.stderr
    order: dict[str, Any] = result.json
    return order


def codes(result: Result) -> list[tuple[str, str]]:
    return [(e["code"], e["field"]) for e in result.json["errors"]]


def test_an_order_in_the_uncertain_window_is_placed_once_the_warning_is_confirmed(db, tmp_path):
    file = write(tmp_path, attest_order(order_date="2019-07-10", needed_by="2019-07-12"))
    checked = acsa(db, "orders", "check", "--file", file, "--json")
    assert checked.code == 2
    assert codes(checked) == [("IN_FORCE_DATE_UNCERTAIN", "order_date")]
    assert "between 2019-07-01 and 2019-07-31" in checked.json["errors"][0]["message"]
    # unconfirmed: a draft the checks refuse; confirmed (in any case): a draft that passes
    draft = placed(acsa(db, "orders", "new", "--file", file, "--json"))
    assert [v["code"] for v in draft["violations"]] == ["IN_FORCE_DATE_UNCERTAIN"]
    assert draft["confirmed"] == []
    confirm = ("--confirm", "in_force_date_uncertain")
    assert acsa(db, "orders", "check", "--file", file, *confirm, "--json").code == 0
    order = placed(acsa(db, "orders", "new", "--file", file, *confirm, "--json"))
    assert order["violations"] == []
    assert order["confirmed"] == ["IN_FORCE_DATE_UNCERTAIN"]
    submitted = placed(acsa(db, "orders", "submit", str(order["id"]), "--json"))
    assert submitted["status"] == "submitted"
    assert submitted["confirmed"] == ["IN_FORCE_DATE_UNCERTAIN"]
    # a stored order is checked as it was placed, confirmation included
    assert acsa(db, "orders", "check", str(order["id"]), "--json").code == 0


def test_each_option_is_recorded_and_overrides_the_file(db, tmp_path):
    file = write(
        tmp_path, attest_order(activity="other_activities", confirm=["IN_FORCE_DATE_UNCERTAIN"])
    )
    refused = acsa(db, "orders", "check", "--file", file, "--json")
    assert codes(refused) == [("DETERMINATION_REQUIRED", "determination")]
    assert refused.json["errors"][0]["clause"] == "JPN-AUS-ATTEST 2019 text, Art. 6(2)"
    options = (
        "--cash-reason", "Return of fuel at sea is difficult",
        "--determination", "JPN-AUS determination 2019-03",
        "--determination-date", "2019-08-20",
        "--hostilities",
        "--confirm", "ACTIVITY_UNVERIFIED",
    )  # fmt: skip
    order = placed(acsa(db, "orders", "new", "--file", file, *options, "--json"))
    assert order["violations"] == []
    assert order["cash_reason"] == "Return of fuel at sea is difficult"  # not the file's
    assert (order["determination"], order["determination_date"]) == (
        "JPN-AUS determination 2019-03",
        "2019-08-20",
    )
    assert order["hostilities"] is True
    assert order["confirmed"] == ["ACTIVITY_UNVERIFIED"]  # the option replaces the file's list
    shown = acsa(db, "orders", "show", str(order["id"]), "--json")
    assert {k: v for k, v in shown.json.items() if k != "violations"} == {
        k: v for k, v in order.items() if k != "violations"
    }
    table = acsa(db, "orders", "show", str(order["id"]))
    assert table.code == 0, table.stderr
    for words in (
        "cash reason",
        "Return of fuel at sea is difficult",
        "determination",
        "JPN-AUS determination 2019-03 of 2019-08-20",
        "hostilities",
        "declared: a period of active hostilities",
        "confirmed",
        "ACTIVITY_UNVERIFIED",
    ):
        assert words in table.stdout, words


def test_the_reason_for_cash_is_asked_for_and_given_on_the_command_line(db, tmp_path):
    file = write(tmp_path, attest_order(cash_reason=None))
    refused = acsa(db, "orders", "check", "--file", file, "--json")
    assert codes(refused) == [("CASH_REASON_REQUIRED", "cash_reason")]
    assert refused.json["errors"][0]["clause"] == "JPN-AUS-ATTEST 2019 text, Art. 4"
    passed = acsa(db, "orders", "check", "--file", file, "--cash-reason", CASH_REASON, "--json")
    assert passed.code == 0, passed.stdout
    order = placed(
        acsa(db, "orders", "new", "--file", file, "--cash-reason", CASH_REASON, "--json")
    )
    assert (order["cash_reason"], order["violations"]) == (CASH_REASON, [])
    # an order attesting nothing shows nothing of it
    plain = placed(acsa(db, "orders", "new", "--file", write(tmp_path, order_doc()), "--json"))
    table = acsa(db, "orders", "show", str(plain["id"]))
    assert "hostilities" not in table.stdout
    assert "confirmed" not in table.stdout


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--confirm", "NOPE"), [("INVALID_FIELD", "--confirm")]),
        (("--confirm", "CEILING_EXCEEDED"), [("INVALID_FIELD", "--confirm")]),
        (("--determination-date", "2019-02-30"), [("INVALID_DATE", "--determination-date")]),
        (("--determination-date", "1800-01-01"), [("INVALID_DATE", "--determination-date")]),
        (("--determination-date", "9999-12-31"), [("INVALID_DATE", "--determination-date")]),
        (("--determination-date", "tomorrow"), [("INVALID_DATE", "--determination-date")]),
        (("--cash-reason", "x" * 2001), [("INVALID_FIELD", "--cash-reason")]),
        (("--cash-reason", "  "), [("INVALID_FIELD", "--cash-reason")]),
        (("--determination", "D" * 201), [("INVALID_FIELD", "--determination")]),
        (("--determination", "ref\x1b[31m"), [("INVALID_FIELD", "--determination")]),
        (
            ("--confirm", "x", "--cash-reason", ""),
            [("INVALID_FIELD", "--cash-reason"), ("INVALID_FIELD", "--confirm")],
        ),
    ],
)
def test_a_bad_option_is_a_coded_refusal_naming_it_and_saves_nothing(
    db, tmp_path, options, expected
):
    file = write(tmp_path, attest_order())
    for command in ("new", "check"):
        result = acsa(db, "orders", command, "--file", file, *options, "--json")
        assert result.code == 2, result.stdout + result.stderr
        assert codes(result) == expected, command
        assert "Traceback" not in result.stderr
    assert placed(acsa(db, "orders", "list", "--json")) == []


def test_the_options_go_with_a_file_not_with_a_stored_order(db, tmp_path):
    order = placed(acsa(db, "orders", "new", "--file", write(tmp_path, attest_order()), "--json"))
    refused = acsa(db, "orders", "check", str(order["id"]), "--hostilities", "--json")
    assert refused.code == 2
    assert codes(refused) == [("INVALID_INPUT", "--hostilities")]


def test_through_a_server_the_options_reach_the_order_as_they_do_locally(served_sqlite: Served):
    s = served_sqlite
    file = s.file("order.json", order_doc())
    options = (
        "--cash-reason", "Rations are eaten; returning them is difficult",
        "--determination", "DET-7", "--determination-date", "2026-09-01",
        "--hostilities", "--confirm", "ACTIVITY_UNVERIFIED",
    )  # fmt: skip
    remote = ok(s.remote("AUS-requester", "orders", "new", "--file", file, *options, "--json"))
    local = ok(s.local("orders", "new", "--file", file, *options, "--json", actor="AUS-requester"))
    assert unique_aside(remote) == unique_aside(local)
    assert remote["cash_reason"] == "Rations are eaten; returning them is difficult"
    assert (remote["determination"], remote["determination_date"]) == ("DET-7", "2026-09-01")
    assert (remote["hostilities"], remote["confirmed"]) == (True, ["ACTIVITY_UNVERIFIED"])
    oid = str(remote["id"])
    s.same("JPN-viewer", ("orders", "show", oid), ("orders", "show", oid, "--json"))
    # a stored order the server checks again (submitted: its document is checked anew)
    ok(s.remote("AUS-requester", "orders", "submit", oid, "--json"))
    s.same("JPN-viewer", ("orders", "check", oid, "--json"))
    # a bad option is refused before anything is sent, with the local words
    s.compare([("AUS-requester", ("orders", "new", "--file", file, "--confirm", "NOPE", "--json"))])
