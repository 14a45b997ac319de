"""Official rates between two nodes in process (two SQLite files, documents handed over by the
outbox): a rate one node records reaches the other as a signed document, and a partner's
document refused there while the two differ on an official rate is REGISTRY_DIFFERS naming
the rate on each side; once both record the same, the refusal is the rule's own again."""

from __future__ import annotations

from pathlib import Path

from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import PlaceOrder
from acsa.domain.documents import parse_wire
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.services import rates
from acsa.services.handlers import handle
from acsa.services.registry_exchange import registry_comparison, registry_refusal
from tests.exchange.test_every_kind import Pair
from tests.orders_data import order_doc

SOURCE = "Department of Finance, FY2026 budget rates"


def _missing() -> AcsaError:
    return AcsaError([Violation(Code.RATE_MISSING, "lines", "no rate of JPY in AUD")])


def test_a_refusal_while_the_official_rates_differ_names_both(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    aus, jpn = pair.engines["AUS"], pair.engines["JPN"]
    rates.set_official_rate(UnitOfWork(aus), "AUS", 2026, "JPY", "0.0105", SOURCE, "aus-fin")
    handle(UnitOfWork(aus), PlaceOrder.from_wire(order_doc()), "aus-ops")
    pair.pump()

    shown = registry_comparison(jpn, "AUS")
    [rate] = [d for d in shown.differences if d.kind == "rate"]
    assert (rate.key, rate.only, rate.theirs) == ("AUS/2026/JPY", "theirs", f"0.0105 ({SOURCE})")
    [order] = [parse_wire(w.encode()) for k, w in pair.wires("AUS") if k == "order"]

    said = registry_refusal(jpn, order, _missing())
    first, rule = said.violations
    assert (first.code, first.field, rule.code) == (
        Code.REGISTRY_DIFFERS,
        "rate",
        Code.RATE_MISSING,
    )
    assert first.params["rate"] == "AUS/2026/JPY"
    assert (first.params["ours"], first.params["theirs"]) == ("none", f"0.0105 ({SOURCE})")
    assert "at AUS 0.0105" in first.message

    # A refusal of the document itself says nothing of the registries.
    forged = AcsaError([Violation(Code.DOCUMENT_BAD_SIGNATURE, "signature", "no")])
    assert registry_refusal(jpn, order, forged) is forged

    # JPN records the same rate: nothing differs, the rule's refusal is its own.
    rates.set_official_rate(UnitOfWork(jpn), "AUS", 2026, "JPY", "0.0105", SOURCE, "jpn-fin")
    assert [d for d in registry_comparison(jpn, "AUS").differences if d.kind == "rate"] == []
    refused = _missing()
    assert registry_refusal(jpn, order, refused) is refused
    for engine in pair.engines.values():
        engine.dispose()
