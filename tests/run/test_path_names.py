"""A path whose name is not UTF-8 is refused in one line before anything is read or written.

A cp1252 file name unzipped on Linux reaches Python as lone surrogates; the run wrote part of
its report and then stopped with an internal UnicodeEncodeError.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from e2e_helpers import incident_row, write_sheet

from importer.console import LogProgress
from importer.errors import ConfigError
from importer.run.pipeline import RunOptions, run_import


def _cp1252_named(folder: Path, name: bytes) -> Path:
    path = Path(os.fsdecode(bytes(folder) + b"/" + name))
    write_sheet(path, [incident_row(n) for n in range(3)])
    return path


@pytest.mark.parametrize("which", ["input", "mapping", "report"])
def test_a_path_named_in_another_encoding_is_refused_with_its_bytes_shown(
    tmp_path: Path, simple_mapping: Path, which: str
) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/r\xe9sum\xe9"))
    sheet = _cp1252_named(tmp_path, b"log-\xe9t\xe9.csv") if which == "input" else None
    mapping = odd.with_suffix(".yaml") if which == "mapping" else simple_mapping
    if which == "mapping":
        mapping.write_bytes(simple_mapping.read_bytes())
    options = RunOptions(
        files=[sheet or write_sheet(tmp_path / "log.csv", [incident_row(0)])],
        mapping_path=mapping,
        report_dir=odd if which == "report" else tmp_path / "report",
        dry_run=True,
    )
    with pytest.raises(ConfigError, match="not valid UTF-8") as refused:
        asyncio.run(run_import(options, LogProgress()))
    assert "\\xe9" in str(refused.value)
    str(refused.value).encode("utf-8")  # the message itself can be written anywhere
    assert not odd.exists() and not (tmp_path / "report").exists()
