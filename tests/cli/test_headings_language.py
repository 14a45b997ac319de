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


def test_an_order_reads_in_japanese_only_its_words_and_in_english_as_before(book: Book) -> None:
    """`acsa --lang ja orders show`: the panel's labels, the status, activity, settlement and
    category, the history's actions, statuses and details are Japanese; what people wrote,
    ids, amounts and units stay as written. English is unchanged."""
    japanese = piped(book, "--lang", "ja", "orders", "show", str(book.received)).stdout
    for words in (
        "発注 #",  # the panel's title
        "状態",
        "受領済み",  # the status
        "共同訓練・演習",  # the activity
        "燃料・油脂・潤滑油",  # the category
        "必要期日",
        "変更前の状態",
        "作成",  # the history's actions
        "承認",
        "明細 1: 200 L 承認",  # an event's details, with the line's unit
        "明細 1: 200 L 受領",
    ):
        assert words in japanese, (words, japanese)
    for english in (
        "needed by",
        "received value",
        "from status",
        "partially",
        " accept ",
        "line 1:",
    ):
        assert english not in japanese, (english, japanese)

    english = piped(book, "orders", "show", str(book.received)).stdout
    for words in ("needed by", "received", "exercise", "Line 1: 200 L accepted", "from status"):
        assert words in english, (words, english)
    assert "明細" not in english
    # what scripts read: the lines and history as rows keep English words and the codes' text
    listed = piped(book, "--lang", "ja", "orders", "list", "--format", "csv").stdout
    assert "received" in listed
    assert "exercise" in listed
    assert "受領" not in listed


def test_a_finance_officers_tables_read_in_japanese_only(book: Book) -> None:
    """The statement, the exceptions, the audit log and an agreement in Japanese: titles,
    captions, row labels, kinds and findings in Japanese; in English as before."""
    piped(
        book,
        "users",
        "add",
        "sato",
        "--nation",
        "JPN",
        "--role",
        "requester",
        "--password",
        "a-long-enough-passphrase-2026",
    )
    piped(
        book,
        *("designations", "add", "sato", "--role", "ordering", "--limit", "5000000"),
        *("--currency", "JPY", "--from", "2026-04-01", "--reference", "JASDF-DO-1"),
        *("--reference-date", "2026-03-25"),
    )
    statement = ("ledger", "statement", "--nation", "JPN", "--partner", "AUS")
    period = ("--from", "2000-01-01", "--to", "2099-12-31")
    checks = {
        (*statement, *period): (
            ("取引明細書", "期首残高", "期末残高", "借方", "貸方", "受領", "支払"),
            ("statement of account", "opening balance", "closing balance", "debit", "receipt"),
        ),
        ("report", "exceptions"): (
            ("例外（", "受領済み・未請求", "請求していません"),
            ("exceptions (", "received not invoiced", "not invoiced by"),
        ),
        ("audit", "log", "--limit", "5"): (("監査ログ", "支払の記録"), ("payment recorded",)),
        ("users", "list"): (("利用者", "発注者", "はい", "設定済み"), ("requester",)),
        ("designations", "list", "--nation", "JPN"): (
            ("指定された職員", "発注担当官", "5,000,000 JPY", "期限なし", "権限の上限"),
            ("ordering official", "open", "limit"),
        ),
        ("agreements", "show", "JPN-AUS"): (
            ("署名日", "発効日", "有効期間", "受領から365日", "請求から30日", "武器"),
            ("governing text", "days from receipt", "first term", "excluded"),
        ),
    }
    for args, (japanese, english) in checks.items():
        shown = piped(book, "--lang", "ja", *args).stdout
        for words in japanese:
            assert words in shown, (args, words, shown)
        for words in english:
            assert words not in shown, (args, words, shown)
        as_before = piped(book, *args).stdout
        assert any(words in as_before for words in english), (args, as_before)
