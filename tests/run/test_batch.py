"""A dry run's rows decided as columns (`DryRun.alike`) get what deciding them one job at a
time (`DryRun.results`) gives: the same results, the same would-send lines, in order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

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
