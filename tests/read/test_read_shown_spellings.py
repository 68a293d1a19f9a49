"""What a cell shows, checked however its workbook's XML is spelled (docs/cells.md): attribute
order, quotes, spaces, prefixes, cells without `r`, part names in another case, styles found
through the relationships, merged cells, hostile styles. Cases found by a reviewer's attack."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from importer.errors import ReadError
from importer.read import read_rows

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
PERCENT_STYLES = (
    f'<styleSheet xmlns="{_MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="9"/>'
    "</cellXfs></styleSheet>"
)
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Ref</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Value</t></is></c></row>'
)


def _book(
    path: Path,
    cells: str,
    *,
    styles: str | None = PERCENT_STYLES,
    sheet_part: str = "xl/worksheets/sheet1.xml",
    styles_part: str = "xl/styles.xml",
    merges: str = "",
    prefix: str = "",
) -> Path:
    """A workbook of one sheet `S`: the header row, then `cells` as row 2 (raw XML)."""
    ns = f"xmlns{':' + prefix if prefix else ''}"
    p = f"{prefix}:" if prefix else ""
    data = HEADER if not prefix else HEADER.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    sheet = (
        f'<{p}worksheet {ns}="{_MAIN}"><{p}sheetData>{data}<{p}row r="2">{cells}</{p}row>'
        f"</{p}sheetData>{merges}</{p}worksheet>"
    )
    rels = [
        f'<Relationship Id="rId1" Type="{_R}/worksheet" Target="/{sheet_part}"/>',
        f'<Relationship Id="rId2" Type="{_R}/styles" Target="/{styles_part}"/>',
    ]
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" '
            f'Type="{_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_R}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PACKAGE}">{"".join(rels)}</Relationships>',
        )
        book.writestr(sheet_part, sheet)
        if styles is not None:
            book.writestr(styles_part, styles)
    return path


REF = '<c r="A2" t="inlineStr"><is><t>R-2</t></is></c>'


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2" s="1"><v>0.25</v></c>',  # the usual spelling
        '<c s="1" r="B2"><v>0.25</v></c>',  # r not first
        '<c t="n" s="1" r="B2"><v>0.25</v></c>',
        "<c r='B2' s='1'><v>0.25</v></c>",  # single quotes
        '<c r = "B2" s = "1"><v>0.25</v></c>',  # spaces around =
        '<c s="1"><v>0.25</v></c>',  # no r: after A2
        '<c r="b2" s="1"><v>0.25</v></c>',  # a lower-case reference
        '<c r="B2" s="01"><v>0.25</v></c>',  # a leading zero
        '<c r="B2"\ts="1"><v>0.25</v></c>',
    ],
)
def test_a_formatted_number_is_refused_however_its_cell_is_spelled(tmp_path, cell):
    (chunk,) = read_rows(_book(tmp_path / "b.xlsx", REF + cell))
    (error,) = chunk.row_errors[2]
    assert error.message.startswith("cell B2 shows 25% (number format '0%')")


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B2" t="e"><v>#N/A</v></c>',
        '<c t="e" r="B2"><v>#N/A</v></c>',
        "<c r='B2' t='e'><v>#N/A</v></c>",
        '<c r="B2" t = "e"><v>#N/A</v></c>',
        '<c t="e"><v>#N/A</v></c>',
        '<c r="B2" t="e"><v xml:space="preserve">#N/A</v></c>',
        '<c r="B2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c>',
    ],
)
def test_an_error_cell_is_refused_however_it_is_spelled(tmp_path, cell):
    (chunk,) = read_rows(_book(tmp_path / "e.xlsx", REF + cell, styles=None))
    (error,) = chunk.row_errors[2]
    assert error.message.startswith("cell B2 shows the error #N/A, which reads as an empty cell")


def test_a_self_closing_error_cell_is_refused_without_a_value_to_name(tmp_path):
    (chunk,) = read_rows(_book(tmp_path / "e.xlsx", REF + '<c r="B2" t="e"/>', styles=None))
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows an error, which reads as")


def test_cells_under_a_namespace_prefix_are_checked(tmp_path):
    cells = '<x:c r="A2" t="inlineStr"><x:is><x:t>R-2</x:t></x:is></x:c>'
    cells += '<x:c r="B2" s="1"><x:v>0.25</x:v></x:c>'
    (chunk,) = read_rows(_book(tmp_path / "p.xlsx", cells, prefix="x"))
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


@pytest.mark.parametrize(
    ("sheet_part", "styles_part"),
    [
        ("xl/worksheets/Sheet1.xml", "xl/styles.xml"),  # the relationship says sheet1.xml
        ("xl/worksheets/sheet1.xml", "xl/Styles.xml"),
        ("xl/worksheets/sheet1.xml", "xl/theme/formats.xml"),  # found through the relationship
    ],
)
def test_parts_are_found_in_any_case_and_through_the_relationships(
    tmp_path, sheet_part, styles_part
):
    path = _book(
        tmp_path / "c.xlsx", REF + '<c r="B2" s="1"><v>0.25</v></c>', styles_part=styles_part
    )
    if sheet_part != "xl/worksheets/sheet1.xml":  # rename the part, keep the relationship
        renamed = tmp_path / "renamed.xlsx"
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(renamed, "w") as zout:
            for item in zin.infolist():
                name = sheet_part if item.filename == "xl/worksheets/sheet1.xml" else item.filename
                zout.writestr(name, zin.read(item.filename))
        path = renamed
    (chunk,) = read_rows(path)
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


def test_a_merge_spreading_a_refused_cell_refuses_the_rows_it_covers(tmp_path):
    cells = (
        REF
        + '<c r="B2" s="1"><v>0.25</v></c></row>'
        + '<row r="3"><c r="A3" t="inlineStr"><is><t>R-3</t></is></c>'
    )
    merges = '<mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells>'
    (chunk,) = read_rows(_book(tmp_path / "m.xlsx", cells, merges=merges))
    assert set(chunk.row_errors) == {2, 3}
    assert chunk.row_errors[3][0].message.startswith(
        "merged cells B2:B3 show cell B2 here too, which is refused on row 2"
    )


def test_the_number_formats_of_conditional_formats_do_not_replace_the_cells_own(tmp_path):
    styles = (
        f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
        'formatCode="0%"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/>'
        '</cellXfs><dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="General"/></dxf>'
        "</dxfs></styleSheet>"
    )
    path = _book(tmp_path / "d.xlsx", REF + '<c r="B2" s="1"><v>0.25</v></c>', styles=styles)
    (chunk,) = read_rows(path)
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


@pytest.mark.parametrize("value", ["1E+28", "1E+300", "1"])
def test_a_number_too_long_to_render_is_refused_not_a_crash(tmp_path, value):
    places = "0." + "0" * 30 if value == "1" else "0"
    styles = (
        f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
        f'formatCode="{places}"/></numFmts><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    cell = f'<c r="B2" s="1"><v>{value}</v></c>'
    (chunk,) = read_rows(_book(tmp_path / "n.xlsx", REF + cell, styles=styles))
    assert "not reproduced" in chunk.row_errors[2][0].message


def test_a_styles_part_declaring_entities_refuses_the_file_in_one_line(tmp_path):
    styles = '<!DOCTYPE styleSheet [<!ENTITY unused "x">]>' + PERCENT_STYLES
    path = _book(tmp_path / "x.xlsx", REF + '<c r="B2" s="1"><v>0.25</v></c>', styles=styles)
    with pytest.raises(
        ReadError,
        match=r"corrupt xlsx workbook \(what its cells show cannot be checked: a part declares",
    ):
        list(read_rows(path))


def test_general_in_any_case_shows_numbers_as_general(tmp_path):
    styles = PERCENT_STYLES.replace(
        "<cellXfs",
        '<numFmts count="1"><numFmt numFmtId="9" formatCode="general"/></numFmts><cellXfs',
    )
    path = _book(tmp_path / "g.xlsx", REF + '<c r="B2" s="1"><v>17.5</v></c>', styles=styles)
    (chunk,) = read_rows(path)
    assert not chunk.row_errors and chunk.frame.loc[2, "Value"] == 17.5


def test_a_workbook_of_many_styles_is_checked_too(tmp_path):
    # More listed styles than a pattern holds well: any style number, then looked up.
    xfs = '<xf numFmtId="0"/>' + '<xf numFmtId="9"/>' * 300
    styles = f'<styleSheet xmlns="{_MAIN}"><cellXfs count="301">{xfs}</cellXfs></styleSheet>'
    cell = '<c r="B2" s="300"><v>0.25</v></c>'
    (chunk,) = read_rows(_book(tmp_path / "s.xlsx", REF + cell, styles=styles))
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


@pytest.mark.parametrize(
    ("cells", "refused"),
    [
        # a cell inside CDATA or a comment is text, not a cell
        (
            '<c r="B2" t="inlineStr"><is><t><![CDATA[x<c r="B9" t="e"><v>#N/A</v></c>]]></t>'
            "</is></c>",
            False,
        ),
        ('<c r="B2"><v>5</v></c><!-- <c r="B2" t="e"><v>#N/A</v></c> -->', False),
        ('<c r="B2" s="&#49;"><v>0.25</v></c>', True),  # an entity in the style number
        ('<c r="B2" x="a>b" s="1"><v>0.25</v></c>', True),  # a `>` inside a value
        ('<c r="B2" s="+1"><v>0.25</v></c>', True),  # Rust's parse reads +1 as 1
    ],
)
def test_cells_hidden_in_text_are_not_cells_and_odd_attributes_are_read(tmp_path, cells, refused):
    (chunk,) = read_rows(_book(tmp_path / "h.xlsx", REF + cells))
    assert (2 in chunk.row_errors) is refused
    if refused:
        assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


def test_a_strict_workbook_is_checked_like_a_transitional_one(tmp_path):
    path = _book(tmp_path / "t.xlsx", REF + '<c r="B2" s="1"><v>0.25</v></c>')
    strict = tmp_path / "strict.xlsx"
    names = {
        _MAIN.encode(): b"http://purl.oclc.org/ooxml/spreadsheetml/main",
        _R.encode(): b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    }
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(strict, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            for old, new in names.items():
                data = data.replace(old, new)
            zout.writestr(item.filename, data)
    (chunk,) = read_rows(strict)
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


def test_a_workbook_part_named_in_another_case_is_found(tmp_path):
    path = _book(tmp_path / "w.xlsx", REF + '<c r="B2" s="1"><v>0.25</v></c>')
    renamed = tmp_path / "renamed.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(renamed, "w") as zout:
        for item in zin.infolist():
            name = {"xl/workbook.xml": "xl/Workbook.xml"}.get(item.filename, item.filename)
            zout.writestr(name, zin.read(item.filename))
    (chunk,) = read_rows(renamed)
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows 25%")


def test_an_attribute_value_holding_t_equals_does_not_hide_the_cells_type(tmp_path):
    cells = REF + '<c r="B2" x="a t=" t="e"><v>#N/A</v></c>'
    (chunk,) = read_rows(_book(tmp_path / "f.xlsx", cells, styles=None))
    assert chunk.row_errors[2][0].message.startswith("cell B2 shows the error #N/A")


def test_a_cell_giving_its_style_twice_refuses_the_file_as_corrupt(tmp_path):
    path = _book(tmp_path / "d.xlsx", REF + '<c r="B2" s="0" s="1"><v>0.25</v></c>')
    with pytest.raises(ReadError, match="corrupt xlsx workbook"):
        list(read_rows(path))


def test_column_widths_and_conditional_formats_keep_the_quick_scanner():
    # `<col>` and `<cfRule>` start like `<c`: counted as cells they sent every ordinary Excel
    # sheet through the XML parser (3.5 times slower)
    import io

    from importer.read.cell_scan import _written_usually

    sheet = (
        b'<worksheet><cols><col min="1" max="2" width="9"/></cols><sheetData><row r="1">'
        b'<c r="A1" s="1"><v>1</v></c></row></sheetData><conditionalFormatting sqref="A1">'
        b'<cfRule type="cellIs" priority="1"/></conditionalFormatting></worksheet>'
    )
    assert _written_usually(io.BytesIO(sheet))
    assert not _written_usually(io.BytesIO(sheet.replace(b'<c r="A1" s="1">', b"<c>")))


def test_empty_rows_after_the_last_cell_are_not_carried_from_block_to_block():
    # LibreOffice writes a formatted row for every row of a sheet: carrying them all to each
    # next block made the scan quadratic (34 s for a million of them)
    from importer.read.cell_scan import _complete

    text = b'<row r="9"><c r="A9" s="1"><v>1</v></c></row>' + b'<row r="10" s="2"/>' * 1000
    assert len(text) - _complete(text) < 20
    still_open = b'<row r="9"><c r="A9" t="e"><f>1/0'
    assert _complete(still_open) == still_open.index(b"<c ")
