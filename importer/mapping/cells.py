"""Turning raw sheet cells into text Series, and collecting row errors column-wise.

Every directive works on a pandas Series indexed by spreadsheet row number. Text Series use the
nullable "string" dtype: `<NA>` means "empty", so missing cells flow through `.str` methods.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TypeGuard

import numpy as np
import pandas as pd

from importer.read import number_text  # one General text for the reader and the mapping
from importer.rows import RowError

__all__ = [
    "Distinct",
    "ErrorSink",
    "blank_cells",
    "blank_to_na",
    "cell_text",
    "cell_texts",
    "is_blank_cell",
    "none_for_na",
    "normalise_numbers",
    "number_text",
    "plain_text",
    "python_strings",
    "spread_errors",
    "to_text",
    "trim_to_na",
    "trimmed_texts",
]

STRING: Literal["string"] = "string"
_MAX_EXPONENT = 40
_WHOLE_TEXT = re.compile(r"^[+-]?\d+$")
_NUMERIC_TEXT = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def is_blank_cell(value: Any) -> bool:
    """None, NaN, NaT, NA and whitespace-only text are all "empty"."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    if isinstance(value, str):
        return not value.strip()
    return False


def cell_text(value: Any) -> str | None:
    """Text of any cell a reader can produce; None for empty. Never raises."""
    try:
        return _cell_text(value)
    except Exception:  # a hostile __str__ must not stop the run
        return f"<unprintable {type(value).__name__}>"


def _cell_text(value: Any) -> str | None:
    if is_blank_cell(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return number_text(float(value))
    if isinstance(value, Decimal):
        return number_text(float(value)) if value.is_finite() else str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def to_text(raw: pd.Series, *, blanks: bool = True) -> pd.Series:
    """Raw cells → "string" Series with `<NA>` for empty cells (whitespace-only too, unless
    `blanks=False` leaves that check to a later per-distinct-value step)."""
    text = pd.Series(cell_texts(raw), index=raw.index, dtype=STRING, name=raw.name)
    return blank_to_na(text) if blanks else text


def cell_texts(raw: pd.Series) -> np.ndarray:
    """What `to_text` makes its "string" Series of (object array): the text cells as they are,
    any other cell through `cell_text`; missing ones become `<NA>` in a "string" Series."""
    if pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        return raw.to_numpy(dtype=object)
    texts: np.ndarray = raw.map(cell_text, na_action=None).to_numpy(dtype=object)
    return texts


def blank_cells(raw: pd.Series) -> pd.Series:
    """Boolean Series: which raw cells are empty (None, NaN, whitespace-only text)."""
    blank = raw.isna()
    filled = raw[~blank.to_numpy()]
    if filled.empty:
        return blank
    if pd.api.types.infer_dtype(filled, skipna=False) == "string":  # `is_blank_cell` of text
        cells = filled.to_numpy(dtype=object)
        lengths = map(len, map(str.strip, cells))  # C calls only: no Python frame per cell
        found = np.fromiter(lengths, dtype=np.int64, count=len(cells)) == 0
        blank.loc[filled.index] = found
        return blank
    distinct = Distinct(filled)
    blank.loc[filled.index] = distinct.spread(distinct.values.map(is_blank_cell)).astype(bool)
    return blank


def blank_to_na(text: pd.Series) -> pd.Series:
    """Whitespace-only and empty strings become `<NA>`."""
    if python_strings(text.dtype):  # what `.str.strip()` does per value, without its overhead
        cells = text.to_numpy(dtype=object)
        found = (isinstance(v, str) and not v.strip() for v in cells)
        blank = np.fromiter(found, dtype=bool, count=len(cells))
    else:
        blank = text.str.strip().eq("").fillna(False).to_numpy(dtype=bool)
    return text.mask(blank) if blank.any() else text


def trim_to_na(text: pd.Series) -> pd.Series:
    """`blank_to_na(text.str.strip())` in one pass: `"  a "` → `"a"`, `"  "` → `<NA>`."""
    dtype = text.dtype
    if not python_strings(dtype):
        return blank_to_na(text.str.strip())
    missing = dtype.na_value
    trimmed = [
        (v.strip() or missing) if isinstance(v, str) else v for v in text.to_numpy(dtype=object)
    ]
    return pd.Series(trimmed, index=text.index, dtype=dtype, name=text.name)


def plain_text(raw: pd.Series, *, trim: bool) -> pd.Series:
    """`trim_to_na(to_text(raw))` (`blank_to_na` without `trim`), in one pass over a column of
    text cells: each cell is made "string" once, not once for the text and once trimmed."""
    if not python_strings(pd.StringDtype()):
        text = to_text(raw, blanks=False)
        return trim_to_na(text) if trim else blank_to_na(text)
    cells = cell_texts(raw)
    if trim:
        kept = [(v.strip() or None) if isinstance(v, str) else v for v in cells]
    else:
        kept = [None if isinstance(v, str) and not v.strip() else v for v in cells]
    return pd.Series(kept, index=raw.index, dtype=STRING, name=raw.name)


def trimmed_texts(raw: pd.Series) -> list[str | None] | None:
    """What `plain_text(raw, trim=True)` holds, as a list with None for `<NA>`, for a column of
    text and gaps (a CSV column): one C call per cell, no "string" Series in between. None for
    any other column (tests/mapping/test_text_lists.py pins the two together)."""
    if not python_strings(pd.StringDtype()):
        return None
    cells = raw.to_numpy(dtype=object)
    try:  # text in every cell (a CSV column without gaps): nothing to look at first
        texts: list[str | None] = list(map(str.strip, cells))
    except TypeError:  # a gap, or a cell that is no text
        if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
            return None
        try:
            texts = list(map(str.strip, np.where(pd.isna(cells), "", cells)))
        except TypeError:  # a cell that is neither text nor missing
            return None
    return [text or None for text in texts] if "" in texts else texts


def none_for_na(text: pd.Series) -> np.ndarray:
    """The values of a text Series as an object array, None where `<NA>`."""
    values: np.ndarray = text.to_numpy(dtype=object, copy=True)
    values[text.isna().to_numpy()] = None
    return values


def python_strings(dtype: Any) -> TypeGuard[pd.StringDtype]:
    """A "string"/"str" Series whose `.str` methods call the `str` method per value (pyarrow
    storage trims with its own notion of whitespace: left to pandas)."""
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "python"


def normalise_numbers(text: pd.Series) -> pd.Series:
    """ "17.0" → "17", "1.5E+03" → "1500" for cells that are numbers written as text; exact
    (decimal arithmetic, so "9007199254740993.0" keeps its digits), and a plain whole number
    such as "0042" is left as written."""
    numeric = text.str.fullmatch(_NUMERIC_TEXT).fillna(False).astype(bool)
    numeric &= ~text.str.fullmatch(_WHOLE_TEXT).fillna(False).astype(bool)
    if not numeric.any():
        return text
    table = {v: _decimal_text(v) for v in text[numeric].unique()}
    return text.mask(numeric, text[numeric].map(table))


def _decimal_text(text: str) -> str:
    number = Decimal(text)
    exponent = number.as_tuple().exponent
    if number == 0:
        return "0"
    if not isinstance(exponent, int) or abs(exponent) > _MAX_EXPONENT:
        return text  # 1e999999 written out would be a megabyte of zeros: keep it as written
    if number == number.to_integral_value():
        return f"{number.to_integral_value():f}"
    return f"{number.normalize():f}"


@dataclass
class ErrorSink:
    """Row errors of one chunk, added in bulk from boolean masks."""

    by_row: dict[int, list[RowError]] = field(default_factory=dict)

    def add(self, row: Hashable, error: RowError) -> None:
        self.by_row.setdefault(int(row), []).append(error)  # type: ignore[call-overload]

    def add_row(
        self, row: Hashable, message: str, *, field: str, column: str | None, value: Any = None
    ) -> None:
        self.add(row, RowError(message, field=field, column=column, value=_plain(value)))

    def add_where(
        self,
        mask: pd.Series,
        values: pd.Series,
        message: str | Callable[[Any], str],
        *,
        field: str,
        column: str | None,
    ) -> None:
        """One error per row where `mask` is true; `values` align with `mask` by position."""
        flags = mask.fillna(False).astype(bool).to_numpy()
        if not flags.any():
            return
        picked = values.astype(object).to_numpy()[flags]
        for row, value in zip(mask.index[flags], picked, strict=True):
            text = message(value) if callable(message) else message
            self.add(row, RowError(text, field=field, column=column, value=_plain(value)))

    def rows(self) -> Iterable[int]:
        return self.by_row.keys()


def _plain(value: Any) -> Any:
    return None if value is pd.NA else value


class Distinct:
    """Do the work once per distinct value, then spread results and errors back over the rows.

    Legacy columns repeat values (types, units, countries, dates): this keeps per-value Python
    work proportional to the number of distinct values, not rows.
    """

    def __init__(self, values: pd.Series) -> None:
        self.index = values.index
        uniques: Any = None
        if pd.api.types.infer_dtype(values, skipna=True) not in _UNSAFE_TO_FACTORIZE:
            try:
                self.codes, uniques = pd.factorize(values, use_na_sentinel=True)
            except TypeError:  # an unhashable cell: no sharing for this column
                uniques = None
        if uniques is None:
            # True == 1 == 1.0 for hashing, but not for us: keep every row apart.
            self.codes = np.where(values.isna().to_numpy(), -1, np.arange(len(values)))
            uniques = values.to_numpy(dtype=object)
        dtype = values.dtype if isinstance(values.dtype, pd.StringDtype) else object
        self.values = pd.Series(uniques, dtype=dtype)

    @classmethod
    def of_text(cls, raw: pd.Series) -> Distinct:
        """`Distinct(to_text(raw, blanks=False))`; a column of text and gaps is factorized as it
        is, and only its distinct values are made "string"."""
        if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
            return cls(to_text(raw, blanks=False))
        distinct = cls.__new__(cls)  # text hashes safely: no need to look at the kind again
        distinct.index = raw.index
        distinct.codes, uniques = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=True)
        distinct.values = pd.Series(uniques, dtype=STRING)
        return distinct

    def spread(self, result: pd.Series) -> pd.Series:
        """Per-distinct-value Series (index 0..k-1) → one value per row (`<NA>` for empty rows)."""
        if _fills_own_na(result.dtype):  # no round trip through Python objects
            taken = result.array.take(self.codes, allow_fill=True)
            return pd.Series(taken, index=self.index, dtype=result.dtype)
        per_value = result.astype(object).to_numpy()
        out = np.full(len(self.codes), None, dtype=object)
        present = self.codes >= 0
        out[present] = per_value[self.codes[present]]
        return pd.Series(out, index=self.index, dtype=result.dtype)

    def spread_errors(self, local: ErrorSink, sink: ErrorSink) -> None:
        """Errors found on distinct values (keyed by their position) → errors on each row."""
        spread_errors(local, self.codes, self.index, sink)

    def spread_list(self, result: pd.Series, default: Any = None) -> list[Any]:
        """`spread(result).fillna(default)` as a list of Python values, None for `<NA>` (a
        body's values), without a Series per row: `result` holds only text and `<NA>`."""
        per_value = np.empty(len(result) + 1, dtype=object)  # the last one: rows without a value
        per_value[:-1] = none_for_na(result)
        if default is not None:
            per_value[pd.isna(per_value)] = default
        spread: list[Any] = per_value[self.codes].tolist()
        return spread


def spread_errors(local: ErrorSink, codes: np.ndarray, index: pd.Index, sink: ErrorSink) -> None:
    """Errors keyed by distinct position → the same errors on every row at that position."""
    if not local.by_row:
        return
    bad = np.isin(codes, np.fromiter(local.by_row, dtype=np.int64))
    for row, code in zip(index[bad], codes[bad], strict=True):
        sink.by_row.setdefault(int(row), []).extend(local.by_row[int(code)])


_UNSAFE_TO_FACTORIZE = {"mixed", "mixed-integer"}  # may mix True with 1


def _fills_own_na(dtype: Any) -> bool:
    """Dtypes whose `take(..., allow_fill=True)` fills exactly what a None cell becomes in them
    (`<NA>`, NaN for "str", NaT); object and plain numpy dtypes would not (None vs NaN, False)."""
    return isinstance(dtype, pd.StringDtype | pd.BooleanDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind == "M"
    )
