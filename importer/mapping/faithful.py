"""Checks that keep a body faithful to the sheet: "no value" tokens, numbers a workbook cannot
hold exactly, placeholders left by init-mapping, unknown incident types. (Rows the reader
refused come with `SheetChunk.row_errors`; the run reports them invalid.)

Each works on the whole chunk and adds located row errors; none guesses a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from importer.mapping.cells import ErrorSink, number_text
from importer.mapping.matching import expected_one_of
from importer.mapping.spec import MappingSpec
from importer.rows import RowError, SheetChunk

__all__ = [
    "PLACEHOLDER_PREFIX",
    "check_incident_types",
    "check_inexact_numbers",
    "check_placeholders",
    "hidden_sheet_reason",
    "without_no_value_tokens",
]

PLACEHOLDER_PREFIX = "TODO-"  # what init-mapping writes where only the user can decide
_NO_FLOATS = {
    "string": True,
    "empty": True,
    "integer": True,
    "boolean": True,
    "datetime": True,
    "date": True,
}
_EXACT = 2.0**53  # a float from 2**53 on no longer holds every whole number: ids lose digits


def hidden_sheet_reason(chunk: SheetChunk) -> str | None:
    """Why a chunk's rows are not sent: its sheet is hidden and the mapping did not name it."""
    if not chunk.hidden:
        return None
    return (
        f"sheet {chunk.sheet!r} is hidden in the workbook; name it in the mapping's `sheets` "
        "(or --sheet) to import its rows"
    )


def without_no_value_tokens(
    frame: pd.DataFrame, tokens: Sequence[str], columns: Iterable[str]
) -> pd.DataFrame:
    """Cells whose trimmed text is exactly one of `tokens` (`\\N`, `NULL`, `N/A`, `-`) become
    empty in `columns` (the ones the mapping reads), before anything else reads them. Case
    counts: a title `Null` stays. Each distinct text is looked at once."""
    if not tokens or frame.empty:
        return frame
    wanted = {token.strip() for token in tokens}
    emptied = {}
    for position, name in enumerate(frame.columns):
        if name not in columns:
            continue
        column = frame.iloc[:, position]
        try:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        except TypeError:  # an unhashable cell: leave the column as it is
            continue
        hits = [i for i, v in enumerate(uniques) if isinstance(v, str) and v.strip() in wanted]
        if hits:
            emptied[position] = column.mask(np.isin(codes, hits), None).to_numpy(copy=True)
    if not emptied:
        return frame
    frame = frame.copy()
    for position, values in emptied.items():
        frame.isetitem(position, values)
    return frame


def check_inexact_numbers(
    frame: pd.DataFrame, columns: dict[str, str], sink: ErrorSink, *, fields: dict[str, str]
) -> None:
    """A workbook number cell too large to be exact (a 19-digit id typed into Excel is stored
    with 15-16 significant digits) is refused in the columns of `fields` (column → the field it
    feeds; date columns are left to the date parser)."""
    for column, header in columns.items():
        if column not in fields or header not in frame.columns:
            continue
        raw = frame[header]
        if isinstance(raw, pd.DataFrame) or _NO_FLOATS.get(pd.api.types.infer_dtype(raw), False):
            continue  # the common case (text, whole numbers, dates), judged at C speed
        floats = raw.map(lambda v: isinstance(v, float | np.floating))
        if not floats.any():
            continue
        values = raw[floats.to_numpy()].astype(float)
        bad = np.isinf(values) | (values.abs() >= _EXACT)
        for row, value in values[bad].items():
            sink.add(
                row,
                RowError(
                    "a number this large is not stored exactly in a workbook (Excel keeps 15 "
                    "digits); format the column as Text in Excel and type the value again",
                    field=fields[column],
                    column=column,
                    value=number_text(value),
                ),
            )


def check_placeholders(spec: MappingSpec, index: pd.Index, sink: ErrorSink) -> None:
    """A `TODO-` constant left by init-mapping fails every row, so no incident is named
    `TODO-name` by a run that forgot to fill the draft in."""
    fields = spec.fields
    for name in type(fields).model_fields:
        block = getattr(fields, name)
        constant = getattr(block, "constant", None)
        if isinstance(constant, str) and constant.startswith(PLACEHOLDER_PREFIX):
            message = (
                f"the mapping still has the placeholder {constant!r} from init-mapping; "
                f"say where fields.{name} comes from"
            )
            for row in index:
                sink.add_row(row, message, field=name, column=None)


def check_incident_types(
    types: Sequence[str], values: pd.Series, sink: ErrorSink, column: str | None
) -> pd.Series:
    """Incident type names must be one of the tenant's `incident_types` (exact text; the
    register's names are case-sensitive as far as its reference says nothing else)."""
    if not types:
        return values
    known = set(types)
    bad = values.notna() & ~values.isin(known).fillna(False).astype(bool)
    sink.add_where(
        bad,
        values,
        lambda value: (
            "not an incident type of the tenant (`incident_types` in the mapping); "
            + expected_one_of(str(value), list(types))
        ),
        field="incidentTypeName",
        column=column,
    )
    return values.mask(bad)
