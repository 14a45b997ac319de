"""acsa approvals through a server (``ACSA_SERVER``/``ACSA_TOKEN``; SQLite): an admin sets
the tiers, an approver reads the queue and approves several drafts at once (one refused, each
reported, exit 2), another nation's queue is refused, and the queue printed through the
server is the one printed on the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_remote_cli import Served, _serve, ok
from tests.orders_data import order_doc


@pytest.fixture
def served_sqlite(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from _serve(sqlite_url, tmp_path)


def _placed(s: Served, who: str) -> int:
    file = s.tmp / "order.json"
    file.write_text(json.dumps(order_doc()), encoding="utf-8")
    return int(ok(s.remote(who, "orders", "new", "--file", str(file), "--json"))["id"])


def test_approvals_through_a_server(served_sqlite: Served) -> None:
    s = served_sqlite
    tiers = ok(
        s.remote("AUS-admin", "approvals", "tiers", "--set", "1000000", "--currency", "JPY",
                 "--json")
    )  # fmt: skip
    assert [t["threshold"] for t in tiers["tiers"]] == ["1000000"]
    refused = s.remote("AUS-requester", "approvals", "tiers", "--set", "5", "--currency", "JPY",
                       "--json")  # fmt: skip
    assert refused.code == 2
    assert refused.json["errors"][0]["code"] == "FORBIDDEN"
    one, own = _placed(s, "AUS-requester"), _placed(s, "AUS-all")
    queue = ok(s.remote("AUS-approver", "approvals", "queue", "--json"))
    assert sorted(i["order_id"] for i in queue["items"]) == [one, own]
    other = s.remote("AUS-approver", "approvals", "queue", "--nation", "JPN", "--json")
    assert other.code == 2
    assert other.json["errors"][0]["code"] == "FORBIDDEN"
    done = s.remote("AUS-all", "approvals", "approve", str(one), str(own), "--json")
    assert done.code == 2
    assert [(r["order_id"], r["ok"], r["code"]) for r in done.json["results"]] == [
        (one, True, None),
        (own, False, "SELF_APPROVAL"),
    ]
    through = s.remote("AUS-approver", "approvals", "queue", "--json")
    here = s.local("approvals", "queue", "--nation", "AUS", "--json", actor="AUS-approver")
    assert (through.code, through.stdout) == (here.code, here.stdout)
    assert [i["order_id"] for i in through.json["items"]] == [own]
    submitted = ok(s.remote("AUS-requester", "orders", "submit", str(one), "--json"))
    assert submitted["status"] == "submitted"
