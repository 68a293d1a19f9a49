"""A codec that decodes a lone surrogate costs one row, never the run (a breaker's find).

`--encoding unicode_escape` (or utf-7) turns `\\ud800` into a lone surrogate, which no UTF-8
report can hold: the dry run stopped with an internal UnicodeEncodeError, part-way through
writing results.csv and failed_rows.csv.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from importer.console import LogProgress
from importer.run.pipeline import RunOptions, run_import


def test_a_lone_surrogate_row_is_invalid_and_the_rest_would_be_created(
    tmp_path: Path, simple_mapping: Path
) -> None:
    sheet = tmp_path / "log.csv"
    sheet.write_bytes(
        b"Ref,Title,Details,Type,Org,Occurred\n"
        b"T-1,Lost laptop,d,Phishing,France,2024-01-05 10:00\n"
        b"\\ud800,Key with a surrogate,d,Phishing,France,2024-01-05 10:00\n"
        b"T-3,Title \\udfff,d,Phishing,France,not a date\n"
        b"T-4,Fine,d,Phishing,France,2024-01-05 10:00\n"
    )
    options = RunOptions(
        files=[sheet],
        mapping_path=simple_mapping,
        report_dir=tmp_path / "report",
        dry_run=True,
        encoding="unicode_escape",
        lookup_files={
            "organizations": Path(__file__).resolve().parents[2]
            / "mappings"
            / "lookups"
            / "organizations.csv"
        },
    )

    outcome = asyncio.run(run_import(options, LogProgress()))

    with (tmp_path / "report" / "results.csv").open(encoding="utf-8", newline="") as fp:
        results = list(csv.DictReader(fp))
    assert [(r["row"], r["status"]) for r in results] == [
        ("2", "would create"),
        ("3", "invalid"),
        ("4", "invalid"),
        ("5", "would create"),
    ]
    assert all("lone surrogate" in results[i]["message"] for i in (1, 2))
    assert outcome.exit_code == 1
    failed = (tmp_path / "report" / "failed_rows.csv").read_text(encoding="utf-8")
    assert "lone surrogate" in failed
