"""A document the partner's node refuses is a notice to the nation's admins, made once per
refusal (a run again makes none), on two real nodes with a proxy that refuses one document."""

from __future__ import annotations

from tests.exchange.nodes import Node, acsa, wait_for
from tests.exchange.test_outbox import (  # noqa: F401 - the fixtures this test uses
    Proxy,
    _place,
    _row,
    _status,
    few_attempts,
    proxied,
)


def test_a_refused_document_tells_the_admins_once(
    proxied: tuple[Node, Node, Proxy],  # noqa: F811 - the fixture imported above
) -> None:
    aus, _jpn, proxy = proxied
    proxy.rules[b"poison-422"] = "422"
    _uid, (refused, _held) = _place(aus, "poison-422")
    wait_for(lambda: _row(aus)["refused"] == 1, what="the refusal")
    [entry] = _status(aus)["refused"]
    assert entry["document"] == refused

    made = acsa("alerts", "run", "--db", aus.db_url)
    [notice] = [c for c in made["created"] if c["kind"] == "document_refused"]
    assert (notice["nation"], notice["roles"], notice["subject"]) == (
        "AUS",
        ["admin"],
        f"document:{refused}",
    )
    assert notice["key"] == f"document_refused:document:{refused}:a1:AUS"
    again = acsa("alerts", "run", "--db", aus.db_url)
    assert not [c for c in again["created"] if c["kind"] == "document_refused"]
