"""The bounds of ``acsa.domain.limits`` as Pydantic types, so that every input model (the API,
``--file`` documents, the node inbox's bodies) checks them with the domain's own functions and
documents them in the OpenAPI document (``maxLength``, ``pattern``, ``maxItems``).

- ``Annotated[str, Text("location", min_length=1)]``: a text bounded by its field's limit,
  without control characters (tabs and line breaks only in multi-line fields);
- ``Annotated[Decimal, Number(limits.QUANTITY, Code.INVALID_QUANTITY)]`` (``Quantity``,
  ``QuantityOrZero``, ``Price``, ``Amount``): a plain ASCII decimal within its bound, given
  as a string (or a JSON integer); never an exponent, spaces, underscores or other digits;
- ``Day``: an ISO ``YYYY-MM-DD`` date between DATE_MIN and DATE_MAX (``0`` is not a date).

A refusal carries its code as the Pydantic error type (``INVALID_QUANTITY``, ``INVALID_DATE``,
``INVALID_FIELD``...) and the domain's message id and parameters in its context (``template``,
``params``), which ``acsa.schemas.orders.pydantic_violation`` keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation

#: What a plain decimal looks like, for the OpenAPI document.
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _refuse(violation: Violation) -> PydanticCustomError:
    """The domain's violation as a Pydantic error: its English as the error's message, its
    code as the type, its message id and parameters in the context (for the reader's language)."""
    return PydanticCustomError(
        violation.code.value,
        "{reason}",
        {
            "reason": violation.message,
            "template": violation.template,
            "params": dict(violation.params),
        },
    )


@dataclass(frozen=True, slots=True)
class Text:
    """A text field bounded as ``limits.TEXT_FIELDS`` says for ``field``."""

    field: str
    min_length: int = 0

    def _check(self, value: str) -> str:
        violation = limits.text_violation(self.field, value)
        if violation is not None:
            raise _refuse(violation)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner = core_schema.str_schema(
            min_length=self.min_length, max_length=limits.text_bound(self.field)
        )
        return core_schema.no_info_after_validator_function(self._check, inner)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        multiline = limits.is_multiline(self.field)
        found["pattern"] = limits.MULTILINE_PATTERN if multiline else limits.SINGLE_LINE_PATTERN
        return found


@dataclass(frozen=True, slots=True)
class Number:
    """A plain decimal, refused under ``code``; within ``bound`` unless ``form_only``, where
    the domain judges the bound (so that ``orders check`` reports it with every other
    violation of the order)."""

    bound: limits.NumberBound
    code: Code
    form_only: bool = False

    def _parse(self, value: Any, info: core_schema.ValidationInfo) -> Decimal:
        name = info.field_name or "number"
        if isinstance(value, float):  # a JSON number: judged as written (1e+28 is refused)
            value = repr(value)
        if self.form_only:
            number, violation = limits.decimal_violation(name, value, self.code)
        else:
            number, violation = limits.number_violation(name, value, self.bound, self.code)
        if violation is not None or number is None:
            raise _refuse(
                violation
                or Violation(self.code, name, "{field} is not a number", params={"field": name})
            )
        return number

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            self._parse,
            serialization=core_schema.to_string_ser_schema(when_used="json"),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": DECIMAL_PATTERN,
                    "maxLength": limits.NUMBER_CHARS_MAX,
                },
                {"type": "number"},
            ],
            "description": (
                f"A plain decimal, best written as a string: {self.bound.rule()}. A JSON number "
                "is read as written (1e+28 is refused)."
            ),
            "examples": ["12.5"],
        }


def _day(value: Any) -> date:
    try:
        return limits.parse_date("date", value)
    except AcsaError as exc:
        raise _refuse(exc.violations[0]) from None


@dataclass(frozen=True, slots=True)
class _Day:
    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_day, core_schema.date_schema())

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["description"] = (
            f"An ISO date (YYYY-MM-DD) from {limits.DATE_MIN} to {limits.DATE_MAX}."
        )
        return found


#: Numbers as written (the domain checks their bounds, which the OpenAPI document states).
Quantity = Annotated[Decimal, Number(limits.QUANTITY, Code.INVALID_QUANTITY, form_only=True)]
QuantityOrZero = Annotated[
    Decimal, Number(limits.QUANTITY_OR_ZERO, Code.INVALID_QUANTITY, form_only=True)
]
Price = Annotated[Decimal, Number(limits.PRICE, Code.INVALID_PRICE, form_only=True)]
Amount = Annotated[Decimal, Number(limits.AMOUNT, Code.INVALID_AMOUNT, form_only=True)]
#: An amount checked against its bound here (an agreement's ceiling: no domain step takes it).
BoundedAmount = Annotated[Decimal, Number(limits.AMOUNT, Code.INVALID_AMOUNT)]
Day = Annotated[date, _Day()]

#: A line number as a JSON object's key (``{"1": "5"}``): 1 to 999999999, no sign or padding.
LineKey = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,8}$")]


def duplicate_keys(raw: bytes, field: str = "lines") -> list[Violation]:
    """INVALID_FIELD for each key a JSON object of ``raw`` gives twice (``{"1": "5", "1": "6"}``
    would otherwise silently mean 6); nothing when ``raw`` is not JSON (the model says why)."""
    found: list[Violation] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                found.append(
                    Violation(
                        Code.INVALID_FIELD,
                        f"{field}[{key[:20]}]",
                        "{key} is given twice in one object; give each key once",
                        params={"key": repr(key[:20])},
                    )
                )
            seen.add(key)
        return dict(items)

    try:
        json.loads(raw or b"null", object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return []
    return found
