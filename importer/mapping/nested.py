"""Nested API fields: assignees, jurisdictions, attribute values, linked inventories.

Items are split and mapped column-wise; names are resolved once per distinct value; only the final
assembly of the small per-row dicts is a Python loop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd

from importer.mapping.cells import ErrorSink, blank_cells
from importer.mapping.countries import STATE_REQUIRED, resolve_country, resolve_state
from importer.mapping.lookups import (
    Lookups,
    Resolution,
    is_uuid,
    normalise_email,
    resolve_group,
    resolve_option,
    resolve_user,
)
from importer.mapping.spec import (
    AssigneeSpec,
    AttributeSpec,
    JurisdictionSpec,
    LinkedInventoriesSpec,
)
from importer.mapping.values import ChunkColumns, cell_items, source_label, text_value

__all__ = [
    "Resolved",
    "assignees",
    "attribute_values",
    "jurisdictions",
    "linked_inventories",
    "resolve_series",
]

RowLists = dict[int, list[dict[str, Any]]]
Resolved = list[tuple[int, str, str]]  # (row, source text, resolved id)


def resolve_series(
    items: pd.Series,
    resolve: Callable[[str], Resolution],
    sink: ErrorSink,
    field: str,
    column: str | None,
) -> Resolved:
    """Each item → its id, resolving every distinct value once; misses become row errors."""
    items = items.dropna()
    found: dict[str, str] = {}
    problems: dict[str, str] = {}
    for value in items.unique():
        ident, problem = resolve(value)
        if ident is not None:
            found[value] = ident
        else:
            problems[value] = problem or "not found"
    bad = items.isin(list(problems))
    sink.add_where(bad, items, problems.__getitem__, field=field, column=column)
    kept = items[~bad.to_numpy()]
    texts = kept.tolist()
    return [(int(row), text, found[text]) for row, text in zip(kept.index, texts, strict=True)]


def when_present(spec: Any, cols: ChunkColumns) -> ChunkColumns:
    """The rows a nested block applies to: all, or those whose `when_present` cell has a value.

    On the other rows the block does nothing at all: no items, no default, no errors.
    """
    column = getattr(spec, "when_present", None)
    if column is None:
        return cols
    present = ~blank_cells(cols.raw(column)).to_numpy(dtype=bool)
    return dataclasses.replace(cols, frame=cols.frame.loc[present])


def _positions_and_texts(items: pd.Series) -> list[tuple[int, str]]:
    return list(zip(items.index.astype(int).tolist(), items.astype(str).tolist(), strict=True))


def _uuid(what: str) -> Callable[[str], Resolution]:
    def check(value: str) -> Resolution:
        text = value.strip()
        return (text, None) if is_uuid(text) else (None, f"expected {what} (a UUID)")

    return check


def _add_items(out: RowLists, row: int, items: list[dict[str, Any]]) -> None:
    """Add a row's items (already unique among themselves), skipping ones another spec gave."""
    present = out.get(row)
    if present is None:
        out[row] = list(items)
        return
    present.extend(item for item in items if item not in present)


def _per_position(
    resolved: Resolved, build: Callable[[str, str], dict[str, Any]]
) -> dict[int, list[dict[str, Any]]]:
    lists: dict[int, list[dict[str, Any]]] = {}
    for position, text, ident in resolved:
        lists.setdefault(position, []).append(build(text, ident))
    return lists


def assignees(
    specs: list[AssigneeSpec], cols: ChunkColumns, lookups: Lookups, sink: ErrorSink
) -> RowLists:
    """`incidentAssigneeRequests`: user e-mails, group names or ids → `{assigneeId, type, ...}`."""
    field = "incidentAssigneeRequests"
    out: RowLists = {}
    for spec in specs:
        found = cell_items(spec, when_present(spec, cols), field)
        resolver: Callable[[str], Resolution] = _uuid("an assignee id")
        if spec.lookup == "user":
            resolver = lambda value: resolve_user(value, lookups)  # noqa: E731
        elif spec.lookup == "group":
            resolver = lambda value: resolve_group(value, lookups)  # noqa: E731
        resolved = resolve_series(found.items, resolver, found.errors, field, source_label(spec))
        lists = _per_position(resolved, _assignee(spec.assignee_type(), spec.lookup == "user"))
        found.spread_errors(sink)
        for row, position in found.rows():
            if position in lists:
                _add_items(out, row, lists[position])
    return out


def _assignee(kind: str, with_email: bool) -> Callable[[str, str], dict[str, Any]]:
    def build(text: str, ident: str) -> dict[str, Any]:
        item: dict[str, Any] = {"assigneeId": ident, "type": kind}
        if with_email and not is_uuid(text.strip()):
            item["assigneeEmail"] = normalise_email(text)
        return item

    return build


def jurisdictions(specs: list[JurisdictionSpec], cols: ChunkColumns, sink: ErrorSink) -> RowLists:
    """`jurisdictions`: country names/codes → alpha-3, states → ISO 3166-2 code after the dash."""
    field = "jurisdictions"
    out: RowLists = {}
    for spec in specs:
        scoped = when_present(spec, cols)
        country_column = source_label(spec.country)
        found = cell_items(spec.country, scoped, field)
        resolved = resolve_series(found.items, resolve_country, found.errors, field, country_column)
        countries: dict[int, list[tuple[str, str]]] = {}
        for position, text, code in resolved:
            countries.setdefault(position, []).append((text, code))
        found.spread_errors(sink)
        states: dict[int, str] = {}
        state_column = source_label(spec.state) if spec.state else None
        if spec.state:
            state_text = text_value(spec.state, scoped, sink, field)
            sink.add_where(
                state_text.notna() & (found.codes < 0),
                state_text,
                "a state or province needs a country",
                field=field,
                column=state_column,
            )
            states = state_text.dropna().to_dict()  # type: ignore[assignment]
        for row, position in found.rows():
            state = states.get(row)
            items = [
                item
                for text, code in countries.get(position, ())
                if (
                    item := _jurisdiction(
                        row, text, code, state, sink, state_column, country_column
                    )
                )
            ]
            _add_items(out, row, [i for n, i in enumerate(items) if i not in items[:n]])
    return out


def _jurisdiction(
    row: int,
    text: str,
    code: str,
    state: str | None,
    sink: ErrorSink,
    state_column: str | None,
    country_column: str | None,
) -> dict[str, Any] | None:
    field = "jurisdictions"
    if state is not None:
        short, problem = resolve_state(code, state)
        if problem:
            sink.add_row(row, problem, field=field, column=state_column, value=state)
            return None
        return {"countryCode": code, "stateProvinceCode": short}
    if code in STATE_REQUIRED:
        where = "" if state_column else "; map a 'state' column"
        sink.add_row(
            row,
            f"a state or province is required for {code} (country {text!r}){where}",
            field=field,
            column=state_column or country_column,
        )
        return None
    return {"countryCode": code}


def attribute_values(
    specs: dict[str, AttributeSpec], cols: ChunkColumns, lookups: Lookups, sink: ErrorSink
) -> dict[int, dict[str, list[dict[str, str]]]]:
    """`attributeValues`: text as `{value}`; with `option: true`, option names → `{id}` if known."""
    out: dict[int, dict[str, list[dict[str, str]]]] = {}
    for attribute, spec in specs.items():
        field = f"attributeValues.{attribute}"
        found = cell_items(spec, when_present(spec, cols), field)
        if spec.option and lookups.has_options(attribute):

            def option(value: str, attribute: str = attribute) -> Resolution:
                return resolve_option(attribute, value, lookups) or (None, "unknown option")

            resolved = resolve_series(found.items, option, found.errors, field, source_label(spec))
            lists = _per_position(resolved, lambda _text, ident: {"id": ident})
        else:
            lists = {}
            for position, text in _positions_and_texts(found.items):
                lists.setdefault(position, []).append({"value": text})
        found.spread_errors(sink)
        for row, position in found.rows():
            values = lists.get(position)
            if values:
                out.setdefault(row, {})[attribute] = list(values)  # item dicts are shared
    return out


def linked_inventories(
    spec: LinkedInventoriesSpec, cols: ChunkColumns, sink: ErrorSink
) -> dict[int, dict[str, dict[str, Any]]]:
    """`linkedInventories`: id columns per inventory type, as `externalIds` or `inventoryIds`."""
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for name, inventory in spec:
        if inventory is None:
            continue
        kind = "processing-activities" if name == "processing_activities" else name
        field = f"linkedInventories.{kind}"
        found = cell_items(inventory, when_present(inventory, cols), field)
        ids: dict[int, list[str]] = {}
        if inventory.as_ == "inventoryIds":
            check = _uuid("an inventory id")
            column = source_label(inventory)
            for position, _t, ident in resolve_series(
                found.items, check, found.errors, field, column
            ):
                ids.setdefault(position, []).append(ident)
        else:
            for position, text in _positions_and_texts(found.items):
                ids.setdefault(position, []).append(text)
        found.spread_errors(sink)
        for row, position in found.rows():
            if position not in ids:
                continue
            link: dict[str, Any] = {inventory.as_: list(ids[position])}
            if inventory.source_type:
                link["sourceType"] = inventory.source_type
            out.setdefault(row, {})[kind] = link
    return out
