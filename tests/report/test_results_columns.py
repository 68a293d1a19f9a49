"""results.csv's stage and decided_at columns."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime

import pandas as pd

from importer.report import ReportWriter
from importer.rows import RowResult, RowStatus, SheetChunk, SourceRef


def test_each_line_carries_the_stage_reached_and_when_its_outcome_was_decided(tmp_path):
    frame = pd.DataFrame({"Ref": ["A", "B"]}, index=pd.RangeIndex(2, 4), dtype=object)
    chunk = SheetChunk("log.csv", None, frame)
    before = time.time()
    results = [
        RowResult(SourceRef("log.csv", None, 2), RowStatus.CREATED, "id-1", stage="Closed"),
        RowResult(SourceRef("log.csv", None, 3), RowStatus.INVALID),
    ]
    results[1].decided_at = 1764462821.5974  # 2025-11-30T00:33:41.597Z
    after = time.time()

    with ReportWriter(tmp_path / "r") as report:
        report.write_chunk(chunk, results)
    with (tmp_path / "r" / "results.csv").open(encoding="utf-8") as fp:
        lines = list(csv.DictReader(fp))

    assert [line["stage"] for line in lines] == ["Closed", ""]
    decided = datetime.fromisoformat(lines[0]["decided_at"])
    assert decided.tzinfo is not None and lines[0]["decided_at"].endswith("Z")
    assert before - 0.001 <= decided.timestamp() <= after
    assert lines[1]["decided_at"] == "2025-11-30T00:33:41.597Z"
    assert report.stages == {"Closed": 1}
    assert datetime.fromisoformat(lines[1]["decided_at"]) == datetime(
        2025, 11, 30, 0, 33, 41, 597000, tzinfo=UTC
    )
