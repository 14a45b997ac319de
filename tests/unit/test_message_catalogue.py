"""Every message acsa writes has its words in English and Japanese.

A refusal's message id is its English template: the third argument of ``Violation(...)`` and of
``AcsaError.single(...)``, or any text marked ``t("...")``. This reads them out of the source the
way a translator's tool does (Babel's extractor) and fails for each one the Japanese catalogue
lacks, for each placeholder a translation drops or invents, and for a message built with an
f-string or ``%`` (its words could never be looked up). Every error code has a title in both
languages (``error.<CODE>``).
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import acsa
from acsa.domain.errors import Code
from acsa.i18n import catalog, gettext

SRC = Path(acsa.__file__).parent

#: Calls whose argument is a message id, and which argument (1-based), as Babel reads them.
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "t": None,
    "Violation": (3,),
    "single": (3,),
}


def message_ids() -> dict[str, str]:
    """Each message id in src, with where it is written first."""
    found: dict[str, str] = {}
    for filename, lineno, text, _comments, _context in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        if isinstance(text, str) and text:
            found.setdefault(text, f"{filename}:{lineno}")
    return found


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def built_messages() -> Iterator[str]:
    """Where a message id is built at run time: an f-string, ``%`` or ``.format`` in the id's
    place of a Violation, a ``single`` or a ``t``."""
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            spec = KEYWORDS.get(name, ()) if name in KEYWORDS else ()
            position = (spec or (1,))[0] - 1 if name in KEYWORDS else -1
            if position < 0 or len(node.args) <= position:
                continue
            argument = node.args[position]
            if (
                isinstance(argument, ast.JoinedStr)
                or (isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Mod | ast.Add))
                or (
                    isinstance(argument, ast.Call)
                    and getattr(argument.func, "attr", "") == "format"
                )
            ):
                yield f"{path.relative_to(SRC)}:{node.lineno} {name}(...)"


def test_no_message_is_built_at_run_time() -> None:
    built = list(built_messages())
    assert not built, (
        "messages built with f-strings, % or .format (give a template and params):\n"
        + ("\n".join(built))
    )


def test_every_message_has_its_japanese() -> None:
    japanese = catalog("ja")
    missing = [
        f"{where}: {text!r}" for text, where in message_ids().items() if text not in japanese
    ]
    assert not missing, f"{len(missing)} messages without Japanese:\n" + "\n".join(sorted(missing))


def test_translations_keep_the_placeholders() -> None:
    japanese = catalog("ja")
    wrong = []
    for text in message_ids():
        entry = japanese.get(text)
        if entry is not None and placeholders(str(entry.string)) != placeholders(text):
            wrong.append(f"{text!r} -> {entry.string!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_code_has_its_words(lang: str) -> None:
    missing = [
        code.value for code in Code if gettext(lang, f"error.{code.value}") == f"error.{code.value}"
    ]
    assert not missing, f"codes without {lang} words: {missing}"


def test_the_check_finds_a_message_without_japanese(tmp_path: Path) -> None:
    """The check itself can fail: a message id it has never seen is reported missing."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from acsa.domain.errors import Code, Violation\n"
        'V = Violation(Code.INVALID_FIELD, "x", "a sentence no catalogue has {x}", None,\n'
        '    params={"x": 1})\n',
        encoding="utf-8",
    )
    found = {
        text
        for _f, _l, text, _c, _x in extract_from_dir(
            str(tmp_path), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
        )
    }
    assert found == {"a sentence no catalogue has {x}"}
    assert "a sentence no catalogue has {x}" not in catalog("ja")
    assert placeholders(str(next(iter(found)))) == {"x"}
