"""acsa alerts run and acsa notices, through a server (``ACSA_SERVER``/``ACSA_TOKEN``) and on
the database (SQLite): an admin's run with the clock set makes the notices due that day (a
Rich table, or JSON), a second run makes none; a reader lists their notices in their language,
marks one read, then all; a reader not an admin may not run the alerts; the same list both
ways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli import run
from tests.e2e.test_remote_cli import Served, _serve, ok
from tests.orders_data import order_doc


@pytest.fixture
def served_sqlite(sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from _serve(sqlite_url, tmp_path)


def test_alerts_and_notices_through_a_server_and_on_the_database(served_sqlite: Served) -> None:
    s = served_sqlite
    placed = ok(s.remote("AUS-requester", "orders", "new", "--file", s.file("o.json", order_doc()),
                         "--json"))  # fmt: skip
    order_id = placed["id"]
    ok(s.remote("AUS-requester", "orders", "submit", str(order_id), "--json"))

    refused = s.remote("JPN-logistics", "alerts", "run", "--json")
    assert refused.code == 2
    assert refused.json["errors"][0]["code"] == "FORBIDDEN"
    table = s.remote("JPN-admin", "alerts", "run", "--as-of", "2026-10-02", "--sweep")
    assert table.code == 0, table.stderr
    assert "notices made" in table.stdout
    assert "deadline sweep" in table.stdout
    assert "Waits for acceptance" in table.stdout
    again = ok(s.local("alerts", "run", "--as-of", "2026-10-02", "--json", actor="cron"))
    assert again["created"] == []
    assert again["sweep"] is None

    mine = ok(s.remote("JPN-logistics", "notices", "list", "--json"))
    assert mine["unread"] == 1
    [notice] = mine["items"]
    assert notice["title"] == f"Order {order_id} waits for acceptance"
    japanese = s.remote("JPN-logistics", "--lang", "ja", "notices", "list")
    assert f"発注 {order_id} が受諾を待っています" in japanese.stdout
    assert "未読 1 件" in japanese.stdout
    # The same inbox on the database, as the user named by --actor.
    here = ok(s.local("notices", "list", "--json", actor="JPN-logistics"))
    assert here == mine
    assert ok(s.local("notices", "list", "--json", actor="AUS-logistics"))["items"] == []
    nobody = s.local("notices", "list", "--json", actor="nobody")
    assert nobody.code != 0
    assert nobody.json["errors"][0]["code"] == "USER_NOT_FOUND"

    read = ok(s.remote("JPN-logistics", "notices", "read", str(notice["id"]), "--json"))
    assert read["read_at"] is not None
    assert ok(s.remote("JPN-logistics", "notices", "list", "--unread", "--json"))["items"] == []
    neither = s.remote("JPN-all", "notices", "read", "--json")
    assert neither.code == 2
    assert neither.json["errors"][0]["code"] == "INVALID_INPUT"
    everything = ok(s.local("notices", "read", "--all", "--json", actor="JPN-all"))
    assert everything == {"marked": 1, "unread": 0}
    other = s.remote("AUS-all", "notices", "read", str(notice["id"]), "--json")
    assert other.json["errors"][0]["code"] == "NOTICE_NOT_FOUND"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ACSA_ALERTS_INTERVAL", "soon"),
        ("ACSA_ALERTS_INTERVAL", "86401"),
        ("ACSA_SWEEP_HOUR", "24"),
    ],
)
def test_serve_refuses_a_bad_scheduler_setting_naming_it(
    sqlite_url: str, name: str, value: str
) -> None:
    refused = run("serve", "--db", sqlite_url, "--port", "1", env={name: value})
    assert refused.code != 0
    assert name in refused.stdout + refused.stderr
