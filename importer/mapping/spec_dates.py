"""Date blocks of the mapping file: formats, Excel serials, date-only policy, zone, offsets.

`dates.py` applies them to a chunk; `spec.relative_date_problem` checks offsets across fields.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import BeforeValidator, field_validator, model_validator

from importer.mapping.durations import parse_duration
from importer.mapping.spec_blocks import Source, as_list

__all__ = ["DATE_FIELDS", "DateSpec", "check_timezone", "known_zone"]

DATE_FIELDS = ("dateOccurred", "dateDiscovered", "deadline")
_TIME_DIRECTIVE = re.compile(r"%[-#]?[HIMSfpXcTRr]")


class DateSpec(Source):
    """A date-time: formats, Excel serials, date-only policy, zone, or relative to another field."""

    # pydantic copies a mutable default per instance (RUF012 cannot see Block is a BaseModel).
    formats: Annotated[list[str], BeforeValidator(as_list)] = []  # noqa: RUF012
    dayfirst: bool | None = None  # set: also try lenient parsing, day or month first
    # None: number *cells* of a workbook may be serials, text never; True: numeric text too.
    excel_serial: bool | None = None
    date_only: Literal["start_of_day", "end_of_day"] = "start_of_day"
    timezone: str | None = None
    relative_to: Literal["dateOccurred", "dateDiscovered", "deadline"] | None = None
    offset: str | None = None

    def _source_optional(self) -> bool:
        return self.relative_to is not None

    @field_validator("formats")
    @classmethod
    def _formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            if "%" not in fmt:
                raise ValueError(f"format {fmt!r} has no %-directive, e.g. '%d/%m/%Y %H:%M'")
        return formats

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str | None) -> str | None:
        return check_timezone(name)

    @field_validator("offset")
    @classmethod
    def _offset(cls, text: str | None) -> str | None:
        if text is not None:
            parse_duration(text)
        return text

    @model_validator(mode="after")
    def _offset_needs_base(self) -> DateSpec:
        if (self.offset is None) != (self.relative_to is None):
            raise ValueError(
                "'relative_to' and 'offset' go together, e.g. relative_to: "
                "dateDiscovered, offset: 72h"
            )
        return self

    def has_time(self, fmt: str) -> bool:
        return bool(_TIME_DIRECTIVE.search(fmt))


def check_timezone(name: str | None) -> str | None:
    """Accept an IANA zone name; the loader adds the nearest names to the error."""
    if name is not None and not known_zone(name):
        raise ValueError(f"unknown timezone {name!r} (an IANA name like Europe/Paris)")
    return name


def known_zone(name: str) -> bool:
    """`name in available_timezones()`. That call opens every file of the system's zone folders
    (~30 ms CPU on every run); a zone of tzdata's own list is in it anyway."""
    return (name != "posixrules" and name in _tzdata_zones()) or name in _zones()


@cache
def _tzdata_zones() -> frozenset[str]:
    """The zones the tzdata package lists, read as `available_timezones` reads them (it adds
    them all, and drops `posixrules`); none if there is no such list."""
    try:
        with resources.files("tzdata").joinpath("zones").open("r") as lines:
            return frozenset(zone for line in lines if (zone := line.strip()))
    except Exception:  # no tzdata or no list: `available_timezones` decides alone
        return frozenset()


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES
