"""A dry run's rows decided as columns (`DryRun.alike`) get what deciding them one job at a
time (`DryRun.results`) gives: the same results, the same would-send lines, in order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from e2e_helpers import SIMPLE_MAPPING, incident_row, run_args, write_sheet
from hypothesis import given
from hypothesis import strategies as st

from importer.ledger import Ledger
from importer.rows import RowStatus, SourceRef
from importer.run.batch import ValidRows, first_of_each_key
from importer.run.preview import DryRun
from importer.run.seen import KeysSeen
from importer.run.verdict import Settings


class _Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[SourceRef, str, dict[str, Any]]] = []

    def write_would_send(self, source: SourceRef, key: str, body: dict[str, Any]) -> None:
        self.lines.append((source, key, body))

    def write_would_send_rows(self, file, sheet, rows, keys, bodies) -> None:
        for row, key, body in zip(rows, keys, bodies, strict=True):
            self.write_would_send(SourceRef(file, sheet, row), key, body)


_settings = st.builds(
    Settings,
    retry_failed=st.booleans(),
    update_changed=st.booleans(),
    check_register=st.sampled_from(["auto", "always", "never"]),
)


@st.composite
def _valid(draw: st.DrawFn) -> ValidRows:
    rows = draw(st.lists(st.integers(2, 10**6), max_size=8, unique=True))
    n = len(rows)
    stage = st.none() | st.sampled_from(["Investigation", "", "Closed"])
    return ValidRows(
        "log.csv",
        draw(st.none() | st.just("2024")),
        rows,
        draw(st.lists(st.text(min_size=1, max_size=5), min_size=n, max_size=n)),
        ["f" * 64] * n,
        draw(
            st.lists(
                st.dictionaries(st.text(max_size=3), st.text(max_size=3)), min_size=n, max_size=n
            )
        ),
        draw(st.lists(stage, min_size=n, max_size=n) | st.just([None] * n)),
    )


def _fields(result):
    return (result.source, result.status, result.key, result.note, result.errors, result.stage)


@given(settings=_settings, valid=_valid())
def test_rows_decided_as_columns_get_what_each_job_gets(settings, valid):
    mapping = SimpleNamespace(name="log", key_columns=["ID"])
    columns_lines, jobs_lines = _Lines(), _Lines()
    alike = DryRun(settings, mapping, columns_lines, None).alike(valid)
    expected = DryRun(settings, mapping, jobs_lines, None).results(valid.jobs(), None)
    if alike is None:  # the rows need deciding one at a time: nothing was written
        assert not columns_lines.lines
        assert (
            not valid.rows
            or any(s is not None for s in valid.stages)
            or any(r.status is not RowStatus.WOULD_CREATE for r in expected)
        )
        return
    assert [_fields(r) for r in alike.results()] == [_fields(r) for r in expected]
    assert columns_lines.lines == jobs_lines.lines


def test_a_key_met_before_leaves_the_columns_with_its_result():
    seen = KeysSeen()
    first = ValidRows(
        "a.csv", None, [2, 3], ["k:1", "k:2"], ["a" * 64, "b" * 64], [{}, {}], [None, None]
    )
    kept, repeats = first_of_each_key(seen, first)
    assert kept is first and repeats == []
    again = ValidRows(
        "b.csv",
        None,
        [2, 3, 4],
        ["k:2", "k:3", "k:1"],
        ["b" * 64, "c" * 64, "d" * 64],
        [{"x": "1"}, {}, {}],
        [None, "S", None],
    )
    kept, repeats = first_of_each_key(seen, again)
    assert (kept.rows, kept.keys, kept.bodies, kept.stages) == ([3], ["k:3"], [{}], ["S"])
    assert [(r.source, r.status) for r in repeats] == [
        (SourceRef("b.csv", None, 2), RowStatus.SKIPPED),  # same values: a copy
        (SourceRef("b.csv", None, 4), RowStatus.INVALID),  # other values: a conflict
    ]
    assert [j.source for j in kept.jobs()] == [SourceRef("b.csv", None, 3)]


# The simple test log's mapping, its organisation a constant: no register lookup
_NO_STAGE_MAPPING = SIMPLE_MAPPING.replace(
    "{column: Org, lookup: organization}", "{constant: d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6}"
)
assert _NO_STAGE_MAPPING != SIMPLE_MAPPING


def _no_stage_log(folder: Path, *, quoted: bool) -> tuple[Path, Path]:
    """Rows a dry run decides as columns, with a repeat and a key a spreadsheet would run;
    `quoted`: an invalid row, a conflict and keys whose cells csv.writer quotes too (then the
    chunk's results.csv lines are written one at a time)."""
    rows = [incident_row(n) for n in range(40)]
    rows[5] = dict(rows[4])  # a copy of row 4's
    rows[9]["Ref"] = "=1+2"
    if quoted:
        rows[3]["Title"] = ""  # invalid
        rows[7] = {**rows[6], "Title": "other"}  # the same key, other values
        rows[11]["Ref"] = "a,b"
        rows[12]["Ref"] = 'say "x"'
    mapping = folder / "log.yaml"
    mapping.write_text(_NO_STAGE_MAPPING, encoding="utf-8")
    return write_sheet(folder / "log.csv", rows), mapping


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("sample", "mapping"),
    [
        ("incidents_two_sheets.xlsx", "incidents_two_sheets.yaml"),
        ("legacy_incidents.csv", "legacy_incidents.yaml"),
        ("acme_legacy_export.csv", "acme_legacy_export.yaml"),
        (None, "plain"),
        (None, "quoted"),
    ],
    ids=["two sheets", "legacy csv", "acme csv", "no stage", "no stage, quoted keys"],
)
def test_a_dry_run_without_a_ledger_writes_what_the_row_at_a_time_way_writes(
    tmp_path, cli, sample, mapping
):
    """Without a ledger the rows go as columns; an empty ledger (it knows no key) takes them
    one at a time: every report file is the same, but for the moments rows were decided."""
    if sample is None:
        sheet, rules = _no_stage_log(tmp_path, quoted=mapping == "quoted")
    else:
        sheet, rules = ROOT / "samples" / sample, ROOT / "mappings" / mapping
    Ledger.open(tmp_path / "b" / "ledger.sqlite", command="test").close()
    for workdir in (tmp_path / "a", tmp_path / "b"):
        cli(run_args(sheet, rules, workdir, "--dry-run", "--log-format", "json"))
    columns, rows = (_report_files(tmp_path / w / "reports") for w in "ab")
    assert columns == rows
    assert "would_send.jsonl" in columns


def _report_files(reports: Path) -> dict[str, bytes]:
    (folder,) = (p for p in reports.iterdir() if p.is_dir())
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".csv", ".jsonl")}
    lines = files["results.csv"].split(b"\r\n")  # `decided_at`, the last cell, is a moment
    files["results.csv"] = b"\r\n".join(line.rpartition(b",")[0] for line in lines)
    return files
