"""File → sheet chunks: CSV and XLSX read in chunks of rows, with spreadsheet row numbers kept."""

from importer.read.sheets import hidden_sheets, list_sheets, read_rows

__all__ = ["hidden_sheets", "list_sheets", "read_rows"]
