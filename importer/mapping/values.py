"""Value directives on whole columns: sources, extract, trim, case, split, value maps, default.

Order inside one value block: source → extract → trim → collapse_whitespace → number_to_string →
case → split (list fields) → map/otherwise → (lookup, in the caller) → default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from importer.mapping.cells import (
    STRING,
    Distinct,
    ErrorSink,
    blank_cells,
    blank_to_na,
    none_for_na,
    normalise_numbers,
    plain_text,
    spread_errors,
    to_text,
    trim_to_na,
    trimmed_texts,
)
from importer.mapping.patterns import compile_pattern, first_group
from importer.mapping.spec_blocks import Source, split_placeholder
from importer.mapping.spec_dates import DateSpec
from importer.mapping.spec_values import ListValueSpec, ValueSpec
from importer.mapping.template_dates import formatted_dates
from importer.mapping.value_maps import apply_map

__all__ = [
    "CellItems",
    "ChunkColumns",
    "apply_default",
    "apply_map",  # re-exported from value_maps
    "cell_items",
    "source_label",
    "source_raw",
    "template_columns",
    "text_list",
    "text_value",
]

_TEMPLATE_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")
_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")


@dataclass(frozen=True)
class ChunkColumns:
    """The chunk's frame with the mapping's column names resolved to the frame's headers."""

    frame: pd.DataFrame
    resolved: AbcMapping[str, str]
    date1904: bool = False  # the workbook counts serials from 1904 (SheetChunk.date1904)
    # column → the date field block reading it, so `{Column:%Y-%m-%d}` reads dates alike
    date_specs: AbcMapping[str, DateSpec] = field(default_factory=dict)

    def raw(self, column: str) -> pd.Series:
        found = self.frame[self.resolved.get(column, column)]
        if isinstance(found, pd.DataFrame):  # duplicated header: the first one wins
            found = found.iloc[:, 0]
        return found

    def constant(self, value: Any) -> pd.Series:
        return pd.Series([value] * len(self.frame), index=self.frame.index, dtype=object)


def template_columns(template: str) -> list[tuple[str, bool]]:
    """Columns named in a template as (column, optional): `"{Title} ({Ref?})"`."""
    found = []
    for match in _TEMPLATE_TOKEN.finditer(template):
        if match.group(1) is not None:
            name, optional, _format = split_placeholder(match.group(1))
            found.append((name, optional))
    return found


def source_label(spec: Source) -> str | None:
    """The column(s) a value comes from, as a RowError shows them."""
    if spec.column:
        return spec.column
    if spec.coalesce:
        return " / ".join(spec.coalesce)
    if spec.template:
        return " + ".join(name for name, _ in template_columns(spec.template))
    return None


def source_raw(
    spec: Source, cols: ChunkColumns, sink: ErrorSink | None = None, field: str = ""
) -> pd.Series:
    """Raw cells (object dtype, None/NaN when empty); a template is already text.

    `sink` gets the row errors of a template's dates (`{Column:%Y}` on a cell that is not one).
    """
    if spec.column:
        return cols.raw(spec.column)
    if spec.coalesce:
        result = cols.raw(spec.coalesce[0]).astype(object)
        for column in spec.coalesce[1:]:
            blank = blank_cells(result)
            if not blank.any():
                break
            result = result.mask(blank, cols.raw(column).astype(object))
        return result
    if spec.template:
        return _render_template(spec.template, cols, sink, field)
    return cols.constant(spec.constant)


def _render_template(
    template: str, cols: ChunkColumns, sink: ErrorSink | None, field: str
) -> pd.Series:
    # "a" + <NA> is <NA>: an empty required placeholder empties the whole value.
    result = pd.Series("", index=cols.frame.index, dtype=STRING)
    position = 0
    for match in _TEMPLATE_TOKEN.finditer(template):
        result = result + template[position : match.start()]
        token = match.group(1)
        if token is None:
            result = result + match.group(0)[0]
            position = match.end()
            continue
        name, optional, fmt = split_placeholder(token)
        if fmt is None:
            text = to_text(cols.raw(name)).str.strip()
        else:
            text = formatted_dates(
                cols.raw(name), fmt, name, cols.date_specs, sink, field, placeholder=token
            )
        result = result + (text.fillna("") if optional else text)
        position = match.end()
    return blank_to_na(result + template[position:])


def _transformed(text: pd.Series, spec: ValueSpec, sink: ErrorSink, field: str) -> pd.Series:
    if _only_trimmed(spec):
        return trim_to_na(text) if spec.trim else blank_to_na(text)  # the same, in one pass
    text = blank_to_na(text)
    extract = spec.extract_spec()
    if extract is not None:
        text = _extract(text, extract.pattern, extract.otherwise, sink, field, source_label(spec))
    if spec.trim:
        text = text.str.strip()
    if spec.collapse_whitespace:
        text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    if spec.number_to_string:
        text = normalise_numbers(text)
    if spec.case:
        text = getattr(text.str, spec.case)()
    return blank_to_na(text)


def _only_trimmed(spec: ValueSpec) -> bool:
    """No directive but `trim`: each value's text is worked out on its own, without errors."""
    plain = spec.extract_spec() is None and spec.case is None
    return plain and not (spec.collapse_whitespace or spec.number_to_string)


def _extract(
    text: pd.Series, pattern: str, otherwise: str, sink: ErrorSink, field: str, column: str | None
) -> pd.Series:
    if compile_pattern(pattern).groups == 0:
        flags = _GLOBAL_FLAGS.match(pattern)
        head = flags.group(0) if flags else ""
        pattern = f"{head}({pattern[len(head) :]})"
    found = blank_to_na(first_group(text, compile_pattern(pattern)).astype(STRING))
    missed = found.isna() & text.notna()
    if otherwise == "keep":
        return found.mask(missed, text)
    if otherwise == "error":
        sink.add_where(
            missed, text, f"expected text matching /{pattern}/", field=field, column=column
        )
    return found


def apply_default(text: pd.Series, spec: ValueSpec) -> pd.Series:
    return text if spec.default is None else text.fillna(spec.default)


def text_value(spec: ValueSpec, cols: ChunkColumns, sink: ErrorSink, field: str) -> pd.Series:
    """A scalar text field: prepared text → map → default (one value per row, `<NA>` if none)."""
    raw = source_raw(spec, cols, sink, field)
    if spec.map is None and _only_trimmed(spec):  # cheaper than finding the distinct values
        return apply_default(plain_text(raw, trim=spec.trim), spec)
    distinct = Distinct(to_text(raw, blanks=False))
    local = ErrorSink()
    text = _transformed(distinct.values, spec, local, field)
    text = apply_map(text, spec, local, field, source_label(spec))
    distinct.spread_errors(local, sink)
    return apply_default(distinct.spread(text), spec)


def text_list(spec: ValueSpec, cols: ChunkColumns, sink: ErrorSink, field: str) -> list[Any]:
    """`text_value` as a body's values (None for `<NA>`), without a "string" Series per row:
    the same errors (tests/mapping/test_text_lists.py pins the two together)."""
    raw = source_raw(spec, cols, sink, field)
    if spec.map is None and _only_trimmed(spec):
        texts = trimmed_texts(raw) if spec.trim else None
        if texts is None:
            text = apply_default(plain_text(raw, trim=spec.trim), spec)
            return list(none_for_na(text).tolist())
        if spec.default is None:
            return texts
        return [spec.default if text is None else text for text in texts]
    distinct = Distinct.of_text(raw)
    local = ErrorSink()
    text = _transformed(distinct.values, spec, local, field)
    text = apply_map(text, spec, local, field, source_label(spec))
    distinct.spread_errors(local, sink)
    return distinct.spread_list(text, spec.default)


@dataclass
class CellItems:
    """The items of each distinct cell of a list column (`split`), mapped, before any lookup.

    `items` is indexed by distinct-cell position; `codes` gives each row's position (-1: no
    items). Builders work per position and `rows()` hands the results out per row.
    """

    items: pd.Series
    codes: np.ndarray
    index: pd.Index
    errors: ErrorSink

    def spread_errors(self, sink: ErrorSink) -> None:
        spread_errors(self.errors, self.codes, self.index, sink)

    def rows(self) -> Iterator[tuple[int, int]]:
        """(row, position) for every row that has items."""
        present = self.codes >= 0
        rows = self.index.to_numpy()[present].tolist()
        return zip(rows, self.codes[present].tolist(), strict=True)


def cell_items(spec: ListValueSpec, cols: ChunkColumns, field: str) -> CellItems:
    """Split, trim and map each distinct cell once; rows without items get `default` if set."""
    distinct = Distinct(to_text(source_raw(spec, cols), blanks=False))
    local = ErrorSink()
    text = _transformed(distinct.values, spec, local, field)
    if spec.split:
        pattern = "|".join(re.escape(sep) for sep in spec.split)
        text = text.str.split(pattern, regex=True).explode()
        text = blank_to_na(text.astype(STRING).str.strip() if spec.trim else text.astype(STRING))
    items = apply_map(text, spec, local, field, source_label(spec)).dropna()
    items = items[~pd.MultiIndex.from_arrays([items.index, items]).duplicated()]
    positions = len(distinct.values)
    has_items = np.zeros(positions + 1, dtype=bool)
    has_items[items.index.to_numpy(dtype=np.int64)] = True
    codes = distinct.codes.copy()
    codes[(codes >= 0) & ~has_items[np.maximum(codes, 0)]] = -1
    if spec.default is not None:
        items = pd.concat([items, pd.Series([spec.default], index=[positions], dtype=STRING)])
        codes[codes < 0] = positions
    return CellItems(items, codes, distinct.index, local)
