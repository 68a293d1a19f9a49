"""The row keys seen so far in a run, in 20 bytes a key, to judge a key's second row.

A key is held as an 8-byte BLAKE2b digest next to an 8-byte tag of its first row's values (the
caller's: the body fingerprint's first 64 bits) and a 4-byte number saying where that row
was: the row's number plus the offset of its file and sheet (sheets come one after another, so
each gets the numbers after the previous sheet's last row). Both live in sorted NumPy arrays
merged as they grow (a log-structured merge; runs stop growing at 131,072 keys, so a merge's
scratch memory stays small). A million keys cost ~20 MB, where dicts of keys took ~250 bytes
a key. Past 2³² numbers in one run the places widen to 8 bytes.

Two different keys share a digest with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows);
then the later row is refused as a repeat: a refused row, never a wrong send.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from importer.rows import SourceRef

__all__ = ["KeysSeen"]

Array = npt.NDArray[np.unsignedinteger[Any]]
# Runs stop merging at this many keys, so a merge never needs more than a few MB at once; a
# million keys are then ~8 runs, each searched once per chunk.
_MAX_RUN = 1 << 17


def _mergeable(older: int, newer: int) -> bool:
    return older <= 2 * newer and older + newer <= _MAX_RUN


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


class KeysSeen:
    """Which keys a run has met, and where first.

    >>> seen = KeysSeen()
    >>> seen.first_places(["k1", "k1"], [SourceRef("a.csv", None, 2), SourceRef("a.csv", None, 3)])
    [None, SourceRef(file='a.csv', sheet=None, row=2)]
    """

    def __init__(self) -> None:
        self._runs: list[tuple[Array, Array, Array]] = []  # (sorted digests, places, tags)
        self._sources: list[tuple[str, str | None]] = []  # in the order they came (may repeat)
        self._bases: list[int] = []  # the place number of each source's row 0
        self._next_base = 0
        self._place_type: type[np.unsignedinteger[Any]] = np.uint32
        self.count = 0

    def first_places(
        self, keys: Sequence[str], places: Sequence[SourceRef]
    ) -> list[SourceRef | None]:
        """For each key in order: where it was first seen in this run, counting the keys before
        it in this same call, or None when it is new (it is then remembered here)."""
        found = self.first_seen(keys, places, [0] * len(keys))
        return [None if f is None else f[0] for f in found]

    def first_seen(
        self, keys: Sequence[str], places: Sequence[SourceRef], tags: Sequence[int]
    ) -> list[tuple[SourceRef, int] | None]:
        """`first_places`, with the tag (an unsigned 64-bit number) given with the first row."""
        n = len(keys)
        if n == 0:
            return []
        digests = np.fromiter(map(_digest, keys), dtype=np.uint64, count=n)
        numbers = [self._number(p) for p in places]
        if self._next_base > np.iinfo(self._place_type).max:
            self._place_type = np.uint64
        packed = np.fromiter(numbers, dtype=self._place_type, count=n)
        tagged = np.fromiter(tags, dtype=np.uint64, count=n)
        found = np.zeros(n, dtype=bool)
        first = np.zeros(n, dtype=np.uint64)  # wide enough for either place type
        first_tag = np.zeros(n, dtype=np.uint64)
        for run_digests, run_places, run_tags in self._runs:
            at = np.minimum(np.searchsorted(run_digests, digests), len(run_digests) - 1)
            hit = (run_digests[at] == digests) & ~found
            first[hit] = run_places[at[hit]]
            first_tag[hit] = run_tags[at[hit]]
            found |= hit
        _, first_index, inverse = np.unique(digests, return_index=True, return_inverse=True)
        earliest = first_index[inverse]
        repeat = (earliest != np.arange(n)) & ~found
        first[repeat] = packed[earliest[repeat]]
        first_tag[repeat] = tagged[earliest[repeat]]
        found |= repeat
        self._add(digests[~found], packed[~found], tagged[~found])
        return [
            (self._unpack(int(p)), int(t)) if f else None
            for f, p, t in zip(found, first, first_tag, strict=True)
        ]

    def _add(self, digests: Array, places: Array, tags: Array) -> None:
        if not len(digests):
            return
        order = np.argsort(digests, kind="stable")
        self._runs.append((digests[order], places[order], tags[order]))
        self.count += len(digests)
        while len(self._runs) > 1 and _mergeable(len(self._runs[-2][0]), len(self._runs[-1][0])):
            (d1, p1, t1), (d2, p2, t2) = self._runs.pop(), self._runs.pop()
            merged = np.concatenate((d2, d1))
            order = np.argsort(merged, kind="stable")
            places = np.concatenate((p2, p1))[order]
            self._runs.append((merged[order], places, np.concatenate((t2, t1))[order]))

    def _number(self, place: SourceRef) -> int:
        where = (place.file, place.sheet)
        if not self._sources or self._sources[-1] != where:  # the next sheet (or file)
            self._sources.append(where)
            self._bases.append(self._next_base)
        number = self._bases[-1] + place.row
        self._next_base = max(self._next_base, number + 1)
        return number

    def _unpack(self, number: int) -> SourceRef:
        index = bisect.bisect_right(self._bases, number) - 1
        file, sheet = self._sources[index]
        return SourceRef(file, sheet, number - self._bases[index])

    @property
    def nbytes(self) -> int:
        """Bytes the arrays hold (20 a key)."""
        return sum(d.nbytes + p.nbytes + t.nbytes for d, p, t in self._runs)
