"""Perplexity from negative log-likelihoods (natural logarithms, i.e. nats).

Two definitions are in use and they give different numbers on the same model:

* **corpus-level** (language models, e.g. StructFormer on PTB):
  ``exp(sum_d NLL_d / sum_d |d|)``: the total negative log-likelihood over the total number of
  words; long documents weigh more.
* **document-averaged** (the topic-model papers: DocNADE, Larochelle & Lauly 2012; iDocNADE
  and textTOvec, Gupta et al. 2019): ``exp(1/D * sum_d NLL_d / |d|)`` where ``|d|`` is the
  number of words in document ``d``; every document weighs the same.

A model that is uniform over a vocabulary of ``V`` words has perplexity ``V`` under both.
A per-word NLL above ~709 nats (an untrained or diverged model) gives a perplexity beyond the
float range: it is reported as ``inf``, as ``torch.exp`` would, rather than raising.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from structnlp.errors import StructNLPError

__all__ = ["perplexity_from_log_probs", "document_perplexity"]


def _as_array(values: float | Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise StructNLPError(f"{name} must be a number or a sequence of numbers") from None
    if arr.ndim != 1:
        raise StructNLPError(f"{name} must be a number or a 1-D sequence, got shape {arr.shape}")
    if arr.size == 0:
        raise StructNLPError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise StructNLPError(f"{name} holds NaN or infinite values")
    return arr


def _check_nll(nll: np.ndarray) -> None:
    if np.any(nll < 0):
        raise StructNLPError(
            "negative log-likelihoods must be >= 0 (a probability is at most 1); pass -log p, not log p"
        )


def _exp(mean_nll: float) -> float:
    """``exp`` that gives ``inf`` past the float range: math.exp raises OverflowError there."""
    try:
        return math.exp(mean_nll)
    except OverflowError:
        return math.inf


def perplexity_from_log_probs(
    total_neg_log_likelihood: float | Sequence[float] | np.ndarray, n_words: int | Sequence[int] | np.ndarray
) -> float:
    """Corpus-level perplexity ``exp(sum NLL / sum n_words)``.

    Both arguments may be totals or per-document (per-batch) values, which are summed.

    >>> round(perplexity_from_log_probs(3 * math.log(10), 3), 6)   # uniform over 10 words
    10.0
    >>> round(perplexity_from_log_probs([2.0, 4.0], [1, 2]), 4)
    7.3891
    """
    nll = _as_array(total_neg_log_likelihood, "total_neg_log_likelihood")
    counts = _as_array(n_words, "n_words")
    _check_nll(nll)
    if nll.size > 1 and counts.size > 1 and nll.shape != counts.shape:  # one batch's count forgotten?
        raise StructNLPError(f"{nll.size} log-likelihoods but {counts.size} word counts")
    total_words = counts.sum()
    if np.any(counts < 0) or total_words <= 0:
        raise StructNLPError(
            f"n_words must be non-negative and sum to more than 0, got a sum of {total_words}"
        )
    return _exp(float(nll.sum() / total_words))


def document_perplexity(
    doc_neg_log_likelihoods: Sequence[float] | np.ndarray, doc_lengths: Sequence[int] | np.ndarray
) -> float:
    """Document-averaged per-word perplexity ``exp(mean_d(NLL_d / |d|))`` of the DocNADE papers.

    ``doc_neg_log_likelihoods[d]`` is ``-log p(d)`` and ``doc_lengths[d]`` its number of words;
    documents of length 0 are an error (they have no per-word likelihood).

    >>> round(document_perplexity([2.0, 4.0], [1, 2]), 4)   # exp((2/1 + 4/2) / 2)
    7.3891
    >>> round(document_perplexity([1.0, 9.0], [1, 3]), 4)   # exp((1 + 3) / 2), corpus-level gives exp(10/4)
    7.3891
    """
    nll = _as_array(doc_neg_log_likelihoods, "doc_neg_log_likelihoods")
    lengths = _as_array(doc_lengths, "doc_lengths")
    _check_nll(nll)
    if nll.shape != lengths.shape:
        raise StructNLPError(f"{nll.size} document likelihoods but {lengths.size} document lengths")
    if np.any(lengths <= 0):
        bad = int(np.flatnonzero(lengths <= 0)[0])
        raise StructNLPError(
            f"document {bad} has length {lengths[bad]:g}; every document needs at least one word"
        )
    return _exp(float(np.mean(nll / lengths)))
