"""Value maps (`map`, `ignore_case`, `otherwise`) on a Series of text.

Two ways to the same result: pandas column operations for any text dtype, and a dict lookup
per value for python-backed strings (the chunk's distinct values, usually a handful, where a
dozen pandas calls cost more than the lookups). tests/mapping/test_value_maps.py checks that
they agree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from importer.mapping.cells import STRING, ErrorSink, python_strings
from importer.mapping.lookups import is_uuid
from importer.mapping.matching import expected_one_of
from importer.mapping.spec_values import OtherwiseValue, ValueSpec

__all__ = ["apply_map"]

_NA_ARRAY = np.array(None, dtype=object)  # np.where wants an array; None becomes <NA> later


def apply_map(
    text: pd.Series, spec: ValueSpec, sink: ErrorSink, field: str, column: str | None
) -> pd.Series:
    """Value map with `ignore_case` and `otherwise` (`error`: a miss is a row error)."""
    if spec.map is None:
        return text
    fold = str.casefold if spec.ignore_case else _same
    table = {fold(k): v for k, v in spec.map.items()}
    mapper = _map_values if python_strings(text.dtype) else _map_column
    return mapper(text, spec, table, fold, sink, field, column)


def _map_column(
    text: pd.Series,
    spec: ValueSpec,
    table: dict[str, str | None],
    fold: Callable[[str], str],
    sink: ErrorSink,
    field: str,
    column: str | None,
) -> pd.Series:
    """`apply_map` with pandas column operations (any text dtype)."""
    keys = text.str.casefold() if spec.ignore_case else text
    hit = keys.isin(list(table)).to_numpy()
    mapped = keys.map(table).astype(object).to_numpy()
    rest = ~hit & text.notna().to_numpy()
    result = np.where(hit, mapped, text.astype(object).to_numpy())
    otherwise = spec.otherwise
    if isinstance(otherwise, OtherwiseValue):
        result = np.where(rest, otherwise.value, result)
    elif otherwise == "empty":
        result = np.where(rest, _NA_ARRAY, result)
    elif otherwise == "error":
        targets = {fold(v): v for v in (spec.map or {}).values() if v}
        is_target = keys.isin(list(targets)).to_numpy() & rest
        result = np.where(is_target, keys.map(targets).astype(object).to_numpy(), result)
        bad = rest & ~is_target
        choices = _accepted_names(list(spec.map or {}), list(targets.values()), fold)
        sink.add_where(
            pd.Series(bad, index=text.index),
            text,
            lambda value: expected_one_of(str(value), choices),
            field=field,
            column=column,
        )
        result = np.where(bad, _NA_ARRAY, result)
    return pd.Series(result, index=text.index, dtype=object).astype(STRING)


def _map_values(
    text: pd.Series,
    spec: ValueSpec,
    table: dict[str, str | None],
    fold: Callable[[str], str],
    sink: ErrorSink,
    field: str,
    column: str | None,
) -> pd.Series:
    """`apply_map` one value at a time: a dict lookup per value instead of a dozen pandas
    calls per column (text holds the chunk's distinct values, usually a handful)."""
    otherwise = spec.otherwise
    targets = {fold(v): v for v in (spec.map or {}).values() if v}
    result: list[str | None] = []
    bad = np.zeros(len(text), dtype=bool)
    for position, value in enumerate(text.to_numpy(dtype=object)):
        if not isinstance(value, str):  # missing: stays missing
            result.append(None)
            continue
        key = fold(value)
        if key in table:
            result.append(table[key])
        elif isinstance(otherwise, OtherwiseValue):
            result.append(otherwise.value)
        elif otherwise == "keep":
            result.append(value)
        elif otherwise == "error" and key in targets:
            result.append(targets[key])
        else:  # empty, or an error
            bad[position] = otherwise == "error"
            result.append(None)
    if bad.any():
        choices = _accepted_names(list(spec.map or {}), list(targets.values()), fold)
        sink.add_where(
            pd.Series(bad, index=text.index),
            text,
            lambda value: expected_one_of(str(value), choices),
            field=field,
            column=column,
        )
    return pd.Series(result, index=text.index, dtype=STRING)


def _accepted_names(keys: list[str], targets: list[str], fold: Callable[[str], str]) -> list[str]:
    """Map keys in file order, then targets; ids (UUIDs) and case-only duplicates left out."""
    names: dict[str, str] = {}
    for name in [*keys, *targets]:
        if name and not is_uuid(name):
            names.setdefault(fold(name), name)
    return list(names.values())


def _same(text: str) -> str:
    return text
