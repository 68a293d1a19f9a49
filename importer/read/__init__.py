"""File → sheet chunks: CSV and XLSX read in chunks of rows, with spreadsheet row numbers kept."""

from importer.read.sheets import (
    file_format,
    list_sheets,
    read_rows,
    rows_from_file,
    sheet_headers,
)

__all__ = ["file_format", "list_sheets", "read_rows", "rows_from_file", "sheet_headers"]
