"""Perplexity: structnlp.metrics.perplexity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import StructNLPError
from structnlp.metrics import document_perplexity, perplexity_from_log_probs


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 50_000), st.lists(st.integers(1, 500), min_size=1, max_size=20))
def test_uniform_model_has_perplexity_vocabulary_size(vocab_size, lengths):
    nll = [n * math.log(vocab_size) for n in lengths]
    assert perplexity_from_log_probs(nll, lengths) == pytest.approx(vocab_size, rel=1e-9)
    assert document_perplexity(nll, lengths) == pytest.approx(vocab_size, rel=1e-9)


def test_corpus_and_document_averages_differ_by_hand():
    nll, lengths = [1.0, 9.0], [1, 3]
    assert perplexity_from_log_probs(nll, lengths) == pytest.approx(math.exp(10 / 4))
    assert document_perplexity(nll, lengths) == pytest.approx(math.exp((1 / 1 + 9 / 3) / 2))
    assert perplexity_from_log_probs(sum(nll), sum(lengths)) == perplexity_from_log_probs(nll, lengths)


def test_numpy_inputs():
    assert document_perplexity(np.array([2.0]), np.array([2])) == pytest.approx(math.e)


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda: perplexity_from_log_probs(-3.0, 2), "pass -log p"),
        (lambda: perplexity_from_log_probs([1.0, 2.0, 3.0], [4, 5]), "3 log-likelihoods but 2 word counts"),
        (lambda: perplexity_from_log_probs(3.0, 0), "sum to more than 0"),
        (lambda: perplexity_from_log_probs([], []), "empty"),
        (lambda: perplexity_from_log_probs(float("nan"), 1), "NaN"),
        (lambda: perplexity_from_log_probs("abc", 1), "number"),
        (lambda: document_perplexity([1.0, 2.0], [1]), "2 document likelihoods but 1"),
        (lambda: document_perplexity([1.0, 2.0], [1, 0]), "document 1 has length 0"),
        (lambda: document_perplexity([[1.0]], [[1]]), "1-D"),
    ],
)
def test_bad_inputs(call, problem):
    with pytest.raises(StructNLPError, match=problem):
        call()


def test_perplexity_beyond_the_float_range_is_inf():
    # an untrained model can average more than ~709 nats a word; math.exp raised OverflowError
    assert perplexity_from_log_probs(1000.0, 1) == math.inf
    assert document_perplexity([1000.0, 2000.0], [1, 2]) == math.inf
    assert perplexity_from_log_probs(700.0, 1) == pytest.approx(math.exp(700.0))


def test_per_batch_likelihoods_with_a_total_word_count():
    assert perplexity_from_log_probs([2.0, 4.0], 3) == perplexity_from_log_probs(6.0, [1, 2])
