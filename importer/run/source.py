"""The run's input, read once: each file's chunks in order, each sheet's header checked on its
first chunk, and a cheap estimate of how many rows there are (from bytes read, for CSV).

Before anything is sent, entering the context starts every file and reads its first chunk, and
reads the header row of every later sheet of a workbook, so a sheet that lacks a mapped column
stops the run while nothing has gone out. A CSV file is read once; nothing counts rows first.
A workbook's later sheets are parsed once for their header and once for their rows, because
python-calamine parses a whole sheet when it opens one (no streaming).
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
from importer.read import file_format, read_rows, rows_from_file, sheet_headers
from importer.rows import SheetChunk

__all__ = ["RunInput"]

_BUFFER = 1 << 16


@dataclass
class _Source:
    path: Path
    chunks: Iterator[SheetChunk]
    first: SheetChunk | None
    fp: _Hashing | None = None  # CSV: the bytes read so far, hashed for the manifest
    size: int = 0
    checked: set[str | None] = field(default_factory=set)


class RunInput:
    """Chunks of every input file, opened once; use as a context manager.

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
    ) -> None:
        self._files = list(files)
        self._mapping = mapping
        self._sheets = sheets
        self._chunk_size = chunk_size
        self._stack = ExitStack()
        self._sources: list[_Source] = []
        self._rows = 0
        self._csv_only = True

    def __enter__(self) -> RunInput:
        try:
            for path in self._files:
                self._sources.append(self._open(path))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _open(self, path: Path) -> _Source:
        if file_format(path) == "csv":
            raw = self._stack.enter_context(path.open("rb"))
            fp = _Hashing(raw)
            stream = io.BufferedReader(fp, buffer_size=_BUFFER)
            chunks = rows_from_file(
                stream, name=str(path), format="csv", chunk_size=self._chunk_size
            )
            source = _Source(path, chunks, None, fp, os.fstat(raw.fileno()).st_size)
        else:
            self._csv_only = False
            chunks = read_rows(path, sheets=self._sheets, chunk_size=self._chunk_size)
            source = _Source(path, chunks, None)
        self._stack.callback(getattr(chunks, "close", lambda: None))
        source.first = next(chunks, None)
        if source.first is not None:
            self._check_header(source, source.first)
        if source.fp is None and source.first is not None:
            # Later sheets: their headers too, before anything is sent (each sheet's XML is
            # parsed once more for it; calamine cannot stream a sheet).
            for sheet, names in sheet_headers(path, sheets=self._sheets, skip={source.first.sheet}):
                self._check_columns(source, sheet, pd.Index(names, dtype=object))
        return source

    def chunks(self) -> Iterator[SheetChunk]:
        """Every chunk of every file, in order; raises `ConfigError` for a sheet whose header
        lacks a column the mapping reads (before any row of that sheet is yielded)."""
        for source in self._sources:
            if source.first is None:
                continue
            first, source.first = source.first, None
            self._rows += len(first.frame)
            yield first
            for chunk in source.chunks:
                self._check_header(source, chunk)
                self._rows += len(chunk.frame)
                yield chunk

    def sha256s(self) -> dict[Path, str]:
        """SHA-256 hex of each CSV input read to its end, taken from the bytes the run read."""
        return {
            s.path: s.fp.sha256.hexdigest()
            for s in self._sources
            if s.fp is not None and s.fp.at_end and s.fp.position == s.size
        }

    def estimated_rows(self) -> int | None:
        """Rows read so far scaled by the share of input bytes read; None for workbooks."""
        if not self._csv_only or not self._sources:
            return None
        total = sum(s.size for s in self._sources)
        done = sum(_position(s) for s in self._sources)
        if done <= 0 or total <= 0:
            return None
        return max(self._rows, round(self._rows * total / done))

    def _check_header(self, source: _Source, chunk: SheetChunk) -> None:
        if chunk.sheet in source.checked:
            return
        self._check_columns(source, chunk.sheet, chunk.frame.columns)

    def _check_columns(self, source: _Source, sheet: str | None, columns: pd.Index) -> None:
        source.checked.add(sheet)
        try:
            self._mapping.resolve_columns(columns)
        except MappingError as exc:
            where = f"{source.path}" + (f" [sheet {sheet}]" if sheet else "")
            raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from exc


def _position(source: _Source) -> int:
    if source.first is not None:  # peeked, not yet yielded: its rows are not counted either
        return 0
    return source.size if source.fp is None else min(source.fp.position, source.size)


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
