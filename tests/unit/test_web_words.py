"""The pages' filters write refusals, findings and the audit log's actions in one language:
a violation by its message id, a finding known only by its code and English reason as the
code's title (Japanese) or the reason (English), an action and a subject in words."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.errors import Code, Violation
from acsa.domain.messages import t
from acsa.services.audit import AuditProblemOut
from acsa.web.render import make_environment

NOT_FOUND = Violation(Code.ORDER_NOT_FOUND, "id", t("no order '{order}'"), params={"order": "abc"})


def filter_of(lang: str, name: str) -> object:
    return make_environment(lang).filters[name]


def test_a_violation_is_said_in_the_pages_language_only() -> None:
    english = filter_of("en", "explain")(NOT_FOUND)  # type: ignore[operator]
    assert english == "no order &#39;abc&#39;"
    # on a Japanese page, the text it names as written is marked as English (a screen reader
    # reads it so; a browser picks its font)
    japanese = filter_of("ja", "explain")(NOT_FOUND)  # type: ignore[operator]
    assert japanese == '発注 &#39;<span lang="en">abc</span>&#39; はありません'
    assert japanese.striptags() == "発注 'abc' はありません"


def test_a_finding_with_only_an_english_reason_shows_its_codes_title_in_japanese() -> None:
    problem = AuditProblemOut(seq=3, reason="hash mismatch", code=Code.AUDIT_ROW_CHANGED.value)
    assert filter_of("en", "explain")(problem) == "hash mismatch"  # type: ignore[operator]
    said = filter_of("ja", "explain")(problem)  # type: ignore[operator]
    assert said.startswith("記録が監査ログに最後に記録された内容と異なります")
    assert "hash" not in said


@pytest.mark.parametrize(
    ("lang", "action", "subject"),
    [("en", "order accepted", "order 12"), ("ja", "発注の承認", "発注 12")],
)
def test_an_audit_record_reads_as_words(lang: str, action: str, subject: str) -> None:
    assert filter_of(lang, "action_words")("order.accept") == action  # type: ignore[operator]
    assert filter_of(lang, "subject_words")("order:12") == subject  # type: ignore[operator]
    # an action or a kind of subject without words is shown as it is, never dropped
    assert filter_of(lang, "action_words")("x.y") == "x.y"  # type: ignore[operator]
    assert filter_of(lang, "subject_words")("rows") == "rows"  # type: ignore[operator]


def test_money_is_written_one_way_in_both_languages() -> None:
    for lang in ("en", "ja"):
        money = filter_of(lang, "money")
        assert money(25_980_000, "JPY") == "25,980,000 JPY"  # type: ignore[operator]
    assert filter_of("ja", "day")(date(2026, 10, 1)) == "2026/10/01"  # type: ignore[operator]
