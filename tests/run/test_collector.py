"""The problem collector finds the warnings of a chunk's valid rows together, on their cells."""

from __future__ import annotations

import pandas as pd
from body_strategies import usual_body

from importer.mapping import load_mapping
from importer.rows import SheetChunk, SourceRef
from importer.run.validation import ProblemCollector


def test_the_collector_checks_each_chunks_rows_together(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "version: 1\nname: m\nkey: [Id]\nfields:\n  name: {column: Title}\n"
        "  incidentTypeName: {constant: Phishing}\n"
        "  orgGroupId: {constant: d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6}\n"
        "  dateOccurred: {column: Occurred, formats: ['%Y-%m-%d']}\n",
        encoding="utf-8",
    )
    collector = ProblemCollector(load_mapping(mapping), offline_lookups=False)
    future = {"dateOccurred": "2999-01-01T00:00:00.000Z"}
    first = SheetChunk("a.csv", None, pd.DataFrame({"Occurred": ["x", "y"]}, index=[2, 3]))
    second = SheetChunk("a.csv", None, pd.DataFrame({"Occurred": ["z"]}, index=[4]))
    collector.valid_row(first, SourceRef("a.csv", None, 2), "k2", usual_body(2), "ab" * 32)
    collector.valid_row(first, SourceRef("a.csv", None, 3), "k3", future, "cd" * 32)
    collector.valid_row(second, SourceRef("a.csv", None, 4), "k4", usual_body(2), "ab" * 32)
    collector.chunk_done(second, [])

    assert collector.tally.by_kind() == {
        "warning": {"date in the future": 1, "looks like another row": 1}
    }
    (future_one,) = collector.tally.examples[("warning", "date in the future", "dateOccurred")]
    assert (future_one.source.row, future_one.value) == (3, "y")
