"""The run's input, read once: each file's chunks in order, every sheet's header checked before
anything is sent, and a cheap estimate of how many rows there are (from bytes read, for CSV).

Entering the context opens the first file and reads its first chunk, then reads only the header
row of every later file and every later sheet, so a file or sheet that lacks a mapped column
stops the run while nothing has gone out. Only the file being read is open, so a run over many
files holds one chunk, not one per file. Costs of checking first: a later CSV file's first MiB
(the reader's encoding sample) is read twice; a workbook's sheets other than the first read are
parsed once more for their header, because python-calamine parses a whole sheet when it opens
one (no streaming). A single CSV file is read exactly once; nothing counts rows first.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from importer.errors import ConfigError, MappingError
from importer.mapping import Mapping
from importer.read import (
    DEFAULT_LIMITS,
    ReadLimits,
    file_format,
    read_rows,
    rows_from_file,
    sheet_headers,
)
from importer.rows import SheetChunk
from importer.validate import header_drift

__all__ = ["RunInput"]

_BUFFER = 1 << 16


@dataclass
class _Source:
    path: Path
    csv: bool
    size: int
    chunks: Iterator[SheetChunk] | None = None  # while it is the file being read
    first: SheetChunk | None = None  # read on entering, not yet handed out
    fp: _Hashing | None = None  # CSV: the bytes read so far, hashed for the manifest
    raw: BinaryIO | None = None  # CSV: the open file, closed once its rows are read
    checked: set[str | None] = field(default_factory=set)


class RunInput:
    """Chunks of every input file, each opened once for its rows; use as a context manager.

    >>> with RunInput(files, mapping, sheets=None, chunk_size=2000) as source:
    ...     for chunk in source.chunks(): ...
    """

    def __init__(
        self,
        files: Sequence[Path],
        mapping: Mapping,
        *,
        sheets: Sequence[str] | None,
        chunk_size: int,
        limits: ReadLimits = DEFAULT_LIMITS,
        encoding: str | None = None,
    ) -> None:
        self._limits = limits
        self._encoding = encoding
        self._mapping = mapping
        self._sheets = sheets
        self._chunk_size = chunk_size
        self._stack = ExitStack()
        self._sources: list[_Source] = []
        self._files = list(files)
        self._rows = 0
        self._sheet_rows_left: int | None = None  # workbooks: after the last chunk handed out

    def __enter__(self) -> RunInput:
        try:
            for number, path in enumerate(self._files):
                csv = file_format(path) == "csv"
                source = _Source(path, csv, path.stat().st_size if csv else 0)
                self._sources.append(source)
                if number == 0:
                    self._open(source)
                    source.first = next(source.chunks or iter(()), None)
                    if source.first is not None:
                        self._check_header(source, source.first)
                self._check_other_headers(source)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def chunks(self) -> Iterator[SheetChunk]:
        """Every chunk of every file, in order; raises `ConfigError` for a sheet whose header
        lacks a column the mapping reads (before any row of that sheet is yielded)."""
        for source in self._sources:
            if source.chunks is None:
                self._open(source)
            assert source.chunks is not None
            if source.first is not None:
                first, source.first = source.first, None
                self._count(first)
                yield first
            for chunk in source.chunks:
                self._check_header(source, chunk)
                self._count(chunk)
                yield chunk
            _close(source.chunks)
            if source.raw is not None:
                source.raw.close()  # one file open at a time

    def estimated_rows(self) -> int | None:
        """Rows read so far scaled by the share of input bytes read (CSV); for a run with a
        workbook, rows read so far plus the rows left in the sheet being read, by its
        dimension (sheets not opened yet are not known: the total grows as they open)."""
        if not self._sources:
            return None
        if not all(s.csv for s in self._sources):
            if self._sheet_rows_left is None:
                return None
            return self._rows + self._sheet_rows_left
        total = sum(s.size for s in self._sources)
        done = sum(_position(s) for s in self._sources)
        if done <= 0 or total <= 0:
            return None
        return max(self._rows, round(self._rows * total / done))

    def _count(self, chunk: SheetChunk) -> None:
        self._rows += len(chunk.frame)
        if chunk.last_row is not None and len(chunk.frame):
            self._sheet_rows_left = max(0, chunk.last_row - int(chunk.frame.index[-1]))

    def sha256s(self) -> dict[Path, str]:
        """SHA-256 hex of each CSV input read to its end, taken from the bytes the run read."""
        return {
            s.path: s.fp.sha256.hexdigest()
            for s in self._sources
            if s.fp is not None and s.fp.at_end and s.fp.position == s.size
        }

    def _open(self, source: _Source) -> None:
        if source.csv:
            raw = source.raw = self._stack.enter_context(source.path.open("rb"))
            source.size = os.fstat(raw.fileno()).st_size
            source.fp = _Hashing(raw)
            stream = io.BufferedReader(source.fp, buffer_size=_BUFFER)
            name = str(source.path)
            source.chunks = rows_from_file(
                stream,
                name=name,
                format="csv",
                chunk_size=self._chunk_size,
                limits=self._limits,
                encoding=self._encoding,
            )
        else:
            source.chunks = read_rows(
                source.path, sheets=self._sheets, chunk_size=self._chunk_size, limits=self._limits
            )
        self._stack.callback(_close, source.chunks)

    def _check_other_headers(self, source: _Source) -> None:
        """The headers `__enter__` has not seen in a first chunk: later files, later sheets."""
        if source.csv and source.first is None and source.chunks is None:
            rows = read_rows(
                source.path, chunk_size=1, limits=self._limits, encoding=self._encoding
            )
            try:
                header = next(rows, None)
            finally:
                _close(rows)
            if header is not None:
                self._check_columns(source, None, header.frame.columns)
        elif not source.csv:
            skip = {source.first.sheet} if source.first is not None else set()
            headers = sheet_headers(
                source.path, sheets=self._sheets, skip=skip, limits=self._limits
            )
            for sheet, names in headers:
                self._check_columns(source, sheet, pd.Index(names, dtype=object))

    def _check_header(self, source: _Source, chunk: SheetChunk) -> None:
        if chunk.hidden:  # a hidden sheet's rows are only reported, whatever its columns
            return
        if chunk.sheet not in source.checked:
            self._check_columns(source, chunk.sheet, chunk.frame.columns)

    def _check_columns(self, source: _Source, sheet: str | None, columns: pd.Index) -> None:
        source.checked.add(sheet)
        try:
            self._mapping.resolve_columns(columns)
        except MappingError as exc:
            where = f"{source.path}" + (f" [sheet {sheet}]" if sheet else "")
            message, hint = _header_problem(self._mapping, columns, exc)
            raise ConfigError(f"{where}: {message}", hint=hint) from exc


def _header_problem(mapping: Mapping, columns: pd.Index, exc: MappingError) -> tuple[str, str]:
    """The message and hint for a header the mapping cannot read: a column that is simply
    absent lists every missing and unexpected one (`header_drift`); other refusals (a repeated
    header the mapping must name) keep their own message."""
    drift = None
    if "is not in the sheet" in exc.message:
        drift = header_drift(mapping.columns, columns)
    hint = "fix the sheet's header row, or the column names in the mapping"
    if exc.hint and not exc.hint.startswith(("did you mean", "fix the column")):
        hint = exc.hint  # e.g. the header looks mis-decoded: the encoding to give
    if drift is None:
        return exc.message, exc.hint or hint
    return drift, hint


def _close(chunks: Iterator[SheetChunk]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


def _position(source: _Source) -> int:
    if source.first is not None or source.fp is None:  # not started, or rows not counted yet
        return 0
    return min(source.fp.position, source.size)


class _Hashing(io.RawIOBase):
    """A file read straight through, its SHA-256 taken on the way (for the run's manifest).

    Not seekable on purpose: the CSV reader then puts its encoding sample back in front
    instead of seeking, so every byte passes here exactly once.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.position = 0
        self.at_end = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.sha256.update(data)
        self.position += size
        self.at_end = self.at_end or size == 0
        return size
