"""Any stored text, made fit for a file: every export (PDF, XLSX, CSV) passes text through here.

The domain refuses control characters and bounds every text (``acsa.domain.limits``), but a
database may already hold what it would refuse now: rows written before the bounds, or behind
acsa's back (SQLite takes NUL bytes). An export never fails on such a row and never runs
unbounded: control characters are replaced by a visible mark (U+FFFD), and text longer than
the place it goes is cut, with an ellipsis and a note of its full length, so that a reader
sees that something was left out.
"""

from __future__ import annotations

import re

#: What a control character (or any character a file format cannot hold) is shown as.
REPLACEMENT = "\ufffd"
#: Ends a cut text: an ellipsis and the note of how long the stored text was.
CUT_MARK = "\u2026 [cut: {length:,} characters in all]"
#: The most characters any one text in any export may take (Excel holds 32,767 in a cell).
CELL_CHARS_MAX = 32_000

#: C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone
#: surrogates; and the two non-characters XML (hence XLSX) refuses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: The same, with tab and line breaks too (a single-line place: a table cell, a sheet name).
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def cut(text: str, limit: int) -> str:
    """``text`` when it has at most ``limit`` characters; else its first characters, an
    ellipsis and the note of its full length, ``limit`` characters in all (a little more when
    ``limit`` is shorter than the note itself)."""
    if len(text) <= limit:
        return text
    mark = CUT_MARK.format(length=len(text))
    keep = max(limit - len(mark), 1)
    return text[:keep].rstrip() + mark


def clean(text: object, limit: int = CELL_CHARS_MAX, *, multiline: bool = True) -> str:
    """``text`` (any value; None is empty) as a file can hold it: control characters replaced
    by U+FFFD (tab and line breaks kept when ``multiline``, else made spaces), then cut to
    ``limit`` characters with a visible mark. Bounded work: at most a little more than
    ``limit`` characters are looked at."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if len(value) > limit:
        # Cut first, so that a huge stored text costs no more than a short one; the note
        # still gives the stored length.
        value = cut(value, limit)
    if not multiline:
        value = value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        value = value.replace("\t", " ")
        return _CONTROL_OR_BREAK.sub(REPLACEMENT, value)
    return _CONTROL.sub(REPLACEMENT, value)


def is_cut(text: str) -> bool:
    """True when ``text`` ends with the mark ``cut`` leaves."""
    return text.endswith(" characters in all]") and "\u2026 [cut: " in text
