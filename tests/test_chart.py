"""parsing.chart: pruned charts against full CKY and brute-force enumeration of binary trees."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from parsing.chart import (
    NEG_INF,
    best_trees,
    build_schedule,
    cky_inside_reference,
    context_cells,
    inside,
    merge_orders_from_scores,
    outside,
    span_log_marginals,
)
from structnlp.errors import StructNLPError
from structnlp.trees import spans_to_tree, tree_spans


def all_trees(i: int, j: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Every binary tree over words i..j as a tuple of its internal nodes (i, k, j)."""
    if i == j:
        return [()]
    out = []
    for k in range(i, j):
        for left in all_trees(i, k):
            for right in all_trees(k + 1, j):
                out.append(((i, k, j), *left, *right))
    return out


def merge_tree(n: int, order: list[int]) -> set[tuple[int, int, int]]:
    """The tree built by merging the gaps of an n-word sentence in ``order``."""
    atoms = [(i, i) for i in range(n)]
    nodes = set()
    for gap in order:
        t = next(a for a, (_, end) in enumerate(atoms) if end == gap)
        (i, k), (_, j) = atoms[t], atoms[t + 1]
        nodes.add((i, k, j))
        atoms[t : t + 2] = [(i, j)]
    return nodes


def allowed(tree, splits: dict[tuple[int, int], list[int]]) -> bool:
    return all((i, j) in splits and k in splits[i, j] for i, k, j in tree)


class SpanTable:
    """compose/decompose whose representations are exactly (sentence, i, j) and scores a fixed table.

    Every split of a cell composes to the same vector, so the soft inside pass is exact and the
    root score is the log-sum over trees of exp(sum of table[b, i, k, j]): a brute-force oracle.
    """

    def __init__(self, max_len: int, n_sentences: int, seed: int = 0):
        gen = torch.Generator().manual_seed(seed)
        self.table = torch.randn((n_sentences, max_len, max_len, max_len), generator=gen, dtype=torch.float64)

    def words(self, lengths):
        return torch.tensor([[b, i, i] for b, n in enumerate(lengths) for i in range(n)], dtype=torch.float64)

    def compose(self, left, right, ctx):
        b, i, k, j = (x.round().long() for x in (left[..., 0], left[..., 1], left[..., 2], right[..., 2]))
        return self.table[b, i, k, j], torch.stack([left[..., 0], left[..., 1], right[..., 2]], dim=-1)

    def decompose(self, parent, sibling, sides):
        b, i, j = (x.round().long() for x in (parent[..., 0], parent[..., 1], parent[..., 2]))
        k = torch.where(sides == 0, sibling[..., 1].round().long() - 1, sibling[..., 2].round().long())
        start = torch.where(sides == 0, i, k + 1)
        end = torch.where(sides == 0, k, j)
        vec = torch.stack([parent[..., 0], start.double(), end.double()], dim=-1)
        return self.table[b, i, k.clamp(min=0), j], vec

    def tree_score(self, b, tree):
        return sum(float(self.table[b, i, k, j]) for i, k, j in tree)


CASES = [
    ([1, 2, 3, 5, 6], 9, None),  # full CKY
    ([6, 5, 7, 4, 1], 1, [[4, 0, 2, 1, 3], [3, 2, 0, 1], [0, 1, 2, 3, 4, 5], [2, 1, 0], []]),
    ([7, 6, 3], 2, [[5, 3, 1, 0, 2, 4], [0, 4, 2, 1, 3], [1, 0]]),
]


@pytest.mark.parametrize(("lengths", "window", "orders"), CASES)
def test_inside_scores_and_viterbi_equal_brute_force_enumeration(lengths, window, orders):
    table = SpanTable(max(lengths), len(lengths))
    schedule = build_schedule(lengths, window=window, merge_orders=orders)
    result = inside(schedule, table.words(lengths), table.compose)
    trees = best_trees(schedule, result)
    for b, n in enumerate(lengths):
        splits = schedule.cell_splits(b)
        candidates = [t for t in all_trees(0, n - 1) if allowed(t, splits)]
        if window >= n - 1:
            assert len(candidates) == math.comb(2 * (n - 1), n - 1) // n  # every tree: Catalan(n - 1)
        else:
            assert set(merge_tree(n, orders[b])) in [set(t) for t in candidates]
        scores = [table.tree_score(b, t) for t in candidates]
        root = schedule.root_ids[b]
        assert float(result.scores[root]) == pytest.approx(
            float(torch.tensor(scores, dtype=torch.float64).logsumexp(0)), abs=1e-9
        )
        assert float(result.best_scores[root]) == pytest.approx(max(scores), abs=1e-9)
        found = {(i, k, j) for _, i, k, j in trees[b] if k >= 0}
        assert found == set(candidates[int(np.argmax(scores))])
        torch.testing.assert_close(result.reprs[root], torch.tensor([b, 0, n - 1], dtype=torch.float64))


@pytest.mark.parametrize(("lengths", "window", "orders"), CASES)
def test_outside_gives_brute_force_span_marginals(lengths, window, orders):
    table = SpanTable(max(lengths), len(lengths), seed=1)
    schedule = build_schedule(lengths, window=window, merge_orders=orders)
    ins = inside(schedule, table.words(lengths), table.compose)
    roots = torch.tensor([[b, 0, n - 1] for b, n in enumerate(lengths)], dtype=torch.float64)
    out = outside(schedule, ins, roots, table.decompose)
    marginals = span_log_marginals(schedule, ins, out).exp()
    for cell, (b, i, j) in enumerate(schedule.spans.tolist()):
        n = lengths[b]
        candidates = [t for t in all_trees(0, n - 1) if allowed(t, schedule.cell_splits(b))]
        weights = np.exp([table.tree_score(b, t) for t in candidates])
        inside_tree = [i == j or any((i, k, j) in t for k in range(i, j)) for t in candidates]
        expected = weights[inside_tree].sum() / weights.sum()
        assert float(marginals[cell]) == pytest.approx(expected, abs=1e-9)
        if expected > 0:  # reachable cells get their own span as outside representation
            torch.testing.assert_close(out.reprs[cell], torch.tensor([b, i, j], dtype=torch.float64))
        else:
            assert float(out.scores[cell]) < NEG_INF / 2 and out.reprs[cell].abs().sum() == 0


class Net(torch.nn.Module):
    """A small smooth compose/decompose pair with context, for reference and gradient checks."""

    def __init__(self, dim: int = 3, seed: int = 0, dtype=torch.float64):
        super().__init__()
        torch.manual_seed(seed)
        self.mix = torch.nn.Linear(3 * dim, dim).to(dtype)
        self.score = torch.nn.Linear(2 * dim, 1).to(dtype)
        self.out = torch.nn.Linear(2 * dim, dim).to(dtype)
        self.side = torch.nn.Parameter(torch.randn(2, dim, dtype=dtype))

    def compose(self, left, right, ctx):
        ctx = torch.zeros_like(left) if ctx is None else ctx.unsqueeze(1).expand_as(left)
        pair = torch.cat([left, right], dim=-1)
        return self.score(pair).squeeze(-1) * 2, torch.tanh(self.mix(torch.cat([pair, ctx], dim=-1)))

    def decompose(self, parent, sibling, sides):
        h = torch.cat([parent, sibling + self.side[sides]], dim=-1)
        return (parent * sibling).sum(-1), torch.tanh(self.out(h))


@pytest.mark.parametrize("lengths", [[1], [2, 7, 4], [9, 3, 8, 1, 5]])
def test_pruned_chart_equals_full_cky_when_the_window_covers_the_sentence(lengths):
    net = Net()
    gen = torch.Generator().manual_seed(5)
    words = torch.randn((sum(lengths), 3), generator=gen, dtype=torch.float64)
    orders = [np.random.default_rng(b).permutation(max(n - 1, 0)) for b, n in enumerate(lengths)]
    for window in (max(lengths) - 1 or 1, max(lengths) + 3):
        schedule = build_schedule(lengths, window=window, merge_orders=orders)
        context = torch.randn((schedule.n_cells, 3), generator=gen, dtype=torch.float64)
        result = inside(schedule, words, net.compose, context)
        for b, n in enumerate(lengths):
            offset = schedule.leaf_offsets[b]
            cells = {(i, j): c for c, (s, i, j) in enumerate(schedule.spans.tolist()) if s == b}
            assert len(cells) == n * (n + 1) // 2
            ctx = {span: context[c] for span, c in cells.items()}
            reprs, scores = cky_inside_reference(words[offset : offset + n], net.compose, ctx)
            for span, c in cells.items():
                torch.testing.assert_close(result.reprs[c], reprs[span], rtol=1e-12, atol=1e-12)
                torch.testing.assert_close(result.scores[c], scores[span], rtol=1e-12, atol=1e-12)


def test_outside_pass_passes_gradcheck_in_double_precision():
    net = Net(dim=2, seed=3)
    lengths, orders = [4, 3, 1], [[2, 0, 1], [1, 0], []]
    schedule = build_schedule(lengths, window=1, merge_orders=orders)
    gen = torch.Generator().manual_seed(0)
    words = torch.randn((sum(lengths), 2), generator=gen, dtype=torch.float64, requires_grad=True)
    root = torch.randn(2, generator=gen, dtype=torch.float64, requires_grad=True)
    context = torch.randn((schedule.n_cells, 2), generator=gen, dtype=torch.float64, requires_grad=True)

    def run(words, root, context):
        ins = inside(schedule, words, net.compose, context)
        out = outside(schedule, ins, root, net.decompose)
        return out.reprs, out.scores, ins.scores

    assert torch.autograd.gradcheck(run, (words, root, context), eps=1e-6, atol=1e-6, fast_mode=True)


def test_inside_marginals_are_the_gradient_of_the_log_partition():
    """d log Z / d score(split) = P(split used): ties outside to the textbook identity."""
    lengths, orders = [6, 5], [[1, 4, 0, 2, 3], [3, 0, 2, 1]]
    schedule = build_schedule(lengths, window=2, merge_orders=orders)
    table = SpanTable(6, 2, seed=4)
    table.table.requires_grad_(True)
    ins = inside(schedule, table.words(lengths), table.compose)
    grad = torch.autograd.grad(ins.scores[schedule.root_ids].sum(), table.table)[0]
    roots = torch.tensor([[b, 0, n - 1] for b, n in enumerate(lengths)], dtype=torch.float64)
    out = outside(schedule, ins, roots, table.decompose)
    marginals = span_log_marginals(schedule, ins, out).detach().exp()
    for cell, (b, i, j) in enumerate(schedule.spans.tolist()):
        if i < j:  # P(span) = sum over its splits of P(split)
            assert float(grad[b, i, i:j, j].sum()) == pytest.approx(float(marginals[cell]), abs=1e-9)


def test_decoding_gives_a_valid_binary_tree_for_every_length():
    lengths = list(range(1, 41))
    rng = np.random.default_rng(0)
    orders = [rng.permutation(n - 1) for n in lengths]
    schedule = build_schedule(lengths, window=3, merge_orders=orders)
    net = Net(dim=4, dtype=torch.float32)
    result = inside(schedule, torch.randn((sum(lengths), 4)), net.compose)
    for n, nodes in zip(lengths, best_trees(schedule, result), strict=True):
        assert len(nodes) == 2 * n - 1
        assert sorted(i for _, i, k, _ in nodes if k < 0) == list(range(n))
        internal = [(i, k, j) for _, i, k, j in nodes if k >= 0]
        spans = {(i, j + 1) for i, _, j in internal}
        tree = spans_to_tree(spans, [f"w{i}" for i in range(n)])
        assert tree.leaves() == [f"w{i}" for i in range(n)]
        assert all(len(node) == 2 for node in tree.subtrees()) or n == 1
        assert tree_spans(tree, include_trivial=True) >= {(0, n)}
        for i, k, j in internal:  # children of every node are nodes too
            assert ((i, k) == (i, i) or any(a == i and c == k for a, _, c in internal)) and (
                k + 1 == j or any(a == k + 1 and c == j for a, _, c in internal)
            )


def test_pruned_chart_is_linear_in_the_sentence_length():
    for n in (50, 200, 800):
        orders = [np.random.default_rng(n).permutation(n - 1)]
        schedule = build_schedule([n], window=4, merge_orders=orders)
        # CKY part: sum of l * (n - l) for l <= 4; each merge: at most 5 cells of 4 splits
        assert schedule.n_splits <= 10 * n + 20 * (n - 5)
        assert len(schedule.levels) == n - 1
    assert build_schedule([40], window=39).n_splits == sum(k * (40 - k) for k in range(1, 40))


def test_merge_orders_from_scores_rebuild_the_split_tree():
    scores = torch.tensor([[0.3, 2.0, -1.0, 0.7, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    orders = merge_orders_from_scores(scores, [6, 2])
    assert [o.tolist() for o in orders] == [[2, 4, 0, 3, 1], [0]]
    # splitting top-down at the largest score: (0 1) | (2 3 4 5), then 3 | ...: same nodes
    assert merge_tree(6, orders[0].tolist()) == {(0, 1, 5), (0, 0, 1), (2, 3, 5), (2, 2, 3), (4, 4, 5)}


def test_schedule_and_pass_inputs_are_checked():
    with pytest.raises(StructNLPError, match="lengths is empty"):
        build_schedule([])
    with pytest.raises(StructNLPError, match=r"lengths\[1\] must be a positive int"):
        build_schedule([3, 0])
    with pytest.raises(StructNLPError, match="window must be"):
        build_schedule([3], window=0)
    with pytest.raises(StructNLPError, match="needs a merge order"):
        build_schedule([6], window=2)
    with pytest.raises(StructNLPError, match="needs 3"):
        build_schedule([6], window=2, merge_orders=[[0, 1]])
    with pytest.raises(StructNLPError, match="distinct gap numbers"):
        build_schedule([6], window=2, merge_orders=[[0, 0, 1]])
    with pytest.raises(StructNLPError, match="distinct gap numbers"):
        build_schedule([6], window=2, merge_orders=[[0, 5, 1]])
    with pytest.raises(StructNLPError, match="2 merge orders for 1 sentences"):
        build_schedule([6], window=2, merge_orders=[[0], [1]])
    schedule = build_schedule([3, 2], window=2)
    with pytest.raises(StructNLPError, match=r"words must have shape \(n_words, dim\) = \(5, dim\)"):
        inside(schedule, torch.zeros(4, 2), Net(2).compose)
    with pytest.raises(StructNLPError, match="shape"):
        merge_orders_from_scores(np.zeros((1, 2)), [3, 2])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_passes_match_cpu():
    lengths = [12, 30, 7]
    orders = [np.random.default_rng(n).permutation(n - 1) for n in lengths]
    net = Net(dim=8, dtype=torch.float32)
    words = torch.randn((sum(lengths), 8))
    results = []
    for device in ("cpu", "cuda"):
        schedule = build_schedule(lengths, window=4, merge_orders=orders, device=device)
        net.to(device)
        ins = inside(schedule, words.to(device), net.compose)
        out = outside(schedule, ins, torch.zeros(8, device=device), net.decompose)
        results.append((ins.scores.cpu(), out.reprs.cpu(), best_trees(schedule, ins)))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-4, atol=1e-4)
    assert results[0][2] == results[1][2]


def test_itertools_brute_force_helper_counts_catalan_numbers():
    assert [len(all_trees(0, n - 1)) for n in range(1, 8)] == [1, 1, 2, 5, 14, 42, 132]
    assert len(set(itertools.chain.from_iterable(all_trees(0, 3)))) == 10  # (i, k, j) with i <= k < j <= 3


def test_the_dict_span_index_for_huge_batches_gives_the_same_schedule(monkeypatch):
    import parsing.chart as chart

    lengths = [9, 4, 12]
    orders = [np.random.default_rng(n).permutation(n - 1) for n in lengths]
    dense = build_schedule(lengths, window=2, merge_orders=orders)
    monkeypatch.setattr(chart._SpanIds, "DENSE_LIMIT", 0)
    sparse = build_schedule(lengths, window=2, merge_orders=orders)
    np.testing.assert_array_equal(dense.spans, sparse.spans)
    np.testing.assert_array_equal(dense.split_children, sparse.split_children)
    for a, b in zip(dense.outside_levels, sparse.outside_levels, strict=True):
        assert torch.equal(a.parents, b.parents) and torch.equal(a.mask, b.mask)


class Hooked(torch.nn.Module):
    """The same compose/decompose written twice: all per split, and with project/finish hooks."""

    def __init__(self, dim: int = 3, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        make = lambda i, o: torch.nn.Linear(i, o).double()  # noqa: E731
        self.a, self.b, self.w = make(dim, 4), make(dim, 4), make(4, dim)
        self.p, self.s0, self.s1, self.w2 = make(dim, 4), make(dim, 4), make(dim, 4), make(4, dim)

    def compose_full(self, left, right, ctx):
        h = torch.tanh(self.a(left) + self.b(right))
        return h.sum(-1), self.w(h)

    def compose_hooked(self, left, right, ctx):
        h = torch.tanh(left + right)
        return h.sum(-1), h

    def decompose_full(self, parent, sibling, sides):
        s = torch.where((sides == 0).unsqueeze(-1), self.s0(sibling), self.s1(sibling))
        h = torch.tanh(self.p(parent) + s)
        return h.mean(-1), self.w2(h)

    def decompose_hooked(self, parent, sibling, sides):
        h = torch.tanh(parent + sibling)
        return h.mean(-1), h

    def both(self, schedule, words, root):
        plain_in = inside(schedule, words, self.compose_full)
        plain_out = outside(schedule, plain_in, root, self.decompose_full)
        hooked_in = inside(
            schedule, words, self.compose_hooked, None, lambda e: (self.a(e), self.b(e)), self.w
        )
        siblings = torch.cat([self.s0(hooked_in.reprs), self.s1(hooked_in.reprs)])
        hooked_out = outside(schedule, hooked_in, root, self.decompose_hooked, self.p, siblings, self.w2)
        return (plain_in, plain_out), (hooked_in, hooked_out)


def test_project_and_finish_hooks_compute_the_same_chart():
    """Per-cell projections, side-specific siblings and a linear map after the average change nothing."""
    lengths, orders = [7, 1, 5], [[3, 0, 5, 1, 2, 4], [], [2, 0, 3, 1]]
    schedule = build_schedule(lengths, window=2, merge_orders=orders)
    words = torch.randn((sum(lengths), 3), dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    (plain_in, plain_out), (hooked_in, hooked_out) = Hooked().both(schedule, words, torch.ones(3).double())
    torch.testing.assert_close(plain_in.reprs, hooked_in.reprs)
    torch.testing.assert_close(plain_in.scores, hooked_in.scores)
    torch.testing.assert_close(plain_out.scores, hooked_out.scores)
    reachable = plain_out.scores > NEG_INF / 2  # unreachable cells: zeros either way
    torch.testing.assert_close(plain_out.reprs[reachable], hooked_out.reprs[reachable])
    assert hooked_in.features.shape == (schedule.n_cells, 8)


def test_hooked_passes_pass_gradcheck():
    lengths, orders = [4, 2], [[1, 0, 2], []]  # small: gradcheck's full mode, one backward pass per output
    schedule = build_schedule(lengths, window=1, merge_orders=orders)
    net = Hooked(dim=2, seed=4)
    words = torch.randn((sum(lengths), 2), dtype=torch.float64, requires_grad=True)
    root = torch.randn(2, dtype=torch.float64, requires_grad=True)

    def run(words, root):
        _, (ins, out) = net.both(schedule, words, root)
        return out.reprs, out.scores, ins.reprs

    assert torch.autograd.gradcheck(run, (words, root), eps=1e-6, atol=1e-6)


def test_one_word_sentences_have_no_context_cells():
    left, right = context_cells(build_schedule([1, 1], window=4))
    assert left.tolist() == right.tolist() == [-1, -1]


@pytest.mark.parametrize("window", [1, 2, 3, 20])
def test_context_cells_are_the_longest_cells_beside_each_word(window):
    """Brute force over the chart's spans: the longest cell ending just before / starting just after."""
    rng = np.random.default_rng(window)
    lengths = [1, 2, 7, 12, 5]
    orders = [rng.permutation(max(n - 1, 0)) for n in lengths]
    schedule = build_schedule(lengths, window=window, merge_orders=orders)
    left, right = context_cells(schedule)
    assert left.shape == right.shape == (sum(lengths),)
    spans = {tuple(row) for row in schedule.spans.tolist()}
    word = 0
    for b, n in enumerate(lengths):
        for i in range(n):
            before = [(b, s, i - 1) for s in range(i) if (b, s, i - 1) in spans]
            after = [(b, i + 1, e) for e in range(n - 1, i, -1) if (b, i + 1, e) in spans]
            got = [None if c < 0 else tuple(schedule.spans[c].tolist()) for c in (left[word], right[word])]
            assert got == [before[0] if before else None, after[0] if after else None]
            if window >= n - 1:  # full CKY: the whole prefix and suffix
                assert got[0] in (None, (b, 0, i - 1)) and got[1] in (None, (b, i + 1, n - 1))
            word += 1
