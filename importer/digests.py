"""A run's memory of what it has met, in flat memory: 64-bit digests with fixed-size payloads.

A run must remember every row key (to judge a key's second row) and every body fingerprint (to
warn of two rows that look alike) across a million rows and more. `DigestTable` holds each
entry as an unsigned 64-bit digest beside a few unsigned 64-bit payload numbers, in sorted NumPy
runs (a log-structured merge). Runs merge in memory until they reach `run_size` entries; a full
run is then written to a private temporary file and mapped into memory only while a lookup
searches it (`mmap`, unmapped at once), so the process holds at most one run's pages at a time
and its peak memory stays flat however many rows a run meets. The files live in a temporary
folder (owner-only) deleted by `close()`, when the table is dropped, or at exit; they hold
hashes and row numbers, no cell.

Lookups are by whole chunks (NumPy arrays), never one row at a time.
"""

from __future__ import annotations

import mmap
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DigestTable"]

U64 = npt.NDArray[np.uint64]
_RUN_SIZE = 1 << 17  # 131,072 entries: a run's merge scratch and its pages stay a few MB


class DigestTable:
    """Unique digests → `width` payload numbers each, insert-only (the first entry wins).

    >>> table = DigestTable(width=1)
    >>> table.add(np.array([7, 3], dtype=np.uint64), np.array([[70], [30]], dtype=np.uint64))
    >>> found, payload = table.lookup(np.array([3, 5], dtype=np.uint64))
    >>> found.tolist(), payload[:, 0].tolist()
    ([True, False], [30, 0])
    """

    def __init__(self, width: int, *, run_size: int = _RUN_SIZE) -> None:
        self.width = width
        self.run_size = run_size
        self.count = 0
        self._runs: list[tuple[U64, U64]] = []  # in memory: (sorted digests, payload rows)
        self._spilled: list[tuple[Path, int]] = []  # on disk: (file, entries)
        self._folder: Path | None = None
        self._remove: weakref.finalize[Any, Any] | None = None  # deletes the folder

    @property
    def nbytes(self) -> int:
        """Bytes held in memory (8 a digest plus 8 a payload number, for runs not yet spilled)."""
        return sum(d.nbytes + p.nbytes for d, p in self._runs)

    @property
    def spilled_entries(self) -> int:
        return sum(n for _, n in self._spilled)

    def lookup(self, digests: U64) -> tuple[npt.NDArray[np.bool_], U64]:
        """(found mask, payloads: an `(n, width)` array, zeros where not found) for `digests`."""
        n = len(digests)
        found = np.zeros(n, dtype=bool)
        payload = np.zeros((n, self.width), dtype=np.uint64)
        for run_digests, run_payload in self._runs:
            _search(run_digests, run_payload, digests, found, payload)
        for path, entries in self._spilled:
            _search_file(path, entries, self.width, digests, found, payload)
        return found, payload

    def add(self, digests: U64, payload: U64) -> None:
        """Remember new entries: `digests` distinct and not in the table, `payload` `(n, width)`."""
        if not len(digests):
            return
        order = np.argsort(digests, kind="stable")
        self._runs.append((digests[order], payload.reshape(-1, self.width)[order]))
        self.count += len(digests)
        while len(self._runs) > 1 and _mergeable(
            len(self._runs[-2][0]), len(self._runs[-1][0]), self.run_size
        ):
            (d1, p1), (d2, p2) = self._runs.pop(), self._runs.pop()
            merged = np.concatenate((d2, d1))
            order = np.argsort(merged, kind="stable")
            self._runs.append((merged[order], np.concatenate((p2, p1))[order]))
        if sum(len(d) for d, _ in self._runs) >= self.run_size:  # one run's worth: to disk
            digests = np.concatenate([d for d, _ in self._runs])
            order = np.argsort(digests, kind="stable")
            payloads = np.concatenate([p for _, p in self._runs])[order]
            self._runs = []
            self._spill(digests[order], payloads)

    def close(self) -> None:
        """Delete the spilled runs' files; the table is empty afterwards."""
        if self._remove is not None:
            self._remove()
            self._folder = self._remove = None
        self._runs, self._spilled, self.count = [], [], 0

    def _spill(self, digests: U64, payload: U64) -> None:
        if self._folder is None:  # mkdtemp: owner-only (0700); removed on close, GC or exit
            self._folder = Path(tempfile.mkdtemp(prefix="incident-import-seen-"))
            self._remove = weakref.finalize(self, shutil.rmtree, self._folder, True)
        path = self._folder / f"run-{len(self._spilled)}.u64"
        with path.open("wb") as fp:
            fp.write(digests.tobytes())
            fp.write(np.ascontiguousarray(payload).tobytes())
        self._spilled.append((path, len(digests)))


def _mergeable(older: int, newer: int, limit: int) -> bool:
    return older <= 2 * newer and older + newer <= limit


def _search(run_digests: U64, run_payload: U64, digests: U64, found: Any, payload: U64) -> None:
    at = np.minimum(np.searchsorted(run_digests, digests), len(run_digests) - 1)
    hit = (run_digests[at] == digests) & ~found
    payload[hit] = run_payload[at[hit]]
    found |= hit


def _search_file(
    path: Path, entries: int, width: int, digests: U64, found: Any, payload: U64
) -> None:
    """Search a spilled run through a read-only mapping that is gone when this returns."""
    with path.open("rb") as fp, mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as pages:
        run_digests = np.frombuffer(pages, dtype=np.uint64, count=entries)
        run_payload = np.frombuffer(
            pages, dtype=np.uint64, count=entries * width, offset=entries * 8
        ).reshape(entries, width)
        _search(run_digests, run_payload, digests, found, payload)
        del run_digests, run_payload  # no view may outlive the mapping
