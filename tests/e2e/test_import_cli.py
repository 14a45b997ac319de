"""`acsa import orders` end to end: the real entry point with the shipped sample, on a SQLite
file and on PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from acsa.adapters.db.engine import make_engine
from tests.e2e.cli import run
from tests.integration.dump import content

SAMPLE = str(resources.files("acsa.data").joinpath("history-sample.csv"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def bad_copy(tmp_path: Path, row: int, **changes: str) -> str:
    """The sample with ``changes`` made on spreadsheet row ``row`` (the header is row 1)."""
    with open(SAMPLE, encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    rows[row - 2].update(changes)
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def test_the_shipped_sample_imports_every_order_with_its_history(db_url, engine):
    result = run("import", "orders", "--file", SAMPLE, "--db", db_url, "--json")
    assert result.code == 0, result.stderr
    report: dict[str, Any] = result.json
    assert (report["orders"], report["lines"]) == (15, 26)
    assert report["by_status"]["closed"] == 5
    assert report["actor"] == "import history-sample.csv"
    assert result.stderr == ""  # no progress bar without a terminal
    listed = run("orders", "list", "--db", db_url, "--json").json
    assert sorted(o["partner_reference"] for o in listed)[0] == "AUS-HR-2022-0007"
    closed = next(o for o in listed if o["partner_reference"] == "GAF-PS24-019")
    shown = run("orders", "show", str(closed["id"]), "--db", db_url, "--json").json
    assert [e["action"] for e in shown["history"]] == [
        "create",
        "submit",
        "accept",
        "deliver",
        "receive",
        "close",
    ]
    assert {e["actor"] for e in shown["history"]} == {"import history-sample.csv"}
    assert shown["history"][-1]["at"].startswith("2025-09-19T12:00:00")


def test_importing_the_sample_twice_is_refused_and_changes_nothing(db_url, engine):
    assert run("import", "orders", "--file", SAMPLE, "--db", db_url).code == 0
    before = content(engine)
    again = run("import", "orders", "--file", SAMPLE, "--db", db_url, "--json")
    assert again.code == 2
    first = again.json["errors"][0]
    assert (first["code"], first["field"]) == ("INVALID_INPUT", "row 2: order_ref")
    assert content(engine) == before


def test_a_bad_row_is_refused_naming_row_and_column_and_nothing_is_written(
    db_url, engine, tmp_path
):
    path = bad_copy(tmp_path, 5, unit_price="three fifty")
    before = content(engine)
    refused = run("import", "orders", "--file", path, "--db", db_url, "--json")
    assert refused.code == 2
    assert [(e["code"], e["field"]) for e in refused.json["errors"]] == [
        ("INVALID_PRICE", "row 5: unit_price")
    ]
    assert content(engine) == before


def test_without_json_a_refusal_is_a_table_on_stderr(db_url, tmp_path):
    path = bad_copy(tmp_path, 11, agreement="JPN-XYZ")
    refused = run("import", "orders", "--file", path, "--db", db_url)
    assert refused.code == 2
    assert refused.stdout == ""
    assert "AGREEMENT_NOT_FOUND" in refused.stderr
    assert "row 11: agreement" in refused.stderr


def test_without_json_a_summary_is_printed(db_url):
    result = run("import", "orders", "--file", SAMPLE, "--db", db_url)
    assert result.code == 0, result.stderr
    assert "orders" in result.stdout
    assert "15" in result.stdout
    assert "partially received" in result.stdout


def test_a_missing_file_is_a_coded_refusal(db_url, tmp_path):
    refused = run(
        "import", "orders", "--file", str(tmp_path / "nope.csv"), "--db", db_url, "--json"
    )
    assert refused.code == 2
    assert [(e["code"], e["field"]) for e in refused.json["errors"]] == [("INVALID_INPUT", "file")]
