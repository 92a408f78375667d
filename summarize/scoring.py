"""Fast ROUGE on token sequences, for training signals rather than for reporting.

The reported scores come from :func:`structnlp.metrics.rouge` (Google's ``rouge-score``,
stemmed). Training needs ROUGE thousands of times per minute, on token ids, on machines that
may not have ``rouge-score``: the self-critical reward (ROUGE-L F of a sampled summary), the
greedy extractive oracle and the validation metric use these functions. Tokens are compared
as given (ints or strings), without stemming; ``ignore`` tokens (such as the unknown-word id)
never match.

ROUGE-L uses the bit-parallel LCS-length algorithm of Hyyrö (2004): one pass over the second
sequence with integer operations on a bit vector as long as the first, instead of the
quadratic dynamic programme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

__all__ = ["lcs_length", "rouge_l", "rouge_n"]


def _prf(overlap: float, n_pred: int, n_ref: int) -> dict[str, float]:
    precision = overlap / n_pred if n_pred else 0.0
    recall = overlap / n_ref if n_ref else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": precision, "r": recall, "f": f}


def rouge_n(
    prediction: Sequence[Hashable], reference: Sequence[Hashable], n: int = 1, ignore: Hashable = None
) -> dict[str, float]:
    """ROUGE-N precision, recall and F of one prediction against one reference (clipped counts).

    >>> {k: round(v, 4) for k, v in rouge_n("the cat sat".split(), "the cat ran".split(), 2).items()}
    {'p': 0.5, 'r': 0.5, 'f': 0.5}
    """
    pred = Counter(tuple(prediction[i : i + n]) for i in range(len(prediction) - n + 1))
    ref = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
    if ignore is not None:
        for gram in [g for g in pred if ignore in g]:
            pred[gram] = 0
    overlap = sum(min(count, ref[gram]) for gram, count in pred.items() if count)
    return _prf(overlap, max(0, len(prediction) - n + 1), max(0, len(reference) - n + 1))


def lcs_length(a: Sequence[Hashable], b: Sequence[Hashable], ignore: Hashable = None) -> int:
    """Length of the longest common subsequence of ``a`` and ``b`` (bit-parallel, Hyyrö 2004).

    >>> lcs_length("ABCBDAB", "BDCABA")
    4
    """
    masks: dict[Hashable, int] = {}
    for i, token in enumerate(a):
        if ignore is None or token != ignore:
            masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_l(
    prediction: Sequence[Hashable], reference: Sequence[Hashable], ignore: Hashable = None
) -> dict[str, float]:
    """ROUGE-L (sentence-level LCS) precision, recall and F.

    >>> round(rouge_l("the cat sat on the mat".split(), "the cat was on the mat".split())["f"], 4)
    0.8333
    """
    return _prf(lcs_length(prediction, reference, ignore), len(prediction), len(reference))
