"""Retrieval baselines for the benchmarks, and the recall they are all measured by.

- Okapi BM25 (`bm25s`, Lucene's variant: idf log(1 + (N - df + 0.5) / (df + 0.5)), k1 1.2,
  b 0.75, Lucene's and Elasticsearch's defaults) over one person's texts, lower-cased, English
  stop words dropped, Snowball-stemmed; documents with no query term are not retrieved.
- Reciprocal rank fusion (Cormack et al. 2009) of ranked lists: sum of 1 / (k + rank), k 60.
- Recall at k: the share of a question's evidence found in the top k, so a question with three
  evidence turns and one found scores 1/3; averaged over questions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

import bm25s
import numpy as np
import Stemmer

K1 = 1.2
B = 0.75
RRF_K = 60

T = TypeVar("T", bound=Hashable)


class Bm25(Generic[T]):
    """Okapi BM25 over a fixed set of documents, each known by its key."""

    def __init__(self, keys: Sequence[T], texts: Sequence[str]) -> None:
        self._keys = list(keys)
        self._index = bm25s.BM25(method="lucene", k1=K1, b=B)
        self._index.index(terms(texts), show_progress=False)

    def top(self, query: str, k: int) -> list[T]:
        """The keys of the k best-scoring documents that share a term with the query, best
        first (ties: the earlier document)."""
        known = self._index.get_tokens_ids(terms([query])[0])
        if not known:
            return []
        scores = self._index.get_scores(known)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [self._keys[i] for i in order if scores[i] > 0]


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Each text's terms as BM25 indexes them: lower-cased, stop words dropped, stemmed."""
    tokens = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False,
        show_progress=False,
    )  # fmt: skip
    return [list(t) for t in tokens]


def rrf(rankings: Sequence[Sequence[T]], k: int = RRF_K) -> list[T]:
    """The keys of several rankings fused by reciprocal rank, best first (ties: the key seen
    first)."""
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda key: -scores[key])


def recall_at(evidence: Sequence[T], ranked: Sequence[T], k: int) -> float:
    """The share of the evidence among the first k of the ranking."""
    top = set(ranked[:k])
    return sum(e in top for e in evidence) / len(evidence)
