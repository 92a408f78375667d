"""Constituency trees, unlabeled spans and dependency heads, shared by the parsers and the metrics.

Conventions used everywhere in structnlp:

* A constituency tree is an :class:`nltk.Tree`. Leaves are word strings; a treebank tree may
  have preterminals (``Tree('NN', ['board'])``), an induced tree usually has none. Induced
  trees are labelled ``"X"`` at every internal node.
* A *span* is a half-open interval ``(start, end)`` over the leaf positions, so a node
  covering words 2, 3 and 4 is ``(2, 5)``. Spans are unlabeled.
* Dependency heads are 1-based with ``0`` for the root, as in CoNLL-U: ``heads[i]`` is the
  head of word ``i + 1`` (write them out with :class:`structnlp.corpus.Sentence`).

The tree builders (right/left branching, random, syntactic-distance decoding) return trees
over the given tokens so that a parser's output and the gold tree can be compared with
:func:`structnlp.metrics.bracket_f1`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
from nltk import Tree

from structnlp.errors import StructNLPError
from structnlp.params import is_number

__all__ = [
    "PTB_DROP_TAGS",
    "Span",
    "chain_heads",
    "clean_ptb_tree",
    "from_brackets",
    "left_branching_tree",
    "project_heads",
    "random_binary_tree",
    "right_branching_tree",
    "spans_to_tree",
    "tree_from_distances",
    "tree_spans",
    "to_brackets",
]

Span = tuple[int, int]

#: POS tags removed before unsupervised-parsing evaluation (Kim et al. 2019, compound-pcfg's
#: ``process_ptb.py``; the same words PRPN, ON-LSTM and StructFormer drop): punctuation,
#: currency symbols and the ``-NONE-`` traces. What remains are exactly the 36 word tags.
PTB_DROP_TAGS: frozenset[str] = frozenset({"''", "``", ".", ":", ",", "-LRB-", "-RRB-", "#", "$", "-NONE-"})

_BRACKET_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _check_tree(tree: object, name: str = "tree") -> Tree:
    if not isinstance(tree, Tree):
        raise StructNLPError(f"{name} must be an nltk.Tree, got {type(tree).__name__}")
    return tree


def _is_preterminal(node: object) -> bool:
    return isinstance(node, Tree) and len(node) == 1 and isinstance(node[0], str)


def clean_ptb_tree(
    tree: Tree, drop_tags: Iterable[str] = PTB_DROP_TAGS, collapse_unary: bool = False
) -> Tree:
    """Remove punctuation and trace preterminals from a treebank tree, as unsupervised-parsing
    evaluation does (Kim et al. 2019), and prune the constituents left empty.

    Returns a new tree; the input is not modified. An outer bracket with an empty label (the
    ``( (S ...) )`` wrapper of ``.mrg`` files) is removed. With ``collapse_unary`` unary chains of
    phrasal nodes are joined (``S+VP``) by :meth:`nltk.Tree.collapse_unary`; the unlabeled
    spans do not change either way.

    >>> t = Tree.fromstring("(S (NP (DT The) (NN cat)) (VP (VBD sat) (NP (-NONE- *))) (. .))")
    >>> print(clean_ptb_tree(t))
    (S (NP (DT The) (NN cat)) (VP (VBD sat)))
    >>> print(clean_ptb_tree(Tree.fromstring("(S (VP (VB Go) (NP (NNS home))) (. !))"), collapse_unary=True))
    (S+VP (VB Go) (NP (NNS home)))
    """
    _check_tree(tree)
    if isinstance(drop_tags, str):
        raise StructNLPError("drop_tags must be a collection of tags, not one string")
    drop = frozenset(drop_tags)
    if tree.label() == "" and len(tree) == 1 and isinstance(tree[0], Tree):
        tree = tree[0]

    def clean(node: Tree | str) -> Tree | str | None:
        if isinstance(node, str):
            return node
        if _is_preterminal(node):
            return None if node.label() in drop else Tree(node.label(), [node[0]])
        children = [c for c in (clean(child) for child in node) if c is not None]
        return Tree(node.label(), children) if children else None

    cleaned = clean(tree)
    if cleaned is None or isinstance(cleaned, str):
        raise StructNLPError(
            f"tree has no words left after removing the tags {sorted(drop)}: {_one_line(tree)}"
        )
    if collapse_unary:
        cleaned.collapse_unary(collapsePOS=False, collapseRoot=True)
    return cleaned


def _one_line(tree: Tree) -> str:
    text = tree.pformat(margin=sys.maxsize)
    return text if len(text) <= 200 else text[:197] + "..."


def _node_spans(tree: Tree) -> tuple[list[Span], int]:
    """Spans of every node (leaves included) in post-order, and the number of leaves.

    Iterative, so that very deep (e.g. branching) trees of long sentences do not hit
    Python's recursion limit.
    """
    spans: list[Span] = []
    stack: list[tuple[Tree | str, bool]] = [(tree, False)]
    starts: list[int] = []
    position = 0
    while stack:
        node, visited = stack.pop()
        if isinstance(node, str):
            spans.append((position, position + 1))
            position += 1
        elif visited:
            spans.append((starts.pop(), position))
        else:
            starts.append(position)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
    return spans, position


def tree_spans(tree: Tree, include_trivial: bool = False) -> set[Span]:
    """The set of unlabeled spans of ``tree``.

    By default the *evaluation* spans: constituents of two or more words other than the whole
    sentence (single words and the sentence span are trivially right for every tree). With
    ``include_trivial=True`` every node's span, single words and the whole sentence included.
    Unary chains give one span.

    >>> t = from_brackets("((the cat) (sat (on (the mat))))")
    >>> sorted(tree_spans(t))
    [(0, 2), (2, 6), (3, 6), (4, 6)]
    >>> (0, 6) in tree_spans(t, include_trivial=True)
    True
    """
    _check_tree(tree)
    spans, n = _node_spans(tree)
    if include_trivial:
        return set(spans)
    return {(s, e) for s, e in spans if e - s >= 2 and (s, e) != (0, n)}


def _check_spans(spans: Iterable[Span], n: int | None, name: str = "spans") -> list[Span]:
    """Validate ``(start, end)`` pairs: integers with ``0 <= start < end <= n`` (n None: no upper bound)."""
    checked = []
    for span in spans:
        try:
            s, e = span
        except (TypeError, ValueError):
            raise StructNLPError(f"{name}: a span must be a pair (start, end), got {span!r}") from None
        if not (isinstance(s, (int, np.integer)) and isinstance(e, (int, np.integer))):
            raise StructNLPError(f"{name}: span bounds must be integers, got {span!r}")
        if not 0 <= s < e or (n is not None and e > n):
            inside = f" inside a sentence of {n} words" if n is not None else ""
            raise StructNLPError(f"{name}: span {span!r} is not a non-empty half-open interval{inside}")
        checked.append((int(s), int(e)))
    return checked


def spans_to_tree(spans: Iterable[Span], leaves: Sequence[str], label: str = "X") -> Tree:
    """Build the tree whose constituents are ``spans`` over ``leaves``.

    The whole-sentence span is added when missing and single-word spans are implied by the
    leaves, so ``spans_to_tree(tree_spans(t), t.leaves())`` rebuilds ``t`` without labels,
    preterminals or unary chains. Crossing spans raise :class:`StructNLPError`.

    >>> print(to_brackets(spans_to_tree({(0, 2), (2, 4)}, ["a", "b", "c", "d"])))
    ((a b) (c d))
    """
    leaves = list(leaves)
    n = len(leaves)
    if n == 0:
        raise StructNLPError("cannot build a tree over zero leaves")
    wanted = {sp for sp in _check_spans(spans, n) if sp[1] - sp[0] >= 2} | {(0, n)}
    ordered = sorted(wanted, key=lambda sp: (sp[0], -sp[1]))
    stack: list[tuple[int, int, list]] = []
    position = 0

    def flush(upto: int) -> None:
        nonlocal position
        while position < upto:
            stack[-1][2].append(leaves[position])
            position += 1

    def close() -> None:
        _, end, children = stack[-1]
        flush(end)
        stack.pop()
        stack[-1][2].append(Tree(label, children))

    for start, end in ordered:
        while stack and stack[-1][1] <= start:
            close()
        if stack:
            if end > stack[-1][1]:
                raise StructNLPError(
                    f"spans {(start, end)} and {(stack[-1][0], stack[-1][1])} cross: not a tree"
                )
            flush(start)
        stack.append((start, end, []))
    while len(stack) > 1:
        close()
    flush(n)
    return Tree(label, stack[0][2])


def _tokens(tokens: Sequence[str]) -> list[str]:
    if isinstance(tokens, str):
        raise StructNLPError("tokens must be a sequence of words, got a single string")
    words = list(tokens)
    if not words:
        raise StructNLPError("cannot build a tree over zero tokens")
    return words


def right_branching_tree(tokens: Sequence[str], label: str = "X") -> Tree:
    """The right-branching binary tree ``(w1 (w2 (w3 w4)))``, the strong English baseline.

    >>> print(to_brackets(right_branching_tree("a b c d".split())))
    (a (b (c d)))
    """
    words = _tokens(tokens)
    node: Tree | str = words[-1]
    for word in reversed(words[:-1]):
        node = Tree(label, [word, node])
    return node if isinstance(node, Tree) else Tree(label, [node])


def left_branching_tree(tokens: Sequence[str], label: str = "X") -> Tree:
    """The left-branching binary tree ``(((w1 w2) w3) w4)``.

    >>> print(to_brackets(left_branching_tree("a b c d".split())))
    (((a b) c) d)
    """
    words = _tokens(tokens)
    node: Tree | str = words[0]
    for word in words[1:]:
        node = Tree(label, [node, word])
    return node if isinstance(node, Tree) else Tree(label, [node])


def tree_from_distances(
    tokens: Sequence[str], distances: Sequence[float], gap: float = 0.0, label: str = "X"
) -> Tree:
    """Decode a tree from syntactic distances by splitting top-down at the largest distance.

    ``distances[i]`` is the distance between ``tokens[i]`` and ``tokens[i + 1]`` (so there are
    ``len(tokens) - 1`` of them). The sentence is split after every word whose distance is within
    ``gap`` of the largest one, then each part is split the same way (Shen et al. 2018, the
    decoding of PRPN, ON-LSTM and StructFormer's ``build_tree``). Ties (or ``gap > 0``) give
    nodes with more than two children; distinct distances give a binary tree. StructFormer's
    models output one distance per word, the last one for the sentence end: pass ``distance[:-1]``.

    >>> print(to_brackets(tree_from_distances("a b c d".split(), [1.0, 3.0, 2.0])))
    ((a b) (c d))
    >>> print(to_brackets(tree_from_distances("a b c".split(), [1.0, 1.0])))
    (a b c)
    """
    words = _tokens(tokens)
    try:
        dist = np.asarray(distances, dtype=float)
    except (TypeError, ValueError):
        raise StructNLPError("distances must be a sequence of numbers") from None
    if dist.ndim != 1 or dist.shape[0] != len(words) - 1:
        raise StructNLPError(
            f"distances must hold one value between each pair of adjacent tokens: "
            f"{len(words)} tokens need {len(words) - 1} distances, got shape {dist.shape}"
        )
    if not np.all(np.isfinite(dist)):
        raise StructNLPError("distances must be finite numbers (got NaN or infinity)")
    # a NaN gap selected no split point, and the decoding recursed forever
    if not is_number(gap) or not gap >= 0:
        raise StructNLPError(f"gap must be a number >= 0, got {gap!r}")
    if len(words) == 1:
        return Tree(label, [words[0]])

    def build(lo: int, hi: int) -> Tree | str:  # tokens[lo:hi], distances[lo:hi-1]
        if hi - lo == 1:
            return words[lo]
        inner = dist[lo : hi - 1]
        cuts = lo + 1 + np.flatnonzero(inner >= inner.max() - gap)
        bounds = [lo, *cuts.tolist(), hi]
        return Tree(label, [build(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])

    result = build(0, len(words))
    assert isinstance(result, Tree)
    return result


def random_binary_tree(
    tokens: Sequence[str], random_state: int | np.random.Generator | None = None, label: str = "X"
) -> Tree:
    """A random binary tree: every node splits its words at a uniformly chosen point.

    Equivalent to :func:`tree_from_distances` with i.i.d. uniform distances (the random
    baseline of PRPN/StructFormer). Kim et al.'s random baseline instead flips a coin at each
    shift/reduce step, a different distribution over trees. Seeded by ``random_state``.

    >>> print(to_brackets(random_binary_tree("a b c d".split(), random_state=0)))
    (a (b (c d)))
    """
    words = _tokens(tokens)
    rng = (
        random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    )
    return tree_from_distances(words, rng.random(len(words) - 1), label=label)


def to_brackets(tree: Tree, labels: bool = False) -> str:
    """One-line bracket string of ``tree``.

    Unlabeled (the default) gives the induced-tree format ``((a b) c)``: labels and
    preterminals are dropped and each span is written once (a unary chain becomes one bracket,
    a node over a single word becomes the word). ``labels=True`` gives the treebank format on
    one line.

    >>> t = Tree.fromstring("(S (NP (DT the) (NN cat)) (VP (VBD sat)))")
    >>> to_brackets(t)
    '((the cat) sat)'
    >>> to_brackets(t, labels=True)
    '(S (NP (DT the) (NN cat)) (VP (VBD sat)))'
    """
    _check_tree(tree)
    if labels:
        return tree.pformat(margin=sys.maxsize)
    leaves = tree.leaves()
    for word in leaves:
        if not isinstance(word, str) or _BRACKET_TOKEN.fullmatch(word) is None or word in "()":
            raise StructNLPError(
                f"leaf {word!r} cannot be written in bracket format (it is empty or holds "
                "whitespace or a bracket; treebanks write brackets as -LRB-/-RRB-)"
            )
    parts: list[str] = []
    stack: list[Tree | str | None] = [spans_to_tree(tree_spans(tree), leaves)]
    while stack:
        node = stack.pop()
        if node is None:
            parts.append(")")
        elif isinstance(node, str):
            if parts and parts[-1] != "(":
                parts.append(" ")
            parts.append(node)
        else:
            if parts and parts[-1] != "(":
                parts.append(" ")
            parts.append("(")
            stack.append(None)
            stack.extend(reversed(list(node)))
    return "".join(parts)


def from_brackets(text: str, label: str = "X") -> Tree:
    """Parse an unlabeled bracket string such as ``((a b) c)`` into a tree labelled ``label``.

    Labeled treebank strings (``(S (NP ...))``) are read with :meth:`nltk.Tree.fromstring`
    instead. Every ``(...)`` becomes a node; a bare word outside brackets is an error.

    >>> t = from_brackets("((a b) c)")
    >>> t.leaves(), sorted(tree_spans(t, include_trivial=True))
    (['a', 'b', 'c'], [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)])
    """
    tokens = _BRACKET_TOKEN.findall(text)
    if not tokens or tokens[0] != "(":
        raise StructNLPError(f"bracket string must start with '(': {text[:80]!r}")
    stack: list[list] = []
    result: Tree | None = None
    for i, token in enumerate(tokens):
        if result is not None:
            raise StructNLPError(f"text after the closing bracket of the tree: {' '.join(tokens[i:])[:80]!r}")
        if token == "(":
            stack.append([])
        elif token == ")":
            if not stack:
                raise StructNLPError(f"unbalanced ')' in bracket string {text[:80]!r}")
            children = stack.pop()
            if not children:
                raise StructNLPError(f"empty brackets '()' in bracket string {text[:80]!r}")
            node = Tree(label, children)
            if stack:
                stack[-1].append(node)
            else:
                result = node
        else:
            stack[-1].append(token)
    if result is None:
        raise StructNLPError(f"unbalanced '(' in bracket string {text[:80]!r}")
    return result


# ----------------------------------------------------------------------------- dependencies


def _check_heads(heads: Sequence[int], name: str = "heads") -> list[int]:
    if isinstance(heads, (str, bytes)):
        raise StructNLPError(f"{name} must be a sequence of integers, got a string")
    values = list(heads)
    n = len(values)
    out = []
    for i, h in enumerate(values, start=1):
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, (int, np.integer)):
            raise StructNLPError(f"{name}: head of word {i} must be an integer, got {h!r}")
        if not 0 <= h <= n:
            raise StructNLPError(f"{name}: head of word {i} is {h}, outside 0..{n} (0 is the root)")
        if h == i:
            raise StructNLPError(f"{name}: word {i} is its own head")
        out.append(int(h))
    return out


def _check_flags(values: object, name: str) -> list[bool]:
    """A boolean mask; a string would be true whatever it says ("False" kept a word)."""
    if isinstance(values, (str, bytes)):
        raise StructNLPError(f"{name} must be a sequence of booleans, got a string")
    flags = list(values)  # type: ignore[call-overload]
    for i, flag in enumerate(flags):
        number = isinstance(flag, (int, np.integer)) and flag in (0, 1)
        if not (isinstance(flag, (bool, np.bool_)) or number):
            raise StructNLPError(f"{name}: entry {i} is {flag!r}; expected True or False")
    return [bool(flag) for flag in flags]


def chain_heads(n: int, attach: Literal["left", "right"] = "left") -> list[int]:
    """Heads of the chain baseline over ``n`` words (1-based, 0 = root).

    ``attach="left"``: every word's head is the word on its left and the first word is the root
    (the dependency reading of a right-branching tree with left heads). ``attach="right"``:
    every word's head is the word on its right and the last word is the root.

    >>> chain_heads(4, "left"), chain_heads(4, "right")
    ([0, 1, 2, 3], [2, 3, 4, 0])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise StructNLPError(f"n must be a positive integer, got {n!r}")
    if attach == "left":
        return list(range(n))
    if attach == "right":
        return [*range(2, n + 1), 0]
    raise StructNLPError(f"attach must be 'left' or 'right', got {attach!r}")


def project_heads(heads: Sequence[int], keep: Sequence[bool]) -> list[int]:
    """Heads over the kept words only: a kept word whose head is dropped is attached to its
    nearest kept ancestor (or the root).

    This is how punctuation is removed from a dependency tree before unsupervised-parsing
    evaluation (StructFormer's ``get_dep``). Raises on a cycle through dropped words.

    >>> # "Vinken , 61 years old ," with heads [0, 1, 4, 5, 1, 1]; drop the commas
    >>> project_heads([0, 1, 4, 5, 1, 1], [True, False, True, True, True, False])
    [0, 3, 4, 1]
    """
    hs = _check_heads(heads)
    mask = _check_flags(keep, "keep")
    if len(mask) != len(hs):
        raise StructNLPError(f"keep has {len(mask)} entries but there are {len(hs)} heads")
    new_index = {}
    for i, k in enumerate(mask, start=1):
        if k:
            new_index[i] = len(new_index) + 1
    projected = []
    for i, k in enumerate(mask, start=1):
        if not k:
            continue
        h, seen = hs[i - 1], 0
        while h != 0 and not mask[h - 1]:
            h = hs[h - 1]
            seen += 1
            if seen > len(hs):
                raise StructNLPError(f"heads contain a cycle through dropped words (from word {i})")
        projected.append(0 if h == 0 else new_index[h])
    return projected
