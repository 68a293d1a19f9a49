"""Row filters (`skip_rows`) and row keys (`key`), both computed on whole columns."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from importer.mapping.cells import (
    STRING,
    Distinct,
    blank_cells,
    blank_to_na,
    cell_texts,
    python_strings,
    to_text,
)
from importer.mapping.patterns import compile_pattern, matches
from importer.mapping.spec import RowFilter
from importer.mapping.values import ChunkColumns

__all__ = ["key_text", "legacy_key_text", "row_keys", "skip_reasons"]

_NUMBER_START = set("0123456789+-.")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def key_text(raw: pd.Series) -> pd.Series:
    """A key cell's text as the sheet shows it, trimmed with single spaces: `0042` stays `0042`
    and `9007199254740993` keeps its last digit (text is never read as a number). A workbook
    number cell is written without `.0` (`17`); one too large to be exact is refused by the
    mapping (`faithful.check_inexact_numbers`)."""
    if not python_strings(pd.StringDtype()):  # pyarrow strips its own whitespace
        text = to_text(raw, blanks=False).map(_key_part, na_action="ignore")
        return blank_to_na(text.astype(STRING))
    # One pass per cell: keys are unique, so nothing is gained by working per distinct value.
    # str.split() and str.strip() share their whitespace: a joined "" is the only blank.
    cells = cell_texts(raw)
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":  # text in every cell
        parts: list[str | None] = list(map(" ".join, map(str.split, cells)))  # no call per cell
        if "" in parts:
            parts = [part or None for part in parts]
    else:
        parts = [(_key_part(v) or None) if isinstance(v, str) else v for v in cells]
    return pd.Series(parts, index=raw.index, dtype=STRING, name=raw.name)


def _key_part(text: str) -> str:
    return " ".join(text.split())


def legacy_key_text(key: str) -> str:
    """The key text versions up to 0.x wrote for the same cells (`0042` → `42`, `17.0` → `17`,
    `9007199254740993` → `9007199254740992`), so a ledger written by them is still recognised.
    `key` is the joined key (`A|17`), not the `name:`-prefixed ledger key."""
    return "|".join(_legacy_part(part) for part in key.split("|"))


def _legacy_part(text: str) -> str:
    if not (text[:1] in _NUMBER_START and _NUMBER.match(text)):
        return text
    value = float(text)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def row_keys(columns: list[str], cols: ChunkColumns) -> pd.Series:
    """`LEG-0042` or `A|17` per row; `<NA>` when every key cell is empty."""
    parts = [key_text(cols.raw(column)) for column in columns]
    if not parts:
        return pd.Series(pd.NA, index=cols.frame.index, dtype=STRING)
    if len(parts) == 1:  # joined alone, empty where empty: the key text itself
        return parts[0]
    joined = parts[0].fillna("")
    for part in parts[1:]:
        joined = joined + "|" + part.fillna("")
    all_empty = np.logical_and.reduce([p.isna().to_numpy() for p in parts])
    return joined.mask(all_empty)


def skip_reasons(filters: list[RowFilter], cols: ChunkColumns) -> pd.Series:
    """Why each row is skipped (first matching filter, or a blank row), `None` for kept rows."""
    reasons = pd.Series(None, index=cols.frame.index, dtype=object)
    blank = _blank_rows(cols.frame)
    if blank.any():
        reasons[blank] = "blank row"
    for rule in filters:
        open_rows = reasons.isna()
        if not open_rows.any():
            break
        distinct = Distinct(to_text(cols.raw(rule.column), blanks=False))
        values = blank_to_na(distinct.values.str.strip())
        hit = distinct.spread(_matches(rule, values)).fillna(False).astype(bool)
        empty_cells = distinct.codes < 0
        if empty_cells.any():
            empty = pd.Series([pd.NA], dtype=STRING)
            hit[empty_cells] = bool(_matches(rule, empty).fillna(False).iloc[0])
        hit &= open_rows
        text = distinct.spread(values)
        if hit.any():
            reasons[hit] = _describe(rule, text[hit])
    return reasons


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty (the reader drops most; a mapping must not choke on them)."""
    candidate = pd.Series(len(frame.columns) > 0, index=frame.index)
    for position in range(len(frame.columns)):
        if not candidate.any():
            break
        column = frame.iloc[:, position][candidate.to_numpy()]
        candidate.loc[column.index] = blank_cells(column).to_numpy()
    return candidate


def _matches(rule: RowFilter, text: pd.Series) -> pd.Series:
    folded = text.str.casefold() if rule.ignore_case else text
    fold = str.casefold if rule.ignore_case else _same
    if rule.equals is not None:
        wanted = [fold(v) for v in rule.equals]
        hit = folded.isin(wanted).fillna(False)
        return hit | (text.isna() & ("" in wanted))
    if rule.not_equals is not None:
        return ~folded.isin([fold(v) for v in rule.not_equals]).fillna(False).astype(bool)
    if rule.matches is not None:
        return matches(text, compile_pattern(rule.matches, ignore_case=rule.ignore_case))
    return text.isna() if rule.empty else text.notna()


def _same(text: str) -> str:
    return text


def _describe(rule: RowFilter, values: pd.Series) -> pd.Series:
    if rule.reason:
        return pd.Series(f"skip_rows: {rule.reason}", index=values.index)
    column = rule.column
    if rule.empty is not None:
        state = "empty" if rule.empty else "not empty"
        return pd.Series(f"skip_rows: {column!r} is {state}", index=values.index)

    def one(value: object) -> str:
        shown = "" if value is pd.NA else str(value)[:60]
        if rule.equals is not None:
            return f"skip_rows: {column!r} is {shown!r}"
        if rule.not_equals is not None:
            return f"skip_rows: {column!r} is {shown!r}, not one of {', '.join(rule.not_equals)}"
        return f"skip_rows: {column!r} {shown!r} matches /{rule.matches}/"

    return values.astype(object).map(one)
