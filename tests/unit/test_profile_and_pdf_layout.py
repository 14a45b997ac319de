"""A user's profile is bounded in the domain, each refusal coded and naming its field; the
PDFs lay Japanese text out without breaking a number, and size a table's columns from the
numbers they hold."""

from __future__ import annotations

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from acsa.adapters.exports.fonts import JAPANESE
from acsa.adapters.exports.pdf import NUMBER_SIZE_MIN, broken_lines, fitted_columns, fonts
from acsa.domain.errors import AcsaError, Code
from acsa.domain.limits import POSITION_CHARS_MAX, RANK_CHARS_MAX
from acsa.domain.profile import Profile, profile_changes, signer_name


def test_a_profile_change_keeps_what_is_given_trimmed_and_clears_what_is_empty() -> None:
    given = {"full_name": "  Anne Brown ", "rank": "", "position": None}
    assert profile_changes(given) == {"full_name": "Anne Brown", "rank": None}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rank", "M" * (RANK_CHARS_MAX + 1)),
        ("position", "x" * (POSITION_CHARS_MAX + 1)),
        ("unit", "1st\nBattalion"),
        ("full_name", "Anne\x00Brown"),
    ],
)
def test_a_profile_past_its_bounds_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(AcsaError) as refused:
        profile_changes({field: value})
    [violation] = refused.value.violations
    assert (violation.code, violation.field) == (Code.INVALID_FIELD, field)


def test_every_field_past_its_bound_is_refused_at_once() -> None:
    with pytest.raises(AcsaError) as refused:
        profile_changes({"rank": "M" * 65, "unit": "u" * 201})
    assert [v.field for v in refused.value.violations] == ["rank", "unit"]


def test_a_signature_names_the_full_name_else_the_sign_in_name() -> None:
    assert signer_name(Profile(full_name="Anne Brown"), "aus-req") == "Anne Brown"
    assert signer_name(Profile(), "aus-req") == "aus-req"


def test_japanese_text_breaks_between_characters_never_inside_a_number() -> None:
    fonts("ja")
    text = "年度の発注の合計額は110,776,400 JPYで、受領額は123,456,789,012 JPYです。"
    for width in (40.0, 60.0, 90.0, 130.0, 170.0):
        lines = broken_lines(text, width, JAPANESE, 9)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert any("110,776,400" in line for line in lines)
        assert any("123,456,789,012" in line for line in lines)
        for line in lines:
            # within the width (but for a closing mark hanging at its end), unless it is one
            # word alone: a number wider than the line
            body = line.rstrip("。、）")
            assert stringWidth(body, JAPANESE, 9) <= width or " " not in line.strip()
            assert not line.startswith(("。", "、"))


def test_number_columns_are_as_wide_as_their_widest_number() -> None:
    headings = ["partner", "currency", "value", "open"]
    rows = [["AUS Australia", "JPY", "123,456,789,012", "110,776,400"]]
    widths, size = fitted_columns(headings, rows, [2, 3], 180 * mm, 7.5)
    regular, _bold = fonts("en")
    assert size == 7.5
    assert sum(widths) == pytest.approx(180 * mm)
    assert widths[2] >= stringWidth("123,456,789,012", regular, size) + 6
    assert widths[3] >= stringWidth("110,776,400", regular, size) + 6


def test_too_many_long_numbers_shrink_the_font_and_stay_on_the_page() -> None:
    headings = ["partner", "currency", *(f"2026-{m:02d}" for m in range(1, 13)), "total"]
    rows = [["AUS", "JPY", *["123,456,789,012"] * 13]]
    widths, size = fitted_columns(headings, rows, range(2, 15), 273 * mm, 7.0)
    regular, _bold = fonts("en")
    assert NUMBER_SIZE_MIN <= size < 7.0
    assert sum(widths) <= 273 * mm + 0.01
    assert all(w >= stringWidth("123,456,789,012", regular, size) + 6 for w in widths[2:])
