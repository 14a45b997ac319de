"""Every action the audit log records has words in English and Japanese (``audit.<action>``),
so the dashboard and the audit log page never show a raw ``order.accept``.

The actions are read out of the services' source: the first argument of each ``record(...)``
and the names those calls pass on (``action = "agreement.in_force_day"``), with the f-strings
of the order's steps and of the settlements in kind expanded.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import acsa
from acsa.domain.order import Action
from acsa.i18n import gettext

SERVICES = Path(acsa.__file__).parent / "services"
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")
#: Names of files, not actions (``demo.yaml``).
FILE_KINDS = {"yaml", "yml", "json", "csv", "xlsx", "pdf", "html", "png"}
#: What the f-strings of the services' records stand for.
EXPANDED = {
    "order.": [f"order.{a.value}" for a in Action if a not in (Action.CREATE, Action.EDIT)],
    "settlement.": ["settlement.replacement", "settlement.exchange"],
}


def _prefixes(tree: ast.AST) -> set[str]:
    """What a record's action starts with in this module (``order`` of ``order.place``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value.split(".")[0])
    return found


def recorded_actions() -> set[str]:
    """Every action the services record."""
    sources = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted(SERVICES.glob("*.py"))]
    prefixes = set().union(*(_prefixes(tree) for tree in sources))
    actions: set[str] = set()
    for tree in sources:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                kind, _, what = node.value.partition(".")
                if ACTION.match(node.value) and kind in prefixes and what not in FILE_KINDS:
                    actions.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                head = node.values[0]
                if isinstance(head, ast.Constant) and head.value in EXPANDED:
                    actions.update(EXPANDED[str(head.value)])
    return actions


def test_the_services_record_the_actions_this_test_knows() -> None:
    actions = recorded_actions()
    assert {"order.place", "order.accept", "session.start", "settlement.exchange"} <= actions
    assert {"agreement.in_force_day", "sign_in.fail", "order.note"} <= actions


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_recorded_action_has_words(lang: str) -> None:
    missing = sorted(a for a in recorded_actions() if gettext(lang, f"audit.{a}") == f"audit.{a}")
    assert not missing, f"audit actions without {lang} words: {missing}"
