"""Inside-outside charts for ReCAT: the pruned linear-size chart, batched passes, a naive CKY reference.

A chart holds one *cell* per span ``(i, j)`` of a sentence that the inside algorithm
computes; a cell's *splits* ``k`` say which pairs of cells ``(i, k)``, ``(k + 1, j)`` it is
composed from. The full CKY chart has every span and every split: ``n²/2`` cells and
``n³/6`` splits. The pruned chart of ReCAT (Hu et al., ICLR 2024; Fast-R2D2 before it) keeps
it linear:

1. full CKY for the short spans: every span of at most ``window + 1`` words;
2. then the gaps are *merged* one at a time in the order a top-down parser gives (the gap
   it splits last is merged first). A merge fuses the two units (*atoms*) on either side of
   the gap into one atom; cells that cross it are never used again, and the only new cells
   are the spans of exactly ``window + 1`` atoms that contain the new atom (at most
   ``window + 1`` of them, each with ``window`` splits at the atom boundaries);
3. after ``n - 1 - window`` merges ``window + 1`` atoms remain and the whole sentence is one
   of the new cells: the root.

Every span of at most ``window + 1`` current atoms is always in the chart, so the chart
contains the parser's own tree and every tree that agrees with it above the window, with
``O(n · window²)`` splits in all. With ``window >= n - 1`` it *is* the full CKY chart.

A :class:`ChartSchedule` lays the cells of a batch of sentences out in *levels*: level 0 is
the words, and a cell's level is the step that creates it (span length minus one in the CKY
part, ``window`` plus the merge number after it). The cells of one level, over the whole
batch, depend only on lower levels and all have the same number of splits, so :func:`inside`
computes each level with a few tensor operations on one ``(cells, splits)`` block, and
:func:`outside` walks the levels back down, each cell pulling its context from all the
(parent, sibling) pairs it is a child of (in padded blocks of cells with about as many).

The passes are generic over the learned functions: ``compose`` scores and composes a cell
from its children, ``decompose`` gives a child's outside score and representation from its
parent's outside and its sibling's inside. The inside score of a cell is the log-sum-exp
over its splits of ``score(split) + inside(left) + inside(right)``, so the root's score is
the log of the sum over all trees in the chart of ``exp(sum of split scores)``; the
representation is the average of the split compositions weighted by the softmax of the same
terms (ReCAT's soft inside composition). :func:`outside` is the matching outside recursion;
when ``decompose`` scores a context exactly like ``compose`` scored the split, ``inside +
outside - root`` is the log marginal probability of each span. :func:`inside` also runs the
max-product (Viterbi) recursion and :func:`best_trees` reads off the highest-scoring tree.

torch is imported at module import: ``import parsing`` does not import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from structnlp.errors import StructNLPError
from structnlp.params import is_int

__all__ = [
    "NEG_INF",
    "ChartLevel",
    "ChartSchedule",
    "InsideResult",
    "OutsideLevel",
    "OutsideResult",
    "best_tree_nodes",
    "best_trees",
    "build_schedule",
    "cky_inside_reference",
    "context_cells",
    "inside",
    "merge_orders_from_scores",
    "outside",
    "span_log_marginals",
]

#: Finite stand-in for log(0): softmax, log-sum-exp and their gradients stay NaN-free on padding.
NEG_INF = -1e9

Compose = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], tuple[torch.Tensor, torch.Tensor]]
Decompose = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


# --------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class ChartLevel:
    """The cells ``start:stop`` that one inside step computes; each has the same number ``S`` of splits.

    ``children[c, s]`` holds the cell ids of the left and right child of split ``s`` of cell
    ``start + c``.
    """

    start: int
    stop: int
    children: torch.Tensor  # (C, S, 2) long


@dataclass(frozen=True)
class OutsideLevel:
    """The contexts of the cells ``cells``: every (parent, sibling) pair each is a child of.

    One outside step: cells of one level with about the same number of contexts (a level's
    cells are grouped by that number, so that little of the padded ``(C, X)`` block is
    padding). ``sides`` is 0 where the cell is its parent's left child and 1 where it is the
    right child; ``mask`` tells real contexts from padding; ``roots`` are the rows of the
    sentences' root cells, whose context is the given root vector, and ``root_sentences``
    their sentence numbers.
    """

    cells: torch.Tensor  # (C,) long
    parents: torch.Tensor  # (C, X) long
    siblings: torch.Tensor  # (C, X) long
    sides: torch.Tensor  # (C, X) long
    mask: torch.Tensor  # (C, X) bool
    roots: torch.Tensor  # (R,) long
    root_sentences: torch.Tensor  # (R,) long


@dataclass(frozen=True)
class ChartSchedule:
    """The cells of a batch of charts, numbered level by level, and how to compute them.

    Cell ``leaf_offsets[b] + i`` is word ``i`` of sentence ``b`` (the words of all sentences,
    in order, are cells ``0 .. sum(lengths) - 1``); ``spans[c]`` is ``(sentence, i, j)`` of cell
    ``c``; ``root_ids[b]`` is the cell of the whole sentence ``b``. ``split_points`` (``k``) and
    ``split_children`` (the two child cells) list every split once, by cell, and the splits
    of cell ``c`` are rows ``split_offsets[c]:split_offsets[c + 1]`` of them, in the order of
    ``levels[...].children``.
    """

    lengths: tuple[int, ...]
    window: int
    n_cells: int
    spans: np.ndarray  # (n_cells, 3): sentence, i, j
    leaf_offsets: np.ndarray  # (B,)
    root_ids: torch.Tensor  # (B,) long, on the schedule's device
    levels: tuple[ChartLevel, ...]
    outside_levels: tuple[OutsideLevel, ...]  # from the top level down to the words
    split_offsets: np.ndarray  # (n_cells + 1,)
    split_points: np.ndarray  # (n_splits,) k
    split_children: np.ndarray  # (n_splits, 2) cell ids

    @property
    def n_words(self) -> int:
        """Number of words in the batch (the first ``n_words`` cells)."""
        return int(sum(self.lengths))

    @property
    def n_splits(self) -> int:
        """Number of (cell, split) pairs: the work of one inside pass."""
        return int(self.split_points.shape[0])

    def cell_splits(self, sentence: int) -> dict[tuple[int, int], list[int]]:
        """``{(i, j): [k, ...]}`` for the cells of one sentence (the words have no splits).

        >>> build_schedule([3], window=2).cell_splits(0)
        {(0, 0): [], (1, 1): [], (2, 2): [], (0, 1): [0], (1, 2): [1], (0, 2): [0, 1]}
        """
        out = {}
        for cell in np.flatnonzero(self.spans[:, 0] == sentence):
            lo, hi = self.split_offsets[cell], self.split_offsets[cell + 1]
            out[(int(self.spans[cell, 1]), int(self.spans[cell, 2]))] = self.split_points[lo:hi].tolist()
        return out

    def flatten(self, padded: torch.Tensor) -> torch.Tensor:
        """``(B, max_len, ...)`` word vectors -> ``(n_words, ...)`` rows in cell order (drops padding)."""
        lengths = torch.as_tensor(self.lengths, device=padded.device)
        keep = torch.arange(padded.shape[1], device=padded.device) < lengths.unsqueeze(1)
        return padded[keep]


def _check_lengths(lengths: Sequence[int]) -> list[int]:
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, (Sequence, np.ndarray)):
        raise StructNLPError(f"lengths must be a sequence of sentence lengths, got {type(lengths).__name__}")
    out = []
    for b, n in enumerate(lengths):
        if not is_int(n) or n < 1:
            raise StructNLPError(
                f"lengths[{b}] must be a positive int (an empty sentence has no chart), got {n!r}"
            )
        out.append(int(n))
    if not out:
        raise StructNLPError("lengths is empty: a chart needs at least one sentence")
    return out


def _check_order(order: object, n: int, window: int, b: int) -> np.ndarray:
    need = n - 1 - window
    arr = np.asarray(order)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise StructNLPError(f"merge_orders[{b}] must be a 1-D sequence of int gap numbers, got {order!r}")
    if arr.shape[0] < need:
        raise StructNLPError(
            f"merge_orders[{b}] has {arr.shape[0]} gaps; a sentence of {n} words with window {window}"
            f" needs {need}"
        )
    used = arr[:need].astype(np.int64)
    if used.size and (used.min() < 0 or used.max() > n - 2 or np.unique(used).size != used.size):
        raise StructNLPError(
            f"merge_orders[{b}] must hold distinct gap numbers in 0..{n - 2} (gap g lies between words"
            f" g and g + 1), got {used.tolist()}"
        )
    return used


class _SpanIds:
    """Cell ids by ``(sentence, i, j)``: a dense table for training-size batches, a dict beyond."""

    DENSE_LIMIT = 1 << 24

    def __init__(self, n_sentences: int, longest: int):
        self.n = longest
        self.table: np.ndarray | dict[int, int]
        if n_sentences * longest * longest <= self.DENSE_LIMIT:
            self.table = np.full((n_sentences, longest, longest), -1, dtype=np.int32)
        else:
            self.table = {}

    def set(self, b: np.ndarray, i: np.ndarray, j: np.ndarray, ids: np.ndarray) -> None:
        if isinstance(self.table, np.ndarray):
            self.table[b, i, j] = ids
        else:
            keys = (b * self.n + i) * self.n + j
            self.table.update(zip(keys.tolist(), ids.tolist(), strict=True))

    def get(self, b: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if isinstance(self.table, np.ndarray):
            out = self.table[b, i, j].astype(np.int64)
        else:
            keys = np.broadcast_to(
                (b * self.n + i) * self.n + j, np.broadcast_shapes(b.shape, i.shape, j.shape)
            )
            found = [self.table.get(k, -1) for k in keys.ravel().tolist()]
            out = np.array(found, dtype=np.int64).reshape(keys.shape)
        if out.size and out.min() < 0:
            raise AssertionError("chart construction referenced a cell that does not exist")
        return out


def _merge_windows(
    sizes: np.ndarray, window: int, orders: dict[int, np.ndarray]
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """For each merge step, the new cells of all sentences: ``(sentence, i, j, split points)``.

    All sentences merge in lockstep, one gap per step, so each step is a few array
    operations over the batch. Atoms are linked lists keyed by their first word: ``end``,
    ``nxt`` and ``prv`` (-1: none), and ``start_of`` maps an atom's last word back to it.
    """
    which = np.array(sorted(orders), dtype=np.int64)
    if not which.size:
        return
    n = sizes[which]
    m, longest, w = which.shape[0], int(n.max()), window
    steps = n - 1 - w
    order = np.zeros((m, int(steps.max())), dtype=np.int64)
    for row, b in enumerate(which.tolist()):
        order[row, : steps[row]] = orders[b]
    end = np.tile(np.arange(longest), (m, 1))
    start_of = end.copy()
    prv = end - 1
    nxt = end + 1
    nxt[np.arange(m), n - 1] = -1
    for t in range(order.shape[1]):
        act = np.flatnonzero(steps > t)
        gap = order[act, t]
        s = start_of[act, gap]
        right = gap + 1
        new_end = end[act, right]
        end[act, s] = new_end
        start_of[act, new_end] = s
        after = nxt[act, right]
        nxt[act, s] = after
        has = after >= 0
        prv[act[has], after[has]] = s[has]
        atoms = np.full((act.shape[0], 2 * w + 1), -1, dtype=np.int64)  # the new atom in column w
        atoms[:, w] = s
        for links, sign in ((prv, -1), (nxt, 1)):
            a = s
            for q in range(1, w + 1):
                a = np.where(a >= 0, links[act, np.maximum(a, 0)], -1)
                atoms[:, w + sign * q] = a
        parts = []
        for first in range(w + 1):  # every run of w + 1 atoms that holds the new one
            span = atoms[:, first : first + w + 1]
            ok = (span >= 0).all(axis=1)
            if ok.any():
                rows, span = act[ok], span[ok]
                parts.append((rows, span[:, 0], end[rows, span[:, -1]], end[rows[:, None], span[:, :-1]]))
        rows, i, j, ks = (np.concatenate(x) for x in zip(*parts, strict=True))
        yield which[rows], i, j, ks


def build_schedule(
    lengths: Sequence[int],
    window: int = 4,
    merge_orders: Sequence[Sequence[int]] | None = None,
    device: str | torch.device = "cpu",
) -> ChartSchedule:
    """Lay out the pruned charts of a batch of sentences (see the module docstring).

    ``merge_orders[b]`` lists the gaps of sentence ``b`` in the order they are merged (gap
    ``g`` lies between words ``g`` and ``g + 1``); only its first ``lengths[b] - 1 - window``
    entries are used, and it may be left out for sentences of at most ``window + 1`` words.
    ``window >= max(lengths) - 1`` gives full CKY charts. Cells are numbered level by level,
    and every cell of a level has the same number of splits (its span length in the CKY
    part, ``window`` after it), so a level needs no padding.

    >>> s = build_schedule([5], window=1, merge_orders=[[3, 0, 2, 1]])
    >>> sorted(span for span, splits in s.cell_splits(0).items() if splits)
    [(0, 1), (0, 2), (0, 4), (1, 2), (2, 3), (2, 4), (3, 4)]
    >>> build_schedule([5], window=4).n_splits     # full CKY: 4·1 + 3·2 + 2·3 + 1·4
    20
    """
    sizes = _check_lengths(lengths)
    if not is_int(window) or window < 1:
        raise StructNLPError(f"window must be an int >= 1, got {window!r}")
    if merge_orders is not None and len(merge_orders) != len(sizes):
        raise StructNLPError(f"got {len(merge_orders)} merge orders for {len(sizes)} sentences")
    n = np.asarray(sizes, dtype=np.int64)
    batch, longest = n.shape[0], int(n.max())
    orders = {}
    for b in np.flatnonzero(n - 1 > window).tolist():
        if merge_orders is None or merge_orders[b] is None:
            raise StructNLPError(
                f"sentence {b} has {sizes[b]} words, more than window + 1 = {window + 1}:"
                " it needs a merge order"
            )
        orders[b] = _check_order(merge_orders[b], sizes[b], window, b)

    # Level 0: the words; then each level's cells get the next ids, their splits looked up by span.
    leaf_offsets = np.r_[0, np.cumsum(n)[:-1]].astype(np.int64)
    n_words = int(n.sum())
    sentence = np.repeat(np.arange(batch), n)
    word = np.arange(n_words) - np.repeat(leaf_offsets, n)
    ids = _SpanIds(batch, longest)
    ids.set(sentence, word, word, np.arange(n_words))
    span_parts = [np.stack([sentence, word, word], axis=1)]
    children_parts: list[np.ndarray] = []
    point_parts: list[np.ndarray] = []
    level_starts = [0, n_words]

    def add_level(b: np.ndarray, i: np.ndarray, j: np.ndarray, ks: np.ndarray) -> None:
        left = ids.get(b[:, None], i[:, None], ks)
        right = ids.get(b[:, None], ks + 1, j[:, None])
        ids.set(b, i, j, np.arange(level_starts[-1], level_starts[-1] + b.shape[0]))
        span_parts.append(np.stack([b, i, j], axis=1))
        children_parts.append(np.stack([left, right], axis=2))
        point_parts.append(ks)
        level_starts.append(level_starts[-1] + b.shape[0])

    for length in range(1, min(window, longest - 1) + 1):  # CKY: spans of length + 1 words
        counts = np.maximum(n - length, 0)
        b = np.repeat(np.arange(batch), counts)
        i = np.arange(b.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        add_level(b, i, i + length, i[:, None] + np.arange(length))
    for b, i, j, ks in _merge_windows(n, window, orders):
        add_level(b, i, j, ks)

    spans = np.concatenate(span_parts)
    n_cells = spans.shape[0]
    starts = np.asarray(level_starts)
    sizes_per_level = np.diff(starts)
    split_counts = np.concatenate(
        [np.zeros(n_words, np.int64)] + [np.full(c.shape[0], c.shape[1]) for c in children_parts]
    )
    split_offsets = np.r_[0, np.cumsum(split_counts)]
    split_children = (
        np.concatenate([c.reshape(-1, 2) for c in children_parts])
        if children_parts
        else np.zeros((0, 2), np.int64)
    )

    # Contexts: a split (p; l, r) is a context of l (sibling r, side 0) and of r (sibling l, side 1).
    # A cell's outside needs all its parents' first, so the outside runs level by level from the
    # top; within a level, cells are grouped by their number of contexts (a group's counts stay
    # above half of its largest, which is the group's width X), and each group's contexts fill a
    # (C, X) block of flat arrays. In one level a cell is the left child of at most one parent and
    # the right child of at most one, so its contexts' slots are counted out level by level.
    counts = np.bincount(split_children.ravel(), minlength=n_cells)
    groups: list[tuple[np.ndarray, int]] = []
    for level in range(sizes_per_level.shape[0] - 1, -1, -1):
        cells = np.arange(starts[level], starts[level + 1])
        order = np.argsort(-counts[cells], kind="stable")
        cells, c = cells[order], counts[cells][order]
        first = 0
        while first < cells.shape[0]:
            width = int(c[first])
            stop = cells.shape[0] if width == 0 else int(np.searchsorted(-c, -(width // 2), side="left"))
            groups.append((cells[first:stop], max(width, 1)))
            first = stop
    group_sizes = np.array([g.shape[0] * w for g, w in groups])
    group_starts = np.r_[0, np.cumsum(group_sizes)]
    slot = np.zeros(n_cells, dtype=np.int64)
    for (cells, width), base in zip(groups, group_starts[:-1], strict=True):
        slot[cells] = base + np.arange(cells.shape[0]) * width
    ctx_parent = np.zeros(group_starts[-1], dtype=np.int64)
    ctx_sibling = np.zeros_like(ctx_parent)
    ctx_side = np.zeros_like(ctx_parent)
    ctx_mask = np.zeros(group_starts[-1], dtype=bool)
    seen = np.zeros(n_cells, dtype=np.int64)
    for level, children in enumerate(children_parts, start=1):
        c, s = children.shape[:2]
        parents = np.repeat(np.arange(starts[level], starts[level] + c), s)
        for side in (0, 1):
            child, sibling = children[..., side].ravel(), children[..., 1 - side].ravel()
            position = slot[child] + seen[child]
            seen[child] += 1
            ctx_parent[position] = parents
            ctx_sibling[position] = sibling
            ctx_side[position] = side
            ctx_mask[position] = True
    root_ids = ids.get(np.arange(batch), np.zeros(batch, np.int64), n - 1)
    is_root = np.zeros(n_cells, dtype=bool)
    is_root[root_ids] = True
    group_cells = np.concatenate([g for g, _ in groups])
    root_rows = [np.flatnonzero(is_root[g]) for g, _ in groups]
    root_sentences = [spans[g[r], 0] for (g, _), r in zip(groups, root_rows, strict=True)]

    # Everything goes to the device in two transfers (indices and masks); levels get views.
    children_flat = (
        np.concatenate([c.ravel() for c in children_parts]) if children_parts else np.zeros(0, np.int64)
    )
    rows_flat, sentences_flat = np.concatenate(root_rows), np.concatenate(root_sentences)
    ints = torch.from_numpy(
        np.concatenate(
            [
                children_flat,
                ctx_parent,
                ctx_sibling,
                ctx_side,
                group_cells,
                rows_flat,
                sentences_flat,
                root_ids,
            ]
        )
    ).to(device)
    children_t, parent_t, sibling_t, side_t, cells_t, rows_t, sentences_t, root_ids_t = torch.split(
        ints, [children_flat.size, *[ctx_parent.size] * 3, n_cells, batch, batch, batch]
    )
    mask_t = torch.from_numpy(ctx_mask).to(device)
    levels = []
    offset = 0
    for level, children in enumerate(children_parts, start=1):
        view = children_t[offset : offset + children.size].view(children.shape)
        levels.append(ChartLevel(int(starts[level]), int(starts[level + 1]), view))
        offset += children.size
    outside_levels = []
    cell_offset = root_offset = 0
    for (cells, width), lo, hi, rows in zip(
        groups, group_starts[:-1], group_starts[1:], root_rows, strict=True
    ):
        shape = (cells.shape[0], width)
        outside_levels.append(
            OutsideLevel(
                cells_t[cell_offset : cell_offset + cells.shape[0]],
                parent_t[lo:hi].view(shape),
                sibling_t[lo:hi].view(shape),
                side_t[lo:hi].view(shape),
                mask_t[lo:hi].view(shape),
                rows_t[root_offset : root_offset + rows.shape[0]],
                sentences_t[root_offset : root_offset + rows.shape[0]],
            )
        )
        cell_offset += cells.shape[0]
        root_offset += rows.shape[0]
    return ChartSchedule(
        lengths=tuple(sizes),
        window=int(window),
        n_cells=n_cells,
        spans=spans,
        leaf_offsets=leaf_offsets,
        root_ids=root_ids_t,
        levels=tuple(levels),
        outside_levels=tuple(outside_levels),
        split_offsets=split_offsets,
        split_points=np.concatenate([p.ravel() for p in point_parts])
        if point_parts
        else np.zeros(0, np.int64),
        split_children=(
            np.concatenate([c.reshape(-1, 2) for c in children_parts])
            if children_parts
            else np.zeros((0, 2), np.int64)
        ),
    )


def merge_orders_from_scores(scores: torch.Tensor | np.ndarray, lengths: Sequence[int]) -> list[np.ndarray]:
    """Merge orders from split-point scores: the lowest-scoring gap is merged first.

    ``scores[b, g]`` scores splitting sentence ``b`` between words ``g`` and ``g + 1``; a
    top-down parser splits the highest first, so merging in increasing order of score
    rebuilds the same tree bottom-up. Of equal scores the rightmost gap is merged first, so
    that the top-down reading splits at the leftmost of them.

    >>> [o.tolist() for o in merge_orders_from_scores(np.array([[0.5, -1.0, 2.0]]), [4])]
    [[1, 0, 2]]
    """
    values = scores.detach().float().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    sizes = _check_lengths(lengths)
    if values.ndim != 2 or values.shape[0] != len(sizes) or values.shape[1] < max(sizes) - 1:
        raise StructNLPError(
            f"scores must have shape (batch, max_len - 1) = ({len(sizes)}, >= {max(sizes) - 1}),"
            f" got {values.shape}"
        )
    return [np.lexsort((-np.arange(n - 1), values[b, : n - 1])) for b, n in enumerate(sizes)]


# --------------------------------------------------------------------------- inside and outside


class _CellStore:
    """Vectors of cells, written once level by level and gathered by later levels.

    With a plain tensor updated in place, autograd would clone or zero-fill the whole store
    in the backward pass of every write and every gather: O(levels x cells) work and memory
    traffic. Here the gathers add their gradients into one accumulator and each level's write
    takes its slice back, so the backward pass costs what the forward pass read. A chain of
    scalar *handles* orders the backward pass: the write of level t runs after every gather
    that used the store once level t was in it. Gradients are exact for each backward pass
    that reaches all the writes (every ``loss.backward()``; ``torch.autograd.grad`` with
    respect to inputs upstream of every write).
    """

    def __init__(self, n_rows: int, first: torch.Tensor):
        self.data = first.detach().new_zeros((n_rows, first.shape[1]))
        self.grad: torch.Tensor | None = None
        self.handle: torch.Tensor | None = None
        self.write(0, first)

    def write(self, rows: int | torch.Tensor, values: torch.Tensor) -> None:
        """Store ``values`` at rows ``rows:rows + len(values)`` (an int) or at the given row ids."""
        if isinstance(rows, int):
            rows = slice(rows, rows + values.shape[0])
        self.data[rows] = values.detach()
        if values.requires_grad or self.handle is not None:
            self.handle = _StoreWrite.apply(values, self.handle, self, rows)

    def gather(self, ids: torch.Tensor) -> torch.Tensor:
        if self.handle is None:
            return self.data.index_select(0, ids)
        return _StoreGather.apply(self.handle, ids, self)

    def accumulate(self, ids: torch.Tensor | None, grad: torch.Tensor) -> None:
        if self.grad is None:
            dtype = torch.float64 if self.data.dtype == torch.float64 else torch.float32
            self.grad = torch.zeros(self.data.shape, dtype=dtype, device=self.data.device)
        if ids is None:
            self.grad += grad.to(self.grad.dtype)
        else:
            self.grad.index_add_(0, ids, grad.to(self.grad.dtype))

    def close(self) -> torch.Tensor:
        """The whole store as one tensor (with gradient); the store is not written to again."""
        if self.handle is None:
            return self.data
        out = _StoreRead.apply(self.handle, self)
        self.handle = None  # the graph holds the store, the store no longer holds the graph
        return out


class _StoreWrite(torch.autograd.Function):
    @staticmethod
    def forward(ctx, values, previous, store, rows):  # noqa: ANN001, ANN205
        ctx.store, ctx.rows = store, rows
        ctx.has_previous = previous is not None
        ctx.dtype = values.dtype
        return values.new_zeros(())

    @staticmethod
    def backward(ctx, _):  # noqa: ANN001, ANN205
        store = ctx.store
        grad = None
        if store.grad is not None:
            grad = store.grad[ctx.rows].to(ctx.dtype, copy=True)
            store.grad[ctx.rows] = 0
        previous = torch.zeros((), dtype=ctx.dtype, device=store.data.device) if ctx.has_previous else None
        return grad, previous, None, None


class _StoreGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, handle, ids, store):  # noqa: ANN001, ANN205
        ctx.store, ctx.handle_dtype = store, handle.dtype
        ctx.save_for_backward(ids)
        return store.data.index_select(0, ids)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        (ids,) = ctx.saved_tensors
        ctx.store.accumulate(ids, grad)
        return torch.zeros((), dtype=ctx.handle_dtype, device=grad.device), None, None


class _StoreRead(torch.autograd.Function):
    @staticmethod
    def forward(ctx, handle, store):  # noqa: ANN001, ANN205
        ctx.store, ctx.handle_dtype = store, handle.dtype
        return store.data.clone()

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        ctx.store.accumulate(None, grad)
        return torch.zeros((), dtype=ctx.handle_dtype, device=grad.device), None


@dataclass
class InsideResult:
    """What :func:`inside` returns: per cell, its representation, log-sum score, best split, best score.

    ``features`` holds ``project(reprs)`` when :func:`inside` was given ``project`` (a pair
    of features side by side).
    """

    reprs: torch.Tensor  # (n_cells, d)
    scores: torch.Tensor  # (n_cells,) log-sum over the cell's subtrees
    best_split: torch.Tensor  # (n_cells,) long index into the cell's splits (-1 for words)
    best_scores: torch.Tensor  # (n_cells,) max over subtrees (detached)
    features: torch.Tensor | None = None  # (n_cells, f)


@dataclass
class OutsideResult:
    """What :func:`outside` returns: per cell, its context representation and outside log-score."""

    reprs: torch.Tensor  # (n_cells, d)
    scores: torch.Tensor  # (n_cells,)


def inside(
    schedule: ChartSchedule,
    words: torch.Tensor,
    compose: Compose,
    context: torch.Tensor | None = None,
    project: Callable[[torch.Tensor], torch.Tensor | tuple[torch.Tensor, torch.Tensor]] | None = None,
    finish: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> InsideResult:
    """Run the soft inside pass over ``schedule`` from the word vectors ``words`` (``n_words, d``).

    ``compose(left, right, ctx)`` gets the children of every split of one level as
    ``(C, S, d)`` tensors and ``ctx`` = ``context[start:stop]`` (``C, ...``, or ``None``), and
    returns the split scores ``(C, S)`` and compositions ``(C, S, d)``; a cell is the
    softmax-weighted average of its compositions, passed through ``finish`` when given.

    Two hooks keep the work per split small. With ``project``, each cell's features
    ``project(repr)`` are computed once, when the cell is finished, and ``compose`` gets the
    children's features instead of their representations (per-cell linear maps then cost one
    matrix product per cell rather than one per split); when ``project`` returns a pair, the
    left children come from its first and the right children from its second member. And a
    linear map at the end of the composition can go into ``finish``: it then runs once per
    cell, on the average, with the same result.

    >>> s = build_schedule([3], window=2)
    >>> add = lambda l, r, ctx: ((l * r).sum(-1), l + r)
    >>> res = inside(s, torch.tensor([[1.0], [2.0], [0.0]]), add)
    >>> round(float(res.scores[s.root_ids[0]]), 4)    # log(exp(2 + 0) + exp(0 + 2))
    2.6931
    >>> res.reprs[s.root_ids[0]].tolist()            # both trees compose to 1 + 2 + 0
    [3.0]
    """
    if words.ndim != 2 or words.shape[0] != schedule.n_words:
        raise StructNLPError(
            f"words must have shape (n_words, dim) = ({schedule.n_words}, dim), got {tuple(words.shape)}"
        )
    if context is not None and context.shape[0] != schedule.n_cells:
        raise StructNLPError(
            f"context must have one row per cell ({schedule.n_cells}), got {context.shape[0]}"
        )
    score_dtype = torch.float64 if words.dtype == torch.float64 else torch.float32
    levels_out = [words]

    def stores_of(first: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> tuple[_CellStore, _CellStore]:
        if isinstance(first, tuple):
            return _CellStore(schedule.n_cells, first[0]), _CellStore(schedule.n_cells, first[1])
        store = _CellStore(schedule.n_cells, first)
        return store, store

    left_store, right_store = stores_of(words if project is None else project(words))
    scores = words.new_zeros(schedule.n_cells, dtype=score_dtype)
    best_scores = torch.zeros(schedule.n_cells, dtype=score_dtype, device=words.device)
    best_split = torch.full((schedule.n_cells,), -1, dtype=torch.long, device=words.device)
    for level in schedule.levels:
        left_ids, right_ids = level.children[..., 0], level.children[..., 1]
        n, s = left_ids.shape
        left = left_store.gather(left_ids.reshape(-1)).view(n, s, -1)
        right = right_store.gather(right_ids.reshape(-1)).view(n, s, -1)
        ctx = None if context is None else context[level.start : level.stop]
        split_scores, composed = compose(left, right, ctx)
        split_scores = split_scores.to(score_dtype)
        total = split_scores + scores[left_ids] + scores[right_ids]
        weights = torch.softmax(total, dim=-1)
        cell_reprs = torch.einsum("cs,csd->cd", weights.to(composed.dtype), composed)
        if finish is not None:
            cell_reprs = finish(cell_reprs)
        levels_out.append(cell_reprs)
        features = cell_reprs if project is None else project(cell_reprs)
        if isinstance(features, tuple):
            left_store.write(level.start, features[0])
            right_store.write(level.start, features[1])
        else:
            left_store.write(level.start, features)
        scores[level.start : level.stop] = torch.logsumexp(total, dim=-1)
        with torch.no_grad():
            viterbi = split_scores.detach() + best_scores[left_ids] + best_scores[right_ids]
            best, arg = viterbi.max(dim=-1)
            best_scores[level.start : level.stop] = best
            best_split[level.start : level.stop] = arg
    left_features = left_store.close()
    right_features = right_store.close() if right_store is not left_store else None
    reprs = torch.cat([x.to(words.dtype) for x in levels_out])
    if project is None:
        return InsideResult(reprs, scores, best_split, best_scores)
    features = left_features if right_features is None else torch.cat([left_features, right_features], dim=1)
    return InsideResult(reprs, scores, best_split, best_scores, features)


def outside(
    schedule: ChartSchedule,
    inside_result: InsideResult,
    root: torch.Tensor,
    decompose: Decompose,
    project: Callable[[torch.Tensor], torch.Tensor] | None = None,
    siblings: torch.Tensor | None = None,
    finish: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> OutsideResult:
    """Run the outside pass: each cell's context representation and outside log-score.

    ``root`` (``B, d`` or ``d``) is the outside representation of every sentence's root
    (outside score 0). ``decompose(parent, sibling, sides)`` gets, for the contexts of one
    level, the parents' outside and the siblings' inside representations (``C, X, d``) and
    ``sides`` (``C, X``; 0 where the cell is the left child) and returns the context scores
    ``(C, X)`` and the cell's representation in each context ``(C, X, d)``. A cell's outside
    score is the log-sum-exp over its contexts of ``score + outside(parent) + inside(sibling)``
    and its representation the softmax-weighted average; cells of no tree get ``NEG_INF`` and
    zeros.

    As in :func:`inside`, ``project`` turns each finished outside representation into the
    features ``decompose`` gets for parents, and ``finish`` maps the weighted average of a
    cell's contexts (not the roots' given vectors). Siblings come from ``siblings`` when given, else
    the inside pass's ``features`` (or ``reprs``); ``siblings`` with ``2 * n_cells`` rows
    holds side-specific rows: row ``c`` for cell ``c`` as a right sibling (the context of a
    left child), row ``n_cells + c`` as a left sibling.

    >>> s = build_schedule([2], window=1)
    >>> ins = inside(s, torch.tensor([[1.0], [2.0]]), lambda l, r, c: ((l * r).sum(-1), l + r))
    >>> out = outside(s, ins, torch.tensor([10.0]), lambda p, sib, side: ((p * sib).sum(-1), p - sib))
    >>> out.reprs.tolist(), out.scores.tolist()      # word 0: 10 - 2, score 10·2 + 0 + 0
    ([[8.0], [9.0], [10.0]], [20.0, 10.0, 0.0])
    """
    scores_in = inside_result.scores
    if siblings is None:
        siblings = inside_result.reprs if inside_result.features is None else inside_result.features
    if siblings.shape[0] not in (schedule.n_cells, 2 * schedule.n_cells):
        raise StructNLPError(
            f"siblings must have n_cells = {schedule.n_cells} or 2 * n_cells rows, got {siblings.shape[0]}"
        )
    by_side = siblings.shape[0] == 2 * schedule.n_cells
    if root.ndim == 1:
        root = root.unsqueeze(0).expand(len(schedule.lengths), -1)
    if root.shape[0] != len(schedule.lengths):
        raise StructNLPError(
            f"root must have one row per sentence ({len(schedule.lengths)}), got {root.shape[0]}"
        )
    sibling_store = _CellStore(siblings.shape[0], siblings)
    parent_store: _CellStore | None = None
    levels_out = []
    scores = torch.full_like(scores_in, NEG_INF)
    for level in schedule.outside_levels:
        n, x = level.parents.shape
        if parent_store is None:  # the first group (of the top level) holds only roots: no contexts
            cell_reprs = root.new_zeros((n, root.shape[-1]))
            cell_scores = scores.new_full((n,), NEG_INF)
        else:
            sibling_ids = level.siblings + level.sides * schedule.n_cells if by_side else level.siblings
            parents = parent_store.gather(level.parents.reshape(-1)).view(n, x, -1)
            sibling_vectors = sibling_store.gather(sibling_ids.reshape(-1)).view(n, x, -1)
            has_context = level.mask.any(dim=-1)
            ctx_scores, ctx_reprs = decompose(parents, sibling_vectors, level.sides)
            total = ctx_scores.to(scores.dtype) + scores[level.parents] + scores_in[level.siblings]
            total = total.masked_fill(~level.mask, NEG_INF)
            weights = torch.softmax(total, dim=-1) * has_context.unsqueeze(-1)
            cell_reprs = torch.einsum("cx,cxd->cd", weights.to(ctx_reprs.dtype), ctx_reprs)
            if finish is not None:
                cell_reprs = finish(cell_reprs) * has_context.unsqueeze(-1)
            cell_reprs = cell_reprs.to(root.dtype)
            cell_scores = torch.where(
                has_context, torch.logsumexp(total, dim=-1), total.new_full((), NEG_INF)
            )
        if level.roots.numel():
            cell_reprs = cell_reprs.index_copy(
                0, level.roots, root[level.root_sentences].to(cell_reprs.dtype)
            )
            cell_scores = cell_scores.index_fill(0, level.roots, 0.0)
        levels_out.append(cell_reprs)
        features = cell_reprs if project is None else project(cell_reprs)
        if parent_store is None:
            parent_store = _CellStore(schedule.n_cells, features.new_zeros((0, features.shape[1])))
        parent_store.write(level.cells, features)
        scores[level.cells] = cell_scores
    parent_store.close()
    sibling_store.close()
    order = torch.cat([level.cells for level in schedule.outside_levels])
    stacked = torch.cat(levels_out)
    return OutsideResult(stacked.new_zeros(stacked.shape).index_copy(0, order, stacked), scores)


def span_log_marginals(
    schedule: ChartSchedule, inside_result: InsideResult, outside_result: OutsideResult
) -> torch.Tensor:
    """``inside + outside - inside(root)`` per cell: the log-probability of each span being a constituent.

    Exact when ``decompose`` scores each context as ``compose`` scored the split (the classic
    inside-outside algorithm); cells in no tree get about ``NEG_INF``.

    >>> s = build_schedule([3], window=2)                  # every split scores 0: both trees tie
    >>> ins = inside(s, torch.ones(3, 1), lambda l, r, c: (torch.zeros(l.shape[:-1]), l + r))
    >>> out = outside(s, ins, torch.zeros(1), lambda p, sib, side: (torch.zeros(p.shape[:-1]), p + sib))
    >>> s.spans[:, 1:].tolist(), span_log_marginals(s, ins, out).exp().round(decimals=3).tolist()
    ([[0, 0], [1, 1], [2, 2], [0, 1], [1, 2], [0, 2]], [1.0, 1.0, 1.0, 0.5, 0.5, 1.0])
    """
    sentence = torch.as_tensor(schedule.spans[:, 0], device=inside_result.scores.device)
    log_z = inside_result.scores[schedule.root_ids][sentence]
    return inside_result.scores + outside_result.scores - log_z


def best_trees(schedule: ChartSchedule, inside_result: InsideResult) -> list[list[tuple[int, int, int, int]]]:
    """The highest-scoring (Viterbi) tree of each sentence as ``(cell, i, k, j)`` nodes in pre-order.

    Words are ``(cell, i, -1, i)``; an internal node ``(i, j)`` splits into ``(i, k)`` and ``(k + 1, j)``.

    >>> s = build_schedule([3], window=2)
    >>> ins = inside(s, torch.tensor([[1.0], [2.0], [0.0]]), lambda l, r, c: ((l * r).sum(-1), l + r))
    >>> [(i, k, j) for _, i, k, j in best_trees(s, ins)[0]]   # (1 2) scores 2 first; ties go left
    [(0, 0, 2), (0, -1, 0), (1, 1, 2), (1, -1, 1), (2, -1, 2)]
    """
    nodes = best_tree_nodes(schedule, inside_result)
    bounds = np.searchsorted(nodes[:, 0], np.arange(len(schedule.lengths) + 1))
    return [
        [tuple(row) for row in nodes[lo:hi, 1:].tolist()]
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def best_tree_nodes(schedule: ChartSchedule, inside_result: InsideResult) -> np.ndarray:
    """:func:`best_trees` as one array of rows ``(sentence, cell, i, k, j)``, by sentence, in pre-order.

    Read top-down for all sentences at once, one tree level per step.

    >>> s = build_schedule([3], window=2)
    >>> ins = inside(s, torch.tensor([[1.0], [2.0], [0.0]]), lambda l, r, c: ((l * r).sum(-1), l + r))
    >>> best_tree_nodes(s, ins)[:, [0, 2, 3, 4]].tolist()   # (sentence, i, k, j); words have k = -1
    [[0, 0, 0, 2], [0, 0, -1, 0], [0, 1, 1, 2], [0, 1, -1, 1], [0, 2, -1, 2]]
    """
    best = inside_result.best_split.detach().cpu().numpy()
    frontier = schedule.root_ids.cpu().numpy()
    parts = []
    while frontier.size:
        sentence, i, j = schedule.spans[frontier].T
        internal = i < j
        pos = schedule.split_offsets[frontier[internal]] + best[frontier[internal]]
        k = np.full(frontier.shape[0], -1, dtype=np.int64)
        k[internal] = schedule.split_points[pos]
        parts.append(np.stack([sentence, frontier, i, k, j], axis=1))
        frontier = schedule.split_children[pos].ravel()
    nodes = np.concatenate(parts)
    return nodes[np.lexsort((-nodes[:, 4], nodes[:, 2], nodes[:, 0]))]


def context_cells(schedule: ChartSchedule) -> tuple[np.ndarray, np.ndarray]:
    """For every word, the longest chart cell that ends just before it and the longest that starts after it.

    These are the word's left and right contexts in R2D2's bidirectional language model
    (Hu et al. 2021): the word is predicted from the two cells' inside representations, which
    do not contain it. In a full CKY chart they are the whole prefix and suffix; in a pruned
    chart the longest such cells that exist (Fast-R2D2's rule). Returns two ``(n_words,)``
    arrays of cell ids in word order, ``-1`` before a sentence's first word and after its last.

    >>> s = build_schedule([4], window=3)                       # full CKY
    >>> left, right = context_cells(s)
    >>> [tuple(s.spans[c, 1:].tolist()) if c >= 0 else None for c in left]
    [None, (0, 0), (0, 1), (0, 2)]
    >>> [tuple(s.spans[c, 1:].tolist()) if c >= 0 else None for c in right]
    [(1, 3), (2, 3), (3, 3), None]
    """
    sentence, i, j = schedule.spans.T
    lengths = np.asarray(schedule.lengths, dtype=np.int64)
    cells = np.arange(schedule.spans.shape[0])
    out = []
    # a cell (i, j) is a left context of word j + 1 (the longest: smallest i) and a right
    # context of word i - 1 (the longest: largest j)
    for usable, word, longest_first in ((j + 1 < lengths[sentence], j + 1, i), (i >= 1, i - 1, -j)):
        target = schedule.leaf_offsets[sentence[usable]] + word[usable]
        order = np.lexsort((longest_first[usable], target))
        target, chosen = target[order], cells[usable][order]
        first = np.ones(target.shape[0], dtype=bool)  # empty when every sentence is one word
        first[1:] = target[1:] != target[:-1]
        found = np.full(schedule.n_words, -1, dtype=np.int64)
        found[target[first]] = chosen[first]
        out.append(found)
    return out[0], out[1]


# --------------------------------------------------------------------------- naive reference


def cky_inside_reference(
    words: torch.Tensor, compose: Compose, context: dict[tuple[int, int], torch.Tensor] | None = None
) -> tuple[dict[tuple[int, int], torch.Tensor], dict[tuple[int, int], torch.Tensor]]:
    """Full CKY inside pass for one sentence, one cell at a time: the O(n³) reference.

    Same recursion as :func:`inside` with ``window >= n - 1``, written as the textbook loop
    over span lengths, cells and splits; it is the oracle of the tests and the naive
    baseline of ``benchmarks/recat_chart_benchmark.py``. Returns ``{(i, j): repr}`` and
    ``{(i, j): score}``.

    >>> reprs, scores = cky_inside_reference(torch.tensor([[1.0], [2.0], [0.0]]),
    ...                                      lambda l, r, c: ((l * r).sum(-1), l + r))
    >>> round(float(scores[0, 2]), 4), reprs[0, 2].tolist()
    (2.6931, [3.0])
    """
    n = words.shape[0]
    reprs = {(i, i): words[i] for i in range(n)}
    scores = {(i, i): words.new_zeros(()) for i in range(n)}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            left = torch.stack([reprs[i, k] for k in range(i, j)]).unsqueeze(0)
            right = torch.stack([reprs[k + 1, j] for k in range(i, j)]).unsqueeze(0)
            ctx = None if context is None else context[i, j].unsqueeze(0)
            split_scores, composed = compose(left, right, ctx)
            total = split_scores[0] + torch.stack([scores[i, k] + scores[k + 1, j] for k in range(i, j)])
            weights = torch.softmax(total, dim=0)
            reprs[i, j] = (weights.unsqueeze(-1) * composed[0]).sum(0)
            scores[i, j] = torch.logsumexp(total, dim=0)
    return reprs, scores
