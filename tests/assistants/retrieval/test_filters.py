"""Attribute filters: OpenAI's comparison and compound filters as predicates."""

from __future__ import annotations

import pytest

from assistants.errors import InvalidInput
from assistants.retrieval.filters import compile_filter

ATTRS = {"topic": "bees", "year": 2021, "score": 0.5, "public": True}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"type": "eq", "key": "topic", "value": "bees"}, True),
        ({"type": "eq", "key": "topic", "value": "wasps"}, False),
        ({"type": "ne", "key": "topic", "value": "wasps"}, True),
        ({"type": "eq", "key": "year", "value": 2021.0}, True),
        ({"type": "gt", "key": "year", "value": 2020}, True),
        ({"type": "gte", "key": "year", "value": 2021}, True),
        ({"type": "lt", "key": "score", "value": 0.5}, False),
        ({"type": "lte", "key": "score", "value": 0.5}, True),
        ({"type": "gt", "key": "topic", "value": "ants"}, True),
        ({"type": "gt", "key": "topic", "value": 3}, False),
        ({"type": "in", "key": "topic", "value": ["ants", "bees"]}, True),
        ({"type": "nin", "key": "topic", "value": ["ants", "bees"]}, False),
        ({"type": "eq", "key": "public", "value": True}, True),
        # A boolean is not the number 1.
        ({"type": "eq", "key": "public", "value": 1}, False),
        ({"type": "in", "key": "public", "value": [1]}, False),
        # Missing attributes match only the negative comparisons.
        ({"type": "eq", "key": "missing", "value": "x"}, False),
        ({"type": "gt", "key": "missing", "value": 1}, False),
        ({"type": "ne", "key": "missing", "value": "x"}, True),
        ({"type": "nin", "key": "missing", "value": ["x"]}, True),
    ],
)
def test_comparisons(spec, expected):
    assert compile_filter(spec)(ATTRS) is expected


def test_compound_filters_nest():
    spec = {
        "type": "or",
        "filters": [
            {"type": "eq", "key": "topic", "value": "wasps"},
            {
                "type": "and",
                "filters": [
                    {"type": "gte", "key": "year", "value": 2020},
                    {"type": "eq", "key": "public", "value": True},
                ],
            },
        ],
    }
    assert compile_filter(spec)(ATTRS) is True
    assert compile_filter(spec)({**ATTRS, "public": False}) is False
    assert compile_filter({"type": "and", "filters": []})(ATTRS) is True
    assert compile_filter({"type": "or", "filters": []})(ATTRS) is False


@pytest.mark.parametrize(
    "spec",
    [
        "eq",
        {"type": "in", "key": "topic", "value": "bees"},
        {"type": "eq", "key": "topic", "value": ["bees"]},
        {"type": "eq", "value": "x"},
        {"type": "xor", "filters": []},
        {"type": "and", "filters": {"type": "eq"}},
    ],
)
def test_malformed_filters_are_invalid_input(spec):
    with pytest.raises(InvalidInput):
        compile_filter(spec)
