"""Draft blocks for the nested fields: assignees, jurisdictions, attributes, linked inventories.

Each builder decides from the column's values: e-mails get `lookup: user`, group names
`lookup: group`, cells listing several items a `split`, select options a map to option names.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from importer.draft.fields import UUID_TEXT, SampleColumns, matched_comment
from importer.draft.match import Match
from importer.draft.render import FieldDraft
from importer.draft.values import (
    distinct_texts,
    email_share,
    looks_numeric,
    nearest_map,
    split_separator,
)
from importer.sandbox import Attribute, AttributeType

__all__ = ["build_assignee", "build_attribute", "build_inventory", "build_jurisdictions"]

_OPTION_NOTE = "option names resolve to ids through `options:` or `lookups: {options: FILE}`"


def build_assignee(match: Match, sample: SampleColumns) -> FieldDraft:
    """One `incidentAssigneeRequests` item: user e-mails, group names, or assignee ids."""
    counts = distinct_texts(sample.values(match.column))
    separator = split_separator(counts)
    spec: dict[str, Any] = {"column": match.column}
    if separator:
        spec["split"] = separator
    items = _items(counts, separator)
    draft = FieldDraft("incidentAssigneeRequests", spec, comment=matched_comment(match))
    wants_groups = match.target == "assigneeGroups"
    if (not counts and not wants_groups) or email_share(counts, separator) >= 0.8:
        spec["lookup"] = "user"
        draft.comment += "; e-mails → user ids" if counts else "; no sample values: e-mails?"
    elif items and all(UUID_TEXT.match(item) for item in items):
        if wants_groups:
            spec["type"] = "GROUP"
        draft.comment += "; assignee ids"
    elif wants_groups or _group_share(items, sample) >= 0.5:
        _group_lookup(spec, items, sample, draft)
    else:
        spec["lookup"] = "user"
        draft.disabled = True
        examples = ", ".join(repr(item) for item in items[:2])
        draft.notes.append(
            f"TODO: values are neither e-mails nor ids (e.g. {examples}); "
            "map them to e-mails, then enable this line"
        )
    return draft


def _items(counts: Counter[str], separator: str | None) -> list[str]:
    parts = (text.split(separator) if separator else [text] for text in counts)
    return list(dict.fromkeys(item.strip() for group in parts for item in group if item.strip()))


def _group_share(items: list[str], sample: SampleColumns) -> float:
    known = {name.casefold() for name in sample.group_names}
    return sum(item.casefold() in known for item in items) / len(items) if items else 0.0


def _group_lookup(
    spec: dict[str, Any], items: list[str], sample: SampleColumns, draft: FieldDraft
) -> None:
    spec.update(type="GROUP", lookup="group")
    choices = nearest_map(Counter(items), sample.group_names)
    renamed = {
        c.source: c.target
        for c in choices
        if not c.weak and c.source.casefold() != c.target.casefold()
    }
    if renamed:
        spec.update(map=renamed, ignore_case=True)
        draft.notes.append("check: the map turns abbreviations into the tenant's group names")
    draft.comment += "; group names"


def build_jurisdictions(
    countries: list[Match], state: Match | None, sample: SampleColumns
) -> list[FieldDraft]:
    """`- {country: Country, state: State}`, then one split item per further country column."""
    drafts = []
    for position, country in enumerate(countries):
        paired = state if position == 0 else None
        spec: dict[str, Any] = {"country": country.column}
        comment = f"country {matched_comment(country)}"
        separator = split_separator(distinct_texts(sample.values(country.column)))
        if paired is not None:
            spec["state"] = paired.column
            comment += f"; state {matched_comment(paired)}"
        elif separator:
            spec["country"] = {"column": country.column, "split": separator}
        drafts.append(FieldDraft("jurisdictions", spec, comment=comment + "; names or ISO codes"))
    return drafts


def build_attribute(match: Match, attribute: Attribute, sample: SampleColumns) -> FieldDraft:
    """An `attributeValues` entry: text as is, select options mapped to the tenant's names."""
    values = sample.values(match.column)
    spec: dict[str, Any] = {"column": match.column}
    draft = FieldDraft("attributeValues", spec, sub_key=attribute.name)
    draft.comment = matched_comment(match)
    if not attribute.is_select:
        if looks_numeric(values):
            spec["number_to_string"] = True
        return draft
    counts = distinct_texts(values)
    if attribute.type is AttributeType.MULTI_SELECT:
        spec["split"] = [",", ";"]
        items = (item for text in counts.elements() for item in re.split(r"[;,]", text))
        counts = distinct_texts(items)
    spec["option"] = True
    draft.notes.append(_OPTION_NOTE)
    choices = nearest_map(counts, [option.name for option in attribute.options])
    if choices and all(choice.weak for choice in choices):
        examples = ", ".join(repr(choice.source) for choice in choices[:3])
        draft.notes.append(
            f"TODO: no value matched an option name well ({examples}); add a map, then enable"
        )
        draft.disabled = True  # as it is, every row with a value would fail
    elif choices:
        spec.update(map=None, ignore_case=True, otherwise="error")
        draft.value_map = choices
    return draft


def build_inventory(match: Match, sample: SampleColumns) -> FieldDraft:
    """A `linkedInventories` entry: the column's ids as `externalIds`, split when listed."""
    spec: dict[str, Any] = {"column": match.column}
    separator = split_separator(distinct_texts(sample.values(match.column)))
    if separator:
        spec["split"] = separator
    items = _items(distinct_texts(sample.values(match.column)), separator)
    ids = bool(items) and all(UUID_TEXT.match(item) for item in items)
    spec["as"] = "inventoryIds" if ids else "externalIds"
    return FieldDraft(
        "linkedInventories", spec, sub_key=match.target, comment=matched_comment(match)
    )
