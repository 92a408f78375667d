"""The numba kernels of tsetlin.cpu against naive references (integer states, one literal at a time)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tsetlin import cpu


def naive_outputs(states: np.ndarray, X: np.ndarray, n_state_bits: int, learning: bool) -> np.ndarray:
    """Clause outputs from integer states: all included literals true (and non-empty at prediction)."""
    included = states >= 2 ** (n_state_bits - 1)
    literals = np.concatenate([X, 1 - X], axis=1).astype(bool)
    out = np.array(
        [[literals[i][included[g]].all() for g in range(states.shape[0])] for i in range(X.shape[0])]
    )
    if not learning:
        out &= included.any(axis=1)[None, :]
    return out.reshape(X.shape[0], states.shape[0])


@st.composite
def machines(draw):
    """Random integer states (mostly excluded, as after learning) and random sparse 0/1 documents."""
    n_features = draw(st.integers(1, 150))
    n_classes = draw(st.integers(1, 3))
    n_clauses = 2 * draw(st.integers(1, 4))
    n_state_bits = draw(st.integers(2, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    C = n_classes * n_clauses
    states = rng.integers(0, 2**n_state_bits, size=(C, 2 * n_features)).astype(np.uint16)
    keep = rng.random((C, 2 * n_features)) < draw(st.sampled_from([0.0, 0.02, 0.1, 0.5]))
    states[~keep] = rng.integers(0, 2 ** (n_state_bits - 1), size=int((~keep).sum()))
    X = (rng.random((draw(st.integers(1, 12)), n_features)) < draw(st.sampled_from([0.05, 0.3, 0.9]))).astype(
        np.uint8
    )
    votes = rng.integers(-9, 10, size=C).astype(np.int64)
    return states, n_state_bits, X, votes, n_classes


def csr(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = sp.csr_matrix(X)
    return m.indptr.astype(np.int64), m.indices.astype(np.int64)


@settings(max_examples=60, deadline=None)
@given(machines())
def test_clause_evaluation_matches_naive_reference(machine):
    states, bits, X, votes, n_classes = machine
    ta = cpu.states_to_planes(states, bits)
    assert np.array_equal(cpu.planes_to_states(ta, X.shape[1]), states)
    indptr, indices = csr(X)
    predict = naive_outputs(states, X, bits, learning=False)
    learn = naive_outputs(states, X, bits, learning=True)
    assert np.array_equal(cpu.clause_outputs(ta, indptr, indices).astype(bool), predict)
    la = cpu.valid_mask(X.shape[1])
    assert np.array_equal(cpu.clause_outputs(ta, indptr, indices, la=la).astype(bool), learn)
    expected = (predict * votes).reshape(X.shape[0], n_classes, -1).sum(axis=2)
    assert np.array_equal(cpu.class_sums_dense(ta, votes, indptr, indices, n_classes, n_threads=2), expected)
    index = cpu.build_index(ta, X.shape[1])
    assert np.array_equal(
        cpu.class_sums_index(indptr, indices, index, votes, n_classes, n_threads=2), expected
    )


@settings(max_examples=30, deadline=None)
@given(machines(), st.integers(0, 2**32 - 1))
def test_dropped_literals_are_ignored_when_learning(machine, seed):
    states, bits, X, _, _ = machine
    F = X.shape[1]
    drop = np.random.default_rng(seed).random(2 * F) < 0.5
    kept = states.copy()
    kept[:, drop] = 0  # a dropped literal behaves as if it were excluded
    ta = cpu.states_to_planes(states, bits)
    out = cpu.clause_outputs(ta, *csr(X), la=literal_words(~drop)).astype(bool)
    assert np.array_equal(out, naive_outputs(kept, X, bits, learning=True))


def literal_words(flags: np.ndarray) -> np.ndarray:
    """Pack per-literal flags (features, then negations) into the kernels' 2W literal words."""
    F = flags.size // 2
    words = np.zeros((2, cpu.n_words(F) * 64), dtype=bool)
    words[0, :F], words[1, :F] = flags[:F], flags[F:]
    return np.packbits(words, axis=1, bitorder="little").view("<u8").reshape(-1).copy()


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 9), st.integers(1, 140), st.integers(0, 2**32 - 1))
def test_bit_sliced_increment_and_decrement_saturate(n_state_bits, n_features, seed):
    rng = np.random.default_rng(seed)
    top = 2**n_state_bits - 1
    states = rng.choice([0, 1, top - 1, top, *rng.integers(0, top + 1, 4)], size=(1, 2 * n_features))
    flags = rng.random(2 * n_features) < 0.5
    ta = cpu.states_to_planes(states.astype(np.uint16), n_state_bits)
    L = ta.shape[2]
    inc, dec = ta.copy(), ta.copy()
    cpu._inc_planes(inc[0], literal_words(flags), n_state_bits, L)
    cpu._dec_planes(dec[0], literal_words(flags), n_state_bits, L)
    assert np.array_equal(cpu.planes_to_states(inc, n_features)[0], np.minimum(states[0] + flags, top))
    assert np.array_equal(cpu.planes_to_states(dec, n_features)[0], np.maximum(states[0] - flags, 0))


def _one_clause(states_row: np.ndarray, bits: int):
    ta = cpu.states_to_planes(states_row[None, :].astype(np.uint16), bits)
    F = states_row.size // 2
    return ta, cpu.valid_mask(F), np.zeros(1, dtype=np.uint64) + np.uint64(12345)


def _packed(x: np.ndarray) -> np.ndarray:
    words = np.zeros(cpu.n_words(x.size) * 64, dtype=bool)
    words[: x.size] = x.astype(bool)
    return np.packbits(words, bitorder="little").view("<u8").copy()


@pytest.mark.parametrize("boost", [True, False])
def test_type_i_feedback_with_s_equal_one(boost):
    """s = 1 selects every literal: Ia moves true literals up (boosted) and false ones down; Ib all down."""
    bits, F = 4, 70
    rng = np.random.default_rng(0)
    states = rng.integers(1, 15, size=2 * F)
    x = rng.random(F) < 0.3
    literal = np.concatenate([x, ~x])
    ta, valid, rng_state = _one_clause(states, bits)
    L = ta.shape[2]
    pool = np.full(4 * L, np.iinfo(np.uint64).max, dtype=np.uint64)  # Bernoulli(1/s = 1)
    carry, carry2 = np.empty(L, np.uint64), np.empty(L, np.uint64)
    fired = ta.copy()
    cpu._type_i(
        fired,
        0,
        True,
        _packed(x),
        valid,
        valid,
        pool,
        rng_state,
        boost,
        -1,
        carry,
        carry2,
        carry,
        bits,
        L,
        L // 2,
    )
    up = (
        literal if boost else np.zeros_like(literal)
    )  # without boost, true literals rise with prob. 1 - 1/s = 0
    assert np.array_equal(cpu.planes_to_states(fired, F)[0], states + up - ~literal)
    silent = ta.copy()
    cpu._type_i(
        silent,
        0,
        False,
        _packed(x),
        valid,
        valid,
        pool,
        rng_state,
        boost,
        -1,
        carry,
        carry2,
        carry,
        bits,
        L,
        L // 2,
    )
    assert np.array_equal(cpu.planes_to_states(silent, F)[0], states - 1)


def test_type_i_feedback_selects_literals_at_rate_one_over_s():
    bits, F, s = 8, 500, 4.0
    gen = np.random.default_rng(1)
    states = np.full(2 * F, 100)
    ta, valid, rng_state = _one_clause(states, bits)
    L = ta.shape[2]
    pool = np.packbits(gen.random(64 * 64 * L) < 1 / s, bitorder="little").view("<u8")
    carry, carry2 = np.empty(L, np.uint64), np.empty(L, np.uint64)
    for _ in range(200):  # Type Ib: each literal decremented with probability 1/s per round
        cpu._type_i(
            ta,
            0,
            False,
            _packed(np.zeros(F)),
            valid,
            valid,
            pool,
            rng_state,
            True,
            -1,
            carry,
            carry2,
            carry,
            bits,
            L,
            L // 2,
        )
    drops = 100 - cpu.planes_to_states(ta, F)[0]
    assert abs(drops.mean() - 200 / s) < 1.5  # binomial(200, 1/4): mean 50, sd of the mean ~0.2


def test_type_ii_feedback_raises_excluded_false_literals_only():
    bits, F = 4, 70
    rng = np.random.default_rng(2)
    states = rng.integers(0, 16, size=2 * F)
    x = rng.random(F) < 0.5
    literal = np.concatenate([x, ~x])
    ta, valid, rng_state = _one_clause(states, bits)
    L = ta.shape[2]
    cpu._type_ii(
        ta,
        0,
        _packed(x),
        valid,
        valid,
        rng_state,
        -1,
        np.empty(L, np.uint64),
        np.empty(L, np.uint64),
        bits,
        L,
        L // 2,
    )
    expected = states + (~literal & (states < 8))
    assert np.array_equal(cpu.planes_to_states(ta, F)[0], expected)


def test_literal_budget_limits_new_includes():
    bits, F, budget = 4, 100, 5
    states = np.full(2 * F, 7)  # every literal one step below include
    states[:3] = 8  # three already included
    ta, valid, rng_state = _one_clause(states, bits)
    L = ta.shape[2]
    masks = valid.copy()
    cpu._limit_new_includes(ta, 0, masks, budget, rng_state, bits, L, np.empty(L, np.uint64))
    carry = masks.copy()
    cpu._inc_planes(ta[0], carry, bits, L)
    after = cpu.planes_to_states(ta, F)[0]
    assert (after >= 8).sum() == budget
    assert (after[:3] == 9).all()  # included literals are still reinforced
