"""Directed and undirected attachment scores of dependency trees.

Heads are 1-based with 0 for the root (CoNLL-U). For every scored word ``i`` with predicted
head ``p`` and gold head ``g``:

* **directed** (UAS, "DDA" in the unsupervised-parsing papers): right when ``p == g``;
* **undirected** (UUAS, "UDA"): right when the predicted edge ``{i, p}`` is an edge of the gold
  tree in either direction, i.e. ``p == g`` or the gold head of ``p`` is ``i``; each gold edge
  is matched once, so heads with a cycle (``i -> j -> i``) do not score both words on it. A root
  attachment ``{i, 0}`` is right only when ``i`` is the gold root. This is StructFormer's
  definition (``tree_utils.evald(..., directed=False)``), which compares (dependent, head)
  pairs without their order; here edges are compared by word position rather than by word
  string, so repeated words in a sentence cannot match each other's edges.

Both are micro-averages: correct edges over scored words, summed over the corpus.
Punctuation is handled in one of two ways:

* remove it from both trees first with :func:`structnlp.trees.project_heads` (StructFormer's
  protocol: a word attached to punctuation is re-attached to the nearest non-punctuation
  ancestor), then score every word; or
* keep the trees and pass ``ignore`` (True = not scored), as the CoNLL shared tasks do; the
  ignored words' gold edges then do not count as undirected matches either.
"""

from __future__ import annotations

from collections.abc import Sequence

from structnlp.errors import StructNLPError
from structnlp.trees import _check_flags, _check_heads

__all__ = ["attachment_score"]


def attachment_score(
    predicted_heads: Sequence[Sequence[int]],
    gold_heads: Sequence[Sequence[int]],
    ignore: Sequence[Sequence[bool]] | None = None,
) -> dict[str, float]:
    """Directed (UAS) and undirected (UUAS) attachment scores over a corpus of sentences.

    ``predicted_heads`` and ``gold_heads`` hold one head list per sentence; ``ignore`` (optional)
    one boolean list per sentence marking the words not scored (e.g. punctuation). Returns
    ``directed``, ``undirected`` (fractions in [0, 1]) and ``n_words`` (scored words).

    >>> gold = [[2, 0, 2]]          # "the dog barked": the <- dog -> ...; dog is the root
    >>> pred = [[0, 1, 2]]          # left chain: the -> dog -> barked
    >>> scores = attachment_score(pred, gold)
    >>> round(scores["directed"], 4), round(scores["undirected"], 4), scores["n_words"]
    (0.3333, 0.6667, 3)
    """
    predicted_heads, gold_heads = list(predicted_heads), list(gold_heads)
    if len(predicted_heads) != len(gold_heads):
        raise StructNLPError(
            f"{len(predicted_heads)} predicted sentences but {len(gold_heads)} gold sentences"
        )
    if ignore is not None:
        ignore = list(ignore)
        if len(ignore) != len(gold_heads):
            raise StructNLPError(f"ignore has {len(ignore)} sentences but there are {len(gold_heads)}")
    directed = undirected = total = 0
    for k, (p_raw, g_raw) in enumerate(zip(predicted_heads, gold_heads, strict=True)):
        pred = _check_heads(p_raw, f"predicted heads of sentence {k}")
        gold = _check_heads(g_raw, f"gold heads of sentence {k}")
        if len(pred) != len(gold):
            raise StructNLPError(f"sentence {k}: {len(pred)} predicted heads but {len(gold)} gold heads")
        if ignore is None:
            scored = [True] * len(gold)
        else:
            scored = [not x for x in _check_flags(ignore[k], f"ignore of sentence {k}")]
            if len(scored) != len(gold):
                raise StructNLPError(f"sentence {k}: ignore has {len(scored)} entries for {len(gold)} words")
        gold_edges = {frozenset((i, h)) for i, h in enumerate(gold, start=1) if scored[i - 1]}
        # a gold edge counts once: predicted heads with a cycle (i -> j and j -> i) hold the
        # same undirected edge twice, which must not score two words on one gold edge
        matched: set[frozenset[int]] = set()
        for i, (p, g) in enumerate(zip(pred, gold, strict=True), start=1):
            if not scored[i - 1]:
                continue
            total += 1
            directed += p == g
            if frozenset((i, p)) in gold_edges:
                matched.add(frozenset((i, p)))
        undirected += len(matched)
    if total == 0:
        raise StructNLPError("no words to score (empty corpus, or every word ignored)")
    return {"directed": directed / total, "undirected": undirected / total, "n_words": total}
