"""A chunk's valid rows as columns, from the mapping's output to the keys seen in the run.

Rows that pass validation travel together (row numbers, keys, fingerprints, bodies, stages:
one list each) instead of one `Job` a row: a million-row dry run needs no per-row object on
its common path (run/preview.py, `DryRun.alike`). `ValidRows.jobs()` makes the jobs where a
row needs its own (sending, ledger entries, stages).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from importer.ledger import body_fingerprints
from importer.rows import MappedChunk, RowError, RowResult, RowStatus, SheetChunk, SourceRef
from importer.run.adopt import Job
from importer.run.seen import KeysSeen
from importer.validate import ValidRow

__all__ = ["ValidRows", "first_of_each_key", "valid_rows"]


@dataclass(slots=True)
class ValidRows:
    """The valid rows of one chunk (one file and sheet), a list per column, in row order."""

    file: str
    sheet: str | None
    rows: list[int]
    keys: list[str]
    fingerprints: list[str]
    bodies: list[dict[str, Any]]
    stages: list[str | None]

    def __len__(self) -> int:
        return len(self.rows)

    def refs(self) -> list[SourceRef]:
        file, sheet = self.file, self.sheet
        return [SourceRef(file, sheet, row) for row in self.rows]

    def jobs(self) -> list[Job]:
        """One `Job` a row, in order: for the paths that treat rows one at a time."""
        columns = (self.refs(), self.keys, self.fingerprints, self.bodies, self.stages)
        return [Job(*row) for row in zip(*columns, strict=True)]

    def checked(self) -> list[ValidRow]:
        """`(ref, key, body, fingerprint)` a row: what the problem collector checks."""
        return list(zip(self.refs(), self.keys, self.bodies, self.fingerprints, strict=True))

    def without(self, positions: Container[int]) -> ValidRows:
        """These rows less those at `positions`."""
        kept = [at for at in range(len(self.rows)) if at not in positions]
        return ValidRows(
            self.file,
            self.sheet,
            [self.rows[at] for at in kept],
            [self.keys[at] for at in kept],
            [self.fingerprints[at] for at in kept],
            [self.bodies[at] for at in kept],
            [self.stages[at] for at in kept],
        )


def valid_rows(name: str, chunk: SheetChunk, mapped: MappedChunk, rows: list[int]) -> ValidRows:
    """The valid `rows` of a chunk, their bodies fingerprinted together; a row without a key
    is keyed by its body's fingerprint."""
    keys, stages = mapped.keys, mapped.stages
    bodies = [mapped.bodies[row] for row in rows]
    fingerprints = body_fingerprints(bodies)
    return ValidRows(
        chunk.file,
        chunk.sheet,
        rows,
        [
            f"{name}:{keys[row]}" if row in keys else f"{name}:sha256:{fingerprint}"
            for row, fingerprint in zip(rows, fingerprints, strict=True)
        ],
        fingerprints,
        bodies,
        [stages.get(row) for row in rows] if stages else [None] * len(rows),
    )


def first_of_each_key(seen: KeysSeen, valid: ValidRows) -> tuple[ValidRows, list[RowResult]]:
    """(the rows whose key this run has not met before, a result for each other row): a
    repeat is a skipped copy or, with other values, an invalid row (`_repeated`)."""
    tags = _values_tags(valid.fingerprints)
    rows = np.array(valid.rows, dtype=np.uint64)
    firsts = seen.first_in_sheet(valid.keys, valid.file, valid.sheet, rows, tags)
    repeats = [
        _repeated(
            SourceRef(valid.file, valid.sheet, valid.rows[at]),
            first,
            valid.keys[at],
            first_tag == int(tags[at]),
        )
        for at, (first, first_tag) in firsts.items()
    ]
    return (valid.without(firsts) if firsts else valid), repeats


def _repeated(ref: SourceRef, first: SourceRef, key: str, same: bool) -> RowResult:
    """A row key seen before in this run: the same values are a copy (another file of the
    same export), not sent; different values are a conflict, a row error."""
    if same:
        note = f"duplicate of {first} (same row key and values): not sent again"
        return RowResult(ref, RowStatus.SKIPPED, note=note, key=key)
    error = RowError(f"same row key as {first} in this run, with different values: {key}")
    return RowResult(ref, RowStatus.INVALID, errors=[error], key=key)


def _values_tags(fingerprints: list[str]) -> npt.NDArray[np.uint64]:
    """The first 64 bits of each body's SHA-256 fingerprint: enough to tell values apart."""
    heads = bytes.fromhex("".join([f[:16] for f in fingerprints]))
    return np.frombuffer(heads, dtype=">u8").astype(np.uint64)
