"""IR precision at retrieval fractions: structnlp.metrics.retrieval."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import StructNLPError
from structnlp.metrics import retrieval_precision, retrieval_precision_curve

# AYLIEN DocNADE evaluate tests: corpus x, queries y
X = np.array([[0.9, 0.1, 0.0], [0.7, 0.2, 0.1], [0.0, 0.0, 0.5]])
Y = np.array([[0.5, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.2]])


@pytest.mark.parametrize(
    ("query_labels", "fraction", "expected"),
    [
        ([0, 1, 2], 1.0, 1 / 3),
        ([0, 1, 2], 0.33, 1.0),  # k = floor(0.99 + 0.5) = 1: nearest of y0, y1, y2 are x0, x1, x2
        ([3, 3, 3], 0.33, 0.0),
        ([0, 1, 1], 0.33, 2 / 3),
        ([0, 0, 0], 0.33, 1 / 3),
        ([1, 0, 0], 0.33, 0.0),
        ([2, 2, 2], 0.33, 1 / 3),
    ],
)
def test_known_values_single_label(query_labels, fraction, expected):
    assert retrieval_precision(Y, query_labels, X, [0, 1, 2], fraction=fraction) == pytest.approx(expected)


def test_known_values_multi_label():
    # a training document is relevant when it shares any label with the query
    assert retrieval_precision(Y, [[0], [1], [2]], X, [[1, 0, 4], [0, 1, 4], [2, 4]], 0.33) == pytest.approx(
        1.0
    )
    assert retrieval_precision(Y[:1], [[1, 0]], X, [[0], [1], [2]], 0.33) == pytest.approx(1.0)
    # all three retrieved: query 0 -> {x0}; query 1 -> {x0, x1, x2 share 1}; query 2 -> {x2}
    expected = (1 / 3 + 1 + 1 / 3) / 3
    assert retrieval_precision(Y, [[0], [1], [2]], X, [[0, 1], [1, 3], [2, 1]], 1.0) == pytest.approx(
        expected
    )


def test_ties_at_the_cut_off_go_to_the_lower_index():
    train = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    # k = 1 of 4 at fraction 0.25: three documents tie; the first (label a) is taken
    assert retrieval_precision([[1.0, 0.0]], ["a"], train, ["a", "b", "b", "b"], 0.25) == 1.0
    assert retrieval_precision([[1.0, 0.0]], ["b"], train, ["a", "b", "b", "b"], 0.25) == 0.0
    # k = 2: documents 0 and 1
    assert retrieval_precision([[1.0, 0.0]], ["b"], train, ["a", "b", "b", "b"], 0.5) == 0.5


def brute_force(queries, query_labels, train, train_labels, fraction):
    def cosine(a, b):
        na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
        return 0.0 if na == 0 or nb == 0 else sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)

    def as_set(label):
        return set(label) if isinstance(label, list) else {label}

    k = max(1, math.floor(fraction * len(train) + 0.5))
    total = 0.0
    for q, q_label in zip(queries, query_labels, strict=True):
        ranked = sorted(range(len(train)), key=lambda t: (-round(cosine(q, train[t]), 9), t))[:k]
        total += sum(bool(as_set(q_label) & as_set(train_labels[t])) for t in ranked) / k
    return total / len(queries)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 8), st.booleans())
def test_matches_brute_force(seed, n_train, n_queries, multi):
    rng = np.random.default_rng(seed)
    dim = int(rng.integers(1, 6))
    pool = rng.normal(size=(max(1, n_train // 2), dim))
    pool[0] = 0.0  # a zero vector
    train = pool[rng.integers(0, len(pool), size=n_train)]  # duplicates make exact ties
    queries = rng.normal(size=(n_queries, dim))
    if multi:
        train_labels = [
            sorted(set(rng.integers(0, 4, size=int(rng.integers(1, 3))).tolist())) for _ in range(n_train)
        ]
        query_labels = [
            sorted(set(rng.integers(0, 4, size=int(rng.integers(1, 3))).tolist())) for _ in range(n_queries)
        ]
    else:
        train_labels = rng.integers(0, 3, size=n_train).tolist()
        query_labels = rng.integers(0, 3, size=n_queries).tolist()
    fractions = [0.01, 0.1, 0.35, 1.0]
    curve = retrieval_precision_curve(queries, query_labels, train, train_labels, fractions, batch_size=3)
    for f in fractions:
        expected = brute_force(queries.tolist(), query_labels, train.tolist(), train_labels, f)
        assert curve[f] == pytest.approx(expected)


def test_sparse_input_and_batches_agree():
    rng = np.random.default_rng(0)
    train = rng.poisson(0.3, size=(60, 20)).astype(float)
    queries = rng.poisson(0.3, size=(25, 20)).astype(float)
    train_labels, query_labels = rng.integers(0, 4, 60), rng.integers(0, 4, 25)
    dense = retrieval_precision_curve(queries, query_labels, train, train_labels, [0.05, 0.5])
    sparse = retrieval_precision_curve(
        sp.csr_matrix(queries), query_labels, sp.csr_matrix(train), train_labels, [0.05, 0.5], batch_size=4
    )
    assert sparse == pytest.approx(dense)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (([[1.0, 0.0]], ["a"], [[1.0, 0.0, 0.0]], ["a"]), "2 features but training vectors have 3"),
        (([[1.0]], ["a", "b"], [[1.0]], ["a"]), "1 query vectors but 2 query labels"),
        (([[1.0]], ["a"], [[1.0], [2.0]], ["a"]), "2 training vectors but 1 training labels"),
        (([1.0, 2.0], ["a"], [[1.0]], ["a"]), "2-D"),
        (([[float("nan")]], ["a"], [[1.0]], ["a"]), "NaN"),
        ((sp.csr_matrix([[float("nan"), 1.0]]), ["a"], [[1.0, 0.0]], ["a"]), "query_vectors holds NaN"),
        (([[1.0, 0.0]], ["a"], sp.csr_matrix([[float("inf"), 1.0]]), ["a"]), "train_vectors holds NaN"),
        ((np.zeros((0, 2)), [], [[1.0, 0.0]], ["a"]), "no documents"),
        (([[1.0]], ["a"], [[1.0], [2.0]], ["a", ["b"]]), "mixes single labels and label lists"),
        (([[1.0]], "a", [[1.0]], ["a"]), "one label"),
    ],
)
def test_bad_inputs(args, problem):
    with pytest.raises(StructNLPError, match=problem):
        retrieval_precision(*args)


@pytest.mark.parametrize("batch_size", [0, 2.5, True])
def test_bad_batch_size(batch_size):
    with pytest.raises(StructNLPError, match="batch_size must be an int >= 1"):
        retrieval_precision([[1.0]], ["a"], [[1.0]], ["a"], fraction=1.0, batch_size=batch_size)


@pytest.mark.parametrize("fraction", [0, -0.1, 1.5, "0.1", True])
def test_bad_fraction(fraction):
    with pytest.raises(StructNLPError, match="fraction"):
        retrieval_precision([[1.0]], ["a"], [[1.0]], ["a"], fraction=fraction)
