"""Write a folder of hostile and broken input files: `python make_hostile.py FOLDER`.

Nothing here is committed as bytes: tests call `make_all(tmp_path)` and get every file fresh.
Each entry of `HOSTILE` says what the file attacks; `tests/hostile/test_hostile.py` runs the CLI
on each one and checks the outcome, the exit code and the peak memory.
"""

from __future__ import annotations

import csv
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HEADER = "Ref,Title,Details,Type"
MAPPING = """\
version: 1
name: hostile
key: [Ref]
fields:
  name: Title
  description: Details
  incidentTypeName: Type
"""
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SML}.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Incidents" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"
_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


def _cell(column: str, row: int, text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{escaped}</t></is></c>'


def _row(row: int, values: list[str]) -> str:
    cells = "".join(_cell("ABCD"[i], row, v) for i, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


def _rows_xml(count: int, *, start: int = 2) -> str:
    numbers = range(start, start + count)
    return "".join(_row(n, [f"H-{n}", f"Title {n}", "Details", "Phishing"]) for n in numbers)


def _sheet(rows: str) -> str:
    return _SHEET_HEAD + _row(1, HEADER.split(",")) + rows + _SHEET_TAIL


def _workbook(
    path: Path,
    sheet: str | Callable[[zipfile.ZipFile], None],
    shared: str = "",
    extra: dict[str, bytes] | None = None,
) -> Path:
    strings = shared or (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" '
        'uniqueCount="0"></sst>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/sharedStrings.xml", strings)
        if callable(sheet):
            sheet(archive)
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def zip_bomb(path: Path) -> Path:
    """64 MiB of identical rows squeezed to ~100 KB (ratio ~600): refused before parsing."""

    def write(archive: zipfile.ZipFile) -> None:
        block = _rows_xml(1, start=2).encode() * 4096  # the same row again: compresses ~600x
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            entry.write((_SHEET_HEAD + _row(1, HEADER.split(","))).encode())
            for _ in range((64 << 20) // len(block)):
                entry.write(block)
            entry.write(_SHEET_TAIL.encode())

    return _workbook(path, write)


def lying_zip_bomb(path: Path) -> Path:
    """A bomb whose zip directory claims 4 KB for a sheet that inflates to 64 MiB."""
    zip_bomb(path)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    claimed = struct.pack("<I", 4096)
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:  # central directory entries
        if data[at + 46 : at + 46 + len(name)] == name:
            data[at + 24 : at + 28] = claimed
        at += 4
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) != -1:  # local headers
        if data[at + 30 : at + 30 + len(name)] == name:
            data[at + 22 : at + 26] = claimed
        at += 4
    path.write_bytes(bytes(data))
    return path


def xml_bomb_sheet(path: Path) -> Path:
    """Billion laughs in sheet1.xml: entities must never be expanded."""
    sheet = _sheet(_row(2, ["B-1", "&lol9;", "Details", "Phishing"]))
    sheet = sheet.replace("<worksheet", _LAUGHS + "<worksheet", 1)
    return _workbook(path, sheet.replace("&amp;lol9;", "&lol9;"))


def xml_bomb_shared_strings(path: Path) -> Path:
    """Billion laughs in sharedStrings.xml, referenced by a cell."""
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        + _LAUGHS
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    row = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>B-2</t></is></c>'
        '<c r="B2" t="s"><v>0</v></c></row>'
    )
    return _workbook(path, _sheet(row), shared)


def sparse_sheet(path: Path) -> Path:
    """Two cells, at A2 and XFD1048576: calamine would allocate the 17-billion-cell rectangle."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return _workbook(path, _sheet(_rows_xml(1) + far))


def sparse_corner(path: Path) -> Path:
    """Two rows and one cell at AX1000000: 50,000,000 cells, just inside `max_sheet_cells`, so a
    2 KB file made calamine allocate 1.6 GB; refused for holding almost no values."""
    far = '<row r="1000000"><c r="AX1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    return _workbook(path, _sheet(_rows_xml(1) + far))


def sparse_sheet_without_references(path: Path) -> Path:
    """The sparse sheet again, its cells without `r` (OOXML allows it: a cell then follows the
    one before it): 16,000 unnamed header cells and one cell in row 1,048,576. Calamine asked
    for 537 GB and aborted the process."""
    cell = '<c t="inlineStr"><is><t>x</t></is></c>'
    header = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER.split(","))
    rows = f'<row r="1">{header}{cell * 16_000}</row><row r="1048576">{cell}</row>'
    return _workbook(path, _SHEET_HEAD + rows + _SHEET_TAIL)


def macro_workbook(path: Path) -> Path:
    """A workbook with a VBA project (what .xlsm files carry)."""
    return _workbook(path, _sheet(_rows_xml(2)), extra={"xl/vbaProject.bin": b"\x00" * 64})


def encrypted_workbook(path: Path) -> Path:
    """What Excel writes for a password-protected workbook: an OLE2 file with EncryptedPackage."""
    body = bytearray(_OLE2_MAGIC + b"\x00" * 1016)
    body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512
    path.write_bytes(bytes(body))
    return path


def legacy_xls(path: Path) -> Path:
    """An Excel 97-2003 file named .xlsx."""
    path.write_bytes(_OLE2_MAGIC + b"\x00" * 2048)
    return path


def png_as_xlsx(path: Path) -> Path:
    """A picture with a spreadsheet's name."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    return path


def zip_not_workbook(path: Path) -> Path:
    """A zip archive that is not a workbook (no xl/workbook.xml)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def huge_cell_xlsx(path: Path) -> Path:
    """One cell of 200,000 characters between two good rows."""
    rows = _rows_xml(1, start=2) + _row(3, ["H-3", "x" * 200_000, "Details", "Phishing"])
    return _workbook(path, _sheet(rows + _rows_xml(1, start=4)))


def wide_header(path: Path) -> Path:
    """200,000 column names: refused at once (naming them was quadratic)."""
    path.write_text(",".join(f"c{n}" for n in range(200_000)) + "\n1,2\n", encoding="utf-8")
    return path


def single_line(path: Path) -> Path:
    """50 MB on one line: 17 million cells, no line break."""
    with path.open("w", encoding="utf-8") as fp:
        chunk = "ab," * 100_000
        for _ in range(170):
            fp.write(chunk)
    return path


def long_line(path: Path) -> Path:
    """A normal file with one 50 MB line of 17 million cells in the middle."""
    with path.open("w", encoding="utf-8") as fp:
        fp.write(HEADER + "\nL-1,First,Details,Phishing\nL-2,")
        chunk = "ab," * 100_000
        for _ in range(170):
            fp.write(chunk)
        fp.write("\nL-3,Last,Details,Phishing\n")
    return path


def huge_cell_csv(path: Path) -> Path:
    """One cell of 200,000 characters: that row's error, the rest goes on."""
    big = "x" * 200_000
    rows = ["C-1,First,Details,Phishing", f"C-2,Big,{big},Phishing", "C-3,Last,D,Phishing"]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def unclosed_quote(path: Path) -> Path:
    """A quote opened on row 2 and never closed, over 6 MB of lines."""
    with path.open("w", encoding="utf-8") as fp:
        fp.write(HEADER + '\nQ-1,"never closed,Details,Phishing\n')
        for n in range(200_000):
            fp.write(f"Q-{n},title {n},details,Phishing\n")
    return path


def formula_cells(path: Path) -> Path:
    """Cells a spreadsheet would run as formulas, in rows that fail validation."""
    rows = [
        ['=HYPERLINK("http://evil","x")', "", "+1+1", "Phishing"],
        ["@SUM(1)", "", "-2+3", "\tTab"],
        ["'=already quoted", "", "\rCR", "Nope"],
    ]
    with path.open("w", encoding="utf-8", newline="") as fp:
        csv.writer(fp).writerows([HEADER.split(","), *rows])
    return path


def nested_aliases(path: Path) -> Path:
    """A 1 KB mapping whose nested aliases would expand to billions of values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    path.write_text(MAPPING + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def huge_mapping(path: Path) -> Path:
    """A 5 MB 'mapping'."""
    path.write_text(MAPPING + "# " + "x" * (5 << 20) + "\n", encoding="utf-8")
    return path


def catastrophic_regex(path: Path) -> Path:
    """A mapping whose extract pattern backtracks exponentially in Python's `re`."""
    path.write_text(
        MAPPING.replace(
            "  name: Title\n",
            "  name: {column: Title, extract: {pattern: '(a+)+$', otherwise: keep}}\n",
        )
        + "skip_rows:\n  - {column: Details, matches: '(x+x+)+y'}\n",
        encoding="utf-8",
    )
    return path


def catastrophic_regex_sheet(path: Path) -> Path:
    """The sheet for `catastrophic_regex`: 50-character cells that make `re` hang."""
    rows = [f"R-{n},{'a' * 50}!,{'x' * 50},Phishing" for n in range(3)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


HOSTILE: dict[str, Callable[[Path], Path]] = {
    "zip_bomb.xlsx": zip_bomb,
    "lying_zip_bomb.xlsx": lying_zip_bomb,
    "xml_bomb_sheet.xlsx": xml_bomb_sheet,
    "xml_bomb_shared_strings.xlsx": xml_bomb_shared_strings,
    "sparse_sheet.xlsx": sparse_sheet,
    "sparse_corner.xlsx": sparse_corner,
    "sparse_sheet_without_references.xlsx": sparse_sheet_without_references,
    "macro.xlsx": macro_workbook,
    "encrypted.xlsx": encrypted_workbook,
    "legacy.xlsx": legacy_xls,
    "picture.xlsx": png_as_xlsx,
    "not_a_workbook.xlsx": zip_not_workbook,
    "huge_cell.xlsx": huge_cell_xlsx,
    "wide_header.csv": wide_header,
    "single_line.csv": single_line,
    "long_line.csv": long_line,
    "huge_cell.csv": huge_cell_csv,
    "unclosed_quote.csv": unclosed_quote,
    "formula_cells.csv": formula_cells,
    "nested_aliases.yaml": nested_aliases,
    "huge_mapping.yaml": huge_mapping,
    "catastrophic_regex.yaml": catastrophic_regex,
    "catastrophic_regex.csv": catastrophic_regex_sheet,
}


def make(folder: Path, name: str) -> Path:
    """Write one hostile file into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    return HOSTILE[name](folder / name)


def make_all(folder: Path) -> list[Path]:
    """Write every hostile file into `folder`."""
    return [make(folder, name) for name in HOSTILE]


if __name__ == "__main__":
    for written in make_all(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")):
        print(written)
