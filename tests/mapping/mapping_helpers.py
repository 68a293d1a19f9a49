"""Helpers for the mapping tests: mappings from YAML text, chunks from column lists."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from importer.rows import MappedChunk, SheetChunk

REPO = Path(__file__).resolve().parents[2]
LOOKUP_DIR = REPO / "mappings" / "lookups"
OFFLINE = {
    kind: LOOKUP_DIR / f"{kind}.csv" for kind in ("organizations", "users", "groups", "options")
}

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
GERMANY = "ad4ebe4b-6404-47de-9c13-58f0041f7f4d"
ALICE = "bde33237-912d-4bbe-89f4-1f74000b13d3"
PRIVACY_OFFICE = "4143cd06-6179-47bc-9f1d-bbd4c37f49e3"
HIGH = "b2a9c4be-5fd8-4ccc-a906-61a806f40076"


def mapping_text(fields: str, top: str = "") -> str:
    """A whole mapping file from an indented `fields:` body and optional top-level lines."""
    body = textwrap.indent(textwrap.dedent(fields).strip("\n"), "  ")
    return f"version: 1\n{textwrap.dedent(top)}fields:\n{body}\n"


def chunk(columns: dict[str, list[Any]], *, first_row: int = 2) -> SheetChunk:
    """A chunk whose rows are numbered like a sheet (header = row 1)."""
    length = max((len(v) for v in columns.values()), default=0)
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in columns.items()}
    )
    frame.index = pd.RangeIndex(first_row, first_row + length)
    if (
        "#" not in frame.columns
    ):  # keeps rows from being "blank rows" when the cells under test are empty
        frame["#"] = [f"r{n}" for n in frame.index]
    return SheetChunk("sheet.csv", None, frame)


def outcome(mapped: MappedChunk, row: int, field: str) -> Any:
    """The body's value for `field`, or `error: <messages>`, or `skipped: <reason>`."""
    if row in mapped.errors:
        return "error: " + "; ".join(e.message for e in mapped.errors[row])
    if row in mapped.skipped:
        return "skipped: " + mapped.skipped[row]
    return mapped.bodies[row].get(field)
