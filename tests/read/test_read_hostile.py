"""Whatever the bytes, the reader answers with chunks or `ReadError`, never another exception;
limits are small here so hypothesis reaches them."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.errors import ConfigError, ReadError
from importer.read import ReadLimits, parse_limits, read_rows
from importer.read.sheets import rows_from_file

FIXTURES = Path(__file__).parent.parent / "fixtures"
sys.path.insert(0, str(Path(__file__).parent.parent / "hostile"))
import make_hostile  # noqa: E402  (the generator lives beside its own tests)

SMALL = ReadLimits(max_columns=8, max_cell_chars=16, max_row_chars=64, max_entry_bytes=1 << 16)
WORKBOOK = (FIXTURES / "two_sheets.xlsx").read_bytes()


def _read_all(data: bytes, file_format: str) -> None:
    try:
        for chunk in rows_from_file(
            io.BytesIO(data),
            name="x",
            format=file_format,
            chunk_size=3,
            limits=SMALL,  # type: ignore[arg-type]
        ):
            assert set(chunk.row_errors) <= set(chunk.frame.index)
    except ReadError as exc:
        assert "\n" not in exc.message


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600), file_format=st.sampled_from(["csv", "xlsx"]))
def test_arbitrary_bytes_raise_only_read_error(data, file_format):
    _read_all(data, file_format)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_a_corrupted_workbook_raises_only_read_error(changes):
    data = bytearray(WORKBOOK)
    for at, value in changes:
        data[at] = value
    _read_all(bytes(data), "xlsx")


@settings(max_examples=200)
@given(
    text=st.text(
        st.sampled_from(["a", "b", ",", '"', "\n", "\r", " ", "é"]), min_size=0, max_size=300
    )
)
def test_arbitrary_csv_text_past_small_limits_raises_only_read_error(text):
    _read_all(("H1,H2\n" + text).encode("utf-8"), "csv")


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["max_cell_chars"], "expected NAME=NUMBER"),
        (["nope=1"], "expected NAME=NUMBER"),
        (["max_columns=0"], "at least 1"),
        (["max_columns=x"], "at least 1"),
    ],
    ids=["no-value", "unknown-name", "zero", "not-a-number"],
)
def test_a_bad_limit_is_a_config_error(items, message):
    with pytest.raises(ConfigError, match=message):
        parse_limits(items)


def test_limits_are_raised_by_name():
    assert parse_limits(["max_cell_chars=200_000"]).max_cell_chars == 200_000


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_sparse_sheet_is_refused_from_its_cell_references_stored_or_deflated(
    tmp_path, compression
):
    sparse = make_hostile.make(tmp_path, "sparse_sheet.xlsx")
    again = tmp_path / "again.xlsx"
    with zipfile.ZipFile(sparse) as source, zipfile.ZipFile(again, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    with pytest.raises(ReadError, match=r"spans 1,048,576 rows x 16,384 columns"):
        list(read_rows(again))


def _sheet_workbook(tmp_path: Path, rows: str) -> Path:
    xml = make_hostile._SHEET_HEAD + rows + make_hostile._SHEET_TAIL
    return make_hostile._workbook(tmp_path / "book.xlsx", xml)


def _cells(row: int, values: list[str], *, named: bool = True) -> str:
    cells = "".join(
        (f'<c r="{"ABCD"[i]}{row}"' if named else "<c") + f' t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{row}">{cells}</row>'


@pytest.mark.parametrize(
    "far",
    [
        '<row r="1048576" ht="30" customHeight="1"/>',  # a row whose height was changed
        '<row r="1048576"><c r="XFD1048576" s="1"/></row>',  # a cell formatted, then cleared
    ],
    ids=["formatted-row", "formatted-cell"],
)
def test_formatting_far_away_does_not_widen_the_sheet(tmp_path, far):
    # Calamine ranges over cells with values only; Excel leaves such styled stragglers behind.
    book = _sheet_workbook(tmp_path, _cells(1, ["Ref", "Title"]) + _cells(2, ["A", "B"]) + far)
    (chunk,) = read_rows(book, limits=ReadLimits(max_sheet_cells=4))
    assert list(chunk.frame.columns) == ["Ref", "Title"] and len(chunk.frame) == 1


@pytest.mark.parametrize("space", ["\n", "\t", "\r\n"], ids=["newline", "tab", "crlf"])
def test_cells_without_references_count_whatever_space_follows_their_name(tmp_path, space):
    cell = f'<c{space}t="inlineStr"><is><t>x</t></is></c>'
    rows = f'<row r="1">{cell * 40}</row><row r="2000">{cell}</row>'
    with pytest.raises(ReadError, match=r"spans 2,000 rows x 40 columns"):
        list(read_rows(_sheet_workbook(tmp_path, rows), limits=ReadLimits(max_sheet_cells=100)))


def test_references_on_other_tags_do_not_vouch_for_cells_without_them(tmp_path):
    # Counting every ` r="A1"` let decoy elements balance the count of unreferenced cells.
    cell = '<c t="inlineStr"><is><t>x</t></is></c>'
    decoys = '<x r="A1"/>' * 41
    rows = f'<row r="1">{cell * 40}</row><row r="2000">{cell}</row>{decoys}'
    with pytest.raises(ReadError, match=r"spans 2,000 rows x 40 columns"):
        list(read_rows(_sheet_workbook(tmp_path, rows), limits=ReadLimits(max_sheet_cells=100)))


def test_cells_without_references_count_where_they_land(tmp_path):
    # OOXML lets a cell omit `r`: it follows the cell before it, in the row given or the next.
    header = _cells(1, ["Ref", "Title", "Details", "Type"], named=False)
    far = '<row r="2000"><c t="inlineStr"><is><t>x</t></is></c></row>'
    book = _sheet_workbook(tmp_path, header + far)
    with pytest.raises(ReadError, match=r"spans 2,000 rows x 4 columns \(8,000 cells\)"):
        list(read_rows(book, limits=ReadLimits(max_sheet_cells=7_999)))
    unnamed_rows = "<row>" + header[len('<row r="1">') :] + "<row><c/><c/><c/><c>x</c></row>"
    with pytest.raises(ReadError, match=r"spans 2 rows x 4 columns"):
        book = _sheet_workbook(tmp_path, unnamed_rows)
        list(read_rows(book, limits=ReadLimits(max_sheet_cells=7)))


def test_a_workbook_within_its_limits_reads_and_one_past_them_is_refused():
    path = FIXTURES / "two_sheets.xlsx"
    assert list(read_rows(path))
    with pytest.raises(ReadError, match=r"cells\), more than 2$"):
        list(read_rows(path, limits=ReadLimits(max_sheet_cells=2)))


def test_the_widest_allowed_header_of_one_repeated_name_gets_unique_names():
    # Naming was quadratic (a 40,000-column header took 19 s); this one is at the limit.
    width = 16_384
    data = (",".join(["x"] * width) + "\n" + ",".join(["1"] * width) + "\n").encode()
    (chunk,) = rows_from_file(io.BytesIO(data), name="w.csv", format="csv")
    names = list(chunk.frame.columns)
    # every copy numbered, the first too (docs/cells.md)
    assert names[:3] == ["x (1)", "x (2)", "x (3)"] and names[-1] == f"x ({width})"
    assert len(set(names)) == width


def test_a_sheet_almost_empty_over_a_wide_rectangle_is_refused_and_the_limit_can_be_raised(
    tmp_path,
):
    far = '<row r="2000"><c r="A2000" t="inlineStr"><is><t>x</t></is></c></row>'
    book = _sheet_workbook(tmp_path, _cells(1, ["Ref"]) + far)
    limits = ReadLimits(sparse_grace_cells=100)
    with pytest.raises(ReadError, match=r"\(2,000 cells\) but holds 2 values, fewer than one in"):
        list(read_rows(book, limits=limits))
    (chunk,) = read_rows(book, limits=parse_limits(["max_sparsity=1000"], limits))
    assert list(chunk.frame.index) == [2000]


def test_a_workbook_needing_a_newer_zip_version_is_a_read_error(tmp_path):
    # zipfile raises NotImplementedError for it (hypothesis found one): was an internal error.
    data = bytearray(WORKBOOK)
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")  # "version needed": 6.4
    with pytest.raises(ReadError, match=r"broken zip archive: zip file version 6.4"):
        list(rows_from_file(io.BytesIO(bytes(data)), name="v.xlsx", format="xlsx"))


def test_every_slow_sign_holds_one_of_the_parts_scanned_first():
    # A block without any of the parts skips the sign-by-sign scan: a new sign needs its part.
    from importer.read.archive import _SIGN_PARTS, _SLOW_SIGNS

    assert all(any(part in sign for part in _SIGN_PARTS) for sign in _SLOW_SIGNS)


TAG_SOUP = [b"<c ", b"<row ", b"<", b">", b"/", b'r="', b" r=", b'"', b" ", b"\t"]
TAG_SOUP += [b"A", b"zz", b"1", b"99"]


@settings(max_examples=500)
@given(text=st.lists(st.sampled_from(TAG_SOUP), max_size=40).map(b"".join))
def test_the_valued_cell_pattern_finds_what_its_lazy_form_finds(text):
    from importer.read.archive import _VALUED_CELL

    lazy = re.compile(rb'<c [^>]*?(?<=\s)r="([A-Za-z]{1,4})([0-9]{1,9})"[^>]*?(?<!/)>')
    assert _VALUED_CELL.findall(text) == lazy.findall(text)


_LETTERS = st.sampled_from(["A", "b", "Z", "AA", "XFD", "ABCDE", ""])
_REFS = st.tuples(_LETTERS, st.integers(0, 10**10))
_CELL = st.tuples(_REFS, st.booleans(), st.sampled_from(["", ' s="1"', ' t="s"']))


def _soup_tag(ref: tuple[str, int] | None, closed: bool, attributes: str, *, row: bool) -> bytes:
    name = "row" if row else "c"
    letters, number = ref if ref is not None else ("", 0)
    r = f' r="{number}"' if row else f' r="{letters}{number}"'
    return f"<{name}{r if ref is not None else ''}{attributes}{'/' if closed else ''}>".encode()


@settings(max_examples=400)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 10**10), st.lists(_CELL, max_size=5)), min_size=1, max_size=8
    ),
    spaced=st.booleans(),
)
def test_a_block_read_by_the_fast_path_places_the_cells_the_tag_by_tag_path_places(rows, spaced):
    # The fast path counts tags and matches only valued cells; where it applies, the rectangle and
    # the count of values must be those the slow path (every tag followed) gives.
    from importer.read.archive import _all_referenced, _Extent

    parts = []
    for number, cells in rows:
        parts.append(_soup_tag(("", number), False, ' spans="1:3"' if spaced else "", row=True))
        for ref, closed, attributes in cells:
            body = b"" if closed else b"<v>1</v></c>"
            parts.append(_soup_tag(ref, closed, attributes, row=False) + body)
        parts.append(b"</row>")
    text = b"<sheetData>" + b"".join(parts) + b"</sheetData>"
    fast, slow = _Extent("x"), _Extent("x")
    fast.feed(text)
    slow._follow(text, 0, len(text), update=True)
    if _all_referenced(text, len(text)):
        assert (fast.rows, fast.columns, fast.values) == (slow.rows, slow.columns, slow.values)
    else:
        assert any(not (1 <= len(str(n)) <= 9) for n, _ in rows) or any(
            not (1 <= len(ref[0]) <= 4 and 1 <= len(str(ref[1])) <= 9)
            for _, cells in rows
            for ref, _, _ in cells
        )


_FORMULA_SOUP = [b"<f>", b"<f ", b"<x:f>", b"<x:f ", b"<c ", b"<", b"f", b":", b">", b" ", b"of "]


@settings(max_examples=300)
@given(
    parts=st.lists(st.sampled_from(_FORMULA_SOUP), max_size=30),
    cuts=st.lists(st.integers(0, 200), max_size=4),
)
def test_the_archive_check_sees_a_formula_element_wherever_the_blocks_are_cut(parts, cuts):
    # A sheet the check saw no formula in is never searched for formulas without a value
    # (xlsx_parts), so a `<f>` cut by a block edge must still be seen.
    from importer.read.archive import _FORMULA_TAGS, _Extent

    text = b"".join(parts)
    extent = _Extent("x")
    start = 0
    for cut in [*sorted(min(c, len(text)) for c in cuts), len(text)]:
        extent.feed(text[start:cut])
        start = cut
    assert extent.formula == any(tag in text for tag in _FORMULA_TAGS)


def test_the_archive_check_says_which_worksheets_hold_a_formula(tmp_path):
    import zipfile

    from importer.read.archive import check_archive
    from importer.read.limits import ReadLimits
    from importer.read.xlsx_parts import _mentions_formula

    with (FIXTURES / "two_sheets.xlsx").open("rb") as fp:
        both = check_archive(fp, name="two_sheets.xlsx", limits=ReadLimits())
    with zipfile.ZipFile(FIXTURES / "two_sheets.xlsx") as archive:
        scanned = {part: _mentions_formula(archive, part) for part in both.formulas}
    assert (
        both.formulas
        == scanned
        == {
            "xl/worksheets/sheet1.xml": True,
            "xl/worksheets/sheet2.xml": False,
        }
    )
    header = _cells(1, ["Ref", "Title"])
    formula = '<row r="2"><c r="A2"><f>1+1</f></c><c r="B2" t="inlineStr"><is><t>x</t></is></c>'
    formula += "</row>"
    with _sheet_workbook(tmp_path, header + formula).open("rb") as fp:
        found = check_archive(fp, name="f.xlsx", limits=ReadLimits())
    assert list(found.formulas.values()) == [True]
