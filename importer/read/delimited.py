"""CSV text → raw records: encoding and delimiter detection, then a streaming `csv.reader`.

Policies (the reader's docs in `importer.read.sheets` sum them up for users):
- Encoding: given by the user (`--encoding`, `encoding:` in the mapping), else a BOM decides
  (UTF-8/16/32); else UTF-8 if the first MiB is valid UTF-8; else cp1252, unless the text reads
  as a non-Latin script in cp1252 (30 % or more of its letters are not ASCII), in which case
  charset-normalizer may name a Cyrillic, Greek, Hebrew, Arabic, Thai or East Asian code page;
  Central European letters (č ř ě ł ą ...) outscoring Western ones make it cp1250.
- Excel's `sep=;` first line names the delimiter and is not a row (the header is row 1).
- A byte that the chosen encoding refuses later in the file (a cp1252 "é" in a UTF-8 log) is read
  as cp1252 (latin-1 for the five bytes cp1252 leaves undefined): no crash and no byte lost.
- Delimiter: the one among `,` `;` tab `|` that splits the first records most consistently.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Generator
from typing import Any, BinaryIO

from importer.errors import ReadError
from importer.read.limits import (
    DEFAULT_LIMITS,
    LineFeed,
    LoneSurrogate,
    NulByte,
    ReadLimits,
    RowTooLong,
    Suspect,
    TextLines,
    UnclosedQuote,
    has_lone_surrogate,
)

__all__ = [
    "DELIMITERS",
    "Record",
    "csv_records",
    "csv_text",
    "detect_encoding",
    "line_records",
    "looks_central_european",
    "record_cells",
    "sniff_delimiter",
]

DELIMITERS = (",", ";", "\t", "|")
Record = tuple[int, list[Any]]  # (1-based row number, cells: str, None for "", or RowTooLong)

_SAMPLE_BYTES = 1 << 20  # encoding is judged on this much; generous, still fast (C decoder)
_NORMALIZER_BYTES = 64 << 10  # charset-normalizer is slow; a Windows code page shows early
_SNIFF_CHARS = 64 << 10
_SNIFF_RECORDS = 200
_NON_LATIN_SHARE = 0.3  # Western text is mostly ASCII letters; Cyrillic read as cp1252 is not
_FALLBACK = "importer.cp1252-fallback"
# What charset-normalizer may answer instead of cp1252: code pages of non-Latin scripts that
# spreadsheet exports use. Latin ones (cp1250, cp1257...) are too close to cp1252 to tell apart
# on a few accented names, and on short text it guesses exotic pages (cp1006) that never apply.
_NON_LATIN_CODE_PAGES = frozenset(
    [
        "cp1251",
        "cp1253",
        "cp1255",
        "cp1256",
        "cp874",
        "koi8_r",
        "koi8_u",
        "iso8859_5",
        "iso8859_7",
        "iso8859_8",
        "cp932",
        "cp936",
        "cp949",
        "cp950",
        "shift_jis",
        "euc_jp",
        "gb2312",
        "gb18030",
        "big5",
        "euc_kr",
    ]
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE = ("utf-16", "utf-32")  # NUL bytes are normal there (utf-16-le, utf-32-be, ... too)
_WESTERN_ONLY = re.compile("[àâçèêëîïñôûÿæøåœãõÀÂÇÈÊËÎÏÑÔÛŸÆØÅŒÃÕ]")
_WORD_FINAL = re.compile(r"[ìùòÌÙÒ](?!\w)")
_CENTRAL_ONLY = re.compile("[čďěňřťůąćęłńśźżőűĺľŕăşţČĎĚŇŘŤŮĄĆĘŁŃŚŹŻŐŰĹĽŔĂŞŢ]")
_SYMBOL_IN_WORD = re.compile(r"(?<=\w)[³¹¿£¥¯¼¾ºª¦]|[³¹¿£¥¯¼¾ºª¦](?=\w)")
_SEP_LINE = re.compile(r"^sep=(.)\r?\n")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)
    return text, error.end


codecs.register_error(_FALLBACK, _decode_as_cp1252)


def detect_encoding(sample: bytes) -> str:
    """Name the codec for a file that starts with `sample`: `utf-8-sig`, `utf-8`, `cp1252`, ...

    >>> detect_encoding("Zürich".encode("cp1252"))
    'cp1252'
    """
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    return _legacy_code_page(sample[:_NORMALIZER_BYTES])


def _legacy_code_page(sample: bytes) -> str:
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        text = None  # a byte cp1252 leaves undefined: likely a multi-byte Asian code page
    if text is not None and _non_ascii_letter_share(text) < _NON_LATIN_SHARE:
        return "cp1250" if looks_central_european(sample) else "cp1252"
    import charset_normalizer  # only a text no Latin code page reads well gets here

    best = charset_normalizer.from_bytes(sample).best()
    if best is not None and best.encoding in _NON_LATIN_CODE_PAGES:
        return best.encoding
    return "cp1250" if looks_central_european(sample) else "cp1252"  # Polish is rich in ł ą ż


def looks_central_european(sample: bytes) -> bool:
    """Whether Latin text is better read as cp1250 than cp1252.

    The two pages share ASCII and most accented letters; they differ on letters like č ř ě ů ł ą
    (cp1250), which cp1252 shows as è ø ì ù ³ ¹. Each page scores the letters only its languages
    use (ì ù ò only at a word's end, where Italian and French put them; ³ ¹ ¿ inside a word score
    for cp1250). A tie (`Őrző` scores õ against ő) stays cp1252: `--encoding` settles it.
    """
    if sample.isascii():
        return False
    western = sample.decode("cp1252", errors="replace")
    central = sample.decode("cp1250", errors="replace")
    score_w = len(_WESTERN_ONLY.findall(western)) + len(_WORD_FINAL.findall(western))
    score_c = len(_CENTRAL_ONLY.findall(central)) + len(_SYMBOL_IN_WORD.findall(western))
    return score_c > score_w  # a tie stays cp1252, the more common page


def _non_ascii_letter_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(not c.isascii() for c in letters) / len(letters)


def sniff_delimiter(sample: str) -> str:
    """The delimiter among `,` `;` tab `|` that gives the header and the records below it the
    same width; `,` when nothing splits (a one-column file).

    csv.Sniffer is not used: on `Name;Amount` / `A;1,5` it picks `,` (it prefers `,` on a tie).
    """
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = _record_widths(sample, delimiter)
        if len(widths) > 2:
            widths.pop()  # the sample may end inside a record
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _record_widths(sample: str, delimiter: str) -> list[int]:
    widths: list[int] = []
    try:
        for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
            if any(record):
                widths.append(len(record))
                if len(widths) == _SNIFF_RECORDS:
                    break
    except csv.Error:
        pass  # judged on the records before it
    return widths


def csv_records(
    fp: BinaryIO,
    *,
    name: str,
    limits: ReadLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
) -> Generator[Record, None, None]:
    """Every record of the CSV text in `fp`, numbered as a spreadsheet numbers rows; empty lines
    are skipped (their numbers are not reused) and trailing empty cells dropped. A line longer
    than `limits.max_row_chars` is yielded as `[RowTooLong(chars)]`, never split into cells.
    `encoding` (a Python codec name) overrides detection; an unknown one is a ReadError.

    Line by line: `importer.read.blocks.csv_blocks` gives the same records a block at a time."""
    text, delimiter = csv_text(fp, name=name, limits=limits, encoding=encoding)
    try:
        yield from line_records(text, delimiter, name=name, limits=limits)
    finally:
        text.detach()  # the caller owns fp: a TextIOWrapper would close it when collected


def csv_text(
    fp: BinaryIO, *, name: str, limits: ReadLimits, encoding: str | None
) -> tuple[io.TextIOWrapper, str]:
    """The text of `fp` past an Excel `sep=` line, and its delimiter; detach the text when done."""
    sample = fp.read(_SAMPLE_BYTES)
    encoding = (
        _given(_checked_codec(encoding, name), sample) if encoding else detect_encoding(sample)
    )
    _check_is_text(sample, encoding, name=name)
    head = _text_sample(sample, encoding)
    sep_line = _SEP_LINE.match(head.lstrip("\ufeff"))
    delimiter = sep_line.group(1) if sep_line else sniff_delimiter(head)
    if delimiter in '\x00"' or has_lone_surrogate(delimiter):
        raise ReadError(
            f"the first line `sep={ascii(delimiter)[1:-1]}` names a separator no sheet can use "
            "(a NUL, a quote or a lone surrogate)",
            path=name,
            hint="fix or delete the `sep=` line (Excel writes e.g. `sep=;`), or check --encoding",
        )
    stream = _rewound(fp, sample)
    text = io.TextIOWrapper(stream, encoding=encoding, errors=_FALLBACK, newline="")
    if sep_line:
        text.readline()  # Excel hides this line: the header stays row 1
    # The limit is process-wide; a cell up to a whole line is read, the row guard judges it.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_row_chars))
    return text, delimiter


def line_records(
    text: TextLines,
    delimiter: str,
    *,
    name: str,
    limits: ReadLimits,
    after: int = 0,
    width: int | None = None,
) -> Generator[Record, None, None]:
    """The records of `text` as `csv_records` numbers them, `after` records already read from
    its file (`width`: the header's width, if a record with a cell was among them)."""
    feed = LineFeed(text, limits=limits, name=name)
    reader = csv.reader(feed, delimiter=delimiter)
    number, line = after, 0
    try:
        for number, record in enumerate(reader, start=after + 1):
            cut = feed.record_done()
            if feed.eof:  # the reader needed more than the file had: a quote never closed
                yield number, Suspect([UnclosedQuote(reader.line_num - line - 1)])
                break
            line = reader.line_num
            nul, surrogate = feed.took_nul(), feed.took_surrogate()
            if nul or surrogate:  # past the sample (a NUL in it refuses the file)
                yield number, Suspect([NulByte() if nul else LoneSurrogate()])
                continue
            if cut is not None:
                yield number, Suspect([RowTooLong(cut)])
                continue
            cells = record_cells(record, feed.chars, width, limits.max_cell_chars)
            if record:  # a row of only delimiters is a blank row, reported as skipped
                if width is None and not is_blank_record(cells):
                    width = len(cells)  # the header: the first record with a non-blank cell
                yield number, cells
    except csv.Error as exc:
        raise ReadError(f"row {number + 1}: not valid CSV ({exc})", path=name) from exc


def is_blank_record(cells: list[Any]) -> bool:
    """Whether a record holds no cell but empty or whitespace-only ones: blank rows above the
    header are not it (`chunks.first_filled`), so they must not set the width trailing empty
    cells are trimmed to (a ` ` row above `A,B,C` made `1,2,,` two cells, refused as narrow)."""
    return all(cell is None or (type(cell) is str and cell.isspace()) for cell in cells)


def record_cells(record: list[str], chars: int, width: int | None, longest: int) -> list[Any]:
    """The cells of a record of `chars` characters: empty ones None, `Suspect` when one cell may
    be longer than `longest`, trailing empty ones dropped down to `width`, `[]` if all empty."""
    cells: list[Any] = [cell or None for cell in record]
    if chars > longest:  # only then can one cell be too long
        cells = Suspect(cells)
    # Trailing empty cells go, but never below the header's width: a row with
    # fewer cells than the header is told apart (its cells may have shifted left).
    while cells and cells[-1] is None and (width is None or len(cells) > width):
        cells.pop()
    if cells and cells[-1] is None and not any(cells):
        cells = []
    return cells


def _given(encoding: str, sample: bytes) -> str:
    """The encoding a user named, unless the file starts with a byte-order mark of that same
    Unicode family: `--encoding utf-8` on Excel's "CSV UTF-8" must not read the mark as part of
    the first header name (`\ufeffRef` is not `Ref`)."""
    for bom, marked in _BOMS:
        if sample.startswith(bom):
            family = marked[: len("utf-16")] if marked != "utf-8-sig" else "utf-8"
            return marked if encoding.startswith(family) else encoding
    return encoding


def _checked_codec(encoding: str, name: str) -> str:
    """The codec's own name; ReadError for a name Python does not know, and for a codec that
    is not a text encoding a file can be written in: bytes-to-bytes or text-to-text
    transforms (base64, zlib, hex, rot13...) and the domain-name codecs (idna, punycode),
    which refuse the reader's error handler. Each of those ended in an internal error."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise ReadError(f"unknown encoding {encoding!r}", path=name, hint=_CODEC_HINT) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_CODECS:
        raise ReadError(
            f"{encoding!r} is not a text encoding a file is written in", path=name, hint=_CODEC_HINT
        )
    return info.name


_CODEC_HINT = "use a Python codec name: utf-8, cp1252, cp1250, latin-1, utf-16 ..."
_NOT_FILE_CODECS = frozenset({"idna", "punycode"})


def _check_is_text(sample: bytes, encoding: str, *, name: str) -> None:
    if sample.startswith(_WORKBOOK_MAGIC):
        raise ReadError(
            "is an Excel workbook, not CSV text", path=name, hint="give it an .xlsx extension"
        )
    if b"\x00" in sample and not encoding.startswith(_WIDE):
        raise ReadError(
            "is a binary file (it contains NUL bytes), not CSV text",
            path=name,
            hint=(
                "if it is UTF-16 text without a byte-order mark, say so with --encoding "
                "utf-16-le (or `encoding:` in the mapping), or save it as UTF-8"
            ),
        )


def _text_sample(sample: bytes, encoding: str) -> str:
    head = sample[: _SNIFF_CHARS * 4]
    text = codecs.getincrementaldecoder(encoding)(errors=_FALLBACK).decode(head, final=False)
    whole_file = len(head) == len(sample) < _SAMPLE_BYTES and len(text) <= _SNIFF_CHARS
    if not whole_file:
        text = text[:_SNIFF_CHARS]
        text = text[: text.rfind("\n") + 1] or text  # drop the cut last line
    return text


def _rewound(fp: BinaryIO, sample: bytes) -> BinaryIO:
    """`fp` as if `sample` had not been read from it yet."""
    if fp.seekable():
        fp.seek(-len(sample), io.SEEK_CUR)
        return fp
    return io.BufferedReader(_Prepended(sample, fp))


class _Prepended(io.RawIOBase):
    """A non-seekable stream (a pipe) with bytes already read put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
