"""Cell text is text: whatever a CSV cell holds reaches the body unchanged, after the mapping's
documented trimming (leading/trailing whitespace) — through the real reader and the mapping."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from importer.mapping import Lookups, apply_mapping, mapping_from_text
from importer.read.sheets import rows_from_file

MAPPING = """\
version: 1
key: [Key]
fields:
  name: {column: Title}
  description: {column: Text}
  incidentTypeName: {constant: Phishing}
  orgGroupId: {constant: 1f7e0000-0000-4000-8000-000000000001}
"""
# Any Unicode text but NUL (not CSV text) and lone surrogates (not encodable).
CELL = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=["\x00"]))


@given(
    text=CELL,
    key=CELL,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "cp1250"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_any_cell_text_reaches_the_body_as_written(text, key, encoding, delimiter):
    out = io.StringIO(newline="")
    rows = [["Key", "Title", "Text"], ["K" + key, "Title", text]]
    csv.writer(out, delimiter=delimiter).writerows(rows)
    try:
        data = out.getvalue().encode(encoding)
    except UnicodeEncodeError:
        assume(False)  # a single-byte page holds only its own letters
    given_page = encoding if encoding.startswith("cp") else None  # detection is a guess there
    mapping = mapping_from_text(MAPPING, Path("property.yaml"))

    (chunk,) = rows_from_file(io.BytesIO(data), name="p.csv", format="csv", encoding=given_page)
    mapped = apply_mapping(mapping, chunk, Lookups())

    assert not mapped.errors
    (body,) = mapped.bodies.values()
    assert body.get("description") == (text.strip() or None)
    (row_key,) = mapped.keys.values()
    assert row_key == " ".join(("K" + key).split())  # keys: trimmed, single spaces, no number
