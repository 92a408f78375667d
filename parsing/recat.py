"""ReCAT: unsupervised constituency parsing with contextual inside-outside layers.

Hu et al., "Augmenting Transformers with Recursively Composed Multi-grained Representations"
(ICLR 2024). The network has three parts, trained together on raw sentences:

* a **top-down parser**: a BiLSTM over the words scores every gap between two words; the
  tree splits at the highest-scoring gap, then recursively inside each part. Parsing a
  sentence uses the parser alone: one BiLSTM pass, then the splitting;
* **contextual inside-outside (CIO) layers** over the pruned chart of :mod:`parsing.chart`
  (full CKY for spans of up to ``window + 1`` words, then the gaps merged in the parser's
  order, lowest score first, with Gumbel noise while training): the inside pass composes
  every cell from each of its splits, conditioned on the cell's outside representation
  from the previous layer, and averages them weighted by the softmax of learned split
  scores plus the children's inside scores; the outside pass gives every cell a
  representation of its context from its parents' outside and its siblings' inside
  representations. Each layer after the first starts from the words plus their outside
  representations from the layer before;
* a **word predictor** that the composition model learns from (``objective``): the paper's
  small transformer over the outside representations of the nodes of the best (Viterbi)
  tree of the last layer, trained by masked language modelling (``"mlm"``), or, by default,
  R2D2's bidirectional language model (``"bilm"``): every word predicted from the inside
  representations of the chart cells just before and just after it, with one CIO layer.
  Measured on the PTB sample, the masked-LM loss hardly depends on the tree, while the
  bidirectional LM trains trees well above right-branching ones (docs/recat.md).

The parser learns by *self-distillation*: at every node of the chart's best tree it is
trained to pick the node's split among the gaps of the node's span (cross-entropy), so it
learns the trees that the composition model finds best for predicting words, and its own
merge order decides which trees the next chart contains.

Differences from the paper's code, chosen for speed on small hardware (docs/recat.md has
more): the composition is an MLP over per-cell projections of the children and the parent
context, with its output layer and normalisation applied once per cell to the average of
the splits' hidden vectors (the paper runs a one-query attention block per split); inside
scores are log-sum-exps (the paper propagates the softmax-weighted mean of the split
scores); the best tree is the chart's exact Viterbi tree; the word inputs of later layers
add the word embedding to the outside representation; every score starts at exactly zero,
so that training starts from right-branching trees (:class:`CIOLayer`). ReCAT induces no
dependency heads: results have ``heads=None``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from parsing.base import PAD_ID, Batch, InducedParser
from parsing.chart import (
    ChartSchedule,
    InsideResult,
    OutsideResult,
    best_tree_nodes,
    build_schedule,
    context_cells,
    inside,
    merge_orders_from_scores,
    outside,
)
from structnlp.errors import StructNLPError
from structnlp.params import check_int

__all__ = ["OBJECTIVES", "ReCATNetwork", "ReCATParser", "split_spans"]

#: Training objectives of :class:`ReCATParser` (``objective``); see :class:`ReCATNetwork`.
OBJECTIVES = ("bilm", "mlm")


def split_spans(scores: np.ndarray | list[float]) -> set[tuple[int, int]]:
    """Spans of the binary tree that splits top-down at the highest-scoring gap (leftmost on ties).

    ``scores[g]`` is the score of the gap between words ``g`` and ``g + 1``. Returns every
    node's half-open span, the single words and the whole sentence included. This is the
    tree that :func:`parsing.chart.merge_orders_from_scores` merges bottom-up.

    >>> sorted(split_spans([0.1, 0.9, 0.5]), key=lambda s: (s[0], -s[1]))
    [(0, 4), (0, 2), (0, 1), (1, 2), (2, 4), (2, 3), (3, 4)]
    """
    values = np.asarray(scores, dtype=np.float64)
    n = values.shape[0] + 1
    spans = set()
    stack = [(0, n)]
    while stack:
        lo, hi = stack.pop()
        spans.add((lo, hi))
        if hi - lo >= 2:
            cut = lo + 1 + int(np.argmax(values[lo : hi - 1]))
            stack.extend(((lo, cut), (cut, hi)))
    return spans


class TopDownParser(nn.Module):
    """BiLSTM gap scorer: ``forward(ids, mask) -> (B, L - 1)`` split scores (padding gaps are junk)."""

    def __init__(self, n_words: int, dim: int, dropout: float):
        super().__init__()
        self.embedding = nn.Embedding(n_words, dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.norm = nn.LayerNorm(dim)
        self.score = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim, 1))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length = ids.shape
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embedding(ids), lengths, batch_first=True, enforce_sorted=False
        )
        with torch.autocast(ids.device.type, enabled=False):  # small; and oneDNN has no bfloat16 LSTM
            states, _ = self.lstm(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True, total_length=length)
        states = self.norm(states.view(batch, length, 2, -1))
        gaps = torch.cat([states[:, :-1, 0], states[:, 1:, 1]], dim=-1)  # forward left, backward right
        return self.score(gaps).squeeze(-1).float()


class CIOLayer(nn.Module):
    """One contextual inside-outside layer: the ``compose``/``decompose`` functions of the chart passes.

    Per cell (once, not per split) the inside representation ``e`` is projected to
    ``A e, L e`` (composition and split score as a left child), ``B e, R e`` (as a right
    child) and ``S0 e, Q0 e, S1 e, Q1 e`` (outside composition and score as a right / left
    sibling); the outside representation ``o`` to ``P o`` and ``O o``. A split has score
    ``L left · R right / sqrt(k)`` and hidden vector ``gelu(A left + B right + C context)``,
    a context score ``O parent · Q sibling / sqrt(k)`` and hidden vector
    ``gelu(P parent + S sibling)``. A cell is ``norm(W h + b)`` of the softmax-weighted
    average ``h`` of its splits' (inside) or contexts' (outside) hidden vectors: the output
    map ``W`` runs once per cell, not once per split.
    """

    def __init__(self, dim: int, hidden: int, score_dim: int, contextual: bool = True):
        super().__init__()
        h, k = hidden, score_dim
        self.hidden, self.score_dim = h, k
        self.inside_proj = nn.Linear(dim, 2 * h + 2 * k)
        self.sibling_proj = nn.Linear(dim, 2 * h + 2 * k)
        self.inside_out = nn.Linear(h, dim)
        self.inside_norm = nn.LayerNorm(dim)
        self.outside_proj = nn.Linear(dim, h + k)
        self.outside_out = nn.Linear(h, dim)
        self.outside_norm = nn.LayerNorm(dim)
        # later layers read the previous layer's outside representations (the first has none)
        self.context_proj = nn.Linear(dim, h, bias=False) if contextual else None
        self.word_norm = nn.LayerNorm(dim) if contextual else None
        self.root = nn.Parameter(torch.randn(dim) * 0.02)
        self._scale = 1.0 / math.sqrt(k)
        # Every split and context score starts at exactly 0 (one factor of each bilinear score is
        # zero): random projections would otherwise prefer some tree shapes before anything is
        # learned (left-branching ones, measured). With all scores tied, the best tree is the
        # right-branching one (ties go to the leftmost split) until the scores learn. The zero
        # factor of the split score is the left child's (L): it takes the first gradient steps
        # and so decides which side the scores tilt to. Zeroing R instead let the GPU-trained
        # model of docs/recat.md collapse into left-branching trees (sentence F1 8); zeroing L
        # kept them near right-branching while the tree learned (39-40).
        with torch.no_grad():
            for layer, rows in (
                (self.inside_proj, slice(h, h + k)),  # L
                (self.sibling_proj, slice(h, h + k)),  # Q0
                (self.sibling_proj, slice(2 * h + k, 2 * h + 2 * k)),  # Q1
            ):
                layer.weight[rows].zero_()
                layer.bias[rows].zero_()
            self.inside_proj.bias[2 * h + k :].zero_()  # R: random weights, no offset

    def project(self, reprs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A cell's features as a left child (``A e | L e``) and as a right child (``B e | R e``)."""
        as_left, as_right = self.inside_proj(reprs).chunk(2, dim=-1)
        return as_left, as_right

    def compose(
        self, left: torch.Tensor, right: torch.Tensor, context: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        sizes = [self.hidden, self.score_dim]
        (a, ul), (b, ur) = left.split(sizes, dim=-1), right.split(sizes, dim=-1)
        hid = a + b if context is None else a + b + context.unsqueeze(1)
        return (ul * ur).sum(-1) * self._scale, F.gelu(hid)

    def finish_inside(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.inside_norm(self.inside_out(hidden))

    def decompose(
        self, parent: torch.Tensor, sibling: torch.Tensor, sides: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        sizes = [self.hidden, self.score_dim]  # ``sibling`` holds the side's S and Q (see ``forward``)
        (p, o), (s, q) = parent.split(sizes, dim=-1), sibling.split(sizes, dim=-1)
        return (o * q).sum(-1) * self._scale, F.gelu(p + s)

    def finish_outside(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.outside_norm(self.outside_out(hidden))

    def forward(
        self,
        schedule: ChartSchedule,
        words: torch.Tensor,
        previous: OutsideResult | None,
        with_outside: bool = True,
    ) -> tuple[InsideResult, OutsideResult | None]:
        """The inside pass, then (``with_outside``) the outside pass, over the chart ``schedule``."""
        width = self.hidden + self.score_dim
        context = None
        if previous is not None:
            if self.context_proj is None or self.word_norm is None:
                raise StructNLPError("the first CIO layer takes no previous layer")
            words = self.word_norm(words + previous.reprs[: schedule.n_words])
            context = self.context_proj(previous.reprs)
        ins = inside(schedule, words, self.compose, context, self.project, self.finish_inside)
        if not with_outside:
            return ins, None
        # rows 0..n-1: S0|Q0 (cell as a right sibling), rows n..2n-1: S1|Q1 (as a left sibling)
        siblings = self.sibling_proj(ins.reprs)
        siblings = torch.cat([siblings[:, :width], siblings[:, width:]])
        out = outside(
            schedule, ins, self.root, self.decompose, self.outside_proj, siblings, self.finish_outside
        )
        return ins, out


@dataclasses.dataclass
class ChartOutput:
    """Everything one forward pass computed: the chart, its best trees and the last layer's passes.

    ``nodes`` are the best trees' nodes, rows ``(sentence, cell, i, k, j)`` (see
    :func:`parsing.chart.best_tree_nodes`).
    """

    schedule: ChartSchedule
    nodes: np.ndarray
    inside: InsideResult
    outside: OutsideResult | None  # None for the bidirectional LM, which reads inside cells only
    parser_scores: torch.Tensor


class ReCATNetwork(nn.Module):
    """Parser + CIO layers + a word predictor; ``forward(ids, mask, select)`` returns word logits.

    The contract of :class:`parsing.base.InducedParser` networks, plus ``return_parser_loss``
    (also return the self-distillation loss of the parser) and ``parser_ids`` (the unmasked
    words the parser is distilled on when ``ids`` hold ``<mask>``; the chart's merge order
    always comes from ``ids``).

    What predicts the words depends on ``objective``. ``"mlm"`` (the paper's): ``n_layers``
    CIO layers and a transformer over the outside representations of the best tree's nodes,
    which predicts ``<mask>`` words at their leaves. ``"bilm"`` (R2D2's, Hu et al. 2021): one
    CIO layer, no transformer; every word is predicted from the inside representations of
    its two :func:`parsing.chart.context_cells`, the longest cells that end just before it and
    start just after it, so the words need no masking, and how well a cell's composition
    sums up its words (which depends on the split weights) is what the loss rewards.
    """

    def __init__(
        self,
        n_words: int,
        dim: int,
        n_layers: int,
        hidden: int,
        score_dim: int,
        parser_dim: int,
        n_transformer_layers: int,
        n_heads: int,
        window: int,
        dropout: float,
        parser_noise: float,
        objective: str = "mlm",
    ):
        super().__init__()
        if objective not in OBJECTIVES:
            raise StructNLPError(f"ReCATNetwork: objective must be one of {OBJECTIVES}, got {objective!r}")
        self.objective = objective
        self.window = window
        self.parser_noise = parser_noise
        self.embedding = nn.Embedding(n_words, dim, padding_idx=PAD_ID)
        self.embedding_norm = nn.LayerNorm(dim)
        self.parser = TopDownParser(n_words, parser_dim, dropout)
        # later layers read the whole sentence through the outside pass: their cells would
        # show the bidirectional LM the word it predicts
        n_cio = n_layers if objective == "mlm" else 1
        self.layers = nn.ModuleList(CIOLayer(dim, hidden, score_dim, contextual=i > 0) for i in range(n_cio))
        if objective == "mlm":
            self.node_type = nn.Embedding(2, dim)  # 0: internal node, 1: word
            layer = nn.TransformerEncoderLayer(
                dim, n_heads, 2 * dim, dropout, activation="gelu", batch_first=True, norm_first=True
            )
            self.transformer = nn.TransformerEncoder(layer, n_transformer_layers, enable_nested_tensor=False)
        else:  # stand-ins for the context before a sentence's first word and after its last
            self.context_ends = nn.Parameter(torch.randn(2, dim) * 0.02)
        width = dim if objective == "mlm" else 2 * dim
        self.head = nn.Sequential(nn.Linear(width, dim), nn.GELU(), nn.LayerNorm(dim))
        self.output_bias = nn.Parameter(torch.zeros(n_words))
        self.dropout = nn.Dropout(dropout)
        nn.init.normal_(self.embedding.weight, std=dim**-0.5)

    def merge_orders(self, scores: torch.Tensor, lengths: list[int]) -> list[np.ndarray]:
        """Merge orders from the parser's scores, with Gumbel noise while training (exploration)."""
        scores = scores.detach().float()
        if self.training and self.parser_noise > 0:
            uniform = torch.rand_like(scores).clamp_(1e-9, 1 - 1e-9)
            scores = scores - self.parser_noise * torch.log(-torch.log(uniform))
        return merge_orders_from_scores(scores, lengths)

    def chart(self, ids: torch.Tensor, mask: torch.Tensor) -> ChartOutput:
        """Run the parser, build the pruned chart and run every CIO layer over it.

        The parser reads the same (masked) words as the chart: a merge order computed from
        the hidden words would let the tree's shape tell the language model what they are.
        """
        lengths = mask.sum(dim=1).tolist()
        if min(lengths) < 1:
            raise StructNLPError("ReCATNetwork: every row of a batch needs at least one word")
        parser_scores = self.parser(ids, mask)
        schedule = build_schedule(lengths, self.window, self.merge_orders(parser_scores, lengths), ids.device)
        words = schedule.flatten(self.dropout(self.embedding_norm(self.embedding(ids))))
        ins = out = None
        for layer in self.layers:
            ins, out = layer(schedule, words, out, with_outside=self.objective == "mlm")
        return ChartOutput(schedule, best_tree_nodes(schedule, ins), ins, out, parser_scores)

    def parser_loss(self, chart: ChartOutput, scores: torch.Tensor | None = None) -> torch.Tensor:
        """Self-distillation: cross-entropy of the parser's choice of each best-tree node's split.

        ``scores`` are the parser's gap scores to train (default: those the chart was built with).
        """
        scores = chart.parser_scores if scores is None else scores
        internal = chart.nodes[chart.nodes[:, 3] >= 0]
        if not internal.shape[0]:
            return scores.sum() * 0.0
        rows, starts, splits, ends = torch.from_numpy(internal[:, [0, 2, 3, 4]].T.copy()).to(scores.device)
        gaps = torch.arange(scores.shape[1], device=scores.device)
        inside_span = (gaps >= starts[:, None]) & (gaps < ends[:, None])
        return F.cross_entropy(scores[rows].masked_fill(~inside_span, float("-inf")), splits)

    def node_outputs(self, chart: ChartOutput, length: int) -> torch.Tensor:
        """Transformer over the outside representations of each best tree's nodes -> (B, L, dim) at words."""
        nodes = chart.nodes
        batch = len(chart.schedule.lengths)
        bounds = np.searchsorted(nodes[:, 0], np.arange(batch + 1))
        counts = np.diff(bounds)
        slot = np.arange(nodes.shape[0]) - np.repeat(bounds[:-1], counts)
        cells = np.zeros((batch, int(counts.max())), dtype=np.int64)
        is_word = np.zeros_like(cells)
        real = np.zeros(cells.shape, dtype=bool)
        word_slot = np.zeros((batch, length), dtype=np.int64)
        cells[nodes[:, 0], slot] = nodes[:, 1]
        real[nodes[:, 0], slot] = True
        words = nodes[:, 3] < 0
        is_word[nodes[words, 0], slot[words]] = 1
        word_slot[nodes[words, 0], nodes[words, 2]] = slot[words]
        device = chart.outside.reprs.device
        cells_t, is_word_t, real_t, slot_t = (
            torch.from_numpy(a).to(device) for a in (cells, is_word, real, word_slot)
        )
        x = chart.outside.reprs[cells_t] + self.node_type(is_word_t)
        y = self.transformer(x, src_key_padding_mask=~real_t)
        return torch.gather(y, 1, slot_t.unsqueeze(-1).expand(-1, -1, y.shape[-1]))

    def context_states(self, chart: ChartOutput) -> torch.Tensor:
        """Every word's left and right context cells' inside representations: ``(n_words, 2 dim)``."""
        left, right = context_cells(chart.schedule)
        n_cells = chart.schedule.n_cells
        table = torch.cat([chart.inside.reprs, self.context_ends.to(chart.inside.reprs.dtype)])
        left = torch.from_numpy(np.where(left < 0, n_cells, left)).to(table.device)
        right = torch.from_numpy(np.where(right < 0, n_cells + 1, right)).to(table.device)
        return torch.cat([table[left], table[right]], dim=-1)

    def forward(
        self,
        ids: torch.Tensor,
        mask: torch.Tensor,
        select: torch.Tensor | None = None,
        *,
        parser_ids: torch.Tensor | None = None,
        return_parser_loss: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        chart = self.chart(ids, mask)
        if self.objective == "mlm":
            hidden = self.node_outputs(chart, ids.shape[1])
            hidden = hidden[select] if select is not None else hidden
        else:
            states = self.context_states(chart)  # the words in row-major order, as ``ids[mask]``
            if select is not None:
                hidden = states[select[mask]]
            else:
                hidden = states.new_zeros(*ids.shape, states.shape[-1])
                hidden[mask] = states
        logits = self.head(hidden) @ self.embedding.weight.t() + self.output_bias
        if not return_parser_loss:
            return logits
        # the parser learns the best trees from the whole sentences it will parse
        scores = None if parser_ids is None else self.parser(parser_ids, mask)
        return logits, self.parser_loss(chart, scores)


class ReCATParser(InducedParser):
    """Unsupervised constituency parser: ReCAT's inside-outside layers distilled into a top-down parser.

    Network: representations of ``hidden_size`` units, ``n_layers`` CIO layers (composition
    MLPs of ``compose_size`` units, default ``2 * hidden_size``; split scores of
    ``score_size``, default ``max(16, hidden_size // 4)``) over the pruned chart of width
    ``window``, a BiLSTM parser of ``parser_size`` units (default ``max(128, hidden_size)``)
    whose merge orders get Gumbel noise of scale ``parser_noise`` in training. The
    composition model learns from ``objective``: ``"bilm"`` (default; R2D2's bidirectional
    language model: each word predicted from the chart cells just before and after it, one
    CIO layer, nothing masked) or ``"mlm"`` (the paper's: masked language modelling by
    ``n_transformer_layers`` transformer layers of ``n_heads`` heads over the ``n_layers``
    CIO layers' best tree; ``mask_rate`` of the words hidden). ``n_layers``,
    ``n_transformer_layers``, ``n_heads`` and ``mask_rate`` apply to ``"mlm"`` only. On the
    PTB sample ``"bilm"`` trains better trees (docs/recat.md, "Training objectives"). The
    shared parameters (tokenizer, lower-casing, punctuation, vocabulary, training, device)
    are those of :class:`parsing.base.InducedParser`. The training loss is the word
    cross-entropy plus the parser's self-distillation loss. Results have a binary tree and
    no heads.

    >>> sentences = ["the cat sat on the mat", "a dog sat on a log", "the dog saw a cat"] * 4
    >>> p = ReCATParser(hidden_size=16, compose_size=16, score_size=8, parser_size=8, n_heads=2,
    ...                 min_count=1, max_steps=2, device="cpu", random_state=0).fit(sentences)
    >>> r = p.parse("The dog sat on the mat .")
    >>> r.tokens, len(r.tree.leaves()), r.heads
    (['The', 'dog', 'sat', 'on', 'the', 'mat', '.'], 7, None)
    """

    _model_class = "ReCATParser"

    def __init__(
        self,
        hidden_size: int = 128,
        n_layers: int = 2,
        compose_size: int | None = None,
        score_size: int | None = None,
        parser_size: int | None = None,
        n_transformer_layers: int = 1,
        n_heads: int = 4,
        window: int = 4,
        dropout: float = 0.1,
        parser_noise: float = 1.0,
        objective: str = "bilm",
        *,
        tokenizer: Any = "nltk",
        lowercase: bool = True,
        normalize_numbers: bool = True,
        punctuation: str = "attach",
        min_count: int = 2,
        max_vocab: int | None = 10_000,
        max_length: int = 256,
        max_train_length: int = 64,
        mask_rate: float = 0.15,
        lr: float = 1e-3,
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
        self.compose_size = compose_size
        self.score_size = score_size
        self.parser_size = parser_size
        self.n_transformer_layers = n_transformer_layers
        self.n_heads = n_heads
        self.window = window
        self.dropout = dropout
        self.parser_noise = parser_noise
        self.objective = objective
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
        for key in ("hidden_size", "n_layers", "n_transformer_layers", "n_heads"):
            check_int(f"{name}: {key}", getattr(self, key), 1)
        for key in ("compose_size", "score_size", "parser_size"):
            check_int(f"{name}: {key}", getattr(self, key), 1, allow_none=True)
        check_int(f"{name}: window", self.window, 1)
        if self.objective not in OBJECTIVES:
            raise StructNLPError(f"{name}: objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.hidden_size % self.n_heads:
            raise StructNLPError(
                f"{name}: hidden_size ({self.hidden_size}) must be a multiple of n_heads ({self.n_heads})"
            )
        for key, high in (("dropout", 1.0), ("parser_noise", math.inf)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < high:
                raise StructNLPError(f"{name}: {key} must be a number in [0, {high}), got {value!r}")

    def _build_network(self, n_words: int) -> ReCATNetwork:
        return ReCATNetwork(
            n_words,
            dim=self.hidden_size,
            n_layers=self.n_layers,
            hidden=self.compose_size or 2 * self.hidden_size,
            score_dim=self.score_size or max(16, self.hidden_size // 4),
            parser_dim=self.parser_size or max(128, self.hidden_size),
            n_transformer_layers=self.n_transformer_layers,
            n_heads=self.n_heads,
            window=self.window,
            dropout=self.dropout,
            parser_noise=self.parser_noise,
            objective=self.objective,
        )

    @classmethod
    def _params_from_file(cls, params: dict[str, Any]) -> dict[str, Any]:
        # files written before ``objective`` existed hold parsers trained by masked LM
        return {"objective": "mlm", **params}

    def _scored_words(
        self, batch: Batch, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.objective == "bilm":  # every word, predicted from its context in the whole sentence
            return batch.ids, batch.mask
        return super()._scored_words(batch, generator)

    def _loss(self, network: torch.nn.Module, batch: Batch) -> torch.Tensor:
        inputs, select = self._scored_words(batch)
        # the parser learns from whole sentences (the bidirectional LM's chart already reads them)
        parser_ids = batch.ids if self.objective == "mlm" else None
        logits, parser_loss = network(
            inputs, batch.mask, select, parser_ids=parser_ids, return_parser_loss=True
        )
        return F.cross_entropy(logits.float(), batch.ids[select]) + parser_loss

    def _decode(self, network: torch.nn.Module, batch: Batch) -> list[Any]:
        from parsing.api import ParseResult
        from structnlp.trees import spans_to_tree

        scores = network.parser(batch.ids, batch.mask).double().cpu().numpy()
        results = []
        for k, words in enumerate(batch.words):
            spans = split_spans(scores[k, : len(words) - 1])
            results.append(ParseResult(list(words), spans_to_tree(spans, words), None))
        return results

    def split_scores(self, sentence: str | list[str]) -> np.ndarray:
        """The parser's score of each gap between the words of ``sentence`` (after normalisation).

        The tree splits top-down at the highest score; with ``punctuation="attach"`` the
        punctuation tokens are left out first, as in parsing.
        """
        network = self._network()
        tokens = self._tokens(sentence, "sentence", None)
        if not tokens:
            raise StructNLPError("sentence is empty: there is nothing to score")
        words, _ = self._words(tokens)
        ids = torch.as_tensor(self._encode(words)).unsqueeze(0).to(next(network.parameters()).device)
        with torch.no_grad():
            return network.parser(ids, ids != PAD_ID)[0, : len(words) - 1].double().cpu().numpy()
