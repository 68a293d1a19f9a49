"""Field blocks of a draft mapping, one builder per kind of API field, from matched columns.

Each builder looks at the column's sample values to choose directives (formats, maps, lookups)
and says in comments what it guessed and what the user should check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from importer.draft.dates import Order, guess_dates
from importer.draft.match import SURE_SCORE, Match
from importer.draft.render import FieldDraft
from importer.draft.values import (
    MAX_MAP_VALUES,
    NOTIFICATION_WORDS,
    SOURCE_TYPE_WORDS,
    TYPE_HINTS,
    ValueChoice,
    distinct_texts,
    enum_map,
    nearest_map,
)
from importer.mapping import is_blank_cell

__all__ = ["REQUIRED_PLACEHOLDERS", "UUID_TEXT", "SampleColumns", "build_field", "matched_comment"]

# What a required field gets when no column fits: loads, and fails loudly on every row until fixed.
REQUIRED_PLACEHOLDERS: dict[str, tuple[dict[str, Any], str]] = {
    "name": ({"constant": "TODO-name"}, "the incident's name, e.g. {column: Title}"),
    "incidentTypeName": (
        {"constant": "TODO-incidentTypeName"},
        "the incident type, e.g. {column: Category, map: {...}, otherwise: error}",
    ),
    "orgGroupId": (
        {"constant": "TODO-orgGroupId", "lookup": "organization"},
        "the organization, e.g. {column: Business Unit, lookup: organization}",
    ),
}
UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass(slots=True)
class SampleColumns:
    """The sample rows of the chosen sheets, with the knowledge every builder shares."""

    frame: pd.DataFrame
    known_types: Sequence[str]
    group_names: Sequence[str]
    date_order: Order = "day"  # what the sheet's unambiguous dates say, for ambiguous columns

    def values(self, column: str) -> list[Any]:
        """Non-empty cells of a column, in row order."""
        cells = self.frame[column].tolist() if column in self.frame.columns else []
        return [cell for cell in cells if not is_blank_cell(cell)]


def matched_comment(match: Match) -> str:
    text = f"matched {match.column!r} (score {match.score})"
    return text if match.score >= SURE_SCORE else f"{text}, check it"


def build_field(match: Match, sample: SampleColumns) -> FieldDraft:
    """The block for a scalar or date API field, with the match in its comment."""
    builder = _BUILDERS.get(match.target, _text_field)
    draft = builder(match, sample)
    draft.comment = matched_comment(match) + (f"; {draft.comment}" if draft.comment else "")
    return draft


def _text_field(match: Match, sample: SampleColumns) -> FieldDraft:
    return FieldDraft(match.target, {"column": match.column})


def _type_field(match: Match, sample: SampleColumns) -> FieldDraft:
    counts = distinct_texts(sample.values(match.column))
    hints = {t: TYPE_HINTS[t] for t in sample.known_types if t in TYPE_HINTS}
    choices = nearest_map(counts, sample.known_types, hints)
    return _mapped(match, counts, choices, "your tenant's incident type names")


def _enum_field(words: dict[str, set[str]], fallback: str) -> Callable[..., FieldDraft]:
    def build(match: Match, sample: SampleColumns) -> FieldDraft:
        counts = distinct_texts(sample.values(match.column))
        return _mapped(match, counts, enum_map(counts, words, fallback), " / ".join(words))

    return build


def _mapped(
    match: Match, counts: Counter[str], choices: list[ValueChoice], targets: str
) -> FieldDraft:
    if not choices:
        note = f"TODO: no sample values; add a map from this column's values to {targets}"
        return FieldDraft(match.target, {"column": match.column}, notes=[note])
    notes = []
    if all(choice.weak for choice in choices):
        examples = ", ".join(repr(choice.source) for choice in choices[:3])
        note = f"TODO: no value matched {targets} well ({examples}, ...); add a map"
        return FieldDraft(match.target, {"column": match.column}, notes=[note])
    spec = {"column": match.column, "map": None, "ignore_case": True, "otherwise": "error"}
    left_out = len({text.casefold() for text in counts}) - len(choices)
    if left_out > 0:
        notes.append(
            f"TODO: {_count(left_out, 'rarer value')} not in the map (only the {MAX_MAP_VALUES} "
            "most frequent are); rows with them fail until you add them"
        )
    if any(choice.weak for choice in choices):
        notes.append(
            "TODO: values marked 'weak guess' are left out: their rows fail until you map them"
        )
    return FieldDraft(match.target, spec, notes=notes, value_map=choices)


def _org_field(match: Match, sample: SampleColumns) -> FieldDraft:
    values = [str(v).strip() for v in sample.values(match.column)]
    if values and all(UUID_TEXT.match(v) for v in values):
        return FieldDraft(match.target, {"column": match.column}, comment="values are ids")
    spec = {"column": match.column, "lookup": "organization"}
    return FieldDraft(match.target, spec, comment="names, externalIds or paths like Global/EMEA")


def _date_field(match: Match, sample: SampleColumns) -> FieldDraft:
    guess = guess_dates(sample.values(match.column), prefer=sample.date_order)
    spec: dict[str, Any] = {"column": match.column}
    if guess.formats:
        spec["formats"] = guess.formats
    if guess.dayfirst:
        spec["dayfirst"] = True
    notes, said = [], []
    if guess.native:
        said.append("real date cells")
    if guess.serial_texts:
        spec["excel_serial"] = True
        said.append("Excel serial numbers written as text")
    elif guess.serials:
        said.append("Excel serial numbers (read from number cells by default)")
    if guess.order_unknown:
        order = "day-first" if guess.dayfirst else "month-first"
        notes.append(f"check: no sample value tells day from month (all <= 12); assumed {order}")
    if guess.order_conflict:
        notes.append("check: some values read only day-first, others only month-first")
    if guess.unparsed:
        examples = ", ".join(repr(v) for v in guess.unparsed[:3])
        notes.append(
            f"TODO: {_count(len(guess.unparsed), 'sample value')} read as no date (bad data, or "
            f"a format to add), e.g. {examples}"
        )
    if not (guess.native or guess.serials or guess.texts):
        notes.append("TODO: no sample values; add `formats:` (strptime) if dates are not ISO 8601")
    return FieldDraft(match.target, spec, comment=", ".join(said), notes=notes)


_BUILDERS: dict[str, Callable[[Match, SampleColumns], FieldDraft]] = {
    "incidentTypeName": _type_field,
    "notificationNeeded": _enum_field(NOTIFICATION_WORDS, "UNKNOWN"),
    "sourceType": _enum_field(SOURCE_TYPE_WORDS, "MANUAL"),
    "orgGroupId": _org_field,
    "dateOccurred": _date_field,
    "dateDiscovered": _date_field,
    "deadline": _date_field,
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
