"""Which column feeds which field of a draft mapping, and the field blocks that follow from it.

Headers are matched first (`match`), then the sample's values settle what headers cannot:
a date field needs dates, a row key needs unique values, and of two "discovered" columns the
earlier one is taken as `dateOccurred`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from importer.draft.dates import DateGuess, Order, date_order, guess_dates, median_date
from importer.draft.fields import REQUIRED_PLACEHOLDERS, SampleColumns, build_field
from importer.draft.match import (
    ACCEPT_SCORE,
    FIELD_SYNONYMS,
    KEY_SYNONYMS,
    Match,
    assign,
    attribute_targets,
    field_targets,
    score_header,
)
from importer.draft.nested import (
    build_assignee,
    build_attribute,
    build_inventory,
    build_jurisdictions,
)
from importer.draft.render import FieldDraft
from importer.draft.values import is_unique_key
from importer.sandbox import Tenant

__all__ = ["Plan", "plan_mapping"]

_DATE_FIELDS = ("dateOccurred", "dateDiscovered", "deadline")
_ASSIGNEES = ("incidentAssigneeRequests", "assigneeGroups")
_LIST_TARGETS = (*_ASSIGNEES, "jurisdictions")  # a second matching column adds an item
_INVENTORIES = ("assets", "vendors", "processing-activities")


@dataclass(slots=True)
class Plan:
    """Matched columns, the row key, and the blocks to write."""

    matches: list[Match]
    key: Match | None
    drafts: list[FieldDraft] = field(default_factory=list)

    @property
    def used_columns(self) -> set[str]:
        used = {m.column for m in self.matches if m.target != "state" or self.has("jurisdictions")}
        return used | ({self.key.column} if self.key else set())

    def has(self, target: str) -> bool:
        return any(m.target == target for m in self.matches)


def plan_mapping(columns: SampleColumns, tenant: Tenant) -> Plan:
    """Match the sample's headers to fields and build the field blocks."""
    headers = [str(c) for c in columns.frame.columns]
    plausible = _plausible(columns)
    targets = field_targets() + attribute_targets(a.name for a in tenant.attributes)
    matches = assign(headers, targets, plausible=plausible)
    matches += _extra_items(headers, matches, plausible)
    notes = _occurred_from_discovered(matches, columns, plausible)
    matches.sort(key=lambda m: headers.index(m.column))  # list items in the sheet's order
    columns.date_order = _sheet_date_order(matches, columns)
    plan = Plan(matches, _key_column(columns))
    plan.drafts = _field_drafts(matches, columns, tenant)
    for draft in plan.drafts:
        draft.notes[:0] = notes.get(draft.api_field, [])
    return plan


def _plausible(columns: SampleColumns) -> Callable[[str, str], bool]:
    """Dates for date fields only; numbers alone are not taken for dates (they may be counts)."""
    cache: dict[str, DateGuess] = {}

    def plausible(target: str, column: str) -> bool:
        values = columns.values(column)
        if not values:
            return True
        if column not in cache:
            cache[column] = guess_dates(values)
        guess = cache[column]
        if target in _DATE_FIELDS:
            return guess.looks_like_dates
        return not (guess.looks_like_dates and guess.serials == 0)

    return plausible


def _extra_items(
    headers: list[str], matches: list[Match], plausible: Callable[[str, str], bool]
) -> list[Match]:
    """Columns left over that also fit a list field (`Other Countries`, a second owner)."""
    used = {m.column for m in matches}
    extra = []
    for target in field_targets():
        if target.name not in _LIST_TARGETS:
            continue
        for header in headers:
            score, synonym = score_header(header, target.synonyms)
            if header not in used and score >= ACCEPT_SCORE and plausible(target.name, header):
                extra.append(Match(target.name, header, score, synonym))
                used.add(header)
    return extra


def _occurred_from_discovered(
    matches: list[Match], columns: SampleColumns, plausible: Callable[[str, str], bool]
) -> dict[str, list[str]]:
    """With no "occurred" column but two "discovered" ones, the earlier is `dateOccurred`."""
    found = {m.target: m for m in matches}
    if "dateOccurred" in found or "dateDiscovered" not in found:
        return {}
    used = {m.column for m in matches}
    rivals = [
        Match("dateOccurred", column, *score_header(column, FIELD_SYNONYMS["dateDiscovered"]))
        for column in map(str, columns.frame.columns)
        if column not in used
    ]
    rivals = [
        r for r in rivals if r.score >= ACCEPT_SCORE and plausible("dateDiscovered", r.column)
    ]
    if not rivals:
        return {}
    rival = max(rivals, key=lambda m: m.score)
    discovered = found["dateDiscovered"]
    rival_date = median_date(columns.values(rival.column))
    discovered_date = median_date(columns.values(discovered.column))
    if rival_date is None or discovered_date is None:
        return {}
    if rival_date > discovered_date:
        matches.remove(discovered)
        rival, discovered = (
            Match("dateOccurred", discovered.column, discovered.score, discovered.synonym),
            Match("dateDiscovered", rival.column, rival.score, rival.synonym),
        )
        matches.append(discovered)
    matches.append(rival)
    note = (
        f"check: {rival.column!r} and {discovered.column!r} both look like the discovery date; "
        f"{rival.column!r} comes first, so it is taken as dateOccurred"
    )
    return {"dateOccurred": [note]}


def _sheet_date_order(matches: list[Match], columns: SampleColumns) -> Order:
    votes = Counter(
        date_order(columns.values(m.column)) for m in matches if m.target in _DATE_FIELDS
    )
    return "month" if votes["month"] > votes["day"] else "day"


def _key_column(columns: SampleColumns) -> Match | None:
    """The best id-like header whose sample values are all present and unique."""
    found: list[Match] = []
    for column in map(str, columns.frame.columns):
        score, synonym = score_header(column, KEY_SYNONYMS)
        if score >= ACCEPT_SCORE and is_unique_key(columns.frame[column].tolist()):
            found.append(Match("key", column, score, synonym))
    return max(found, key=lambda m: m.score, default=None)


def _field_drafts(matches: list[Match], columns: SampleColumns, tenant: Tenant) -> list[FieldDraft]:
    found = {m.target: m for m in matches}
    drafts: list[FieldDraft] = []
    for match in matches:
        attribute = tenant.attribute(match.target)
        if match.target in ("jurisdictions", "state"):
            continue
        if attribute is not None:
            drafts.append(build_attribute(match, attribute, columns))
        elif match.target in _ASSIGNEES:
            drafts.append(build_assignee(match, columns))
        elif match.target in _INVENTORIES:
            drafts.append(build_inventory(match, columns))
        else:
            drafts.append(build_field(match, columns))
    countries = [m for m in matches if m.target == "jurisdictions"]
    drafts += build_jurisdictions(countries, found.get("state"), columns)
    for name, (spec, example) in REQUIRED_PLACEHOLDERS.items():
        if name not in found:
            note = f"TODO: required, and no column looked like it; give {example}"
            drafts.append(FieldDraft(name, dict(spec), notes=[note]))
    if "dateDiscovered" in found and "deadline" not in found:
        note = "no deadline column; the GDPR window would be:"
        spec = {"relative_to": "dateDiscovered", "offset": "72h"}
        drafts.append(FieldDraft("deadline", spec, notes=[note], disabled=True))
    return drafts
