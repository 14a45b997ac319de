"""The command line's tables speak the reader's language: `acsa --lang ja` titles and heads its
tables in Japanese; CSV, TSV and JSON keep the English column names scripts read."""

from __future__ import annotations

import csv
import io

from tests.cli.test_output import Book, book, piped  # the fixture, by name

__all__ = ["book"]


def test_tables_are_headed_in_japanese_and_machine_formats_stay_english(book: Book) -> None:
    japanese = piped(book, "--lang", "ja", "orders", "list").stdout
    for heading in ("発注", "状態", "協定", "発注日", "合計"):
        assert heading in japanese, japanese
    assert "order date" not in japanese
    balances = piped(book, "--lang", "ja", "ledger", "balance").stdout
    for heading in ("残高", "相手国", "当方の債権", "当方の債務", "差引"):
        assert heading in balances, balances

    english = piped(book, "orders", "list").stdout
    assert "order date" in english
    assert "発注" not in english

    as_csv = piped(book, "--lang", "ja", "orders", "list", "--format", "csv").stdout
    header = next(csv.reader(io.StringIO(as_csv)))
    assert "order date" in header
    assert not any("発注" in name for name in header)
