"""The quick pass a column at a time flags exactly the rows the whole-body pass flags."""

from __future__ import annotations

from typing import Any

from body_strategies import bodies, usual_body
from hypothesis import given
from hypothesis import strategies as st

from importer.models import may_be_invalid
from importer.validate.columns import may_be_invalid_by_column


def _copied(body: Any) -> Any:
    """The same values in new objects: equal texts that are not the same text."""
    if isinstance(body, dict):
        return {name: _copied(value) for name, value in body.items()}
    if isinstance(body, list):
        return [_copied(value) for value in body]
    return "".join(list(body)) if type(body) is str else body


known = bodies().map(lambda body: {k: v for k, v in body.items() if k != "unexpected"})
chunks = st.lists(st.one_of(known, bodies()), min_size=1, max_size=4).flatmap(
    lambda pool: st.lists(st.sampled_from(pool).map(_copied), max_size=10)
)


@given(st.one_of(chunks, st.lists(known, max_size=8)))
def test_the_column_pass_flags_the_rows_the_whole_pass_flags(found):
    assert may_be_invalid_by_column(found) == may_be_invalid(found)


@given(st.lists(known, max_size=4), st.sampled_from([None, "text", ["a"], 1]))
def test_a_body_that_is_no_dict_leaves_the_chunk_to_the_whole_pass(found, odd):
    mixed: list[Any] = [*found, odd]
    assert may_be_invalid_by_column(mixed) == may_be_invalid(mixed)


def test_the_usual_bodies_pass_and_a_bad_text_is_found_on_every_row_holding_it():
    usual = [usual_body(row) for row in range(300)]
    assert may_be_invalid_by_column(usual) == []
    for at in (3, 17, 250):
        usual[at]["orgGroupId"] = "ORG-FR"
        usual[at + 1]["incidentTypeName"] = " "
        usual[at + 2].pop("name")
    flagged = [at + step for at in (3, 17, 250) for step in range(3)]
    assert may_be_invalid_by_column(usual) == flagged == may_be_invalid(usual)


def test_bodies_with_as_many_fields_but_other_ones_are_left_to_the_whole_pass():
    first, second = usual_body(2), usual_body(3)
    second["deadline"] = second.pop("dateDiscovered")
    second["unexpected"] = second.pop("rootCause")
    found = [first, second]
    assert may_be_invalid_by_column(found) == may_be_invalid(found) == [1]


@given(st.lists(known, min_size=1, max_size=8), st.randoms())
def test_bodies_of_one_shape_are_checked_a_column_at_a_time_as_a_whole(found, random):
    first = found[0]
    shaped = []
    for body in found:  # the first body's fields, in any order, values of any body
        names = list(first)
        random.shuffle(names)
        shaped.append({name: body.get(name, first[name]) for name in names})
    assert may_be_invalid_by_column(shaped) == may_be_invalid(shaped)


def _columns(found: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [body[name] for body in found] for name in found[0]}


@given(st.lists(known, min_size=1, max_size=8))
def test_columns_handed_over_flag_the_rows_the_whole_pass_flags(found):
    first = found[0]
    shaped = [{name: body.get(name, first[name]) for name in first} for body in found]
    assert may_be_invalid_by_column(shaped, _columns(shaped)) == may_be_invalid(shaped)


def test_columns_that_do_not_fit_the_bodies_are_left_for_the_bodies_themselves():
    usual = [usual_body(row) for row in range(4)]
    usual[2]["orgGroupId"] = "ORG-FR"
    good = _columns([usual_body(row) for row in range(4)])
    shorter = {name: values[:3] for name, values in good.items()}
    reordered = dict(reversed(list(good.items())))
    fewer = {name: values for name, values in good.items() if name != "name"}
    for columns in (shorter, reordered, fewer):
        assert may_be_invalid_by_column(usual, columns) == [2]
    assert may_be_invalid_by_column(usual, good) == []  # trusted: they fit the bodies' shape
