"""A note on an order (AddNote): its bounds when it is made, from Python or from the wire, the
shape of its signed document, who may take it, and what the edges learn from its Spec."""

from __future__ import annotations

import pytest

from acsa.commands import BY_KIND, BY_NAME, COMMANDS, LIFECYCLE, AddNote
from acsa.domain import limits
from acsa.domain.access import Permission, Principal, Role, Side, allowed
from acsa.domain.documents import ISSUED_BY, Kind, body_violations
from acsa.domain.errors import AcsaError, Code
from acsa.services.handlers import HANDLERS
from acsa.services.orders import note as note_handler


def _refused(make: object) -> list[tuple[str, str]]:
    with pytest.raises(AcsaError) as refused:
        make()  # type: ignore[operator]
    return [(v.code.value, v.field) for v in refused.value.violations]


def test_a_note_of_the_longest_length_with_line_breaks_and_tabs_is_taken() -> None:
    text = "Fuel truck late by 2 h.\n\tDriver: Cpl Jones\r\n" + "x" * 100
    assert AddNote(order_id=7, note=text).note == text
    longest = "あ" * limits.NOTE_CHARS_MAX
    assert AddNote(order_id=7, note=longest).note == longest
    assert AddNote.from_wire({"note": longest}, order_id=7) == AddNote(order_id=7, note=longest)


def test_a_note_one_character_too_long_is_refused_naming_the_field() -> None:
    long = "x" * (limits.NOTE_CHARS_MAX + 1)
    assert _refused(lambda: AddNote(order_id=7, note=long)) == [("INVALID_FIELD", "note")]
    assert _refused(lambda: AddNote.from_wire({"note": long}, order_id=7)) == [
        ("INVALID_FIELD", "note")
    ]


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x0b", "\x0c"])
def test_control_characters_other_than_tabs_and_line_breaks_are_refused(control: str) -> None:
    text = f"late{control}delivery"
    assert _refused(lambda: AddNote(order_id=7, note=text)) == [("INVALID_FIELD", "note")]
    assert _refused(lambda: AddNote.from_wire({"note": text}, order_id=7)) == [
        ("INVALID_FIELD", "note")
    ]


@pytest.mark.parametrize("blank", ["", " ", "\n\t "])
def test_an_empty_or_blank_note_is_refused(blank: str) -> None:
    [(code, field)] = _refused(lambda: AddNote(order_id=7, note=blank))
    assert (code, field) == (Code.MISSING_FIELD.value, "note")
    [(code, field)] = _refused(lambda: AddNote.from_wire({"note": blank}, order_id=7))
    assert (code, field) == (Code.MISSING_FIELD.value, "note")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [("MISSING_FIELD", "note")]),
        (None, [("MISSING_FIELD", "note")]),
        ({"note": 5}, [("INVALID_FIELD", "note")]),
        ({"note": ["a"]}, [("INVALID_FIELD", "note")]),
        ({"note": "ok", "status": "closed"}, [("INVALID_FIELD", "status")]),
        ({"note": "ok", "version": 3}, [("INVALID_FIELD", "version")]),
        ("a note", [("INVALID_INPUT", "")]),
    ],
)
def test_a_wire_body_that_is_not_one_note_is_refused(
    body: object, expected: list[tuple[str, str]]
) -> None:
    assert _refused(lambda: AddNote.from_wire(body, order_id=7)) == expected


def test_the_order_is_the_route_s_never_the_body_s() -> None:
    [(_, field)] = _refused(lambda: AddNote.from_wire({"note": "ok", "order_id": 8}, order_id=7))
    assert field == "order_id"


@pytest.mark.parametrize("order_id", [0, -1, limits.ID_MAX + 1])
def test_an_order_number_out_of_range_is_refused(order_id: int) -> None:
    assert _refused(lambda: AddNote.from_wire({"note": "x"}, order_id=order_id)) == [
        ("INVALID_FIELD", "order_id")
    ]


def test_the_wire_and_the_document_carry_the_note_alone() -> None:
    command = AddNote(order_id=12, note="two lines\nof remark")
    assert command.wire() == {"note": "two lines\nof remark"}
    assert command.path() == "/orders/12/note"
    assert AddNote.from_document({"note": "two lines\nof remark"}, order_id=12) == command
    schema = AddNote.body_schema()
    assert schema["required"] == ["note"]
    assert set(schema["properties"]) == {"note"}
    assert schema["properties"]["note"]["maxLength"] == limits.NOTE_CHARS_MAX


def test_its_spec_routes_it_publishes_a_note_and_needs_no_version() -> None:
    spec = AddNote.spec
    assert (spec.name, spec.path, spec.result, spec.status) == (
        "note",
        "/orders/{order_id}/note",
        "order",
        200,
    )
    assert spec.permission is Permission.NOTE
    assert spec.kind is Kind.NOTE
    assert spec.check_version is False
    assert spec.action is None  # not a lifecycle step: the state machine never sees it
    assert AddNote not in LIFECYCLE.values()
    assert AddNote in COMMANDS
    assert BY_KIND[Kind.NOTE] is AddNote
    assert BY_NAME["note"] is AddNote
    assert HANDLERS[AddNote] is note_handler
    assert ISSUED_BY[Kind.NOTE] is Side.EITHER


def test_a_note_document_body_is_one_bounded_note() -> None:
    assert body_violations(Kind.NOTE, {"note": "late\nby two hours"}) == []
    assert body_violations(Kind.NOTE, {"note": "x" * limits.NOTE_CHARS_MAX}) == []
    cases: list[tuple[dict[str, object], str]] = [
        ({}, "body.note"),
        ({"note": ""}, "body.note"),
        ({"note": None}, "body.note"),
        ({"note": "x" * (limits.NOTE_CHARS_MAX + 1)}, "body.note"),
        ({"note": "bell\x07"}, "body.note"),
        ({"note": "ok", "status": "closed"}, "body.status"),
    ]
    for body, field in cases:
        [violation] = body_violations(Kind.NOTE, body)
        assert (violation.code, violation.field) == (Code.DOCUMENT_INVALID, field), body


@pytest.mark.parametrize(
    ("roles", "may"),
    [
        ({Role.REQUESTER}, True),
        ({Role.APPROVER}, True),
        ({Role.LOGISTICS}, True),
        ({Role.FINANCE}, True),
        ({Role.VIEWER}, False),
        ({Role.AUDITOR}, False),
        ({Role.ADMIN}, False),
        ({Role.REGISTRY_KEEPER}, False),
    ],
)
def test_those_who_act_on_orders_note_them_on_either_side(roles: set[Role], may: bool) -> None:
    for nation in ("AUS", "JPN"):
        person = Principal("someone", nation, frozenset(roles))
        assert allowed(person, Permission.NOTE, "AUS", "JPN") is may
    outsider = Principal("someone", "FRA", frozenset(roles))
    assert allowed(outsider, Permission.NOTE, "AUS", "JPN") is False
