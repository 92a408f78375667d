"""Extractive baselines: Lead-N and TextRank, with the summarizer's :class:`Summary` as result.

* :func:`lead_n` takes the first ``n`` sentences: on news, where the important facts come
  first, Lead-3 is the baseline every neural summarizer is compared with.
* :func:`textrank` (Mihalcea & Tarau 2004) ranks sentences by PageRank on a graph whose edge
  weights are their word overlap, ``|S_i ∩ S_j| / (log |S_i| + log |S_j|)`` over lower-cased
  content words, and returns the top ``n`` in document order.

Both take a text (split into sentences by ``tokenizer``, as the summarizer does) or an
:class:`~summarize.data.AnalyzedDocument`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from structnlp.params import check_int
from summarize.data import CONTENT_POS, MAX_CHARS, AnalyzedDocument, analyze_document
from summarize.summarizer import Summary

__all__ = ["lead_n", "pagerank", "textrank"]


def _document(document: str | AnalyzedDocument, tokenizer: Any) -> AnalyzedDocument:
    if isinstance(document, AnalyzedDocument):
        return document
    return analyze_document(document, tokenizer, MAX_CHARS)


def _summary(doc: AnalyzedDocument, scores: np.ndarray, n: int) -> Summary:
    order = np.argsort(-scores, kind="stable")[:n]
    highlights = [(int(i), float(scores[i])) for i in sorted(order.tolist())]
    chosen = [doc.sentences[i].text for i, _ in highlights]
    return Summary(
        " ".join(chosen), highlights, [s.text for s in doc.sentences], chosen, scores.tolist(), "extractive"
    )


def lead_n(document: str | AnalyzedDocument, n: int = 3, tokenizer: Any = "spacy") -> Summary:
    """The first ``n`` sentences (Lead-3 with the default ``n``).

    >>> lead_n("One fish. Two fish. Red fish. Blue fish.", n=2, tokenizer="nltk").text
    'One fish. Two fish.'
    """
    check_int("n", n, 1)
    doc = _document(document, tokenizer)
    scores = np.zeros(len(doc))
    scores[:n] = 1.0
    return _summary(doc, scores, n)


def pagerank(
    weights: np.ndarray, damping: float = 0.85, tol: float = 1e-8, max_iter: int = 200
) -> np.ndarray:
    """PageRank of a weighted graph (``weights[i, j]``: edge i - j); the ranks sum to 1.

    A node without edges is treated as linking to every node (the usual fix for dangling nodes).

    >>> pagerank(np.array([[0.0, 1.0], [1.0, 0.0]])).round(3).tolist()
    [0.5, 0.5]
    """
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    out = weights.sum(axis=1)
    transition = np.divide(weights, out[:, None], out=np.full_like(weights, 1.0 / n), where=out[:, None] > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = (1 - damping) / n + damping * transition.T @ rank
        if np.abs(new - rank).sum() < tol:
            return new
        rank = new
    return rank


def textrank(document: str | AnalyzedDocument, n: int = 3, tokenizer: Any = "spacy") -> Summary:
    """The ``n`` sentences with the highest TextRank, in document order (ties: earlier first).

    >>> doc = ("Cats chase mice. Mice fear cats and dogs. Dogs chase cats. "
    ...        "The weather was mild.")
    >>> textrank(doc, n=2, tokenizer="nltk").highlights[0][0] in (0, 1, 2)
    True
    """
    check_int("n", n, 1)
    doc = _document(document, tokenizer)
    bags = []
    for s in doc.sentences:
        content = [lm.lower() for lm, p in zip(s.lemmas, s.pos, strict=True) if p in CONTENT_POS]
        bags.append((set(content), len(content)))
    size = len(bags)
    weights = np.zeros((size, size))
    for i in range(size):
        for j in range(i + 1, size):
            (a, la), (b, lb) = bags[i], bags[j]
            common = len(a & b)
            norm = math.log(la) + math.log(lb) if common else 0.0
            if norm > 0:
                weights[i, j] = weights[j, i] = common / norm
    return _summary(doc, pagerank(weights), n)
