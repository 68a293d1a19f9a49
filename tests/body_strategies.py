"""Hypothesis strategies for mapped request bodies: the valid forms a mapping writes and the
near misses around them, so a fast path and the model it stands in for can be compared."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st

ODD_CHARS = ["0", "9", "-", ":", "T", "Z", ".", " ", "\n", "\x00", "٣", "z", "+", "A"]


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    """`2024-05-31T12:43:24.173Z` and its neighbours: other fields, offsets, fractions."""
    year = draw(st.sampled_from([0, 1, 999, 1000, 1900, 2000, 2023, 2024, 2100, 2400, 9999]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 24)),
        draw(st.integers(0, 60)),
        draw(st.integers(0, 60)),
    )
    fraction = draw(st.sampled_from(["", ".5", ".173", ".123456", ".1234567", ".123456789", "."]))
    zone = draw(st.sampled_from(["Z", "Z", "Z", "+00:00", "+02:00", "-0530", "", "z", "Z\n"]))
    sep = draw(st.sampled_from(["T", "T", "T", " "]))
    text = (
        f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}"
    )
    if draw(st.booleans()):
        return text
    at = draw(st.integers(0, len(text) - 1))  # one character changed, dropped or doubled
    change = draw(st.sampled_from([*ODD_CHARS, ""]))
    doubled = draw(st.booleans())
    return text[:at] + change + text[at + (0 if doubled else 1) :]


def date_values() -> st.SearchStrategy[Any]:
    return st.one_of(date_texts(), st.none(), st.text(max_size=26), st.integers(), st.just(""))


@st.composite
def uuid_texts(draw: st.DrawFn) -> Any:
    value = draw(st.uuids(allow_nil=True))
    form = draw(st.sampled_from(["canonical", "upper", "hex", "braces", "urn", "padded", "junk"]))
    if form == "junk":
        return draw(st.one_of(st.text(max_size=40), st.integers(), st.none()))
    text = {
        "canonical": str(value),
        "upper": str(value).upper(),
        "hex": value.hex,
        "braces": "{" + str(value) + "}",
        "urn": value.urn,
        "padded": f" {value} ",
    }[form]
    return text if draw(st.integers(0, 3)) else text[:-1]


def texts() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=6), st.sampled_from(["", " ", "\t", "x"]), st.none(), st.integers()
    )


def _choice(*values: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([*values, None, "", "manual", 1])


def _attribute_values() -> st.SearchStrategy[Any]:
    option = st.fixed_dictionaries({}, optional={"id": uuid_texts(), "value": texts()})
    return st.dictionaries(
        texts().filter(lambda t: isinstance(t, str)), st.lists(option, max_size=2), max_size=2
    )


def _assignees() -> st.SearchStrategy[Any]:
    one = st.fixed_dictionaries(
        {"assigneeId": uuid_texts()},
        optional={"type": _choice("USER", "GROUP"), "assigneeEmail": _choice("a@b.co", "bob")},
    )
    return st.lists(one, max_size=2)


def _jurisdictions() -> st.SearchStrategy[Any]:
    one = st.fixed_dictionaries(
        {"countryCode": _choice("FRA", "USA", "CAN")},
        optional={"jurisdictionId": uuid_texts(), "stateProvinceCode": _choice("CA", "QC")},
    )
    return st.lists(one, max_size=2)


def _inventories() -> st.SearchStrategy[Any]:
    link = st.fixed_dictionaries(
        {},
        optional={
            "inventoryIds": st.lists(uuid_texts(), max_size=2),
            "externalIds": st.lists(st.sampled_from(["a", "b"]), max_size=2),
            "sourceType": _choice("MANUAL", "WEBFORM"),
        },
    )
    return st.fixed_dictionaries({}, optional={"assets": link, "processing-activities": link})


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A create body as a mapping might write it, valid about half the time."""
    body = draw(
        st.fixed_dictionaries(
            {
                "name": st.one_of(st.just("Lost laptop"), texts()),
                "incidentTypeName": st.one_of(st.just("Phishing"), texts()),
                "orgGroupId": st.one_of(st.uuids().map(str), uuid_texts()),
            },
            optional={
                "description": texts(),
                "dateOccurred": date_values(),
                "dateDiscovered": date_values(),
                "deadline": date_values(),
                "sourceType": _choice("MANUAL", "WEBFORM"),
                "rootCause": texts(),
                "notificationNeeded": _choice("YES", "NO", "UNKNOWN"),
                "attributeValues": _attribute_values(),
                "incidentAssigneeRequests": _assignees(),
                "jurisdictions": _jurisdictions(),
                "linkedInventories": _inventories(),
                "autoAssessJurisdictions": st.sampled_from([True, False, None, "yes", 2]),
                "unexpected": st.just(1),
            },
        )
    )
    for name in draw(
        st.sets(st.sampled_from(["name", "incidentTypeName", "orgGroupId"]), max_size=1)
    ):
        del body[name]
    return body


def usual_body(row: int) -> dict[str, Any]:
    """A valid body of the form the bench mapping writes, different on every row."""
    day = f"2015-0{1 + row % 9}-{10 + row % 18}T{row % 24:02d}:{row % 60:02d}"
    return {
        "name": f"Incident {row}",
        "description": f"Reported by branch {row}",
        "incidentTypeName": "Phishing",
        "orgGroupId": str(uuid.UUID(int=row * 7919 + 1)),
        "dateOccurred": f"{day}:00.000Z",
        "dateDiscovered": f"{day}:59Z",
        "sourceType": "MANUAL",
        "rootCause": "Cause",
        "notificationNeeded": "YES",
    }
