"""An order's event in words, in the reader's language: what each line's quantity was (``Line
2: 400 EA received, 10 EA short``), the reason, the note, what a fork's roll-back undid.

The pages' timeline and the command line's history table write events with these, so one event
reads the same in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from acsa.i18n.speech import N_, Speech


@dataclass(frozen=True)
class Detail:
    """One labelled fact of an event; ``alert``: a discrepancy or something taken back."""

    label: str
    text: str
    alert: bool = False


class _Line(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def unit(self) -> str: ...


def units(lines: Iterable[_Line] | Any) -> dict[str, str]:
    """Each line's unit of issue by its number (as an event's details name lines), from an
    order (its ``lines``) or the lines themselves."""
    return {str(line.number): line.unit for line in getattr(lines, "lines", lines)}


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _line_details(
    say: Speech, unit_of: Mapping[str, str], action: str, lines: Mapping[str, Any]
) -> list[Detail]:
    found = []
    for number, value in lines.items():
        unit = unit_of.get(str(number), "")
        label = say("Line %(n)s", n=number)
        if isinstance(value, dict):
            got, short = _decimal(value.get("received")), _decimal(value.get("short"))
            if short:
                text = say(
                    "%(received)s %(unit)s received, %(short)s %(unit)s short",
                    received=say.number(got),
                    short=say.number(short),
                    unit=unit,
                )
            else:
                text = say("%(received)s %(unit)s received", received=say.number(got), unit=unit)
            found.append(Detail(label, text, alert=bool(short)))
        elif action == "accept":
            text = say("%(qty)s %(unit)s accepted", qty=say.number(_decimal(value)), unit=unit)
            found.append(Detail(label, text))
        elif action == "deliver":
            text = say("%(qty)s %(unit)s delivered", qty=say.number(_decimal(value)), unit=unit)
            found.append(Detail(label, text))
        else:
            found.append(Detail(label, say.number(_decimal(value))))
    return found


#: What an undo event (a fork's roll-back) names: the step, our document, the winning one.
UNDO_DETAILS = {
    "undoes": N_("Step taken back (number in the history)"),
    "document": N_("Document"),
    "winner": N_("Its place went to"),
}


def event_details(
    say: Speech, unit_of: Mapping[str, str], action: str, values: Mapping[str, Any]
) -> list[Detail]:
    """An event's details in words: per-line quantities, the reason, the note."""
    found: list[Detail] = []
    for key, value in values.items():
        if key == "lines" and isinstance(value, dict):
            found += _line_details(say, unit_of, action, value)
        elif key == "reason":
            found.append(Detail(say("Reason"), str(value) or say("no reason given")))
        elif key == "note":
            found.append(Detail(say("Note"), str(value), alert=True))
        elif key == "approvals" and isinstance(value, list):
            found.append(Detail(say("Authorised by"), _approvers(say, value)))
        elif key in UNDO_DETAILS:
            found.append(Detail(say(UNDO_DETAILS[key]), str(value), alert=key == "undoes"))
        elif value not in (None, "", [], {}):
            found.append(Detail(key.replace("_", " "), str(value)))
    return found


def _approvers(say: Speech, given: list[Any]) -> str:
    """Who approved a draft before it was submitted (approval before commitment), each
    with their tier, rank and position and the day: ``Tier 1: Maj Ito, Logistics officer
    (2026-10-01)``."""
    said = []
    for a in given:
        if not isinstance(a, Mapping):
            continue
        who = ", ".join(
            str(x)
            for x in (a.get("name") or a.get("approver"), a.get("rank"), a.get("position"))
            if x
        )
        day = str(a.get("at", ""))[:10]
        said.append(say("Tier %(tier)s: %(who)s (%(day)s)", tier=a.get("tier"), who=who, day=day))
    return "; ".join(said)
