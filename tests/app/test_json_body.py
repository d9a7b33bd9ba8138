"""The JSON body rules, case by case: nesting, lone surrogates, integral floats."""

from __future__ import annotations

import pytest

from app.errors import InvalidRequest
from app.json_body import MAX_DEPTH, depth_of, integers_as_int, parse_body


def test_depth_counts_brackets_outside_strings_only():
    assert depth_of(b'{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert depth_of(b'"]]]"') == 0
    assert depth_of(b'{"a": "\\"[[["}') == 1


def test_the_depth_limit_is_exact():
    at_limit = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_body(at_limit).value is not None
    with pytest.raises(InvalidRequest, match="nests deeper"):
        parse_body(b"[" + at_limit + b"]")


@pytest.mark.parametrize(
    "raw",
    [b'"\\ud800"', b'"\\uDC00x"', b'["\\ud83d"]', b'{"\\udfff": 1}', b'"\\ude00\\ud83d"'],
)
def test_lone_surrogates_are_refused(raw):
    with pytest.raises(InvalidRequest, match="lone surrogate"):
        parse_body(raw)


@pytest.mark.parametrize("raw", [b'"\\ud83d\\ude00"', b'"\\\\ud800"', b'"\\u00e9"'])
def test_pairs_and_escaped_backslashes_are_text(raw):
    parse_body(raw)


@pytest.mark.parametrize("raw", [b"NaN", b'{"t": Infinity}', b"[-Infinity]"])
def test_non_finite_numbers_are_not_json(raw):
    with pytest.raises(InvalidRequest, match="could not parse the JSON body"):
        parse_body(raw)


def test_integral_floats_are_reported():
    assert parse_body(b'{"a": 1.5}').integral_floats is False
    assert parse_body(b'{"a": 2}').integral_floats is False
    assert parse_body(b'{"a": 2.0}').integral_floats is True
    assert parse_body(b'{"a": 3e2}').integral_floats is True


SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "integer"},
        "x": {"type": "number"},
        "either": {"anyOf": [{"type": "integer"}, {"type": "number"}]},
        "maybe": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "list": {"type": "array", "items": {"type": "integer"}},
        "nested": {
            "oneOf": [
                {"type": "object", "properties": {"size": {"type": "integer"}}},
                {"type": "string"},
            ]
        },
        "free": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}


def test_integral_floats_become_int_only_where_the_schema_says_integer():
    body = {
        "n": 816.0,
        "x": 2.0,
        "either": 3.0,
        "maybe": 4.0,
        "list": [1.0, 2.0],
        "nested": {"size": 5.0},
        "free": {"k": 6.0},
        "unknown": 7.0,
    }
    converted = integers_as_int(body, SCHEMA)
    assert converted == body
    kinds = {key: type(value) for key, value in converted.items()}
    assert kinds["n"] is int and kinds["maybe"] is int
    assert kinds["x"] is float and kinds["either"] is float and kinds["unknown"] is float
    assert [type(v) for v in converted["list"]] == [int, int]
    assert type(converted["nested"]["size"]) is int
    assert type(converted["free"]["k"]) is int
