"""Ranking options and reciprocal-rank fusion (pure functions)."""

from __future__ import annotations

import pytest

from assistants.errors import InvalidInput
from assistants.retrieval.fusion import RRF_K, Ranking, fuse, parse_ranking
from storage.base import Hit


def hit(file_id: str, score: float = 0.5) -> Hit:
    return Hit("vs", file_id, 0, f"text of {file_id}", score)


def test_defaults_and_ranker_none() -> None:
    assert parse_ranking(None) == Ranking(0.0, True, 1.0, 1.0)
    assert parse_ranking({"ranker": "none", "score_threshold": 0.5}) == Ranking(0.5, False, 1, 1)
    assert not parse_ranking({"hybrid_search": {"embedding_weight": 1, "text_weight": 0}}).hybrid
    for ranker in ("auto", "default-2024-11-15", "default_2024_08_21"):
        assert parse_ranking({"ranker": ranker}).hybrid


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"ranker": "bm25"}, "ranking_options.ranker"),
        ({"score_threshold": 1.5}, "ranking_options.score_threshold"),
        ({"score_threshold": True}, "ranking_options.score_threshold"),
        (
            {"hybrid_search": {"embedding_weight": -1, "text_weight": 1}},
            "ranking_options.hybrid_search",
        ),
        (
            {"hybrid_search": {"embedding_weight": 0, "text_weight": 0}},
            "ranking_options.hybrid_search",
        ),
        (
            {"hybrid_search": {"embedding_weight": "1", "text_weight": 1}},
            "ranking_options.hybrid_search",
        ),
        ({"hybrid_search": [1, 2]}, "ranking_options.hybrid_search"),
    ],
)
def test_invalid_options_are_a_clear_400(options: dict, param: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_ranking(options)
    assert raised.value.param == param


def test_fusion_rewards_agreement_and_normalizes_to_one() -> None:
    semantic = [hit("a"), hit("b"), hit("c")]
    keyword = [hit("c", 9.0), hit("b", 3.0)]
    fused = fuse([(1.0, semantic), (1.0, keyword)])
    assert [h.file_id for h in fused] == ["c", "b", "a"]
    best = 2 / (RRF_K + 1)
    assert fused[0].score == pytest.approx((1 / (RRF_K + 3) + 1 / (RRF_K + 1)) / best)
    assert fused[2].score == pytest.approx((1 / (RRF_K + 1)) / best)
    assert fuse([(1.0, [hit("a")]), (1.0, [hit("a")])])[0].score == 1.0
    assert fused[0].text == "text of c"


def test_weights_shift_the_order_and_empty_lists_do_not_count() -> None:
    semantic, keyword = [hit("a"), hit("b")], [hit("b"), hit("a")]
    assert fuse([(3.0, semantic), (1.0, keyword)])[0].file_id == "a"
    assert fuse([(1.0, semantic), (3.0, keyword)])[0].file_id == "b"
    only = fuse([(1.0, semantic), (1.0, [])])
    assert only[0].score == 1.0  # the empty keyword list does not lower the best possible
    assert fuse([(0.0, semantic), (1.0, [])]) == []
