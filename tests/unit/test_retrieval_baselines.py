"""The benchmarks' baselines and recall, on plain values: BM25 weighs rare terms over common
ones and retrieves nothing that shares no term, RRF rewards agreement, recall counts shares."""

from __future__ import annotations

from dotline_local.retrieval_baselines import Bm25, recall_at, rrf


def test_bm25_ranks_the_document_with_the_rarer_matching_term_first() -> None:
    # Given documents where "coffee" is everywhere and "greyhound" in one
    texts = [
        "coffee with friends",
        "more coffee this morning",
        "we adopted a greyhound and had coffee",
        "coffee again",
    ]
    index = Bm25(["a", "b", "c", "d"], texts)

    # When a query names both
    top = index.top("greyhounds and coffee", 4)

    # Then the rare term decides the first place (stemmed: "greyhounds" finds "greyhound")
    assert top[0] == "c"
    assert set(top) == {"a", "b", "c", "d"}


def test_bm25_retrieves_nothing_that_shares_no_term_with_the_query() -> None:
    index = Bm25([1, 2], ["the bicycle was repaired", "a quiet evening"])

    assert index.top("repairing bicycles", 10) == [1]
    assert index.top("the", 10) == []  # a stop word alone matches nothing
    assert index.top("unrelated words", 10) == []


def test_rrf_puts_what_both_rankings_agree_on_first() -> None:
    fused = rrf([["x", "shared", "y"], ["shared", "z"]])

    assert fused[0] == "shared"
    assert set(fused) == {"x", "y", "z", "shared"}


def test_recall_at_k_is_the_share_of_the_evidence_in_the_top_k() -> None:
    ranked = ["a", "b", "c", "d"]

    assert recall_at(["b", "d", "e"], ranked, 2) == 1 / 3
    assert recall_at(["b", "d", "e"], ranked, 4) == 2 / 3
    assert recall_at(["a"], ranked, 1) == 1.0
