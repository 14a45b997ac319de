"""acsa ledger statement a page at a time, end to end (SQLite file and PostgreSQL): --limit
and --after walk the statement, the balances carry on from page to page, the totals are the
period's on every page, and a bad --limit or --after is a coded refusal naming the field."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_ledger_cli import books, ledger  # noqa: F401 (the fixture)

ARGS: tuple[str, ...] = ("statement", "--nation", "JPN", "--partner", "AUS", "--from", "2026-01-01")
ARGS += ("--to", "2026-12-31", "--json")


def test_paging_through_the_statement_gives_the_whole_of_it(books: dict[str, Any]) -> None:  # noqa: F811
    whole = ledger(books, *ARGS, "--limit", "1000")
    assert whole.code == 0, whole.stderr
    [s] = whole.json
    assert s["next"] is None
    assert len(s["lines"]) >= 3
    lines, after, pages = [], None, 0
    while True:
        cursor = ("--after", after) if after else ()
        page = ledger(books, *ARGS, "--limit", "2", *cursor)
        assert page.code == 0, page.stderr
        [p] = page.json
        assert (p["opening"], p["closing"], p["debits"], p["credits"], p["limit"]) == (
            s["opening"],
            s["closing"],
            s["debits"],
            s["credits"],
            2,
        )
        assert len(p["lines"]) <= 2
        lines.extend(p["lines"])
        pages += 1
        after = p["next"]
        if after is None:
            break
    assert lines == s["lines"]
    assert pages == (len(s["lines"]) + 1) // 2
    table = ledger(books, *ARGS[:-1], "--limit", "1")
    assert table.code == 0, table.stderr
    assert "--after" in table.stdout
    assert "period totals" in table.stdout


def test_a_bad_limit_or_after_is_refused_naming_it(books: dict[str, Any]) -> None:  # noqa: F811
    for extra, field in (
        (("--limit", "0"), "limit"),
        (("--limit", "1001"), "limit"),
        (("--after", "2026-01-05"), "after"),
        (("--after", "2025-12-01:3"), "after"),
    ):
        result = ledger(books, *ARGS, *extra)
        assert result.code == 2, (extra, result.stdout)
        [error] = result.json["errors"]
        assert (error["code"], error["field"]) == ("INVALID_FIELD", field)
