"""The date warnings' first pass over a chunk: column-wise, which rows certainly have none.

A row's date warnings (`checks.RowChecks._dates`) compare `dateOccurred`, `dateDiscovered` and
`deadline` with each other and with the run's `now`. Most date-times are in the form the mapping
writes, `2019-05-31T12:43:24.173Z` or `2019-05-31T12:43:24Z`: numpy reads a whole column of
those at once as integers that sort as the instants do (20190531124324173, year to
millisecond), and a row whose integers break no rule has no warning. Every other row, and every
text in another form, is left to the row's own check, so the two cannot disagree:

- a text read here is one `datetime.fromisoformat` reads as the same instant, or one it refuses
  (31 February): a date it refuses warns of nothing either;
- `now` is cut to the millisecond, so `when > now` exactly when `key > now's key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["rows_to_check"]

_WIDTH = 25  # longer texts are cut here by numpy, and then match neither form
_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22]  # ...SS.fff of the form
_MARKS = [4, 7, 10, 13, 16]
_FORM = np.array([ord(c) for c in "0000-00-00T00:00:00.000Z"], dtype=np.uint32)
_WEIGHTS = np.array([10**k for k in range(16, -1, -1)], dtype=np.int64)  # year to millisecond
_SCALE: list[int] = _WEIGHTS[[3, 5, 7, 9, 11, 13]].tolist()  # year, month, ..., second
_ABSENT, _UNREAD = np.iinfo(np.int64).min, np.iinfo(np.int64).max

Keys = npt.NDArray[np.int64]


def rows_to_check(bodies: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Positions of the bodies that may have a date warning; the others have none."""
    if now.utcoffset() is None:  # comparing with it fails: the row's own check says how
        return list(range(len(bodies)))
    occurred, discovered, deadline = (
        _column(_values(bodies, name)) for name in ("dateOccurred", "dateDiscovered", "deadline")
    )
    limit = _key_of(now.astimezone(UTC))
    unread = (occurred == _UNREAD) | (discovered == _UNREAD) | (deadline == _UNREAD)
    known = occurred != _ABSENT
    future = (known & (occurred > limit)) | ((discovered != _ABSENT) & (discovered > limit))
    before = known & (
        ((deadline != _ABSENT) & (deadline < occurred))
        | ((discovered != _ABSENT) & (discovered < occurred))
    )
    found: list[int] = np.flatnonzero(unread | future | before).tolist()
    return found


def _values(bodies: Sequence[dict[str, Any]], name: str) -> list[Any]:
    """`[body.get(name) for body in bodies]`, without a Python step a body when all hold it."""
    try:
        return list(map(itemgetter(name), bodies))
    except (KeyError, TypeError, IndexError):  # `get`'s own errors, if any, come from here
        return [body.get(name) for body in bodies]


def _column(values: list[Any]) -> Keys:
    """`_keys` of a field's values, a value that is no text counting as empty. A column of
    ASCII texts all 24 or all 20 long (what the mapping writes) skips numpy's text array: its
    bytes are the codes `_keys` reads, in one buffer."""
    if values.count(None) == len(values):  # a field the mapping does not fill
        return np.full(len(values), _ABSENT, dtype=np.int64)
    widths = set(map(len, values)) if set(map(type, values)) == {str} else set()
    joined = "".join(values) if widths in ({24}, {20}) else ""
    # numpy drops a text's trailing NULs: such a column is left to `_keys`, and so is any other
    if not joined or not joined.isascii() or "\0" in joined:
        return _keys([text if isinstance(text, str) else "" for text in values])
    width = widths.pop()
    codes = np.zeros((len(values), _WIDTH), dtype=np.uint8)
    codes[:, :width] = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)
    return _read(codes, np.full(len(values), width))


def _keys(texts: list[str]) -> Keys:
    """Per text: its sortable integer, `_ABSENT` if it is empty (no date-time to compare),
    `_UNREAD` if it is in another form."""
    held = np.array(texts, dtype=f"<U{_WIDTH}")
    codes = held.view(np.uint32).reshape(len(texts), _WIDTH)
    return _read(codes, np.char.str_len(held))


def _read(codes: npt.NDArray[np.integer[Any]], lengths: npt.NDArray[np.integer[Any]]) -> Keys:
    """`_keys` from each text's character codes (one row each, `_WIDTH` wide) and length."""
    digits = codes[:, _DIGITS].astype(np.int64) - ord("0")
    millis = (lengths == 24) & (codes[:, 19] == ord(".")) & (codes[:, 23] == ord("Z"))
    digits[~millis, 14:] = 0  # `...SSZ`: no fraction
    read = millis | ((lengths == 20) & (codes[:, 19] == ord("Z")))
    read &= (codes[:, _MARKS] == _FORM[_MARKS]).all(axis=1)
    read &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    hour, minute, second = (digits[:, at] * 10 + digits[:, at + 1] for at in (8, 10, 12))
    read &= (hour <= 23) & (minute <= 59) & (second <= 59)
    digits[~read] = 0
    keys: Keys = digits @ _WEIGHTS
    keys[~read] = _UNREAD
    keys[lengths == 0] = _ABSENT
    return keys


def _key_of(moment: datetime) -> int:
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    return sum(f * s for f, s in zip(fields, _SCALE, strict=True)) + moment.microsecond // 1000
