"""The journal export and the general-ledger mapping on a real database (SQLite file and
PostgreSQL): a missing rule refuses the export and records nothing, an export held back by an
entry dated after its end does not reconcile (and --check refuses it, recording nothing), a
reversal is a new entry that the next new export carries, who may read, export and map, the
audit rows, and the import of a rules file, all or nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, insert, select

from acsa.adapters.db import tables as t
from acsa.adapters.db.unit_of_work import UnitOfWork
from acsa.commands import ReversePayment
from acsa.domain.access import Principal, Role
from acsa.domain.errors import AcsaError, Code
from acsa.domain.ledger import Account
from acsa.domain.limits import DATE_MIN
from acsa.schemas.journal import JournalOut
from acsa.services import journal, settlement
from acsa.services.handlers import handle
from tests.integration.test_ledger_views import FEB_1, SWEEP_DAY, scenario
from tests.ledger_data import OFFICER, at


def map_all(engine: Engine, nation: str = "JPN") -> None:
    for n, account in enumerate(Account):
        journal.set_rule(UnitOfWork(engine), nation, account.value, None, None, f"{n + 1}000")


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(select(t.audit_log.c.action).order_by(t.audit_log.c.seq)).scalars()
        )


def person(engine: Engine, *roles: Role, nation: str = "JPN") -> UnitOfWork:
    return UnitOfWork(engine, principal=Principal("Lt K. Sato", nation, frozenset(roles)))


def test_a_posting_without_a_rule_refuses_the_export_and_records_nothing(engine: Engine) -> None:
    scenario(UnitOfWork(engine))
    map_all(engine)
    journal.remove_rule(UnitOfWork(engine), "JPN", "receivable_in_kind", "*", "*")
    before = (count(engine, t.journal_exports), count(engine, t.audit_log))
    with pytest.raises(AcsaError) as refused:
        journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True)
    assert {v.code for v in refused.value.violations} == {Code.GL_MAPPING_MISSING}
    assert {v.params["account"] for v in refused.value.violations} == {"receivable_in_kind"}
    assert {v.params["partner"] for v in refused.value.violations} == {"AUS"}
    assert (count(engine, t.journal_exports), count(engine, t.audit_log)) == before
    # a period export is refused the same way
    with pytest.raises(AcsaError):
        journal.journal(UnitOfWork(engine), "JPN", DATE_MIN, SWEEP_DAY)
    # with the rule back, the new export takes everything and is recorded and audited
    journal.set_rule(UnitOfWork(engine), "JPN", "receivable_in_kind", "AUS", "JPY", "1320-AUS")
    done = journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True, actor=OFFICER)
    assert done.export is not None
    assert done.reconciled
    assert {line.gl_code for line in done.lines if line.account == "receivable_in_kind"} == {
        "1320-AUS"
    }
    assert count(engine, t.journal_exports) == 1
    assert actions(engine)[-1] == "journal.export"


def test_an_export_held_back_by_a_later_entry_does_not_reconcile_and_check_refuses_it(
    engine: Engine,
) -> None:
    scenario(UnitOfWork(engine))
    map_all(engine)
    # the cash receipt of 10 January, then the payment of 1 February stops the run: the
    # in-kind receipt of 10 January (a later entry) is held back
    with pytest.raises(AcsaError) as refused:
        journal.journal(UnitOfWork(engine), "JPN", None, date(2026, 1, 20), new=True, check=True)
    assert {v.code for v in refused.value.violations} == {Code.LEDGER_MISMATCH}
    assert count(engine, t.journal_exports) == 0
    held = journal.journal(UnitOfWork(engine), "JPN", None, date(2026, 1, 20), new=True)
    assert not held.reconciled
    assert held.entries == 1
    assert count(engine, t.journal_exports) == 1
    rest = journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True, check=True)
    assert rest.reconciled
    assert rest.after_entry_id == held.last_entry_id
    assert not {line.line_id for line in rest.lines} & {line.line_id for line in held.lines}


def test_a_reversal_is_a_new_entry_the_next_new_export_carries(engine: Engine) -> None:
    scenario(UnitOfWork(engine))
    map_all(engine)
    first = journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True)
    [paid] = [p for i in settlement.list_invoices(UnitOfWork(engine)) for p in i.payments]
    command = ReversePayment(payment=paid.id, reason="returned", day=SWEEP_DAY)
    handle(UnitOfWork(engine), command, OFFICER, at(SWEEP_DAY))
    second = journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True)
    assert {line.kind for line in second.lines} == {"reversal"}
    assert second.after_entry_id == first.last_entry_id
    assert all(line.entry_id > (first.last_entry_id or 0) for line in second.lines)
    assert [(line.account, line.credit) for line in second.lines] == [
        ("cash", Decimal(40000)),
        ("receivable_cash", Decimal(0)),
    ]
    # the entries the first export took are as they were: nothing was changed in place
    again = journal.journal(UnitOfWork(engine), "JPN", DATE_MIN, SWEEP_DAY)
    by_id = {line.line_id: line for line in again.lines}
    assert all(by_id[line.line_id] == line for line in first.lines)
    assert again.reconciled


def test_who_may_read_export_and_map(engine: Engine) -> None:
    scenario(UnitOfWork(engine))
    map_all(engine)
    finance, auditor = Role.FINANCE, Role.AUDITOR
    # a viewer reads neither the mapping nor the journal
    for call in (
        journal.list_rules,
        lambda uow: journal.journal(uow, None, DATE_MIN, SWEEP_DAY),
    ):
        with pytest.raises(AcsaError) as refused:
            call(person(engine, Role.VIEWER))
        assert refused.value.violations[0].code is Code.FORBIDDEN
    # an auditor reads both and exports a period, but records no export
    assert len(journal.list_rules(person(engine, auditor))) == len(Account)
    assert journal.journal(person(engine, auditor), None, DATE_MIN, SWEEP_DAY).reconciled
    with pytest.raises(AcsaError) as refused:
        journal.journal(person(engine, auditor), None, None, SWEEP_DAY, new=True)
    assert refused.value.violations[0].code is Code.FORBIDDEN
    with pytest.raises(AcsaError) as refused:
        journal.set_rule(person(engine, auditor), None, "cash", "*", "*", "1")
    assert refused.value.violations[0].code is Code.FORBIDDEN
    # nobody reads another nation's
    with pytest.raises(AcsaError) as refused:
        journal.list_rules(person(engine, finance), "AUS")
    assert refused.value.violations[0].code is Code.FORBIDDEN
    # finance maps (audited, the same rule again changes nothing) and records exports
    audit_rows = count(engine, t.audit_log)
    made = journal.set_rule(person(engine, finance), None, "cash", "*", "*", "1010", "FC-9")
    assert (made.nation, made.gl_code, made.fund_citation) == ("JPN", "1010", "FC-9")
    journal.set_rule(person(engine, finance), None, "cash", "*", "*", "1010", "FC-9")
    assert count(engine, t.audit_log) == audit_rows + 1
    assert actions(engine)[-1] == "gl_map.set"
    assert journal.journal(person(engine, finance), None, None, SWEEP_DAY, new=True).export
    # an admin maps too
    journal.remove_rule(person(engine, Role.ADMIN), None, "cash", "*", "*")
    assert actions(engine)[-1] == "gl_map.remove"
    with pytest.raises(AcsaError) as refused:
        journal.remove_rule(person(engine, Role.ADMIN), None, "cash", "*", "*")
    assert refused.value.violations[0].code is Code.GL_MAPPING_NOT_FOUND


def test_a_rules_file_is_imported_whole_or_not_at_all(engine: Engine) -> None:
    good = (
        "account,partner,currency,gl_code,fund_citation\n"
        "receivable_cash,AUS,,1310-AUS,FC-1\n"
        "receivable_cash,,AUD,1310-AUD,\n"
        "cash,*,*,1000,\n"
    )
    rows = journal.import_rules(UnitOfWork(engine), "JPN", good)
    assert [(r.account, r.partner, r.currency, r.gl_code, r.fund_citation) for r in rows] == [
        ("cash", "*", "*", "1000", None),
        ("receivable_cash", "*", "AUD", "1310-AUD", None),
        ("receivable_cash", "AUS", "*", "1310-AUS", "FC-1"),
    ]
    bad = good.replace("1000", "2000") + "payables,*,*,2100,\nsupport_provided,AUSTRALIA,*,4000,\n"
    before = count(engine, t.audit_log)
    with pytest.raises(AcsaError) as refused:
        journal.import_rules(UnitOfWork(engine), "JPN", bad)
    assert [v.field for v in refused.value.violations] == ["row 5: account", "row 6: partner"]
    assert count(engine, t.audit_log) == before
    assert {r.gl_code for r in journal.list_rules(UnitOfWork(engine), "JPN")} == {
        "1000",
        "1310-AUD",
        "1310-AUS",
    }
    with pytest.raises(AcsaError) as refused:
        journal.import_rules(UnitOfWork(engine), "JPN", "account,code\ncash,1\n")
    assert refused.value.violations[0].field == "file"


def test_the_period_export_reconciles_from_its_first_day(engine: Engine) -> None:
    scenario(UnitOfWork(engine))
    map_all(engine)
    part = journal.journal(UnitOfWork(engine), "JPN", FEB_1, SWEEP_DAY)
    assert part.reconciled
    assert any(r.opening for r in part.reconciliation)
    assert all(line.effective >= FEB_1 for line in part.lines)
    with pytest.raises(AcsaError) as refused:
        journal.journal(UnitOfWork(engine), "JPN", SWEEP_DAY, FEB_1)
    assert refused.value.violations[0].code is Code.INVALID_DATE
    with pytest.raises(AcsaError) as refused:
        journal.journal(UnitOfWork(engine), "JPN", FEB_1, SWEEP_DAY, new=True)
    assert refused.value.violations[0].field == "since"
    with pytest.raises(AcsaError) as refused:
        journal.journal(UnitOfWork(engine), "JPN", FEB_1, SWEEP_DAY, fmt="xml")
    assert refused.value.violations[0].field == "format"


def test_two_new_exports_at_once_never_take_an_entry_twice(engine: Engine) -> None:
    """Two finance officers export what is new at the same moment: one records the export;
    the other finds nothing new, or is refused CONCURRENT_UPDATE with nothing recorded."""
    scenario(UnitOfWork(engine))
    map_all(engine)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def export() -> None:
        start.wait()
        try:
            outcomes.append(journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True))
        except AcsaError as error:
            outcomes.append(error.violations[0].code)

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorded = [o for o in outcomes if isinstance(o, JournalOut) and o.export is not None]
    others = [o for o in outcomes if o not in recorded]
    assert len(recorded) == 1, outcomes
    [other] = others
    assert other == Code.CONCURRENT_UPDATE or (
        isinstance(other, JournalOut) and other.lines == [] and other.export is None
    ), other
    assert count(engine, t.journal_exports) == 1


def test_a_new_export_waits_for_an_entry_being_written_and_takes_it(engine: Engine) -> None:
    """An entry inserted but not yet committed (its id handed out) when a new export starts:
    the export waits for it to commit and takes it, so no later high-water mark passes it."""
    scenario(UnitOfWork(engine))
    map_all(engine)
    journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True)
    writer = engine.connect()
    held = writer.begin()
    made = writer.execute(
        insert(t.ledger_entries).values(
            book="JPN",
            partner="AUS",
            kind="receipt",
            document="late receipt",
            effective=SWEEP_DAY,
            at=at(SWEEP_DAY),
            actor=OFFICER,
            memo="",
        )
    )
    key = made.inserted_primary_key
    assert key is not None
    entry = int(key[0])
    writer.execute(
        insert(t.ledger_postings),
        [
            {"entry_id": entry, "seq": seq, "book": "JPN", "partner": "AUS",
             "effective": SWEEP_DAY, "account": account, "currency": "JPY", "amount_minor": m}
            for seq, account, m in ((1, "receivable_cash", 700), (2, "support_provided", -700))
        ],
    )  # fmt: skip
    found: list[JournalOut] = []
    exporter = threading.Thread(
        target=lambda: found.append(
            journal.journal(UnitOfWork(engine), "JPN", None, SWEEP_DAY, new=True)
        )
    )
    exporter.start()
    exporter.join(timeout=1.5)
    assert exporter.is_alive(), "the export did not wait for the entry being written"
    held.commit()
    writer.close()
    exporter.join(timeout=30)
    [done] = found
    assert {line.entry_id for line in done.lines} == {entry}
    assert done.reconciled
