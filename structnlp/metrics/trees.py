"""Unlabeled bracket F1 of induced constituency trees (Kim et al. 2019 protocol).

The protocol of unsupervised constituency parsing on the Penn Treebank (Kim, Dyer and Rush
2019, "Compound Probabilistic Context-Free Grammars", evaluation script ``eval.py`` of
harvardnlp/compound-pcfg; the same as PRPN, ON-LSTM and StructFormer up to the details below):

1. Gold trees lose punctuation, currency symbols and ``-NONE-`` traces first
   (:func:`structnlp.trees.clean_ptb_tree`); predicted trees are built over the same words.
2. A sentence's spans are those of its constituents without the *trivial* ones: single words
   and the whole sentence (:func:`structnlp.trees.tree_spans`). Labels and unary chains play no
   part (spans form a set).
3. Sentence F1: per sentence, P = |pred ∩ gold| / |pred|, R = |pred ∩ gold| / |gold|,
   F1 = 2PR / (P + R); averaged over the sentences whose gold span set is not empty.
   Sentences of one or two words have no non-trivial spans and are left out of the average
   (compound-pcfg skips length-1 sentences and sentences with an empty span set).
4. Corpus F1: P and R from true-positive, false-positive and false-negative counts summed over
   all sentences, F1 = 2PR / (P + R).

Details that differ between the published scripts, and the choice made here:

* compound-pcfg's script drops only the *last* whole-sentence span it meets, so a gold tree
  whose root has a single child after cleaning (``(S (NP ...) (. .))``) keeps one
  whole-sentence span; PRPN/StructFormer collapse unary chains first and keep none. Here
  every whole-sentence span is dropped, as the protocol states.
* compound-pcfg also skips sentences whose *predicted* span set is empty; a binary tree over
  three or more words always has spans, so that only matters for flat (non-binary)
  predictions, which score F1 = 0 here rather than being left out.
* PRPN/StructFormer count sentences with no gold spans as F1 = 1 in the sentence average;
  compound-pcfg and this module leave them out.
* The scripts add 1e-8 to denominators; the values here are exact.

All scores are fractions in [0, 1] (papers print them times 100).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nltk import Tree

from structnlp.errors import StructNLPError
from structnlp.trees import Span, _check_spans, tree_spans

__all__ = ["bracket_f1"]

TreeOrSpans = Tree | Iterable[Span]


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _evaluation_spans(item: TreeOrSpans, length: int | None, where: str) -> set[Span]:
    """Non-trivial spans of one sentence (``length`` is its word count, None when unknown)."""
    if isinstance(item, Tree):
        return tree_spans(item)
    if isinstance(item, (str, bytes)):
        raise StructNLPError(f"{where}: expected an nltk.Tree or a set of (start, end) spans, got a string")
    try:
        raw = list(item)
    except TypeError:
        raise StructNLPError(
            f"{where}: expected an nltk.Tree or a set of (start, end) spans, got {type(item).__name__}"
        ) from None
    spans = {(s, e) for s, e in _check_spans(raw, length, where) if e - s >= 2}
    if length is not None:
        spans.discard((0, length))
    return spans


def bracket_f1(
    predicted: Sequence[TreeOrSpans],
    gold: Sequence[TreeOrSpans],
    lengths: Sequence[int] | None = None,
) -> dict[str, float]:
    """Unlabeled bracket F1 (sentence-level mean and corpus-level) of ``predicted`` against ``gold``.

    Each item is an :class:`nltk.Tree` or a set of ``(start, end)`` spans (half-open, over word
    positions). Gold treebank trees must already be cleaned (:func:`structnlp.trees.clean_ptb_tree`)
    and predicted trees must be over the same words: sentences whose word counts differ raise
    :class:`StructNLPError`. Span sets are taken as they are after dropping single-word spans; the
    whole-sentence span is dropped from them too when the sentence length is known (from the tree
    on the other side, or from ``lengths``).

    Returns a dict with ``sentence_f1`` (mean over sentences with gold spans), ``corpus_f1``,
    ``corpus_precision``, ``corpus_recall``, ``sentence_precision``, ``sentence_recall`` (means over
    the same sentences), ``n_sentences`` and ``n_scored`` (sentences in the sentence mean).

    >>> from structnlp.trees import from_brackets
    >>> gold = from_brackets("((the cat) (sat (on (the mat))))")
    >>> pred = from_brackets("(the (cat (sat (on (the mat)))))")
    >>> scores = bracket_f1([pred], [gold])
    >>> round(scores["sentence_f1"], 4), round(scores["corpus_f1"], 4)
    (0.75, 0.75)
    """
    if isinstance(predicted, (Tree, str)) or isinstance(gold, (Tree, str)):
        raise StructNLPError("predicted and gold must be sequences of sentences (one tree or span set each)")
    predicted, gold = list(predicted), list(gold)
    if len(predicted) != len(gold):
        raise StructNLPError(f"{len(predicted)} predicted sentences but {len(gold)} gold sentences")
    if not gold:
        raise StructNLPError("no sentences to evaluate")
    if lengths is not None:
        lengths = list(lengths)
        if len(lengths) != len(gold):
            raise StructNLPError(f"lengths has {len(lengths)} entries for {len(gold)} sentences")
    tp = fp = fn = 0
    sentence_p: list[float] = []
    sentence_r: list[float] = []
    sentence_f: list[float] = []
    for k, (p_item, g_item) in enumerate(zip(predicted, gold, strict=True)):
        where = f"sentence {k}"
        g_n = len(g_item.leaves()) if isinstance(g_item, Tree) else None
        p_n = len(p_item.leaves()) if isinstance(p_item, Tree) else None
        if g_n is not None and p_n is not None and g_n != p_n:
            raise StructNLPError(
                f"{where}: predicted tree has {p_n} words but the gold tree has {g_n}; "
                "build the prediction over the cleaned gold words (no punctuation or traces)"
            )
        length = g_n if g_n is not None else p_n
        if lengths is not None:
            if length is not None and lengths[k] != length:
                raise StructNLPError(f"{where}: the tree has {length} words but lengths gives {lengths[k]}")
            length = lengths[k]
        g_spans = _evaluation_spans(g_item, length, f"{where} (gold)")
        p_spans = _evaluation_spans(p_item, length, f"{where} (predicted)")
        hits = len(p_spans & g_spans)
        tp += hits
        fp += len(p_spans) - hits
        fn += len(g_spans) - hits
        if g_spans:
            precision = hits / len(p_spans) if p_spans else 0.0
            recall = hits / len(g_spans)
            sentence_p.append(precision)
            sentence_r.append(recall)
            sentence_f.append(_f1(precision, recall))
    corpus_p = tp / (tp + fp) if tp + fp else 0.0
    corpus_r = tp / (tp + fn) if tp + fn else 0.0
    n_scored = len(sentence_f)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        "sentence_f1": mean(sentence_f),
        "corpus_f1": _f1(corpus_p, corpus_r),
        "corpus_precision": corpus_p,
        "corpus_recall": corpus_r,
        "sentence_precision": mean(sentence_p),
        "sentence_recall": mean(sentence_r),
        "n_sentences": len(gold),
        "n_scored": n_scored,
    }
