"""The row keys seen so far in a run, in 16 bytes a key, to refuse a key's second row.

A key is held as an 8-byte BLAKE2b digest next to where its first row was (file and sheet as
a small table index, and the row number), in sorted NumPy arrays merged as they grow (a
log-structured merge; runs stop growing at 131,072 keys, so a merge's scratch memory stays
small). A million keys cost ~16 MB, where a dict of keys took ~160 bytes a key.

Two different keys share a digest with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows);
then the later row is refused as a repeat: a refused row, never a wrong send.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from importer.rows import SourceRef

__all__ = ["KeysSeen"]

_ROW_BITS = 40  # rows up to 10¹², sheets up to 2²⁴ per run
_ROW_MASK = (1 << _ROW_BITS) - 1

Array = npt.NDArray[np.uint64]
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
        self._runs: list[tuple[Array, Array]] = []  # (sorted digests, packed places)
        self._sources: list[tuple[str, str | None]] = []
        self._source_ids: dict[tuple[str, str | None], int] = {}
        self.count = 0

    def first_places(
        self, keys: Sequence[str], places: Sequence[SourceRef]
    ) -> list[SourceRef | None]:
        """For each key in order: where it was first seen in this run, counting the keys before
        it in this same call, or None when it is new (it is then remembered here)."""
        n = len(keys)
        if n == 0:
            return []
        digests = np.fromiter(map(_digest, keys), dtype=np.uint64, count=n)
        packed = np.fromiter(map(self._pack, places), dtype=np.uint64, count=n)
        found = np.zeros(n, dtype=bool)
        first = np.zeros(n, dtype=np.uint64)
        for run_digests, run_places in self._runs:
            at = np.minimum(np.searchsorted(run_digests, digests), len(run_digests) - 1)
            hit = (run_digests[at] == digests) & ~found
            first[hit] = run_places[at[hit]]
            found |= hit
        _, first_index, inverse = np.unique(digests, return_index=True, return_inverse=True)
        earliest = first_index[inverse]
        repeat = (earliest != np.arange(n)) & ~found
        first[repeat] = packed[earliest[repeat]]
        found |= repeat
        self._add(digests[~found], packed[~found])
        return [self._unpack(int(p)) if f else None for f, p in zip(found, first, strict=True)]

    def _add(self, digests: Array, places: Array) -> None:
        if not len(digests):
            return
        order = np.argsort(digests, kind="stable")
        self._runs.append((digests[order], places[order]))
        self.count += len(digests)
        while len(self._runs) > 1 and _mergeable(len(self._runs[-2][0]), len(self._runs[-1][0])):
            (d1, p1), (d2, p2) = self._runs.pop(), self._runs.pop()
            merged = np.concatenate((d2, d1))
            order = np.argsort(merged, kind="stable")
            self._runs.append((merged[order], np.concatenate((p2, p1))[order]))

    def _pack(self, place: SourceRef) -> int:
        where = (place.file, place.sheet)
        index = self._source_ids.get(where)
        if index is None:
            index = self._source_ids[where] = len(self._sources)
            self._sources.append(where)
        return (index << _ROW_BITS) | place.row

    def _unpack(self, packed: int) -> SourceRef:
        file, sheet = self._sources[packed >> _ROW_BITS]
        return SourceRef(file, sheet, packed & _ROW_MASK)

    @property
    def nbytes(self) -> int:
        """Bytes the arrays hold (16 a key)."""
        return sum(d.nbytes + p.nbytes for d, p in self._runs)
