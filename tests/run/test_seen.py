"""KeysSeen answers as a dict of first places would, in memory that does not grow with the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from importer.rows import SourceRef
from importer.run.seen import KeysSeen

_keys = st.lists(st.text(max_size=4), max_size=30)


def _places(file: str, start: int, count: int) -> list[SourceRef]:
    return [SourceRef(file, "S" if start % 2 else None, start + n) for n in range(count)]


@given(batches=st.lists(_keys, max_size=8), run_size=st.sampled_from([None, 2, 5]))
def test_first_places_match_a_dict_of_first_places(batches, run_size):
    seen, reference = KeysSeen(run_size=run_size), {}  # tiny runs: most keys spill to disk
    row = 2
    for number, keys in enumerate(batches):
        places = _places(f"f{number % 3}.csv", row, len(keys))
        row += len(keys)
        expected = []
        for key, place in zip(keys, places, strict=True):
            first = reference.setdefault(key, place)
            expected.append(None if first == place else first)

        assert seen.first_places(keys, places) == expected
    assert seen.count == len(reference)


def test_a_key_repeated_in_a_later_file_names_the_first_file_and_sheet():
    seen = KeysSeen()
    seen.first_places(
        ["A-1", "A-2"], [SourceRef("a.xlsx", "2023", 7), SourceRef("a.xlsx", "2023", 8)]
    )

    again = seen.first_places(
        ["A-3", "A-2"], [SourceRef("b.csv", None, 2), SourceRef("b.csv", None, 3)]
    )

    assert again == [None, SourceRef("a.xlsx", "2023", 8)]


def test_a_file_given_twice_points_at_its_first_reading():
    seen = KeysSeen()
    for file in ("a.csv", "b.csv"):
        seen.first_places([f"{file}-1", f"{file}-2"], _places(file, 2, 2))

    again = seen.first_places(["a.csv-1", "a.csv-2"], _places("a.csv", 2, 2))

    assert again == [SourceRef("a.csv", None, 2), SourceRef("a.csv", None, 3)]


def test_places_widen_past_four_billion_row_numbers():
    seen = KeysSeen()
    seen.first_places(["low"], [SourceRef("a.csv", None, 2)])
    seen.first_places(["high"], [SourceRef("a.csv", None, 5_000_000_000)])

    assert seen.first_places(["low", "high"], _places("b.csv", 2, 2)) == [
        SourceRef("a.csv", None, 2),
        SourceRef("a.csv", None, 5_000_000_000),
    ]


def test_a_hundred_thousand_keys_spill_to_disk_and_memory_stays_one_run():
    seen = KeysSeen(run_size=10_000)
    for start in range(0, 100_000, 2000):
        keys = [f"legacy-log:LEG-{n:07d}" for n in range(start, start + 2000)]
        assert seen.first_places(keys, _places("big.csv", start + 2, 2000)) == [None] * 2000
        assert seen.nbytes < 24 * 10_000  # never more than one run's entries in memory

    assert seen.count == 100_000
    assert seen.first_places(["legacy-log:LEG-0054321"], _places("big.csv", 999_999, 1)) == [
        SourceRef("big.csv", None, 54_323)
    ]
    seen.close()
    assert seen.count == 0


def test_the_first_rows_tag_comes_back_with_its_place():
    seen = KeysSeen()
    seen.first_seen(["k"], [SourceRef("a.csv", None, 2)], [2**64 - 1])

    again = seen.first_seen(["k", "k2", "k2"], _places("b.csv", 2, 3), [7, 8, 9])

    assert again == [
        (SourceRef("a.csv", None, 2), 2**64 - 1),
        None,
        (SourceRef("b.csv", None, 3), 8),
    ]


_sheets = st.lists(st.tuples(st.sampled_from(["a.csv", "b.xlsx"]), st.sampled_from([None, "S"])))


@given(batches=st.lists(_keys, max_size=8), sheets=_sheets, run_size=st.sampled_from([None, 3]))
def test_a_sheets_rows_numbered_whole_answer_as_places_one_by_one(batches, sheets, run_size):
    """`first_in_sheet` (a chunk's keys at once) gives what `first_seen` gives the same rows."""
    import numpy as np

    by_place, whole = KeysSeen(run_size=run_size), KeysSeen(run_size=run_size)
    row = 2
    for number, keys in enumerate(batches):
        file, sheet = sheets[number % len(sheets)] if sheets else ("a.csv", None)
        rows = list(range(row, row + len(keys)))
        row = row + len(keys) if number % 3 else 2  # a later sheet starts again at row 2
        tags = [hash((key, number % 2)) % 2**64 for key in keys]
        places = [SourceRef(file, sheet, r) for r in rows]

        expected = by_place.first_seen(keys, places, tags)
        found = whole.first_in_sheet(
            keys, file, sheet, np.array(rows, dtype=np.uint64), np.array(tags, dtype=np.uint64)
        )

        assert [found.get(at) for at in range(len(keys))] == expected


def test_each_run_digests_keys_under_its_own_random_siphash_key() -> None:
    # pandas' default SipHash key is public: with it a sheet could be crafted whose keys
    # collide (the later row refused as a repeat). Each run draws its own.
    from importer.run.seen import _digests

    keys = [f"legacy:{n}" for n in range(50)]
    first, second = KeysSeen(), KeysSeen()
    assert first._hash_key != second._hash_key and len(first._hash_key) == 16
    mine = _digests(keys, first._hash_key)
    assert (mine == _digests(keys, first._hash_key)).all()
    assert not (mine == _digests(keys, second._hash_key)).any()
    assert not (mine == pd.util.hash_array(np.array(keys, dtype=object), categorize=False)).any()
