"""A ledger entry's document and memo are stored as the English of a message id and its
parameters, and read in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.memos import (
    RECEIPT,
    REVERSAL,
    conversion_document,
    deadline_memo,
    in_kind_document,
    payment_document,
    read_memo,
    receipt_document,
    reversal_document,
)
from acsa.domain.messages import Message
from acsa.i18n.memos import document_and_memo, memo_text


def test_the_stored_text_is_the_english_acsa_always_wrote() -> None:
    assert receipt_document(5, 7) == "order 5 receipt (event 7)"
    assert payment_document("INV-5-1") == "payment of invoice INV-5-1"
    assert conversion_document(5) == "conversion to cash of order 5"
    assert in_kind_document("replacement", 5, date(2026, 3, 1)) == (
        "replacement of order 5 on 2026-03-01"
    )
    assert in_kind_document("exchange", 5, date(2026, 3, 1)) == "exchange of order 5 on 2026-03-01"
    assert reversal_document("order 5 receipt (event 7)") == "reversal of order 5 receipt (event 7)"
    assert deadline_memo(date(2026, 3, 1), 90) == (
        "replacement deadline 2026-03-01 passed (90 days from receipt)"
    )


def test_a_stored_text_reads_back_into_its_message_and_typed_parameters() -> None:
    assert read_memo("order 5 receipt (event 7)") == Message(RECEIPT, {"order": 5, "event": 7})
    found = read_memo("reversal of order 5 receipt (event 7)")
    assert found == Message(REVERSAL, {"document": Message(RECEIPT, {"order": 5, "event": 7})})
    assert read_memo("replacement of order 5 on 2026-02-30") is None
    assert read_memo("REF-2026-001") is None
    assert read_memo("") is None


@pytest.mark.parametrize(
    ("stored", "english", "japanese"),
    [
        ("order 5 receipt (event 7)", "order 5 receipt (event 7)", "注文5の受領（記録7）"),
        ("payment of invoice INV-5-1", "payment of invoice INV-5-1", "請求書INV-5-1の支払"),
        ("conversion to cash of order 5", "conversion to cash of order 5", "注文5の現金化"),
        (
            "replacement of order 5 on 2026-03-01",
            "replacement of order 5 on 2026-03-01",
            "注文5の現物返還（2026-03-01）",
        ),
        (
            "exchange of order 5 on 2026-03-01",
            "exchange of order 5 on 2026-03-01",
            "注文5の同等価値交換（2026-03-01）",
        ),
        (
            "reversal of payment of invoice INV-5-1",
            "reversal of payment of invoice INV-5-1",
            "請求書INV-5-1の支払の取消",
        ),
        (
            "replacement deadline 2026-03-01 passed (90 days from receipt)",
            "replacement deadline 2026-03-01 passed (90 days from receipt)",
            "現物返還の期限2026-03-01を経過（受領から90日）",
        ),
        ("wire REF-2026-001", "wire REF-2026-001", "wire REF-2026-001"),
    ],
)
def test_a_memo_reads_in_the_readers_language(stored: str, english: str, japanese: str) -> None:
    assert memo_text(stored, "en") == english
    assert memo_text(stored, "ja") == japanese


def test_a_line_reads_its_document_with_its_memo() -> None:
    assert (
        document_and_memo("payment of invoice X", "REF-1", "en") == "payment of invoice X (REF-1)"
    )
    assert document_and_memo("payment of invoice X", "REF-1", "ja") == "請求書Xの支払（REF-1）"
    assert document_and_memo("order 1 receipt (event 2)", "", "ja") == "注文1の受領（記録2）"
