"""CSV/formula injection: neutralise text a spreadsheet would run, and undo exactly that.

OWASP's CSV Injection guidance: a cell that starts with `=`, `+`, `-`, `@`, tab or carriage
return is run as a formula by Excel, LibreOffice and Google Sheets; prefixing a single quote
makes it text. To keep the files the importer writes re-importable, the escape must be undone
exactly, so a cell that already starts with quotes before such a character gets one more:

    neutralise("=1+2") == "'=1+2"      restore("'=1+2") == "=1+2"
    neutralise("'=1+2") == "''=1+2"    restore("''=1+2") == "'=1+2"
    neutralise("'quoted") == "'quoted" (no formula behind the quotes: left as is)

`restore(neutralise(t)) == t` for every text `t` (a hypothesis test proves it).
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "neutralise", "restore", "runs_as_formula"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text whose first character is none of these is left as is: one set lookup a cell.
_MAY_NEED_A_QUOTE = frozenset((*FORMULA_START, "'"))


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet may treat `text`, typed or opened from a CSV, as a formula."""
    return text.startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """`text` with a `'` in front if, after any leading quotes, it starts a formula."""
    if text[:1] not in _MAY_NEED_A_QUOTE:
        return text
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def restore(text: str) -> str:
    """Undo `neutralise`: the text it was made from."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START):
        return text[1:]
    return text
