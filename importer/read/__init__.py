"""File → sheet chunks: CSV and XLSX read in chunks of rows, with spreadsheet row numbers kept."""

from importer.read.limits import DEFAULT_LIMITS, ReadLimits, parse_limits
from importer.read.number_formats import number_text
from importer.read.sheets import (
    check_input,
    file_format,
    hidden_sheets,
    list_sheets,
    read_rows,
    rows_from_file,
    sheet_headers,
)

__all__ = [
    "DEFAULT_LIMITS",
    "ReadLimits",
    "check_input",
    "file_format",
    "hidden_sheets",
    "list_sheets",
    "number_text",
    "parse_limits",
    "read_rows",
    "rows_from_file",
    "sheet_headers",
]
