"""File → sheet chunks: CSV and XLSX read in chunks of rows, with spreadsheet row numbers kept."""

from importer.read.sheets import list_sheets, read_rows

__all__ = ["list_sheets", "read_rows"]
