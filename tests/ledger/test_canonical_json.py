"""The fast canonical JSON is, character for character, the text `json.dumps` wrote before, so
fingerprints in an existing ledger still match."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.ledger.entries import body_fingerprint, body_fingerprints, canonical_json

_scalars = st.none() | st.booleans() | st.integers() | st.text() | st.floats()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _reference(body: object) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@given(st.dictionaries(st.text(), _values, max_size=6))
def test_canonical_json_is_the_json_module_text(body):
    assert canonical_json(body) == _reference(body)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 'Ünïcode – \u2028 \x7f \x00 \x1f "quoted" \\ back', "b": True, "a": None},
        {"big": 2**70, "small": -(2**63)},
        {"ratio": 1e16, "half": 0.5, "nan": float("nan")},
        {"z": [{"y": 1, "x": [None, "é"]}], "é": 1, "e": 2, "\U0001f600": 3, "\uffff": 4},
    ],
    ids=["escapes", "huge-int", "floats", "nested-order"],
)
def test_edge_values_keep_the_json_module_text(body):
    assert canonical_json(body) == _reference(body)


def test_a_lone_surrogate_still_fails_as_before():
    with pytest.raises(UnicodeEncodeError):
        body_fingerprint({"name": "\ud800"})


@given(st.dictionaries(st.text(), _values, max_size=6))
def test_fingerprint_is_the_sha256_of_the_json_module_text_without_nones(body):
    import hashlib

    def without_nones(value: object) -> object:
        if isinstance(value, dict):
            return {k: without_nones(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [without_nones(v) for v in value]
        return value

    try:
        text = _reference(without_nones(body)).encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate: both refuse (pinned above)
    assert body_fingerprint(body) == hashlib.sha256(text).hexdigest()


class _Kind(StrEnum):
    MANUAL = "MANUAL"


_flat_values = st.one_of(st.text(), st.just(_Kind.MANUAL), st.none(), st.integers(), st.floats())


@given(st.dictionaries(st.text(), _flat_values, max_size=9))
def test_a_flat_body_fingerprints_as_its_json_module_text(body):
    """Most bodies are flat text (a quicker path); a subclass of str or a None takes the other."""
    import hashlib

    try:
        text = _reference({k: v for k, v in body.items() if v is not None}).encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            body_fingerprint(body)
        return
    assert body_fingerprint(body) == hashlib.sha256(text).hexdigest()


_bodies = st.dictionaries(st.text(), _flat_values, max_size=9) | st.dictionaries(
    st.text(), _values, max_size=6
)
_any_text = st.text(st.characters(exclude_categories=()))  # lone surrogates too
_flat_text = st.dictionaries(_any_text, _any_text, max_size=9)  # the chunk-wide quick path


@given(st.lists(_flat_text | _bodies, max_size=6) | st.lists(_flat_text, max_size=6))
def test_a_chunk_of_bodies_fingerprints_as_each_body_alone(bodies):
    def each(body: dict[str, object]) -> str | type[Exception]:
        try:
            return body_fingerprint(body)
        except UnicodeEncodeError as exc:
            return type(exc)

    expected = [each(body) for body in bodies]
    if UnicodeEncodeError in expected:  # a lone surrogate fails the chunk as it fails its row
        with pytest.raises(UnicodeEncodeError):
            body_fingerprints(bodies)
        return
    assert body_fingerprints(bodies) == expected


def test_a_chunk_with_a_lone_surrogate_fails_as_its_row_does():
    with pytest.raises(UnicodeEncodeError):
        body_fingerprints([{"name": "ok"}, {"name": "\ud800"}])
