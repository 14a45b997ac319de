"""SIGKILL under load, 20 times in a row on the same database (SQLite and PostgreSQL): what
the server acknowledged survives, nothing it did not is half there, and a retry with the same
Idempotency-Key replays what committed or does it once. See tests/api/crash_rounds.py."""

from __future__ import annotations

from pathlib import Path

from tests.api.crash_rounds import CrashRounds, Totals

ROUNDS = 20
SEED = 20260


def test_a_killed_server_loses_no_acknowledged_write_and_leaves_nothing_half_done(
    db_url: str, tmp_path: Path
) -> None:
    totals = Totals()
    with CrashRounds(db_url, log=tmp_path / "serve.log") as rounds:
        for index in range(1, ROUNDS + 1):
            report = rounds.run(index, SEED + index)
            print(report.line())
            problems = report.lost + report.half_written + report.retry_problems
            assert report.ok, f"{report.line()}\n" + "\n".join(problems[:30])
            totals.add(report)
    # The rounds did what they are for (even on a busy machine): writes were acknowledged,
    # and kills cut requests in flight, whose fate the client could not know.
    assert totals.acknowledged >= ROUNDS, totals
    assert totals.cut >= ROUNDS // 2, totals
