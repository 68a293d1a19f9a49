"""Loading mapping files: errors point at file:line with the nearest valid name; the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mapping_helpers import REPO

from importer.errors import MappingError
from importer.mapping import load_mapping, mapping_json_schema
from importer.mapping.spec import MappingSpec

# (id, file text, line, message fragment, hint fragment or None)
ERRORS: list[tuple[str, str, int | None, str, str | None]] = [
    (
        "unknown-api-field",
        "version: 1\nfields:\n  name: Title\n  incidentType: Cat\n",
        4,
        "unknown API field 'incidentType' in fields",
        "did you mean 'incidentTypeName'",
    ),
    (
        "unknown-directive",
        "version: 1\nfields:\n  name:\n    column: Title\n    colapse_whitespace: true\n",
        5,
        "unknown directive 'colapse_whitespace' in fields.name",
        "did you mean 'collapse_whitespace'",
    ),
    (
        "unknown-top-level",
        "version: 1\nsheet: [A]\nfields: {name: A}\n",
        2,
        "unknown directive 'sheet'",
        "did you mean 'sheets'",
    ),
    (
        "unknown-literal",
        "version: 1\nfields:\n  orgGroupId: {column: BU, lookup: organisation}\n",
        3,
        "'organisation' is not one of organization",
        "did you mean 'organization'",
    ),
    (
        "otherwise-typo",
        "version: 1\nfields:\n  name: {column: X, map: {a: b}, otherwise: errror}\n",
        3,
        "is not one of keep, error, empty",
        "did you mean 'error'",
    ),
    (
        "nested-jurisdiction",
        "version: 1\nfields:\n  jurisdictions:\n    - country: C\n      stat: S\n",
        5,
        "unknown directive 'stat' in fields.jurisdictions.0",
        "did you mean 'state'",
    ),
    (
        "attribute-directive",
        "version: 1\nfields:\n  attributeValues:\n    Severity: {column: S, opton: true}\n",
        4,
        "unknown directive 'opton' in fields.attributeValues.Severity",
        "did you mean 'option'",
    ),
    (
        "inventory-type",
        "version: 1\nfields:\n  linkedInventories:\n    asset: {column: S}\n",
        4,
        "unknown directive 'asset' in fields.linkedInventories",
        "did you mean 'assets'",
    ),
    (
        "filter-directive",
        "version: 1\nskip_rows:\n  - {column: S, equal: [a]}\nfields: {name: A}\n",
        3,
        "unknown directive 'equal' in skip_rows.0",
        "did you mean 'equals'",
    ),
    (
        "two-sources",
        "version: 1\nfields:\n  name: {column: A, constant: B}\n",
        3,
        "give only one of column, constant, coalesce, template",
        None,
    ),
    ("no-source", "version: 1\nfields:\n  name: {trim: true}\n", 3, "give one of: column", None),
    (
        "map-options-without-map",
        "version: 1\nfields:\n  name: {column: A, otherwise: error}\n",
        3,
        "'ignore_case' and 'otherwise' need a 'map'",
        None,
    ),
    (
        "bad-regex",
        "version: 1\nfields:\n  name: {column: A, extract: '(unclosed'}\n",
        3,
        "not a valid regular expression",
        None,
    ),
    (
        "bad-timezone",
        "version: 1\ntimezone: Europe/Pariss\nfields: {name: A}\n",
        2,
        "unknown timezone 'Europe/Pariss'",
        "did you mean 'Europe/Paris'",
    ),
    (
        "bad-offset",
        "version: 1\nfields:\n  dateDiscovered: D\n  deadline:\n    relative_to: dateDiscovered\n"
        "    offset: 72 hours\n",
        6,
        "not a duration: '72 hours'",
        None,
    ),
    (
        "format-without-directive",
        "version: 1\nfields:\n  dateOccurred: {column: D, formats: [dd/mm/yyyy]}\n",
        3,
        "has no %-directive",
        None,
    ),
    (
        "relative-to-unmapped",
        "version: 1\nfields:\n  name: A\n  deadline: {relative_to: dateDiscovered, offset: 72h}\n",
        4,
        "deadline is relative_to dateDiscovered, which is not mapped",
        None,
    ),
    (
        "relative-cycle",
        "version: 1\nfields:\n  dateOccurred: {relative_to: deadline, offset: 1h}\n"
        "  deadline: {relative_to: dateOccurred, offset: 72h}\n",
        3,
        "relative_to forms a cycle",
        None,
    ),
    (
        "lookup-type-mismatch",
        "version: 1\nfields:\n  incidentAssigneeRequests:\n"
        "    - {column: O, type: USER, lookup: group}\n",
        4,
        "finds groups, not type USER",
        None,
    ),
    (
        "split-country-with-state",
        "version: 1\nfields:\n  jurisdictions:\n"
        "    - {country: {column: C, split: ','}, state: S}\n",
        4,
        "cannot share one 'state'",
        None,
    ),
    ("missing-version", "fields:\n  name: A\n", 1, "version: required but missing", None),
    ("wrong-version", "version: 2\nfields: {name: A}\n", 1, "version: 2 is not one of 1", None),
    (
        "duplicate-key",
        "version: 1\nfields:\n  name: A\n  name: B\n",
        4,
        "duplicate key 'name'",
        None,
    ),
    ("not-yaml", "version: 1\nfields:\n  name: [A\n", 4, "not valid YAML", None),
    ("not-a-mapping", "- just\n- a list\n", 1, "a mapping file is a YAML mapping", None),
    (
        "missing-lookup-file",
        "version: 1\nlookups: {organizations: nope.csv}\nfields: {name: A}\n",
        2,
        "lookups.organizations: no such file",
        None,
    ),
    (
        "several-problems",
        "version: 1\nfields:\n  nam: A\n  descripton: B\n",
        3,
        "(and 1 more problem)",
        "did you mean 'name'",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_load_errors_point_at_the_line(tmp_path: Path, text, line, message, hint):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    error = caught.value
    assert error.line == line
    assert error.path == str(path)
    assert message in error.message
    assert error.message.startswith(f"{path}:{line}: ") if line else True
    if hint is None:
        assert error.hint is None or "did you mean" not in error.hint
    else:
        assert hint in (error.hint or "")


def test_missing_file_is_a_mapping_error(tmp_path: Path):
    with pytest.raises(MappingError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "absent.yaml")


def test_yaml_12_scalars(tmp_path: Path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nfields:\n  notificationNeeded: {column: N, map: {Y: YES, N: NO, on: off}}\n"
        "  name: {column: A, map: {'10:30': half past ten, 2024-01-01: new year}}\n",
        encoding="utf-8",
    )
    fields = load_mapping(path).spec.fields
    assert fields.notificationNeeded is not None and fields.name is not None
    assert fields.notificationNeeded.map == {"Y": "YES", "N": "NO", "on": "off"}
    assert fields.name.map == {"10:30": "half past ten", "2024-01-01": "new year"}


def test_defaults_and_needs(tmp_path: Path):
    path = tmp_path / "weekly-export.yaml"
    path.write_text(
        "version: 1\nkey: Ref\nsheets: Data\nfields:\n  name: T\n"
        "  orgGroupId: {column: Org, lookup: organization}\n"
        "  incidentAssigneeRequests: {column: Owner, lookup: user}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.name == "weekly-export"
    assert mapping.key_columns == ["Ref"]
    assert mapping.sheets == ["Data"]
    assert mapping.needs == frozenset({"organizations", "users"})
    assert mapping.columns == ["Ref", "T", "Org", "Owner"]


def test_offline_files_satisfy_needs(tmp_path: Path):
    (tmp_path / "orgs.csv").write_text("id,name\n", encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nlookups: {organizations: orgs.csv}\n"
        "fields:\n  orgGroupId: {column: Org, lookup: organization}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.needs == frozenset()
    assert mapping.lookup_files == {"organizations": (tmp_path / "orgs.csv").resolve()}


def test_columns_for_locates_fields(tmp_path: Path):
    mapping = load_mapping(REPO / "mappings" / "acme_legacy_export.yaml")
    assert mapping.columns_for("name") == ["Subject", "Ticket"]
    assert mapping.columns_for("description") == ["Narrative", "Short Desc"]
    assert mapping.columns_for("deadline") == ["Due", "Detected"]
    assert mapping.columns_for("jurisdictions.0.stateProvinceCode") == [
        "Country",
        "Region/State",
        "Other Countries",
    ]
    assert mapping.columns_for("attributeValues.Severity.0.id") == ["Prio"]
    assert mapping.columns_for("linkedInventories.vendors") == ["Vendor Refs"]
    assert mapping.columns_for("autoAssessJurisdictions") == ["Auto-Assess"]
    assert mapping.columns_for("rootCause") == ["Root Cause Notes"]
    assert mapping.columns_for("unknown") == []


@pytest.mark.parametrize("name", ["legacy_incidents", "incidents_two_sheets", "acme_legacy_export"])
def test_sample_mappings_load(name: str):
    mapping = load_mapping(REPO / "mappings" / f"{name}.yaml")
    assert mapping.key_columns


def test_schema_describes_the_format(tmp_path: Path):
    schema = mapping_json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["required"] == ["version", "fields"]
    fields = schema["$defs"]["FieldsSpec"]["properties"]
    assert "incidentTypeName" in fields and fields.get("additionalProperties") is None
    assert schema["$defs"]["FieldsSpec"]["additionalProperties"] is False
    value = schema["$defs"]["ValueSpec"]
    assert {"type": "string", "description": "column name"} in value["anyOf"]
    inventories = schema["$defs"]["LinkedInventoriesSpec"]["properties"]
    assert "processing-activities" in inventories
    assert "as" in schema["$defs"]["InventorySpec"]["anyOf"][1]["properties"]
    json.dumps(schema)  # serialisable as is


def test_every_api_field_can_be_mapped():
    from importer.models import field_names

    assert set(field_names()) == set(MappingSpec.model_fields["fields"].annotation.model_fields)


@pytest.mark.parametrize("depth", [100_000, 65], ids=["past-python-recursion", "past-the-limit"])
def test_deeply_nested_yaml_is_a_mapping_error_not_a_crash(tmp_path: Path, depth: int):
    # 100,000 `[` (200 KB) made PyYAML's composer recurse past Python's limit: exit 70.
    path = tmp_path / "deep.yaml"
    nested = "[" * depth + "]" * depth
    path.write_text(f"version: 1\nname: deep\nkey: [Ref]\nfields:\n  name: {nested}\n")
    with pytest.raises(MappingError, match=r"nested more than 64 levels deep"):
        load_mapping(path)


@pytest.mark.parametrize(
    "value", ['"a\\ud800b"', '"\\udfff"', '["ok", "x\\udc80"]', '{"k": "\\ud83d"}']
)
def test_a_lone_surrogate_anywhere_is_refused_at_its_line(tmp_path: Path, value: str) -> None:
    # YAML's \u escape makes one; mid-run it was an internal error (UnicodeEncodeError).
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nname: t\nfields:\n  name: {column: Title}\n"
        f"  description:\n    constant: {value}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="lone surrogate") as refused:
        load_mapping(path)
    assert refused.value.line == 6
    assert "\n" not in str(refused.value)


def test_aliases_and_a_character_past_the_bmp_load_as_before(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nname: t\nfields:\n  name: {column: Title}\n"
        '  description: &d {constant: "smile \\U0001F600"}\n  rootCause: *d\n',
        encoding="utf-8",
    )
    assert load_mapping(path).name == "t"


def test_a_surrogate_pair_escape_is_refused_too(tmp_path: Path) -> None:
    # PyYAML keeps "\ud83d\ude00" as two lone surrogates (it does not join a pair).
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nname: t\nfields:\n  name: {column: Title}\n"
        '  description: {constant: "\\ud83d\\ude00"}\n',
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="lone surrogate") as refused:
        load_mapping(path)
    assert "\\U0001F600" in (refused.value.hint or "")


@pytest.mark.parametrize("character", ["\x01", "\x7f", "\x80", "\ufffe"])
def test_a_control_character_in_a_mapping_is_refused_at_its_line(
    tmp_path: Path, character: str
) -> None:
    # PyYAML's reader refuses these while the loader is built, outside the error handling:
    # an internal ReaderError (a breaker's find).
    path = tmp_path / "m.yaml"
    path.write_text(
        f"version: 1\nname: t\nfields:\n  name: {{column: Title}}\n# {character}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="is not allowed in YAML") as refused:
        load_mapping(path)
    assert refused.value.line == 5 and "\n" not in str(refused.value)
