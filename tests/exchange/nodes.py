"""Two national nodes for tests: two real ``acsa serve`` processes on 127.0.0.1, each over its
own database with its own key, registered as each other's partner."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from acsa.adapters.db import tables as t
from tests.api.server import Person, Server, add_people
from tests.e2e.cli import run


def acsa(*args: str) -> dict[str, Any]:
    """Run the CLI with --json; its JSON answer (the command must succeed)."""
    done = run(*args, "--json")
    assert done.code == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Node:
    nation: str
    db_url: str
    key_file: Path
    server: Server
    people: dict[str, Person]
    public_key: str = ""
    fingerprint: str = ""

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.base + "/api/v1",
            headers=self.people[f"{self.nation}-{role}"].headers,
            timeout=30,
        )

    def call(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        with self.client(role) as client:
            response = client.request(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    def order_by_uid(self, uid: str) -> dict[str, Any] | None:
        for order in self.call("all", "GET", "/orders", params={"limit": 500}):
            if order.get("uid") == uid:
                return dict(order)
        return None


def make_node(nation: str, db_url: str, tmp: Path) -> Node:
    key_file = tmp / f"{nation}.key"
    made = acsa("node", "init", "--nation", nation, "--key-file", str(key_file), "--db", db_url)
    people = add_people(db_url, nations=(nation,), passwords=False)
    server = Server(db_url, log=tmp / f"serve-{nation}.log")
    return Node(nation, db_url, key_file, server, people, made["public_key"], made["fingerprint"])


def pair(a: Node, b: Node) -> None:
    """Register each node as the other's partner (as two administrators would)."""
    for here, there in ((a, b), (b, a)):
        added = acsa(
            "partners",
            "add",
            there.nation,
            "--url",
            there.server.base,
            "--key",
            there.public_key,
            "--db",
            here.db_url,
        )
        assert added["fingerprint"] == there.fingerprint


def wait_for(check: Callable[[], Any], timeout_s: float = 60.0, what: str = "") -> Any:
    """``check()`` once it returns something truthy; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.1)


def counts(engine: Engine) -> dict[str, int]:
    """Rows in every table a recorded document would touch."""
    names = (
        t.orders,
        t.order_events,
        t.documents,
        t.invoices,
        t.payments,
        t.settlements,
        t.ledger_entries,
        t.audit_log,
    )
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in names
        }
