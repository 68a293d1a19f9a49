"""A workbook damaged by one byte is read or refused in one line, never a crash.

A reviewer's one-byte corruption of two_sheets.xlsx (offset 2792 set to 12) truncated a zip
member: the formula scan's `EOFError` escaped the reader. Kept as a case, and swept: every
offset of the file, flipped, gives rows or a `ReadError`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from importer.errors import ReadError
from importer.read import read_rows

_BOOK = Path(__file__).resolve().parents[1] / "fixtures" / "two_sheets.xlsx"


def _read(path: Path) -> int:
    return sum(len(chunk.frame) for chunk in read_rows(path, chunk_size=3))


def test_the_reviewers_truncated_member_is_a_read_error(tmp_path: Path) -> None:
    damaged = bytearray(_BOOK.read_bytes())
    damaged[2792] = 12
    (tmp_path / "bad.xlsx").write_bytes(bytes(damaged))
    with pytest.raises(ReadError, match="corrupt xlsx workbook"):
        _read(tmp_path / "bad.xlsx")


@pytest.mark.parametrize("value", [0x00, 0xFF])
def test_any_one_byte_set_reads_or_is_refused(tmp_path: Path, value: int) -> None:
    original = _BOOK.read_bytes()
    outcomes = {"read": 0, "refused": 0}
    for offset in range(0, len(original), 7):
        damaged = bytearray(original)
        damaged[offset] = value
        path = tmp_path / f"bad-{offset}.xlsx"
        path.write_bytes(bytes(damaged))
        try:
            _read(path)
            outcomes["read"] += 1
        except ReadError as exc:
            assert "\n" not in str(exc)
            outcomes["refused"] += 1
        path.unlink()
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == len(range(0, len(original), 7))
