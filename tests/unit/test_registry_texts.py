"""Every agreement and version of the shipped registry says what its text says.

The expected facts below are written from the governments' releases as ACSA.md lists them
(``../shared/domain/ACSA.md``, "Japan's agreements" and "What Japan's agreements contain"), a
source per row, not read from ``data/agreements.yaml``. For each version one order passes and
one is refused for each rule that tells the versions apart: activity, category, settlement
method per kind of support, the mutual determination of "other activities", the known days of
entry into force and the warning in the windows where only the month or year is known. Only
fixed dates: nothing here says what is in force "today".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest

from acsa.adapters.registry_file import shipped_registry
from acsa.domain.agreement import Agreement, AgreementVersion
from acsa.domain.ceilings import Acquired, CeilingContext, applicable, ceiling_violations
from acsa.domain.errors import Violation
from acsa.domain.fiscal import fiscal_year_of
from acsa.domain.money import Money
from acsa.domain.order import Attestations, Order, OrderLine
from acsa.domain.rules import check_order
from acsa.domain.term import Term
from acsa.domain.vocabulary import ACTIVITIES
from acsa.schemas.orders import AgreementDoc, agreement_from_doc

# --- the facts, from the sources --------------------------------------------------------------

PRE_2016 = frozenset(
    {
        "exercise",
        "un_peacekeeping",
        "humanitarian_relief",
        "disaster_response",
        "evacuation_of_nationals",
        "routine",
    }
)
#: Post-2016 texts: activities under Japan's 2015 security legislation, and "other activities
#: for which each Party's law permits provision", after a mutual determination (ACSA.md).
POST_2016 = PRE_2016 | {
    "peace_security_operations",
    "important_influence_situation",
    "survival_threatening_situation",
    "other_activities",
}
US_1996 = frozenset({"exercise", "un_peacekeeping", "humanitarian_relief"})
US_1998 = US_1996 | {"areas_surrounding_japan"}
#: "Other purposes" of the 2004 amendment read as routine activities and evacuation (acsa's
#: reading, said in the registry's notes).
US_2004 = US_1998 | {
    "armed_attack",
    "anticipated_armed_attack",
    "international_peace_efforts",
    "disaster_response",
    "routine",
    "evacuation_of_nationals",
}
US_2016 = POST_2016 | {"armed_attack", "anticipated_armed_attack"}
INDIA = frozenset({"exercise", "un_peacekeeping", "humanitarian_relief", "other_activities"})

#: Ammunition: covered in every activity, not at all, or only in armed-attack situations.
ALL, NONE, ARMED_ATTACK = "all", "none", "armed_attack"

US_LAW = "10 U.S.C. 2344 (cash, replacement in kind, equal value exchange)"
RETURN = "MOFA summaries of the Italy and New Zealand texts (return first, then currency)"
TEN_YEARS = Term(years=10, renewal_years=10, renewal_notice_months=6, termination_notice_months=12)


@dataclass(frozen=True)
class Text:
    """One version of an agreement as its sources give it.

    ``day`` is a fixed day on which the version governs (for a version not in force, the day
    after signing); ``reference`` the id of the release it rests on, where there is one.
    """

    agreement: str
    label: str
    kind: str
    signed: str
    in_force: str | None
    activities: frozenset[str]
    ammunition: str
    us: bool
    day: date
    source: str
    reference: str = ""
    unverified: frozenset[str] = frozenset()
    term: Term | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def partner(self) -> str:
        return self.agreement.split("-")[1]

    @property
    def in_force_on_day(self) -> bool:
        return self.in_force is not None

    @property
    def determination(self) -> bool:
        return "other_activities" in self.activities

    def __str__(self) -> str:
        return f"{self.agreement} {self.label}"


# fmt: off
#: (agreement, label, kind, signed, in force, activities, ammunition, US law, a day it
#: governs, source, release id), from ACSA.md's table.
TEXTS: tuple[Text, ...] = (
    Text("JPN-USA", "1996 text", "text", "1996-04-15", "1996-10", US_1996, NONE, True,
         date(1997, 6, 2), "DoD release 196-98; MOFA 22/5/0519_04", "22/5/0519_04"),
    Text("JPN-USA", "1998 amendment", "amendment", "1998", "1999-09", US_1998, NONE, True,
         date(2000, 6, 1), "MOFA 22/5/0519_04", "22/5/0519_04"),
    Text("JPN-USA", "2004 amendment", "amendment", "2004-02-27", "2004-07", US_2004,
         ARMED_ATTACK, True, date(2010, 1, 11), "MOFA 16/rls_0227d; MOD White Paper 2005",
         "16/rls_0227d"),
    Text("JPN-USA", "2016 text", "text", "2016-09-26", "2017-04-25", US_2016, ALL, True,
         date(2018, 6, 1), "MOFA press4_003738, press4_004539", "press4_003738"),
    Text("JPN-AUS", "2010 text", "text", "2010-05-19", "2013-01-31", PRE_2016, NONE, False,
         date(2015, 6, 1), "MOFA 25/1/0131_01 (weapons and ammunition not included)",
         "25/1/0131_01"),
    Text("JPN-AUS", "2017 text", "text", "2017-01-14", "2017-09-06", POST_2016, ALL, False,
         date(2018, 6, 1), "MOFA press4_004993; term: Japan-Australia Art. 7",
         "press4_004993", term=TEN_YEARS),
    Text("JPN-GBR", "2017 text", "text", "2017-01-26", "2017", POST_2016, ALL, False,
         date(2018, 6, 1), "MOFA summary (16 categories incl. ammunition); MOD White Paper 2019"),
    Text("JPN-CAN", "2018 text", "text", "2018-04-21", "2019-07", POST_2016, ALL, False,
         date(2020, 6, 1), "Global Affairs Canada 2018-04-21; MOD White Paper 2019"),
    Text("JPN-FRA", "2018 text", "text", "2018-07-13", "2019-06-26", POST_2016, ALL, False,
         date(2020, 6, 1), "MOFA press4_007458", "press4_007458"),
    Text("JPN-IND", "2020 text", "text", "2020-09-09", "2021-07-11", INDIA, NONE, False,
         date(2022, 6, 1), "NHK and Kyodo 2020-09-10 (Art. 2(3)); India's Ministry of Defence",
         unverified=frozenset({"disaster_response", "evacuation_of_nationals"})),
    Text("JPN-DEU", "2024 text", "text", "2024-01-29", "2024-07-12", POST_2016, ALL, False,
         date(2024, 9, 2), "MOFA pressit_000001_00269, pressit_000001_00887",
         "pressit_000001_00269"),
    Text("JPN-ITA", "2024 text", "text", "2024-11-25", "2025-09-05", POST_2016, ALL, False,
         date(2025, 10, 1), "MOFA summary of the text; seed 002"),
    Text("JPN-NLD", "2025 text", "text", "2025-12-18", None, POST_2016, ALL, False,
         date(2025, 12, 19), "Netherlands Defence news 2025-12-18"),
    Text("JPN-NZL", "2025 text", "text", "2025-12-19", None, POST_2016, ALL, False,
         date(2025, 12, 20), "MOFA pressit_000001_03135 (ten years)", "pressit_000001_03135",
         term=TEN_YEARS),
    Text("JPN-PHL", "2026 text", "text", "2026-01-15", None, POST_2016, ALL, False,
         date(2026, 1, 16), "Jiji/nippon.com 2026-01-15 (needs the Diet's approval)"),
)
# fmt: on
IDS = [str(t) for t in TEXTS]

#: The known days a version entered into force, with an order only that version allows: the
#: day before, the version it replaces (or nothing) refuses it with ``code``.
EDGES: tuple[tuple[str, str, date, dict[str, object], str], ...] = (
    ("JPN-USA", "2016 text", date(2017, 4, 25), {"line": "ammunition"}, "CATEGORY_NOT_COVERED"),
    ("JPN-AUS", "2010 text", date(2013, 1, 31), {}, "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-AUS", "2017 text", date(2017, 9, 6), {"line": "ammunition"}, "CATEGORY_EXCLUDED"),
    ("JPN-FRA", "2018 text", date(2019, 6, 26), {}, "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-IND", "2020 text", date(2021, 7, 11), {}, "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-DEU", "2024 text", date(2024, 7, 12), {}, "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-ITA", "2024 text", date(2025, 9, 5), {}, "AGREEMENT_NOT_IN_FORCE"),
)

#: Windows where only the month or year of entry into force is known, with an order that
#: only the new version allows: (agreement, label, first, last, activity, refused before).
# fmt: off
WINDOWS: tuple[tuple[str, str, date, date, str, str], ...] = (
    ("JPN-USA", "1996 text", date(1996, 10, 1), date(1996, 10, 31), "exercise",
     "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-USA", "1998 amendment", date(1999, 9, 1), date(1999, 9, 30),
     "areas_surrounding_japan", "ACTIVITY_NOT_COVERED"),
    ("JPN-USA", "2004 amendment", date(2004, 7, 1), date(2004, 7, 31), "armed_attack",
     "ACTIVITY_NOT_COVERED"),
    ("JPN-GBR", "2017 text", date(2017, 1, 26), date(2017, 12, 31), "exercise",
     "AGREEMENT_NOT_IN_FORCE"),
    ("JPN-CAN", "2018 text", date(2019, 7, 1), date(2019, 7, 31), "exercise",
     "AGREEMENT_NOT_IN_FORCE"),
)
# fmt: on

# --- the registry and orders --------------------------------------------------------------------


def registry() -> dict[str, Agreement]:
    loaded = [agreement_from_doc(AgreementDoc.model_validate(d)) for d in shipped_registry()]
    return {a.id: a for a in loaded}


REGISTRY = registry()


def version_of(text: Text) -> AgreementVersion:
    [version] = [v for v in REGISTRY[text.agreement].versions if v.label == text.label]
    return version


LINES = {
    "fuel": ("fuel", "F-76 naval distillate fuel", "L"),
    "ammunition": ("ammunition", "5.56 mm ball", "EA"),
    "weapons": ("weapons", "Rifles", "EA"),
    "medical": ("medical", "Field surgery", "EA"),
}


def order(
    text: Text | tuple[str, str],
    on: date,
    activity: str = "exercise",
    settlement: str = "replacement_in_kind",
    line: str = "fuel",
    **attested: object,
) -> Order:
    """An order by the partner from Japan under ``text``'s agreement, dated ``on``."""
    agreement = text.agreement if isinstance(text, Text) else text[0]
    partner = agreement.split("-")[1]
    category, description, unit = LINES[line]
    return Order(
        agreement_id=agreement,
        requester=partner,
        supplier="JPN",
        activity=activity,
        settlement=settlement,
        order_date=on,
        needed_by=on + timedelta(days=3),
        location="JMSDF Yokosuka",
        lines=[OrderLine(1, category, description, Decimal(100), unit, Decimal(120), "JPY")],
        attestations=Attestations(**attested),  # type: ignore[arg-type]
    )


def found(an_order: Order) -> list[Violation]:
    return check_order(an_order, REGISTRY[an_order.agreement_id])


def codes(an_order: Order) -> list[str]:
    return [v.code.value for v in found(an_order)]


def date_codes(text: Text) -> list[str]:
    """What an order any rule of the text allows gets on ``text.day``: nothing, or the refusal
    of a text not yet in force."""
    return [] if text.in_force_on_day else ["AGREEMENT_NOT_IN_FORCE"]


def _determined(on: date) -> dict[str, object]:
    return {"determination": "Joint determination no. 1", "determination_date": on}


# --- the texts themselves -------------------------------------------------------------------------


def test_the_registry_holds_exactly_these_versions():
    held = [(a.id, v.label) for a in REGISTRY.values() for v in a.versions]
    assert sorted(held) == sorted((t.agreement, t.label) for t in TEXTS)


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_dates_kind_and_scope_are_the_texts(text: Text):
    version = version_of(text)
    assert version.kind == text.kind, text.source
    assert version.signed.isoformat() == text.signed, text.source
    assert (version.in_force.isoformat() if version.in_force else None) == text.in_force
    assert version.activities == text.activities, text.source
    assert version.unverified_activities == text.unverified, text.source
    expected_determination = {"other_activities"} if text.determination else set()
    assert version.determination_activities == expected_determination
    assert ("ammunition" in version.categories) is (text.ammunition != NONE), text.source
    assert ("ammunition" in version.excluded) is (text.ammunition == NONE), text.source
    assert "weapons" in version.excluded
    assert version.use_conditions == ("un_charter", "third_party_consent")
    assert version.term == text.term, text.source


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_each_version_cites_its_primary_release(text: Text):
    version = version_of(text)
    primary = version.sources[0]
    assert primary.reference == text.reference, text.source
    assert "seed" not in primary.publisher
    assert "White Paper" not in primary.title or not text.reference
    if text.reference:
        assert primary.date, f"{text}: the release's date"


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_settlement_is_set_per_kind_of_support(text: Text):
    version = version_of(text)
    supplies = {"cash", "replacement_in_kind"} | ({"equal_value_exchange"} if text.us else set())
    assert version.methods_for("supplies") == supplies, US_LAW if text.us else RETURN
    assert version.methods_for("services") == {"cash", "equal_value_exchange"}
    assert version.supplies_return_preferred is not text.us


def test_notes_say_what_is_not_verified():
    usa = {v.label: v.notes for v in REGISTRY["JPN-USA"].versions}
    assert "acsa's reading" in usa["2004 amendment"]
    assert "day not known" in usa["1998 amendment"]
    assert "not verified" in REGISTRY["JPN-IND"].latest.notes
    assert "other countries' nationals" in REGISTRY["JPN-ITA"].latest.notes
    for text in TEXTS:
        if text.term is None:
            assert "Term" in version_of(text).notes or "term" in version_of(text).notes, text


# --- one order passes, one is refused, per rule ---------------------------------------------------


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_an_order_within_the_text_passes(text: Text):
    assert codes(order(text, text.day)) == date_codes(text)


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
@pytest.mark.parametrize("activity", sorted(ACTIVITIES))
def test_each_activity_is_covered_or_refused_as_the_text_says(text: Text, activity: str):
    attested = _determined(text.day) if activity == "other_activities" else {}
    result = codes(order(text, text.day, activity, **attested))
    if activity in text.activities:
        assert result == date_codes(text), text.source
    elif activity in text.unverified:
        assert result == [*date_codes(text), "ACTIVITY_UNVERIFIED"]
        confirmed = order(text, text.day, activity, confirmed=frozenset({"ACTIVITY_UNVERIFIED"}))
        assert codes(confirmed) == date_codes(text)
    else:
        assert result == [*date_codes(text), "ACTIVITY_NOT_COVERED"], text.source


@pytest.mark.parametrize("text", [t for t in TEXTS if t.determination], ids=str)
def test_other_activities_need_the_governments_determination(text: Text):
    without = found(order(text, text.day, "other_activities"))
    refused = [v for v in without if v.code.value == "DETERMINATION_REQUIRED"]
    assert [v.field for v in refused] == ["determination"]
    assert refused[0].clause is not None
    if text.agreement == "JPN-AUS":
        assert "Art. 6(2)" in refused[0].clause
    else:
        assert "determination" in refused[0].clause
    cited = order(text, text.day, "other_activities", **_determined(text.day))
    assert codes(cited) == date_codes(text)
    later = order(text, text.day, "other_activities", **_determined(text.day + timedelta(1)))
    assert codes(later) == [*date_codes(text), "INVALID_DATE"]


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_ammunition_as_the_text_says(text: Text):
    exercise = found(order(text, text.day, line="ammunition"))
    armed = order(text, text.day, "armed_attack", line="ammunition")
    if text.ammunition == ALL:
        assert [v.code.value for v in exercise] == date_codes(text)
    elif text.ammunition == NONE:
        assert [v.code.value for v in exercise] == [*date_codes(text), "CATEGORY_EXCLUDED"]
        if text.agreement == "JPN-IND":
            [excluded] = [v for v in exercise if v.code.value == "CATEGORY_EXCLUDED"]
            assert "Art. 2(3)" in (excluded.clause or "")
    else:
        [refused] = exercise
        assert refused.code.value == "CATEGORY_NOT_COVERED"
        assert "only for: armed attack" in refused.message
        assert codes(armed) == []


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_weapons_are_refused_under_every_text(text: Text):
    assert codes(order(text, text.day, line="weapons")) == [
        *date_codes(text),
        "CATEGORY_EXCLUDED",
    ]


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_supplies_by_equal_value_exchange_only_under_us_law(text: Text):
    exchanged = found(order(text, text.day, settlement="equal_value_exchange"))
    if text.us:
        assert [v.code.value for v in exchanged] == date_codes(text), US_LAW
        return
    [*dated, refused] = exchanged
    assert [v.code.value for v in dated] == date_codes(text)
    assert (refused.code.value, refused.field) == (
        "SETTLEMENT_METHOD_NOT_ALLOWED",
        "lines[0].category",
    ), RETURN
    assert "settlement" in (refused.clause or "")


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_cash_for_supplies_gives_its_reason_where_the_text_prefers_return(text: Text):
    cash = found(order(text, text.day, settlement="cash"))
    if text.us:
        assert [v.code.value for v in cash] == date_codes(text), US_LAW
        return
    assert [v.code.value for v in cash] == [*date_codes(text), "CASH_REASON_REQUIRED"], RETURN
    assert cash[-1].field == "cash_reason"
    reason = "The oiler's stock cannot be returned before the ship leaves the region."
    assert codes(order(text, text.day, settlement="cash", cash_reason=reason)) == date_codes(text)


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_services_in_cash_or_equal_value_never_in_kind(text: Text):
    for method in ("cash", "equal_value_exchange"):
        assert codes(order(text, text.day, settlement=method, line="medical")) == date_codes(
            text
        ), method
    in_kind = found(order(text, text.day, settlement="replacement_in_kind", line="medical"))
    assert [(v.code.value, v.field) for v in in_kind][len(date_codes(text)) :] == [
        ("SETTLEMENT_METHOD_NOT_ALLOWED", "lines[0].category")
    ]


# --- days ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("agreement", "label", "day", "change", "code"), EDGES)
def test_known_days_of_entry_into_force(agreement, label, day, change, code):
    text = next(t for t in TEXTS if (t.agreement, t.label) == (agreement, label))
    assert text.in_force == day.isoformat(), "the day ACSA.md gives"
    before = found(order(text, day - timedelta(1), **change))  # type: ignore[arg-type]
    assert [v.code.value for v in before] == [code]
    on_the_day = order(text, day, **change)  # type: ignore[arg-type]
    assert codes(on_the_day) == []
    assert REGISTRY[agreement].version_on(day).label == label


def test_australia_ammunition_from_6_september_2017():
    """Issue 14, item 3: before, the registry held only "2017" and refused these orders."""
    australia = ("JPN-AUS", "2017 text")
    for day in (date(2017, 9, 6), date(2017, 10, 2), date(2017, 12, 31)):
        assert codes(order(australia, day, line="ammunition")) == [], day
    [refused] = found(order(australia, date(2017, 9, 5), line="ammunition"))
    assert refused.code.value == "CATEGORY_EXCLUDED"
    assert (refused.clause or "").startswith("JPN-AUS 2010 text")


@pytest.mark.parametrize(("agreement", "label", "first", "last", "activity", "before"), WINDOWS)
def test_inside_an_uncertain_window_a_warning_to_confirm(
    agreement, label, first, last, activity, before
):
    text = (agreement, label)
    middle = first + (last - first) // 2
    [warning] = found(order(text, middle, activity))
    assert warning.code.value == "IN_FORCE_DATE_UNCERTAIN"
    assert f"between {first} and {last}" in warning.message
    assert label in warning.message
    confirmed = order(text, middle, activity, confirmed=frozenset({"IN_FORCE_DATE_UNCERTAIN"}))
    assert codes(confirmed) == []
    assert codes(order(text, first, activity)) == ["IN_FORCE_DATE_UNCERTAIN"]
    assert codes(order(text, first - timedelta(1), activity)) == [before]
    assert codes(order(text, last, activity)) == []
    assert codes(order(text, last + timedelta(1), activity)) == []


def test_an_order_the_older_us_text_allows_gets_no_warning_in_the_window():
    for day in (date(1999, 9, 15), date(2004, 7, 15)):
        assert codes(order(("JPN-USA", ""), day, "exercise")) == [], day


def test_the_new_zealand_netherlands_and_philippines_texts_were_not_in_force_after_signing():
    for agreement, signed in (
        ("JPN-NLD", date(2025, 12, 18)),
        ("JPN-NZL", date(2025, 12, 19)),
        ("JPN-PHL", date(2026, 1, 15)),
    ):
        [refused] = found(order((agreement, ""), signed + timedelta(1)))
        assert refused.code.value == "AGREEMENT_NOT_IN_FORCE"
        assert "has not entered into force" in refused.message
        [early] = found(order((agreement, ""), signed - timedelta(1)))
        assert f"was not signed until {signed}" in early.message


# --- US statutory caps ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", TEXTS, ids=IDS)
def test_us_caps_on_what_the_us_accrues(text: Text):
    """10 U.S.C. 2347(b): $60M of reimbursable liabilities a US fiscal year from a non-NATO
    partner, of which at most $20M for supplies, not during active hostilities."""
    version = version_of(text)
    if not text.us:
        assert version.annual_ceilings == ()
        return
    caps = {(c.applies_to, c.currency, c.amount, c.party) for c in version.annual_ceilings}
    assert caps == {
        ("all", "USD", Decimal("60000000"), "USA"),
        ("supplies", "USD", Decimal("20000000"), "USA"),
    }
    assert all(c.hostilities_exempt for c in version.annual_ceilings)
    assert applicable(version, "JPN") == []
    assert len(applicable(version, "USA")) == 2
    assert applicable(version, "USA", hostilities=True) == []


def _context(an_order: Order, used_supplies: str) -> CeilingContext:
    agreement = REGISTRY[an_order.agreement_id]
    version = agreement.version_on(an_order.order_date)
    day = an_order.order_date
    used = Acquired(day, Money(Decimal(used_supplies), "USD"), Money(Decimal(0), "USD"))
    value = Acquired(day, Money(Decimal("250000"), "USD"), Money(Decimal(0), "USD"))

    def no_conversion(money: Money, currency: str, on: date) -> Money:
        raise AssertionError(f"{money} in {currency} on {on}: everything here is in USD")

    return CeilingContext(
        an_order, agreement, version, fiscal_year_of("USA", day), value, (used,), no_conversion
    )


def test_the_us_supplies_cap_refuses_past_20_million_unless_in_hostilities():
    day = date(2026, 10, 1)  # the first day of US FY2027
    assert str(fiscal_year_of("USA", day).label) == "FY2027"
    peacetime = order(("JPN-USA", ""), day)
    [over] = ceiling_violations(_context(peacetime, "19900000"))
    assert over.code.value == "CEILING_EXCEEDED"
    assert "20,000,000" in over.message or "20000000" in over.message
    assert "2347" in (over.clause or "")
    assert ceiling_violations(_context(peacetime, "19750000")) == []
    at_war = order(("JPN-USA", ""), day, "armed_attack", hostilities=True)
    assert ceiling_violations(_context(at_war, "19900000")) == []


# --- the seeds' counts ----------------------------------------------------------------------------


def partners_signed_by(on: date) -> set[str]:
    return {a.partner_of("JPN") for a in REGISTRY.values() if a.signed_by(on)}


@pytest.mark.parametrize(
    ("on", "count", "source"),
    [
        (date(2024, 1, 28), 6, "before Germany"),
        (date(2024, 1, 29), 7, "seed 004: Germany the seventh country"),
        (date(2025, 12, 1), 8, "seed 000: New Zealand would be the ninth"),
        (date(2025, 12, 18), 9, "the Netherlands, a day before New Zealand"),
        (date(2025, 12, 19), 10, "seed 001: New Zealand the 10th"),
        (date(2026, 1, 14), 10, "before the Philippines"),
        (date(2026, 1, 15), 11, "Jiji/nippon.com: the Philippines Japan's 11th ACSA"),
        (date(2026, 11, 23), 11, "no twelfth in the sources"),
    ],
)
def test_partners_counted_by_signing_date_reproduce_the_seeds(on, count, source):
    assert len(partners_signed_by(on)) == count, source
