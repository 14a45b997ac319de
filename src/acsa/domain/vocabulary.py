"""The words agreements use: activities, categories of supplies and services, settlement."""

from __future__ import annotations

from enum import StrEnum


class Settlement(StrEnum):
    CASH = "cash"
    REPLACEMENT_IN_KIND = "replacement_in_kind"
    EQUAL_VALUE_EXCHANGE = "equal_value_exchange"


class CategoryKind(StrEnum):
    """Whether a category is goods (returnable in kind), services, or either."""

    GOODS = "goods"
    SERVICES = "services"
    EITHER = "either"


#: Activities named in Japan's agreements (ACSA.md), with a short English title.
ACTIVITIES: dict[str, str] = {
    "exercise": "Bilateral or multilateral training and exercises",
    "un_peacekeeping": "United Nations peacekeeping operations",
    "humanitarian_relief": "International humanitarian relief operations",
    "disaster_response": "Large-scale disaster response",
    "evacuation_of_nationals": "Transport or evacuation of nationals abroad",
    "routine": "Liaison, visits and other routine activities",
    "peace_security_operations": "Internationally coordinated peace and security operations",
    "important_influence_situation": "Situations with an important influence on Japan's peace",
    "survival_threatening_situation": "Survival-threatening situations",
    "armed_attack": "Armed attack situations",
    "anticipated_armed_attack": "Anticipated armed attack situations",
    "areas_surrounding_japan": "Situations in areas surrounding Japan",
    "international_peace_efforts": "Activities for international peace efforts",
    "other_activities": (
        "Other activities for which each Party's law permits provision, as the two "
        "governments mutually determine"
    ),
}

#: The conditions of use every text of Japan's sets on what it supplies (ACSA.md, "Use"),
#: printed on the order form: a version lists the codes its text carries.
USE_CONDITIONS: dict[str, str] = {
    "un_charter": "Use consistent with the Charter of the United Nations.",
    "third_party_consent": (
        "No transfer to a third party without the supplying government's prior consent."
    ),
}

#: Categories of supplies and services, with their kind for settlement purposes.
CATEGORIES: dict[str, tuple[str, CategoryKind]] = {
    "food": ("Food", CategoryKind.GOODS),
    "water": ("Water", CategoryKind.GOODS),
    "billeting": ("Billeting", CategoryKind.SERVICES),
    "transportation": ("Transportation (including airlift)", CategoryKind.SERVICES),
    "fuel": ("Fuel, oils and lubricants", CategoryKind.GOODS),
    "clothing": ("Clothing", CategoryKind.GOODS),
    "communications": ("Communications", CategoryKind.EITHER),
    "medical": ("Medical services", CategoryKind.SERVICES),
    "base_support": ("Base support", CategoryKind.SERVICES),
    "storage": ("Storage", CategoryKind.SERVICES),
    "use_of_facilities": ("Use of facilities", CategoryKind.SERVICES),
    "training": ("Training services", CategoryKind.SERVICES),
    "spare_parts": ("Spare parts and components", CategoryKind.GOODS),
    "repair_maintenance": ("Repair and maintenance", CategoryKind.SERVICES),
    "airport_seaport_services": ("Airport and seaport services", CategoryKind.SERVICES),
    "ammunition": ("Ammunition", CategoryKind.GOODS),
    "calibration": ("Calibration", CategoryKind.SERVICES),
    "weapons": ("Weapons", CategoryKind.GOODS),
}


class SupportKind(StrEnum):
    """How the texts group what is provided when they set the ways to settle it."""

    SUPPLIES = "supplies"
    SERVICES = "services"


def support_kinds(category: str) -> frozenset[SupportKind]:
    """Supplies, services, or both for a category that may be either."""
    kind = category_kind(category)
    if kind is CategoryKind.GOODS:
        return frozenset({SupportKind.SUPPLIES})
    if kind is CategoryKind.SERVICES:
        return frozenset({SupportKind.SERVICES})
    return frozenset(SupportKind)


def category_kind(category: str) -> CategoryKind:
    """Goods, services or either; a category acsa does not know is treated as either."""
    known = CATEGORIES.get(category)
    return known[1] if known else CategoryKind.EITHER
