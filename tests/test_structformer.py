"""StructFormer's structure computations against brute-force enumeration, and its decoding."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from parsing.structformer import (
    StructFormerNetwork,
    max_spanning_heads,
    parent_probabilities,
    span_probabilities,
    split_tree_spans,
)
from structnlp.trees import spans_to_tree, tree_spans

BIG = 1e9


def _random_structure(seed: int, batch: int = 3, length: int = 6):
    """Distances and heights with padding after each sentence's end, as the network makes them."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([length, length - 2, 1][:batch])
    mask = torch.arange(length)[None, :] < lengths[:, None]
    next_real = torch.nn.functional.pad(mask[:, 1:], (0, 1), value=False)
    distance = torch.randn(batch, length, generator=g, dtype=torch.float64).masked_fill(~next_real, BIG)
    height = torch.randn(batch, length, generator=g, dtype=torch.float64).masked_fill(~mask, -BIG)
    return distance, height, mask


def _brute_force_spans(distance, height, scale):
    """left[i, l] and right[i, r] from their definitions, with explicit loops."""
    b_size, n = height.shape
    left = np.zeros((b_size, n, n))
    right = np.zeros((b_size, n, n))
    for b in range(b_size):

        def inside(i, k, b=b):  # sigmoid((height_i - distance_k) * scale), overflow-free
            return 0.5 * (1 + math.tanh((float(height[b, i]) - float(distance[b, k])) * scale / 2))

        g = [[inside(i, k) for k in range(n)] for i in range(n)]

        def reach_left(i, l, g=g):  # P(start <= l): every gap l .. i-1 inside
            return min([g[i][k] for k in range(l, i)], default=1.0) if l >= 0 else 0.0

        def reach_right(i, r, g=g):  # P(end >= r): every gap i .. r-1 inside
            return min([g[i][k] for k in range(i, r)], default=1.0) if r < n else 0.0

        for i in range(n):
            for l in range(i + 1):
                left[b, i, l] = reach_left(i, l) - reach_left(i, l - 1)
            for r in range(i, n):
                right[b, i, r] = reach_right(i, r) - reach_right(i, r + 1)
    return left, right


def _brute_force_parent(left, right, height, scale, mask):
    """Sum over every constituent (l, r) of every word and every candidate head j inside it."""
    b_size, n = height.shape
    parent = np.zeros((b_size, n, n))
    for b in range(b_size):
        m = int(mask[b].sum())
        for i, l, r in itertools.product(range(m), repeat=3):
            if not l <= i <= r:
                continue
            xs = [scale * float(height[b, k]) for k in range(l, r + 1)]
            top = max(xs)
            z = sum(math.exp(x - top) for x in xs)
            for j in range(l, r + 1):
                if j != i:
                    parent[b, i, j] += left[b, i, l] * right[b, i, r] * math.exp(xs[j - l] - top) / z
    return parent


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_span_probabilities_match_the_enumeration(seed):
    distance, height, _ = _random_structure(seed)
    left, right = span_probabilities(distance, height, 1.7)
    ref_left, ref_right = _brute_force_spans(distance, height, 1.7)
    np.testing.assert_allclose(left.numpy(), ref_left, atol=1e-12)
    np.testing.assert_allclose(right.numpy(), ref_right, atol=1e-12)
    # every word's constituent has exactly one start and one end
    np.testing.assert_allclose(left.sum(-1).numpy(), 1.0, atol=1e-12)
    np.testing.assert_allclose(right.sum(-1).numpy(), 1.0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parent_probabilities_match_the_enumeration(seed):
    distance, height, mask = _random_structure(seed)
    left, right = span_probabilities(distance, height, 1.3)
    parent = parent_probabilities(left, right, height, 0.8, mask)
    expected = _brute_force_parent(left.numpy(), right.numpy(), height, 0.8, mask)
    np.testing.assert_allclose(parent.numpy(), expected, atol=1e-12)


def test_hard_limit_gives_the_discrete_structure():
    # heights 1, 3, 2; gaps 0.5 (between words 0 and 1) and 1.5 (between 1 and 2):
    # word 0 reaches over gap 0 only -> constituent [0, 1], headed by word 1;
    # word 2 reaches over both gaps -> [0, 2], headed by word 1; word 1 heads everything (root)
    distance = torch.tensor([[0.5, 1.5, BIG]])
    height = torch.tensor([[1.0, 3.0, 2.0]])
    left, right = span_probabilities(distance, height, 500.0)
    assert left[0].argmax(-1).tolist() == [0, 0, 0] and right[0].argmax(-1).tolist() == [1, 2, 2]
    parent = parent_probabilities(left, right, height, 500.0, torch.ones(1, 3, dtype=torch.bool))
    np.testing.assert_allclose(parent[0].numpy(), [[0, 1, 0], [0, 0, 0], [0, 1, 0]], atol=1e-9)


def test_parent_probabilities_stay_finite_for_extreme_heights():
    height = torch.tensor([[0.0, -400.0, -405.0, 300.0]], dtype=torch.float32, requires_grad=True)
    distance = torch.tensor([[-500.0, -500.0, -500.0, BIG]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    left, right = span_probabilities(distance, height, 1.0)
    parent = parent_probabilities(left, right, height, 1.0, mask)
    (parent * torch.arange(16.0, dtype=torch.float64).view(1, 4, 4)).sum().backward()
    assert torch.isfinite(parent).all() and torch.isfinite(height.grad).all()
    assert float(parent.detach().sum(-1).max()) <= 1.0 + 1e-9


def test_calibration_margin_is_per_sentence():
    torch.manual_seed(0)
    net = StructFormerNetwork(20, hidden_size=16, n_layers=1, n_heads=2, n_parser_layers=1).eval()
    short = torch.tensor([[4, 5, 6]])
    batch = torch.tensor([[4, 5, 6, 0, 0], [7, 8, 9, 10, 11]])
    with torch.no_grad():
        alone = net.structure(short, short != 0)
        together = net.structure(batch, batch != 0)
    np.testing.assert_allclose(together[0][0, :2].numpy(), alone[0][0, :2].numpy(), atol=1e-6)
    np.testing.assert_allclose(together[2][0, :3, :3].numpy(), alone[2][0].numpy(), atol=1e-6)
    # after calibration some boundary gap of every span (but the whole sentence, bounded by the
    # sentence ends) is no higher than the span's highest word
    distance, height = together[0][1], together[1][1]
    for i in range(5):
        for j in range(i, 5 if i else 4):
            top = float(height[i : j + 1].max())
            before = float(distance[i - 1]) if i else BIG
            assert min(before, float(distance[j])) - top <= 1e-5


@pytest.mark.parametrize("n", range(1, 13))
def test_split_tree_spans_give_binary_trees_over_every_length(n):
    rng = np.random.default_rng(n)
    for distances in (rng.normal(size=n - 1), np.zeros(n - 1), np.round(rng.normal(size=n - 1))):
        spans = split_tree_spans(distances)
        words = [f"w{i}" for i in range(n)]
        tree = spans_to_tree(spans, words)
        assert tree.leaves() == words
        assert len(tree_spans(tree, include_trivial=True)) == 2 * n - 1  # n leaves + n - 1 binary nodes
        assert all(len(node) == 2 for node in tree.subtrees()) or n == 1


def test_split_tree_spans_split_at_the_largest_distance():
    assert split_tree_spans([1.0, 3.0, 2.0]) == {(0, 4), (0, 2), (2, 4), (0, 1), (1, 2), (2, 3), (3, 4)}


def _best_tree_by_enumeration(parent: np.ndarray, root: int) -> list[int]:
    n = parent.shape[0]
    best, best_score = None, -math.inf
    choices = [[0] if i == root else [h for h in range(1, n + 1) if h != i + 1] for i in range(n)]
    for heads in itertools.product(*choices):
        seen_all = True
        for i in range(n):  # acyclic: every word reaches the root
            node, steps = i, 0
            while heads[node] != 0 and steps <= n:
                node, steps = heads[node] - 1, steps + 1
            seen_all &= heads[node] == 0
        if not seen_all:
            continue
        score = sum(math.log(parent[i, h - 1]) for i, h in enumerate(heads) if h)
        if score > best_score:
            best, best_score = list(heads), score
    return best


@pytest.mark.parametrize("n", range(1, 6))
def test_max_spanning_heads_match_the_enumeration(n):
    rng = np.random.default_rng(10 + n)
    for _ in range(30):
        parent = rng.random((n, n)) + 0.01
        np.fill_diagonal(parent, 0.0)
        root = int(rng.integers(n))
        heads = max_spanning_heads(parent, root)
        assert heads == _best_tree_by_enumeration(parent, root)


def test_max_spanning_heads_keep_the_argmax_when_it_is_a_tree():
    parent = np.array([[0, 0.9, 0.1], [0.2, 0, 0.8], [0.5, 0.5, 0]])
    assert max_spanning_heads(parent, root=2) == [2, 3, 0]
