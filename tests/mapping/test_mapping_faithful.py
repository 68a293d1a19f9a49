"""The mapping's side of docs/cells.md: no-value tokens, inexact workbook numbers, placeholders,
incident types and attribute names, free-form date order across chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from mapping_helpers import chunk, mapping_text

from importer.errors import MappingError
from importer.mapping import Lookups, apply_mapping, mapping_from_text

ORG = "1f7e0000-0000-4000-8000-000000000001"
BASE = f"""
name: {{column: Title}}
incidentTypeName: {{constant: Phishing}}
orgGroupId: {{constant: {ORG}}}
"""


def _load(tmp_path: Path, fields: str = "", top: str = ""):
    return mapping_from_text(mapping_text(BASE + fields, top), tmp_path / "m.yaml")


def test_no_value_tokens_empty_cells_everywhere_keys_and_filters_included(tmp_path):
    mapping = _load(
        tmp_path,
        "description: Details\ndateOccurred: Occurred",
        "key: [Ref]\nno_value: ['\\N', 'NULL', '-']\nskip_rows: [{column: Status, empty: true}]\n",
    )
    frame = {
        "Ref": ["A", "NULL"],
        "Title": ["Kept NULL inside", "Second"],
        "Details": [" - ", "Null"],
        "Occurred": ["\\N", "2024-01-02"],
        "Status": ["open", "\\N"],
    }
    mapped = apply_mapping(mapping, chunk(frame), Lookups())
    assert mapped.bodies[2] == {
        "name": "Kept NULL inside",
        "incidentTypeName": "Phishing",
        "orgGroupId": ORG,
    }
    assert mapped.keys == {2: "A"}
    assert mapped.skipped == {3: "skip_rows: 'Status' is empty"}


def test_a_workbook_number_too_large_to_be_exact_is_refused(tmp_path):
    mapping = _load(tmp_path, "description: Ticket", "key: [Ticket]\n")
    cells = {"Title": ["a", "b", "c"], "Ticket": [17, 1.2345678901234568e18, 12.5]}
    mapped = apply_mapping(mapping, chunk(cells), Lookups())
    assert [mapped.bodies[r]["description"] for r in (2, 4)] == ["17", "12.5"]
    (error,) = mapped.errors[3]
    assert (error.field, error.column, error.value) == ("key", "Ticket", "1.23456789012346e+18")
    assert "not stored exactly in a workbook" in error.message


def test_placeholders_of_a_draft_fail_every_row(tmp_path):
    text = mapping_text(
        "name: {constant: TODO-name}\nincidentTypeName: {constant: Phishing}\n"
        f"orgGroupId: {{constant: {ORG}}}"
    )
    mapping = mapping_from_text(text, tmp_path / "draft.yaml")
    mapped = apply_mapping(mapping, chunk({"A": ["x", "y"]}), Lookups())
    assert not mapped.bodies
    assert all(
        "placeholder 'TODO-name' from init-mapping" in errors[0].message
        for errors in mapped.errors.values()
    )


def test_incident_types_are_checked_against_the_tenants_list(tmp_path):
    text = mapping_text(
        f"name: Title\nincidentTypeName: Type\norgGroupId: {{constant: {ORG}}}",
        "incident_types: [Phishing, Data Breach]\n",
    )
    mapping = mapping_from_text(text, tmp_path / "t.yaml")
    cells = {"Title": ["a", "b"], "Type": ["Data Breach", "Loss, Theft"]}
    mapped = apply_mapping(mapping, chunk(cells), Lookups())
    assert mapped.bodies[2]["incidentTypeName"] == "Data Breach"
    (error,) = mapped.errors[3]
    assert error.column == "Type"
    assert error.message.startswith("not an incident type of the tenant")
    assert "expected one of: Phishing, Data Breach" in error.message


def test_attribute_names_not_declared_stop_the_mapping_at_load(tmp_path):
    text = mapping_text(
        BASE + "attributeValues:\n  Severty: {column: Sev}",
        "attributes: [Severity, Records Affected]\n",
    )
    with pytest.raises(MappingError) as caught:
        mapping_from_text(text, tmp_path / "a.yaml")
    assert "fields.attributeValues.Severty: not one of the tenant's attributes" in str(caught.value)
    assert caught.value.hint == "did you mean 'Severity'?"


def test_an_unknown_encoding_in_the_mapping_is_a_load_error(tmp_path):
    with pytest.raises(MappingError, match="unknown encoding 'latin-9000'"):
        _load(tmp_path, top="encoding: latin-9000\n")


def test_the_date_order_decided_in_one_chunk_holds_for_the_next(tmp_path):
    mapping = _load(tmp_path, "dateOccurred: D")
    first = apply_mapping(mapping, chunk({"Title": ["a"], "D": ["13.07.2024"]}), Lookups())
    assert first.bodies[2]["dateOccurred"] == "2024-07-13T00:00:00.000Z"
    later = chunk({"Title": ["b", "c"], "D": ["05.03.2024", "03/13/2024"]}, first_row=3)
    second = apply_mapping(mapping, later, Lookups())
    assert second.bodies[3]["dateOccurred"] == "2024-03-05T00:00:00.000Z"  # day first, as before
    (error,) = second.errors[4]
    assert "not a date when read day first" in error.message
    assert "'13.07.2024' earlier in this column" in error.message
    assert mapping.date_orders == {"dateOccurred": ("day", "13.07.2024")}


@pytest.mark.parametrize(
    ("key", "old"),
    [
        ("0042", "42"),
        ("17.0", "17"),
        ("A|1.5E+03", "A|1500"),
        ("9007199254740993", "9007199254740992"),
        ("1234567890123456789", "1.2345678901234568e+18"),
        ("LEG-0042", "LEG-0042"),
    ],
)
def test_legacy_key_text_is_what_earlier_versions_wrote(key, old):
    from importer.mapping import legacy_key_text

    assert legacy_key_text(key) == old
