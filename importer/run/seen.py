"""The row keys seen so far in a run, held in flat memory, to judge a key's second row.

A key is held as an 8-byte SipHash digest (pandas' `hash_array`, a whole chunk's keys at
once) next to an 8-byte tag of its first row's values (the caller's: the body fingerprint's
first 64 bits) and an 8-byte number saying where that row
was: the row's number plus the offset of its file and sheet (sheets come one after another, so
each gets the numbers after the previous sheet's last row). They live in a `DigestTable`
(importer/digests.py): sorted NumPy runs in memory up to 131,072 keys, then spilled to a
private temporary file mapped only while searched, so a million keys do not grow the process
(they took ~250 bytes a key as dicts, 20 in memory-only arrays).

Two different keys share a digest with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows);
then the later row is refused as a repeat: a refused row, never a wrong send. The SipHash key
is drawn at random for each run (pandas' default key is public), so nobody can craft a sheet
whose keys collide: finding a collision for an unknown key takes ~2³² keys in one run.
"""

from __future__ import annotations

import bisect
import secrets
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from importer.digests import DigestTable
from importer.rows import SourceRef

__all__ = ["KeysSeen"]


U64 = npt.NDArray[np.uint64]


def _digests(keys: Sequence[str], hash_key: str) -> U64:
    """64-bit SipHash-2-4 of each key's UTF-8 bytes under `hash_key` (16 ASCII characters), in
    C (~10× quicker than BLAKE2b a key); a lone surrogate raises UnicodeEncodeError, as encoding
    the key always did."""
    digests: U64 = pd.util.hash_array(
        np.array(keys, dtype=object), hash_key=hash_key, categorize=False
    )
    return digests


class KeysSeen:
    """Which keys a run has met, and where first.

    >>> seen = KeysSeen()
    >>> seen.first_places(["k1", "k1"], [SourceRef("a.csv", None, 2), SourceRef("a.csv", None, 3)])
    [None, SourceRef(file='a.csv', sheet=None, row=2)]
    """

    def __init__(self, *, run_size: int | None = None) -> None:
        sized = {} if run_size is None else {"run_size": run_size}
        self._table = DigestTable(width=2, **sized)  # payload: (place, tag)
        self._sources: list[tuple[str, str | None]] = []  # in the order they came (may repeat)
        self._bases: list[int] = []  # the place number of each source's row 0
        self._next_base = 0
        self._hash_key = secrets.token_hex(8)  # this run's SipHash key: 16 characters

    @property
    def count(self) -> int:
        return self._table.count

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
        packed = np.fromiter(map(self._number, places), dtype=np.uint64, count=n)
        tagged = np.fromiter(tags, dtype=np.uint64, count=n)
        found, first, first_tag = self._first(_digests(keys, self._hash_key), packed, tagged)
        return [
            (self._unpack(int(p)), int(t)) if f else None
            for f, p, t in zip(found.tolist(), first.tolist(), first_tag.tolist(), strict=True)
        ]

    def first_in_sheet(
        self, keys: Sequence[str], file: str, sheet: str | None, rows: U64, tags: U64
    ) -> dict[int, tuple[SourceRef, int]]:
        """`first_seen` for rows of one file and sheet (a chunk's), numbered whole: only the
        keys met before appear, by their position in `keys`."""
        if not len(keys):
            return {}
        if not self._sources or self._sources[-1] != (file, sheet):
            self._sources.append((file, sheet))
            self._bases.append(self._next_base)
        packed = rows.astype(np.uint64) + np.uint64(self._bases[-1])
        self._next_base = max(self._next_base, int(packed.max()) + 1)
        found, first, first_tag = self._first(_digests(keys, self._hash_key), packed, tags)
        return {
            int(at): (self._unpack(int(first[at])), int(first_tag[at]))
            for at in np.flatnonzero(found)
        }

    def _first(
        self, digests: U64, packed: U64, tagged: U64
    ) -> tuple[npt.NDArray[np.bool_], U64, U64]:
        """(seen before, its place, its tag) for each digest; the new ones are remembered."""
        n = len(digests)
        found, payload = self._table.lookup(digests)
        first, first_tag = payload[:, 0], payload[:, 1]
        _, first_index, inverse = np.unique(digests, return_index=True, return_inverse=True)
        earliest = first_index[inverse]
        repeat = (earliest != np.arange(n)) & ~found
        first[repeat] = packed[earliest[repeat]]
        first_tag[repeat] = tagged[earliest[repeat]]
        found |= repeat
        new = ~found
        self._table.add(digests[new], np.column_stack((packed[new], tagged[new])))
        return found, first, first_tag

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
        """Bytes held in memory now (24 a key not yet spilled to disk)."""
        return self._table.nbytes

    def close(self) -> None:
        """Forget every key and delete the spilled files."""
        self._table.close()
