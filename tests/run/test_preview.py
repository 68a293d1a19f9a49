"""A dry run's quick path for rows the ledger does not know gives what deciding each row alone
gives: the same results and the same would-send lines, in the same order."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from importer.rows import RowStatus, SourceRef
from importer.run.deliver import Job
from importer.run.preview import DryRun
from importer.run.stages import preview_stage
from importer.run.verdict import Settings


class _Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[SourceRef, str, dict[str, str]]] = []

    def write_would_send(self, source: SourceRef, key: str, body: dict[str, str]) -> None:
        self.lines.append((source, key, body))


_settings = st.builds(
    Settings,
    retry_failed=st.booleans(),
    update_changed=st.booleans(),
    check_register=st.sampled_from(["auto", "always", "never"]),
)
_jobs = st.lists(
    st.builds(
        Job,
        st.builds(SourceRef, st.just("log.csv"), st.none(), st.integers(2, 10**6)),
        st.text(min_size=1, max_size=5).map(lambda k: f"log:{k}"),
        st.just("f" * 64),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=3),
        st.none() | st.sampled_from(["Investigation", "Closed"]),
    ),
    max_size=8,
)


def _fields(result):
    return (result.source, result.status, result.key, result.note, result.errors, result.stage)


@given(settings=_settings, jobs=_jobs)
def test_rows_the_ledger_does_not_know_are_decided_as_one_by_one(settings, jobs):
    mapping = SimpleNamespace(name="log", key_columns=["ID"])
    quick_lines, alone_lines = _Lines(), _Lines()
    quick = DryRun(settings, mapping, quick_lines, None).results(jobs, None)
    alone = DryRun(settings, mapping, alone_lines, None)
    expected = [alone._result(job, None, None) for job in jobs]
    expected = [
        preview_stage(job, result, None) for job, result in zip(jobs, expected, strict=True)
    ]

    assert [_fields(r) for r in quick] == [_fields(r) for r in expected]
    assert quick_lines.lines == alone_lines.lines
    if jobs and not settings.retry_failed:
        assert {r.status for r in quick} == {RowStatus.WOULD_CREATE}
