"""StructFormer (Shen et al. 2021): dependency and constituency structure from masked language modelling.

"StructFormer: Joint Unsupervised Induction of Dependency and Constituency Structure from
Masked Language Modeling" (ACL 2021). A small convolutional *parser network* reads the
sentence and gives every word a *height* and every gap between neighbouring words a
*distance*. From them, differentiably:

1. the probability that word ``i``'s constituent — the largest span around ``i`` in which
   every inner gap is lower than ``i`` — has left end ``l`` and right end ``r``
   (:func:`span_probabilities`; "gap ``k`` is inside" is ``sigmoid((height_i - distance_k) *
   s0)``, and the span reaches ``l`` when all gaps ``l .. i-1`` are inside, the soft *and*
   being the minimum, as in the paper);
2. the parent distribution: ``p(parent(i) = j)`` sums, over the spans ``[l, r]`` of ``i``,
   their probability times the probability that ``j`` heads the span, a softmax of
   ``height * s1`` over ``l .. r`` (:func:`parent_probabilities`); the child distribution
   is its transpose;
3. a transformer encoder whose self-attention is *dependency-constrained*: attention weights
   are ``sigmoid(q·k / sqrt(d))`` times a per-layer, per-head mixture (softmax weights) of the
   parent and child distributions, so that each head learns whether to look at parents or
   children; it is trained to predict masked words.

Decoding: the constituency tree splits the sentence top-down at the largest distance
(:func:`split_tree_spans`; ties go to the leftmost gap, so the tree is always binary); the
dependency root is the highest word and every other word takes the argmax of its parent
distribution — when that graph has a cycle (it rarely does), the maximum spanning
arborescence of the parent probabilities under the same root (Chu-Liu/Edmonds,
:func:`max_spanning_heads`), which equals the argmax whenever the argmax is a tree.

Differences from the official code (google-research/structformer), none of which changes
the model: the parent distribution is computed in O(L³) with cumulative log-sum-exps
instead of an O(L⁴) product with an explicit (L, L, L) softmax table (in float64); the calibration margin
subtracted from the distances is taken per sentence rather than over the whole batch (so a
parse does not depend on the sentences batched with it); the structure is computed in
float32 (the parent distribution in float64) even under mixed precision.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from parsing.base import InducedParser
from structnlp.errors import StructNLPError
from structnlp.params import check_int

__all__ = [
    "StructFormerNetwork",
    "StructFormerParser",
    "max_spanning_heads",
    "parent_probabilities",
    "span_probabilities",
    "split_tree_spans",
]

_BIG = 1e9  # distance of the gap after a sentence's last word: nothing crosses it


# --------------------------------------------------------------------------- structure


def span_probabilities(
    distance: torch.Tensor, height: torch.Tensor, scale: torch.Tensor | float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Distributions of the left and right ends of every word's constituent.

    ``distance`` (B, L): ``distance[b, k]`` separates words ``k`` and ``k + 1`` (use a huge
    value after the last word); ``height`` (B, L). Returns ``(left, right)``, both (B, L, L):
    ``left[b, i, l]`` is the probability that word ``i``'s constituent starts at ``l`` (zero
    for ``l > i``), ``right[b, i, r]`` that it ends at ``r`` inclusive (zero for ``r < i``).
    Gap ``k`` lies inside with probability ``g_ik = sigmoid((height_i - distance_k) * scale)``;
    ``P(start <= l) = min(g_il, ..., g_i,i-1)`` and ``P(end >= r) = min(g_ii, ..., g_i,r-1)``.

    >>> d = torch.tensor([[0.0, 1e9]]); h = torch.tensor([[1.0, -1.0]])
    >>> left, right = span_probabilities(d, h, 50.0)
    >>> right[0].round(decimals=3).tolist()   # word 0 reaches over gap 0, word 1 does not
    [[0.0, 1.0], [0.0, 1.0]]
    """
    length = distance.shape[1]
    inside = torch.sigmoid((height[:, :, None] - distance[:, None, :]) * scale)  # (B, i, k)
    index = torch.arange(length, device=distance.device)
    before = index[None, :] < index[:, None]  # k < i
    ones = torch.ones_like(inside)
    # P(start <= l): min over gaps l..i-1 (1 when l >= i)
    reach_left = torch.where(before, inside, ones).flip(-1).cummin(-1).values.flip(-1)
    left = reach_left - F.pad(reach_left[:, :, :-1], (1, 0), value=0.0)
    left = left * (~(index[None, :] > index[:, None])).to(left.dtype)
    # P(end >= r): min over gaps i..r-1 (1 when r <= i)
    right_gaps = torch.where(before, ones, inside)
    reach_right = F.pad(right_gaps[:, :, :-1], (1, 0), value=1.0).cummin(-1).values
    right = reach_right - F.pad(reach_right[:, :, 1:], (0, 1), value=0.0)
    right = right * (~(index[None, :] < index[:, None])).to(right.dtype)
    return left, right


def parent_probabilities(
    left: torch.Tensor,
    right: torch.Tensor,
    height: torch.Tensor,
    scale: torch.Tensor | float,
    mask: torch.Tensor,
) -> torch.Tensor:
    """The parent distribution ``p[b, i, j] = P(parent(i) = j)`` (zero on the diagonal), (B, L, L).

    ``p[i, j] = sum over l <= j <= r of left[i, l] * right[i, r] * softmax_{l..r}(height * scale)[j]``:
    the head of ``i``'s constituent, chosen by height inside it, is ``i``'s parent. Rows do
    not sum to one: the mass of ``j = i`` (``i`` heads its own constituent) is dropped, as in
    StructFormer. Computed in O(L³) rather than O(L⁴) by factoring the softmax:
    ``p[i, j] = e_j * sum_{l<=j} sum_{r>=j} left[i,l] right[i,r] / Z(l,r)`` with
    ``e = exp(x - max x)``, ``x = height * scale`` and ``Z(l,r) = e_l + ... + e_r`` (cumulative
    sums of positive terms only, in float64; words more than 300 nats below the sentence's
    highest are floored there, where their softmax weight is below 1e-130 anyway). Padding
    (``mask`` False) gets no mass. Returns float64.

    >>> d = torch.tensor([[1.0, 5.0, 1e9]])     # "the cat sleeps": (the cat) first, then sleeps
    >>> h = torch.tensor([[2.0, 6.0, 9.0]])     # sleeps highest, cat above the
    >>> left, right = span_probabilities(d, h, 50.0)
    >>> p = parent_probabilities(left, right, h, 50.0, torch.ones(1, 3, dtype=torch.bool))
    >>> p[0].round(decimals=3).tolist()         # the -> cat, cat -> sleeps, sleeps: root
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    length = height.shape[1]
    index = torch.arange(length, device=height.device)
    wide = torch.float64
    x = height.to(wide) * (scale.to(wide) if isinstance(scale, torch.Tensor) else scale)
    top = x.masked_fill(~mask, -math.inf).max(dim=1, keepdim=True).values
    e = torch.exp((x - top).clamp_min(-300.0)) * mask.to(wide)
    upper = index[None, :] >= index[:, None]  # (l, r): l <= r
    z = (e[:, None, :] * upper.to(wide)).cumsum(-1)  # z[b, l, r] = e_l + ... + e_r
    valid = upper[None] & mask[:, :, None] & mask[:, None, :]
    inverse = torch.where(valid, 1.0 / torch.where(valid, z, torch.ones_like(z)), torch.zeros_like(z))
    # a[b, i, l, s] with s = L - 1 - r, so that forward cumulative sums over s sum over r >= r'
    a = left.to(wide)[:, :, :, None] * right.to(wide).flip(-1)[:, :, None, :] * inverse.flip(-1)[:, None]
    c = a.cumsum(dim=2).cumsum(dim=3)  # c[b, i, l', s'] = sum over l <= l', r >= L - 1 - s'
    parent = c[:, :, index, length - 1 - index] * e[:, None, :]  # l' = r' = j
    eye = torch.eye(length, dtype=torch.bool, device=height.device)
    keep = mask[:, :, None] & mask[:, None, :] & ~eye
    return parent * keep.to(wide)


def split_tree_spans(distances: np.ndarray | list[float]) -> set[tuple[int, int]]:
    """Spans of the binary tree that splits top-down at the largest distance (leftmost on ties).

    ``distances[k]`` separates words ``k`` and ``k + 1`` (``n - 1`` values for ``n`` words).
    Returns every node's half-open span, single words and the whole sentence included.

    >>> sorted(split_tree_spans([1.0, 3.0, 2.0]), key=lambda s: (s[0], -s[1]))
    [(0, 4), (0, 2), (0, 1), (1, 2), (2, 4), (2, 3), (3, 4)]
    >>> sorted(split_tree_spans([0.5, 0.5]))   # a tie splits at the leftmost gap
    [(0, 1), (0, 3), (1, 2), (1, 3), (2, 3)]
    """
    d = np.asarray(distances, dtype=np.float64)
    n = d.shape[0] + 1
    spans = set()
    stack = [(0, n)]
    while stack:
        lo, hi = stack.pop()
        spans.add((lo, hi))
        if hi - lo >= 2:
            cut = lo + 1 + int(np.argmax(d[lo : hi - 1]))
            stack.extend(((lo, cut), (cut, hi)))
    return spans


def _find_cycle(parents: list[int]) -> list[int] | None:
    """Some cycle of a parent-pointer graph (``parents[v]`` = parent of ``v``, -1 for none), or None."""
    state = [0] * len(parents)  # 0 new, 1 on the current path, 2 done
    for start in range(len(parents)):
        path = []
        node = start
        while node >= 0 and state[node] == 0:
            state[node] = 1
            path.append(node)
            node = parents[node]
        if node >= 0 and state[node] == 1:
            return path[path.index(node) :]
        for p in path:
            state[p] = 2
    return None


def _arborescence(scores: np.ndarray) -> list[int]:
    """Chu-Liu/Edmonds: maximum spanning arborescence rooted at node 0 of ``scores[dep, head]``.

    Returns the head of every node (entry 0 is -1). ``-inf`` marks impossible edges.
    """
    n = scores.shape[0]
    s = scores.copy()
    np.fill_diagonal(s, -np.inf)
    s[0, :] = -np.inf
    heads = [-1] + [int(np.argmax(s[d])) for d in range(1, n)]
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    # contract the cycle into one new node
    in_cycle = set(cycle)
    rest = [v for v in range(n) if v not in in_cycle]  # node 0 is among them
    index = {v: k for k, v in enumerate(rest)}
    c = len(rest)
    m = np.full((c + 1, c + 1), -np.inf)
    cycle_score = sum(s[v, heads[v]] for v in cycle)
    enter_from: dict[int, int] = {}
    leave_to: dict[int, int] = {}
    for v in rest:
        for u in rest:
            m[index[v], index[u]] = s[v, u]
        # edge cycle -> v: best head inside the cycle
        inner = max(cycle, key=lambda w: s[v, w])
        m[index[v], c] = s[v, inner]
        leave_to[v] = inner
        # edge v -> cycle: best cycle node to break into
        gains = [s[w, v] - s[w, heads[w]] for w in cycle]
        best = int(np.argmax(gains))
        m[c, index[v]] = cycle_score + gains[best]
        enter_from[v] = cycle[best]
    contracted = _arborescence(m)
    result = list(heads)
    for v in rest:
        if v == 0:
            continue
        h = contracted[index[v]]
        result[v] = leave_to[v] if h == c else rest[h]
    entry_head = rest[contracted[c]]
    broken = enter_from[entry_head]
    result[broken] = entry_head
    return result


def max_spanning_heads(parent: np.ndarray, root: int) -> list[int]:
    """Heads (1-based, 0 = root) maximising the product of parent probabilities, with ``root`` fixed.

    ``parent[i, j]`` is the probability that word ``j`` heads word ``i`` (0-based). The argmax
    of every row when that is a tree, otherwise the Chu-Liu/Edmonds maximum spanning
    arborescence of the log-probabilities.

    >>> p = np.array([[0, .6, .4], [.7, 0, .3], [.5, .5, 0]])   # words 0 and 1 prefer each other
    >>> max_spanning_heads(p, root=2)
    [3, 1, 0]
    """
    n = parent.shape[0]
    if not 0 <= root < n:
        raise StructNLPError(f"root {root} outside a sentence of {n} words")
    # zero probability becomes a finite, never preferred score (-inf would forbid the edge)
    logp = np.log(np.clip(np.asarray(parent, dtype=np.float64), 1e-300, None))
    np.fill_diagonal(logp, -np.inf)
    greedy = [0 if i == root else int(np.argmax(logp[i])) + 1 for i in range(n)]
    if _find_cycle([h - 1 for h in greedy]) is None:
        return greedy
    scores = np.full((n + 1, n + 1), -np.inf)  # node 0 = artificial root, node i + 1 = word i
    scores[1:, 1:] = logp
    scores[root + 1, 0] = 0.0
    heads = _arborescence(scores)
    return [int(h) for h in heads[1:]]


# --------------------------------------------------------------------------- network


class _Conv(nn.Module):
    """1-d convolution over the words keeping the length (an even kernel looks one word ahead)."""

    def __init__(self, hidden: int, kernel: int):
        super().__init__()
        self.shift = kernel % 2 == 0
        self.conv = nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x.transpose(1, 2)).transpose(1, 2)
        return out[:, 1:] if self.shift else out


class _Layer(nn.Module):
    """Pre-norm transformer layer with dependency-constrained (sigmoid x mask) attention."""

    def __init__(self, hidden: int, n_heads: int, dropout: float, dropatt: float):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.feedforward = nn.Sequential(
            nn.LayerNorm(hidden),
            nn.Linear(hidden, 4 * hidden),
            nn.LeakyReLU(),
            nn.Dropout(dropout),
            nn.Linear(4 * hidden, hidden),
        )
        self.drop = nn.Dropout(dropout)
        self.dropatt = nn.Dropout(dropatt)
        nn.init.xavier_uniform_(self.qkv.weight)
        nn.init.zeros_(self.qkv.bias)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, h: torch.Tensor, relation: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = h.shape
        q, k, v = self.qkv(self.norm(h)).view(batch, length, 3, self.n_heads, -1).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, L, d)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        weights = self.dropatt(torch.sigmoid(scores) * relation.to(scores.dtype))
        attended = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, hidden)
        h = h + self.drop(self.out(attended))
        return h + self.drop(self.feedforward(h))


class StructFormerNetwork(nn.Module):
    """The StructFormer network: parser convolutions, structure, constrained transformer, MLM head."""

    def __init__(
        self,
        n_words: int,
        hidden_size: int = 256,
        n_layers: int = 4,
        n_heads: int = 8,
        n_parser_layers: int = 3,
        conv_size: int = 9,
        dropout: float = 0.1,
        dropatt: float = 0.0,
        max_positions: int = 256,
    ):
        super().__init__()
        self.embedding = nn.Embedding(n_words, hidden_size)
        self.positions = nn.Embedding(max_positions, hidden_size)
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.uniform_(self.positions.weight, -0.1, 0.1)
        self.parser_layers = nn.ModuleList(
            nn.Sequential(
                _Conv(hidden_size, conv_size), nn.LayerNorm(hidden_size, elementwise_affine=False), nn.Tanh()
            )
            for _ in range(n_parser_layers)
        )
        self.distance_ff = nn.Sequential(
            _Conv(hidden_size, 2),
            nn.LayerNorm(hidden_size, elementwise_affine=False),
            nn.Tanh(),
            nn.Linear(hidden_size, 1),
        )
        self.height_ff = nn.Sequential(
            nn.Linear(hidden_size, hidden_size),
            nn.LayerNorm(hidden_size, elementwise_affine=False),
            nn.Tanh(),
            nn.Linear(hidden_size, 1),
        )
        self.relation_logits = nn.Parameter(torch.randn(n_layers, n_heads, 2) * 0.1)  # parent, child
        self.log_scale = nn.Parameter(torch.zeros(2))
        self.layers = nn.ModuleList(_Layer(hidden_size, n_heads, dropout, dropatt) for _ in range(n_layers))
        self.norm = nn.LayerNorm(hidden_size)
        self.drop = nn.Dropout(dropout)
        self.output_bias = nn.Parameter(torch.zeros(n_words))
        self.max_positions = max_positions

    def structure(
        self, ids: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Calibrated distances (B, L), heights (B, L) and parent probabilities (B, L, L)."""
        h = self.embedding(ids)
        for layer in self.parser_layers:
            h = layer(h.masked_fill(~mask[:, :, None], 0.0))
        with torch.autocast(device_type=ids.device.type, enabled=False):
            h = h.float()
            height = self.height_ff(h).squeeze(-1).masked_fill(~mask, -_BIG)
            next_real = F.pad(mask[:, 1:], (0, 1), value=False)
            distance = self.distance_ff(h).squeeze(-1).masked_fill(~next_real, _BIG)
            distance = distance - self._margin(distance, height, mask, next_real)[:, None]
            scale = self.log_scale.float().exp()
            left, right = span_probabilities(distance, height, scale[0])
            parent = parent_probabilities(left, right, height, scale[1], mask)
        return distance, height, parent

    @staticmethod
    def _margin(distance: torch.Tensor, height: torch.Tensor, mask: torch.Tensor, next_real: torch.Tensor):
        """Per sentence, the largest amount by which both gaps around a span exceed its highest word.

        Subtracting it brings distances and heights to one scale: afterwards every span has a
        boundary gap no higher than its highest word (StructFormer's calibration).
        """
        length = distance.shape[1]
        index = torch.arange(length, device=distance.device)
        upper = index[None, :] >= index[:, None]
        span_max = height[:, None, :].expand(-1, length, -1).masked_fill(~upper, -_BIG).cummax(-1).values
        before = F.pad(distance[:, :-1], (1, 0), value=_BIG)  # gap before word i
        margin_left = torch.relu(before[:, :, None] - span_max)
        margin_right = torch.relu(distance[:, None, :] - span_max)
        margin = torch.minimum(margin_left, margin_right)
        valid = upper & torch.where((index == 0)[None, :, None], next_real[:, None, :], mask[:, None, :])
        return margin.masked_fill(~valid, 0.0).flatten(1).max(dim=1).values

    def relations(self, parent: torch.Tensor) -> torch.Tensor:
        """Per layer and head, the attention mask mixing parents and children: (layers, B, H, L, L)."""
        weights = torch.softmax(self.relation_logits.float(), dim=-1)  # (layers, H, 2)
        parent = parent.float()
        stacked = torch.stack((parent, parent.transpose(1, 2)), dim=1)  # (B, 2, L, L)
        return torch.einsum("lhr,brij->lbhij", weights, stacked)

    def forward(
        self, ids: torch.Tensor, mask: torch.Tensor, select: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Vocabulary logits of the ``select``-ed positions (N, V), or of all (B, L, V) when None."""
        length = ids.shape[1]
        if length > self.max_positions:
            raise StructNLPError(
                f"sentence of {length} words; this network takes at most {self.max_positions}"
            )
        _, _, parent = self.structure(ids, mask)
        relation = self.relations(parent)
        positions = torch.arange(length, device=ids.device)
        h = self.drop(self.embedding(ids) + self.positions(positions)[None])
        for layer, rel in zip(self.layers, relation, strict=True):
            h = layer(h, rel)
        h = self.drop(self.norm(h))
        if select is not None:
            h = h[select]
        return F.linear(h, self.embedding.weight, self.output_bias)


# --------------------------------------------------------------------------- estimator


class StructFormerParser(InducedParser):
    """Unsupervised constituency and dependency parser trained by masked language modelling.

    Network: ``hidden_size`` units, ``n_layers`` transformer layers of ``n_heads`` heads,
    ``n_parser_layers`` convolutions of width ``conv_size`` in the parser, ``dropout`` and
    ``dropatt`` (attention dropout). The shared parameters (tokenizer, lower-casing,
    punctuation, vocabulary, training and device) are those of
    :class:`parsing.base.InducedParser`, whose docstring also says what happens to
    punctuation, numbers, unknown and very long sentences.

    >>> sentences = ["the cat sat on the mat", "a dog sat on a log", "the dog saw a cat"] * 4
    >>> p = StructFormerParser(hidden_size=16, n_layers=1, n_heads=2, n_parser_layers=1,
    ...                        min_count=1, max_steps=2, device="cpu", random_state=0).fit(sentences)
    >>> r = p.parse("The dog sat on the mat .")
    >>> r.tokens, len(r.tree.leaves()), sorted(r.heads).count(0)
    (['The', 'dog', 'sat', 'on', 'the', 'mat', '.'], 7, 1)
    """

    _model_class = "StructFormerParser"

    def __init__(
        self,
        hidden_size: int = 256,
        n_layers: int = 4,
        n_heads: int = 8,
        n_parser_layers: int = 3,
        conv_size: int = 9,
        dropout: float = 0.1,
        dropatt: float = 0.0,
        *,
        tokenizer: Any = "nltk",
        lowercase: bool = True,
        normalize_numbers: bool = True,
        punctuation: str = "attach",
        min_count: int = 2,
        max_vocab: int | None = 10_000,
        max_length: int = 128,
        max_train_length: int = 64,
        mask_rate: float = 0.3,
        lr: float = 3e-4,
        weight_decay: float = 1.2e-6,
        warmup_steps: int = 100,
        lr_schedule: str = "constant",
        max_epochs: int = 10,
        max_steps: int | None = None,
        max_minutes: float | None = None,
        batch_tokens: int = 4096,
        amp: bool = False,
        device: str = "auto",
        random_state: Any = None,
        verbose: bool = False,
        warm_start: bool = False,
    ):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.n_parser_layers = n_parser_layers
        self.conv_size = conv_size
        self.dropout = dropout
        self.dropatt = dropatt
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.normalize_numbers = normalize_numbers
        self.punctuation = punctuation
        self.min_count = min_count
        self.max_vocab = max_vocab
        self.max_length = max_length
        self.max_train_length = max_train_length
        self.mask_rate = mask_rate
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_steps = warmup_steps
        self.lr_schedule = lr_schedule
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.max_minutes = max_minutes
        self.batch_tokens = batch_tokens
        self.amp = amp
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _check_model_params(self) -> None:
        name = type(self).__name__
        check_int(f"{name}: hidden_size", self.hidden_size, 1)
        check_int(f"{name}: n_layers", self.n_layers, 1)
        check_int(f"{name}: n_heads", self.n_heads, 1)
        check_int(f"{name}: n_parser_layers", self.n_parser_layers, 1)
        check_int(f"{name}: conv_size", self.conv_size, 1)
        if self.hidden_size % self.n_heads:
            raise StructNLPError(
                f"{name}: hidden_size ({self.hidden_size}) must be a multiple of n_heads ({self.n_heads})"
            )
        for key in ("dropout", "dropatt"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise StructNLPError(f"{name}: {key} must be a number in [0, 1), got {value!r}")

    def _build_network(self, n_words: int) -> StructFormerNetwork:
        return StructFormerNetwork(
            n_words,
            hidden_size=self.hidden_size,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            n_parser_layers=self.n_parser_layers,
            conv_size=self.conv_size,
            dropout=self.dropout,
            dropatt=self.dropatt,
            max_positions=max(self.max_length, self.max_train_length),
        )

    def _decode(self, network: torch.nn.Module, batch: Any) -> list[Any]:
        from parsing.api import ParseResult
        from structnlp.trees import spans_to_tree

        distance, height, parent = network.structure(batch.ids, batch.mask)
        distance, height, parent = (t.double().cpu().numpy() for t in (distance, height, parent))
        results = []
        for k, words in enumerate(batch.words):
            n = len(words)
            spans = split_tree_spans(distance[k, : n - 1])
            root = int(np.argmax(height[k, :n]))
            heads = max_spanning_heads(parent[k, :n, :n], root)
            results.append(ParseResult(list(words), spans_to_tree(spans, words), heads))
        return results

    def structure(self, sentence: Any) -> dict[str, Any]:
        """The raw induced structure of one sentence: words, distances, heights, parent probabilities.

        ``words`` are the normalised words the network sees (punctuation removed with
        ``punctuation="attach"``); ``distances`` has one value per gap between them; ``parent``
        is the (n, n) matrix of parent probabilities. For inspection and plotting. A sentence
        of more than ``max_length`` words is parsed in windows, so only its first window (the
        first ``max_length`` words, which ``words`` lists) has one structure: that one is returned.
        """
        tokens = self._tokens(sentence, "sentence", None)
        if not tokens:
            raise StructNLPError("sentence is empty: there is nothing to parse")
        words = self._words(tokens)[0][: self.max_length]
        network = self._network()
        device = next(network.parameters()).device
        ids = torch.from_numpy(self._encode(words))[None].to(device)
        with torch.no_grad():
            distance, height, parent = network.structure(ids, torch.ones_like(ids, dtype=torch.bool))
        n = len(words)
        return {
            "words": words,
            "distances": distance[0, : n - 1].double().cpu().numpy(),
            "heights": height[0].double().cpu().numpy(),
            "parent": parent[0].double().cpu().numpy(),
        }
