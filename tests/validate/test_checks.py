"""Warnings of valid rows checked a chunk at a time: the same warnings, in the same order, as the
rules say row by row (written out plainly here), however the rows are cut into chunks."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest
from body_strategies import ODD_CHARS, bodies, date_texts, date_values, usual_body
from hypothesis import given
from hypothesis import strategies as st

from importer.rows import SourceRef
from importer.validate import RowChecks
from importer.validate.checks import _Fingerprints, _may_hold, _paths_of
from importer.validate.instants import _column, _keys, rows_to_check
from importer.validate.offline import NOT_CHECKED_ID

COLUMNS = {"dateOccurred": ["Occurred"], "dateDiscovered": ["Found"], "deadline": ["Due"]}
NEAR = ["2024-05-31T12:43:24.173Z", "2024-05-31T12:43:24Z", "2024-05-31T12:43:24.174Z"]
NOWS = [
    datetime(2024, 5, 31, 12, 43, 24, micro, tzinfo=zone)
    for micro in (0, 172_999, 173_000, 173_001)
    for zone in (UTC, timezone(timedelta(hours=5, minutes=30)))
] + [datetime(2026, 11, 30, 12, 0, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)]


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date_rules(body: dict[str, Any], now: datetime) -> list[tuple[str, str, str]]:
    """The date warnings as the rules state them: (kind, field, message)."""
    when = {n: _when(body.get(n)) for n in ("dateOccurred", "dateDiscovered", "deadline")}
    found = [
        ("date in the future", name, f"{body[name]} is in the future")
        for name in ("dateOccurred", "dateDiscovered")
        if when[name] is not None and when[name] > now
    ]
    occurred = when["dateOccurred"]
    for name, what in (("deadline", "deadline"), ("dateDiscovered", "discovery")):
        if occurred is not None and when[name] is not None and when[name] < occurred:
            message = f"{body[name]} is before dateOccurred {body['dateOccurred']}"
            found.append((f"{what} before occurrence", name, message))
    return found


def _signed_head(fingerprint: str) -> int:
    value = int(fingerprint[:16], 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def _cell(ref: SourceRef, column: str) -> str:
    return f"{ref.row}:{column}"


date_bodies = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(date_values(), st.sampled_from(NEAR))
        for name in ("dateOccurred", "dateDiscovered", "deadline")
    },
)


@given(st.lists(date_bodies, max_size=8), st.sampled_from(NOWS))
def test_a_row_left_out_of_the_column_pass_has_no_date_warning(found, now):
    listed = set(rows_to_check(found, now))
    for at, body in enumerate(found):
        if at not in listed:
            assert _date_rules(body, now) == []


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_on_the_usual_forms_the_column_pass_is_exact_to_the_millisecond(now):
    texts = [*NEAR, "2024-05-31T12:43:23.999Z", None]
    found = [
        {"dateOccurred": occurred, "dateDiscovered": discovered, "deadline": deadline}
        for occurred in texts
        for discovered in texts
        for deadline in texts
    ]
    listed = set(rows_to_check(found, now))
    assert [at in listed for at in range(len(found))] == [bool(_date_rules(b, now)) for b in found]


def test_the_column_pass_leaves_out_the_usual_rows_and_keeps_the_odd_ones():
    usual = [usual_body(row) for row in range(300)]
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert rows_to_check(usual, now) == []
    odd = [{"dateOccurred": "2015-01-01T00:00:00+00:00"}, {"dateOccurred": "2027-01-01T00:00:00Z"}]
    assert rows_to_check([*usual[:2], *odd], now) == [2, 3]
    assert rows_to_check(usual[:3], now.replace(tzinfo=None)) == [0, 1, 2]


def test_a_naive_now_fails_as_it_always_did():
    checks = RowChecks(lambda field: [], now=datetime(2026, 1, 1))
    with pytest.raises(TypeError):
        checks.warnings(SourceRef("a.csv", None, 2), "k", usual_body(2), lambda column: None)


refs = st.builds(
    SourceRef,
    st.sampled_from(["a.csv", "b.xlsx"]),
    st.sampled_from([None, "S1"]),
    st.integers(2, 6),
)
prints = st.one_of(
    st.none(),
    st.sampled_from(
        ["0" * 64, "f" * 64, "8" + "0" * 63, "7" + "f" * 63, "ab" * 32, "ab" * 8 + "c" * 48]
    ),
    st.sampled_from(["ABCDEF0123456789" + "0" * 48, "0x12", " 1_2", "+ff"]),
)
rows = st.tuples(refs, st.sampled_from(["k1", "k2", None]), date_bodies, prints)


@given(st.lists(rows, max_size=12), st.lists(st.integers(1, 5), max_size=6), st.sampled_from(NOWS))
def test_a_chunk_at_a_time_warns_as_the_rules_do_row_by_row(found, cuts, now):
    checks = RowChecks(lambda field: COLUMNS.get(field, []), now=now, unchecked=False)
    checks._prints = _Fingerprints(run_size=3)  # spill to disk often
    got, start = [], 0
    for size in [*cuts, len(found)]:
        got += checks.warnings_of(found[start : start + size], _cell)
        start += size
    expected, firsts = [], {}
    for ref, key, body, fingerprint in found:
        for kind, field, message in _date_rules(body, now):
            column = COLUMNS[field][0]
            expected.append((ref, key, kind, field, message, column, _cell(ref, column)))
        if fingerprint is None:
            text = json.dumps(body, sort_keys=True, default=str)
            fingerprint = hashlib.sha256(text.encode()).hexdigest()
        first = firsts.setdefault(_signed_head(fingerprint), ref)
        if first != ref:
            message = f"the same incident as {first}, under another row key"
            expected.append((ref, key, "looks like another row", None, message, None, None))
    assert [(p.source, p.key, p.kind, p.field, p.message, p.column, p.value) for p in got] == (
        expected
    )


# A column all of one width: the shape `instants._column` reads from its bytes.
same_width_columns = st.integers(1, 8).flatmap(
    lambda size: st.sampled_from([20, 24]).flatmap(
        lambda width: st.lists(
            st.one_of(
                date_texts().map(lambda text: (text * 2)[:width].ljust(width, "0")),
                st.text(alphabet="".join(ODD_CHARS), min_size=width, max_size=width),
            ),
            min_size=size,
            max_size=size,
        )
    )
)


@given(st.one_of(same_width_columns, st.lists(date_values(), max_size=8)))
def test_a_column_read_from_its_bytes_gets_the_keys_numpy_text_gives(values):
    plain = [value if isinstance(value, str) else "" for value in values]
    assert _column(values).tolist() == _keys(plain).tolist()


@given(st.lists(st.one_of(st.builds(usual_body, st.integers(2, 9)), bodies()), max_size=6))
def test_rows_left_out_of_the_not_checked_pass_hold_no_unchecked_lookup(found):
    listed = set(_may_hold(found, NOT_CHECKED_ID))
    for at, body in enumerate(found):
        if at not in listed:
            assert _paths_of(body, NOT_CHECKED_ID) == []


class _Kind(StrEnum):
    NOT_CHECKED = NOT_CHECKED_ID


@pytest.mark.parametrize(
    ("leaf", "held"),
    [
        (NOT_CHECKED_ID, [0, 1]),
        (_Kind.NOT_CHECKED, [0, 1]),
        ([1, {"id": NOT_CHECKED_ID}], [0, 1]),
        (b"bytes", [0, 1]),
        (1 << 70, [0, 1]),
        ("\ud800", [0, 1]),
        (float("nan"), []),
        ("11111111-0000-0000-0000-000000000000", []),
    ],
    ids=["text", "str enum", "nested", "bytes", "huge int", "surrogate", "nan", "another id"],
)
def test_an_unchecked_lookup_or_a_body_orjson_cannot_write_keeps_every_row(leaf, held):
    found = [usual_body(2), {**usual_body(3), "orgGroupId": leaf}]
    assert list(_may_hold(found, NOT_CHECKED_ID)) == held
