"""`apply_mapping`: (mapping, chunk, lookups) → request bodies, row errors, skipped rows. Pure."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pandas as pd

from importer.mapping.cells import STRING, ErrorSink
from importer.mapping.compiled import Mapping
from importer.mapping.dates import DateContext, iso_utc, parse_dates
from importer.mapping.durations import parse_duration
from importer.mapping.faithful import (
    check_incident_types,
    check_inexact_numbers,
    check_placeholders,
    hidden_sheet_reason,
    without_no_value_tokens,
)
from importer.mapping.lookups import Lookups
from importer.mapping.nested import (
    assignees,
    attribute_values,
    jurisdictions,
    linked_inventories,
    resolve_series,
)
from importer.mapping.rowfilters import row_keys, skip_reasons
from importer.mapping.spec import DateSpec, FieldsSpec, OrgSpec, ValueSpec
from importer.mapping.stages import stage_targets
from importer.mapping.values import (
    ChunkColumns,
    source_label,
    source_raw,
    text_list,
    text_value,
)
from importer.models import field_names
from importer.rows import MappedChunk, RowError, SheetChunk

__all__ = ["apply_mapping"]

_TEXT_FIELDS = (
    "name",
    "description",
    "incidentTypeName",
    "sourceType",
    "rootCause",
    "notificationNeeded",
)
_TRUE = {"true", "yes", "y", "1", "x", "oui", "ja"}
_FALSE = {"false", "no", "n", "0", "non", "nein"}
_API_ORDER = {name: position for position, name in enumerate(field_names())}

Scalars = dict[str, pd.Series | list[Any]]  # dates come as lists of text (None: no value)
Nested = dict[str, dict[int, Any]]


def apply_mapping(mapping: Mapping, chunk: SheetChunk, lookups: Lookups) -> MappedChunk:
    """Map one chunk; every row ends in exactly one of bodies / errors / skipped.

    Raises only `MappingError` when the sheet lacks a column the mapping names (a file problem);
    cell values never raise.
    """
    hidden = hidden_sheet_reason(chunk)
    if hidden is not None:  # its columns may differ: nothing of it is read
        return MappedChunk(skipped={int(row): hidden for row in chunk.frame.index})
    resolved = mapping.resolve_columns(chunk.frame.columns)
    frame = without_no_value_tokens(chunk.frame, mapping.spec.no_value, set(resolved.values()))
    everything = ChunkColumns(frame, resolved)
    result = MappedChunk()
    keys = row_keys(mapping.key_columns, everything)
    result.keys = _by_row(keys.dropna(), str)
    reasons = skip_reasons(mapping.spec.skip_rows, everything)
    skipped = reasons.notna()
    result.skipped = _by_row(reasons[skipped], str)
    cols = ChunkColumns(
        frame.loc[~skipped.to_numpy()], resolved, chunk.date1904, date_specs=mapping.date_specs
    )
    sink = ErrorSink()
    check_inexact_numbers(cols.frame, resolved, sink, fields=mapping.fields_by_column)
    check_placeholders(mapping.spec, cols.frame.index, sink)
    if mapping.key_columns:
        _check_keys(keys[~skipped.to_numpy()], mapping.key_columns, sink)
    merged = lookups.with_inline(mapping.inline_groups, mapping.inline_options)
    scalars, nested = _map_fields(mapping, cols, merged, sink)
    stages = stage_targets(mapping.spec, cols, merged, sink) if mapping.spec.stage else None
    _assemble(cols.frame.index, scalars, nested, sink, result)
    if stages is not None:
        found = stages.dropna()
        result.stages = {int(r): str(s) for r, s in found.items() if r in result.bodies}
    return result


def _by_row(values: pd.Series, convert: Callable[[Any], str]) -> dict[int, str]:
    rows = values.index.tolist()  # Python ints already when the index holds integers
    if values.index.dtype.kind not in "iu":
        rows = list(map(int, rows))
    return dict(zip(rows, map(convert, values.tolist()), strict=True))


def _check_keys(keys: pd.Series, columns: list[str], sink: ErrorSink) -> None:
    label = ", ".join(columns)
    sink.add_where(
        keys.isna(),
        keys,
        "the row key is empty, so a later run could not recognise this row",
        field="key",
        column=label,
    )


def _map_fields(
    mapping: Mapping, cols: ChunkColumns, lookups: Lookups, sink: ErrorSink
) -> tuple[Scalars, Nested]:
    fields = mapping.spec.fields
    scalars: Scalars = {}
    nested: Nested = {}
    steps: list[tuple[str, Callable[[], None]]] = []
    for name in _TEXT_FIELDS:
        spec: ValueSpec | None = getattr(fields, name)
        if spec is None:
            continue
        compute: Callable[[], pd.Series | list[Any]]
        if name == "incidentTypeName" and mapping.spec.incident_types:
            types = mapping.spec.incident_types
            compute = _typed_step(_text_step(spec, cols, sink, name), types, sink, spec)
        else:
            compute = _list_step(spec, cols, sink, name)
        steps.append((name, _setter(scalars, name, compute)))
    if fields.orgGroupId is not None:
        org = fields.orgGroupId
        steps.append(
            (
                "orgGroupId",
                _setter(scalars, "orgGroupId", lambda: _organization(org, cols, lookups, sink)),
            )
        )
    if fields.autoAssessJurisdictions is not None:
        flag = fields.autoAssessJurisdictions
        steps.append(
            (
                "autoAssessJurisdictions",
                _setter(scalars, "autoAssessJurisdictions", lambda: _boolean(flag, cols, sink)),
            )
        )
    steps.append(("dates", lambda: scalars.update(_dates(mapping, cols, sink))))
    steps += _nested_steps(fields, cols, lookups, sink, nested)
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # a bug must cost this chunk's rows, never the run
            for row in cols.frame.index:
                sink.add_row(
                    row,
                    f"internal error while mapping {name} (please report): {exc!r}",
                    field=name,
                    column=None,
                )
    return scalars, nested


def _text_step(
    spec: ValueSpec, cols: ChunkColumns, sink: ErrorSink, name: str
) -> Callable[[], pd.Series]:
    return lambda: text_value(spec, cols, sink, name)


def _list_step(
    spec: ValueSpec, cols: ChunkColumns, sink: ErrorSink, name: str
) -> Callable[[], list[Any]]:
    return lambda: text_list(spec, cols, sink, name)


def _typed_step(
    step: Callable[[], pd.Series], types: list[str], sink: ErrorSink, spec: ValueSpec
) -> Callable[[], pd.Series]:
    return lambda: check_incident_types(types, step(), sink, source_label(spec))


def _setter(
    target: Scalars, name: str, compute: Callable[[], pd.Series | list[Any]]
) -> Callable[[], None]:
    def run() -> None:
        target[name] = compute()

    return run


def _nested_steps(
    fields: FieldsSpec, cols: ChunkColumns, lookups: Lookups, sink: ErrorSink, nested: Nested
) -> list[tuple[str, Callable[[], None]]]:
    builders: dict[str, Callable[[Any], dict[int, Any]]] = {
        "incidentAssigneeRequests": lambda spec: assignees(spec, cols, lookups, sink),
        "jurisdictions": lambda spec: jurisdictions(spec, cols, sink),
        "attributeValues": lambda spec: attribute_values(spec, cols, lookups, sink),
        "linkedInventories": lambda spec: linked_inventories(spec, cols, sink),
    }
    return [
        (name, _nester(nested, name, build, getattr(fields, name)))
        for name, build in builders.items()
        if getattr(fields, name)
    ]


def _nester(
    nested: Nested, name: str, build: Callable[[Any], dict[int, Any]], spec: Any
) -> Callable[[], None]:
    def run() -> None:
        nested[name] = build(spec)

    return run


def _organization(
    spec: OrgSpec, cols: ChunkColumns, lookups: Lookups, sink: ErrorSink
) -> pd.Series | list[Any]:
    """Map and default first, so a default organization name is looked up like any other."""
    field, column = "orgGroupId", source_label(spec)
    if spec.lookup is None:
        return text_list(spec, cols, sink, field)
    text = text_value(spec, cols, sink, field)
    resolved = resolve_series(text, lookups.org_index.resolve, sink, field, column)
    ids = pd.Series(pd.NA, index=text.index, dtype=STRING)
    if resolved:
        rows, _texts, found = zip(*resolved, strict=True)
        ids.loc[list(rows)] = list(found)
    return ids


def _boolean(spec: ValueSpec, cols: ChunkColumns, sink: ErrorSink) -> pd.Series:
    field = "autoAssessJurisdictions"
    folded = text_value(spec, cols, sink, field).str.casefold()
    truth = pd.Series(pd.NA, index=folded.index, dtype="boolean")
    truth = truth.mask(folded.isin(list(_TRUE)).fillna(False).astype(bool), True)
    truth = truth.mask(folded.isin(list(_FALSE)).fillna(False).astype(bool), False)
    sink.add_where(
        truth.isna() & folded.notna(),
        folded,
        "expected true or false (yes/no)",
        field=field,
        column=source_label(spec),
    )
    return truth


def _dates(mapping: Mapping, cols: ChunkColumns, sink: ErrorSink) -> Scalars:
    fields = mapping.spec.fields
    parsed: dict[str, pd.Series] = {}
    for name in _date_order(fields):
        spec: DateSpec = getattr(fields, name)
        zone = spec.timezone or mapping.spec.timezone
        index = cols.frame.index
        values = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
        if spec.sources():
            raw = source_raw(spec, cols)
            context = DateContext(mapping.date_orders, cols.date1904)
            values = parse_dates(raw, spec, zone, sink, name, source_label(spec), context)
        if spec.relative_to and spec.offset:
            base = parsed.get(spec.relative_to)
            if base is not None:
                values = values.fillna(base + pd.Timedelta(parse_duration(spec.offset)))
        parsed[name] = values
    return {name: iso_utc(values) for name, values in parsed.items()}


def _date_order(fields: FieldsSpec) -> list[str]:
    pending = [n for n in ("dateOccurred", "dateDiscovered", "deadline") if getattr(fields, n)]
    ordered: list[str] = []
    while pending:
        ready = [n for n in pending if getattr(fields, n).relative_to in (None, *ordered)]
        if not ready:  # a cycle; the loader refuses these, so this is only a guard
            return ordered + pending
        ordered += ready
        pending = [n for n in pending if n not in ready]
    return ordered


def _assemble(
    index: pd.Index, scalars: Scalars, nested: Nested, sink: ErrorSink, result: MappedChunk
) -> None:
    """The body dicts (API field order) of the rows without errors. A field is left out of a
    body when its value is None, [] or {}."""
    names = sorted([*scalars, *nested], key=lambda n: _API_ORDER.get(n, len(_API_ORDER)))
    rows = index.tolist()
    columns = [
        _plain_list(scalars[name]) if name in scalars else _present(nested[name], rows)
        for name in names
    ]
    # A dict per row from the columns' values under the field names, one dict display a row
    # (`_body_builder`); the few rows with an empty value are found column-wise and filtered
    # afterwards, the rows with errors dropped.
    if columns:
        build = _body_builder(tuple(names))  # one value per row in each column: no check needed
        bodies = dict(zip(rows, map(build, *columns), strict=False))
    else:
        bodies = {row: {} for row in rows}
    gaps = _rows_with_gaps(columns, rows)
    for row in gaps:
        bodies[row] = {k: v for k, v in bodies[row].items() if v is not None}
    for row, found in sink.by_row.items():
        if found:
            bodies.pop(row, None)
    whole = not result.bodies and not gaps and len(bodies) == len(rows)
    whole = whole and len(set(names)) == len(names) and {len(c) for c in columns} <= {len(rows)}
    result.bodies.update(bodies)
    if whole and columns:  # every row a body with every field: its columns are the bodies'
        result.columns = dict(zip(names, columns, strict=True))
    if sink.by_row:
        for row in rows:
            problems = sink.by_row.get(row)
            if problems:
                result.errors[row] = _sorted(problems)


@lru_cache(maxsize=64)
def _body_builder(names: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """`lambda v0, v1: {"name": v0, "description": v1}` for `names`: a dict display is built
    by one bytecode, about twice as fast as `dict(zip(names, values))` a row; same keys, same
    order (what `dataclasses` does for its `__init__`). The names are written as `repr`
    literals, so any text is safe in them."""
    params = ", ".join(f"v{i}" for i in range(len(names)))
    items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    built: Callable[..., dict[str, Any]] = eval(f"lambda {params}: {{{items}}}")
    return built


def _rows_with_gaps(columns: list[list[Any]], rows: list[int]) -> list[int]:
    """The rows with a None in any column, in row order."""
    gaps: set[int] = set()
    for column in columns:
        if all(column):  # no None (nor "", False, 0): one truth test per value, no comparison
            continue
        if None in column:
            gaps.update(i for i, value in enumerate(column) if value is None)
    return [rows[i] for i in sorted(gaps)]


def _plain_list(series: pd.Series | list[Any]) -> list[Any]:
    """The values of a scalar field, None where empty (or [] / {}, which leave the field out)."""
    if isinstance(series, list):
        return series
    if isinstance(series.dtype, pd.StringDtype | pd.BooleanDtype):  # str / bool / None only
        values = series.to_numpy(dtype=object, copy=True)
        values[series.isna().to_numpy()] = None
        return list(values.tolist())
    return [None if value is pd.NA else _kept(value) for value in series.astype(object).tolist()]


def _present(values: dict[int, Any], rows: list[int]) -> list[Any]:
    return [_kept(values.get(row)) for row in rows]


def _kept(value: Any) -> Any:
    return value if value is not None and value != [] and value != {} else None


def _sorted(problems: list[RowError]) -> list[RowError]:
    return sorted(problems, key=lambda e: _API_ORDER.get((e.field or "").split(".")[0], -1))
