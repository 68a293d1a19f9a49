"""The validate stage: bodies that fail the vendor's models leave `bodies` for `errors`, each
error named by the column (and the cell value) it came from."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
from body_strategies import bodies
from hypothesis import given
from hypothesis import strategies as st

from importer import models
from importer.models import body_errors, canonical_uuids
from importer.rows import MappedChunk, SheetChunk
from importer.validate import validate_chunk
from importer.validate.chunk import REWRITTEN, locate_field_errors

ORG = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
COLUMNS = {"name": ["Title"], "dateOccurred": ["Occurred"], "orgGroupId": ["Unit", "Region"]}


class Columns:
    def columns_for(self, field: str) -> list[str]:
        return COLUMNS.get(field, [])


def _chunk() -> SheetChunk:
    frame = pd.DataFrame(
        {"Title": ["Lost laptop", None, "Phish"], "Occurred": ["2024-01-02", "x", "soon"]},
        index=[2, 3, 4],
        dtype=object,
    )
    return SheetChunk("log.csv", None, frame)


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {"name": "Lost laptop", "incidentTypeName": "T", "orgGroupId": ORG}
    body.update(changes)
    return body


def test_valid_bodies_stay_and_invalid_ones_become_row_errors_on_their_column():
    mapped = MappedChunk(
        bodies={2: _body(), 3: _body(name=None), 4: _body(dateOccurred="soon")},
        keys={2: "k2", 3: "k3", 4: "k4"},
    )

    result = validate_chunk(_chunk(), mapped, Columns())

    assert result is mapped
    assert list(result.bodies) == [2]
    (empty,) = result.errors[3]
    assert (empty.field, empty.column, empty.message) == ("name", "Title", "required, but empty")
    (date,) = result.errors[4]
    assert (date.field, date.column, date.value) == ("dateOccurred", "Occurred", "soon")
    assert date.message.startswith("expected an ISO 8601 date-time")
    assert result.keys == {2: "k2", 3: "k3", 4: "k4"}


def test_a_field_fed_by_several_columns_names_them_all_and_takes_the_value_from_the_body():
    mapped = MappedChunk(bodies={2: _body(orgGroupId="not-a-uuid")})

    validate_chunk(_chunk(), mapped, Columns())

    (error,) = mapped.errors[2]
    assert (error.field, error.column, error.value) == ("orgGroupId", "Unit, Region", "not-a-uuid")


@given(st.lists(bodies(), max_size=6))
def test_a_chunk_ends_as_validating_each_body_alone_would_end_it(found):
    rows = list(range(2, 2 + len(found)))
    frame = pd.DataFrame({"Title": ["cell"] * len(found)}, index=rows, dtype=object)
    chunk = SheetChunk("log.csv", None, frame)
    mapped = MappedChunk(bodies=dict(zip(rows, copy.deepcopy(found), strict=True)))

    validate_chunk(chunk, mapped, Columns())

    kept, errors = {}, {}
    for row, body in zip(rows, copy.deepcopy(found), strict=True):
        problems = body_errors(canonical_uuids(body))
        if problems:
            errors[row] = locate_field_errors(problems, body, chunk, row, Columns())
        else:
            kept[row] = body
    assert list(mapped.bodies.items()) == list(kept.items())
    assert list(mapped.errors.items()) == list(errors.items())


def _one_shape(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bodies with the first one's fields, in its order (what a mapping writes)."""
    first = found[0]
    return [{name: body.get(name, first[name]) for name in first} for body in found]


@given(st.lists(bodies(), min_size=1, max_size=6))
def test_columns_handed_over_by_the_mapping_end_a_chunk_as_its_bodies_alone_do(found):
    """`MappedChunk.columns` share the bodies' nested lists, as `apply_mapping` builds them;
    UUIDs rewritten to their canonical form are read again (uppercase, braces, `urn:`)."""
    shaped = _one_shape(found)
    rows = list(range(2, 2 + len(shaped)))
    frame = pd.DataFrame({"Title": ["cell"] * len(shaped)}, index=rows, dtype=object)
    chunk = SheetChunk("log.csv", None, frame)
    alone = MappedChunk(bodies=dict(zip(rows, copy.deepcopy(shaped), strict=True)))
    handed = MappedChunk(bodies=dict(zip(rows, copy.deepcopy(shaped), strict=True)))
    handed.columns = {name: [b[name] for b in handed.bodies.values()] for name in shaped[0]}

    validate_chunk(chunk, alone, Columns())
    validate_chunk(chunk, handed, Columns())

    assert handed.bodies == alone.bodies and handed.errors == alone.errors
    assert handed.columns is None  # stale once bodies have moved to errors


def test_every_top_level_field_the_uuid_rewrite_replaces_is_read_again():
    replaced = {path[0] for path in models._UUID_PATHS if len(path) == 1}
    assert replaced == REWRITTEN
