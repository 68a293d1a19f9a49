"""User regular expressions (`extract.pattern`, `skip_rows.matches`) run on google-re2.

RE2 guarantees time linear in the text whatever the pattern, so `(a+)+$` on a long cell cannot
hang the run (Python's `re` backtracks exponentially on it). The price: RE2 has no
backreferences (`\\1`) and no look-around (`(?=...)`); such a pattern is refused when the mapping
loads, with RE2's reason. Chosen over a per-pattern timeout because a timeout needs a thread or
process per evaluation (slow on a million cells) and still burns its full budget on every bad
cell; RE2 is linear by construction and maintained by Google.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["compile_pattern", "first_group", "matches"]

_MAX_PROGRAM_BYTES = 8 << 20  # RE2's own memory budget for one compiled pattern


def compile_pattern(pattern: str, *, ignore_case: bool = False) -> Any:
    """A compiled RE2 pattern; raises ValueError with RE2's reason when it is not one."""
    import re2  # type: ignore[import-untyped]  # only a mapping with patterns needs it

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own error line on stderr
    options.max_mem = _MAX_PROGRAM_BYTES
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(
            f"{reason} (patterns run on RE2: no backreferences or look-around)"
        ) from None


def first_group(text: pd.Series, compiled: Any) -> pd.Series:
    """The first group of the first match in each cell (the whole match if no group); NA when
    nothing matches or the cell is NA. Like `Series.str.extract(...).iloc[:, 0]`."""
    group = 1 if compiled.groups else 0

    def one(cell: str) -> Any:
        found = compiled.search(cell)
        return found.group(group) if found is not None else None

    return text.map(one, na_action="ignore")


def matches(text: pd.Series, compiled: Any) -> pd.Series:
    """Whether each cell contains a match (False for NA), as a bool Series."""
    return (
        text.map(lambda cell: compiled.search(cell) is not None, na_action="ignore")
        .fillna(False)
        .astype(bool)
    )
