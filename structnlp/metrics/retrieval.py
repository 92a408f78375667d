"""Document retrieval precision at a retrieval fraction (the IR evaluation of DocNADE papers).

Protocol (Larochelle & Lauly 2012; Gupta et al. 2019, iDocNADE and textTOvec; AYLIEN's DocNADE
``evaluate.py``): every test document is a query; training documents are ranked by the cosine
similarity of their vectors to the query's; the top ``k`` are retrieved, where
``k = max(1, floor(fraction * n_train + 0.5))``; the precision of a query is the share of the
retrieved documents that are relevant; the score is the mean over queries. A curve over
fractions (0.0002 ... 1.0) is the usual plot.

Details fixed here:

* **relevance**: same label. With multi-label data (each label entry a list/set/tuple of
  labels) a training document is relevant when it shares *at least one* label with the query
  (AYLIEN's script instead averages the precision over the query's labels separately).
* **ties** in similarity at the cut-off are broken by training-set order (lower index first),
  so the score is deterministic.
* a zero vector has similarity 0 to everything.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from structnlp.errors import StructNLPError
from structnlp.params import check_int

__all__ = ["retrieval_precision", "retrieval_precision_curve"]


def _check_vectors(x: object, name: str):
    import scipy.sparse as sp

    if sp.issparse(x):
        matrix = sp.csr_matrix(x, dtype=float)
        if not np.all(np.isfinite(matrix.data)):
            raise StructNLPError(f"{name} holds NaN or infinite values")
    else:
        try:
            matrix = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise StructNLPError(f"{name} must be a 2-D array of numbers") from None
        if not np.all(np.isfinite(matrix)):
            raise StructNLPError(f"{name} holds NaN or infinite values")
    if matrix.ndim != 2:
        raise StructNLPError(f"{name} must be 2-D (documents x features), got shape {matrix.shape}")
    if matrix.shape[0] == 0:
        raise StructNLPError(f"{name} has no documents")
    return matrix


def _label_matrix(query_labels: Sequence, train_labels: Sequence):
    """Boolean indicator matrices (documents x label vocabulary) for queries and training docs."""
    import scipy.sparse as sp

    def as_sets(labels: Sequence, name: str) -> list[frozenset]:
        sets, multi = [], None
        for i, label in enumerate(labels):
            is_multi = isinstance(label, (list, tuple, set, frozenset, np.ndarray))
            if multi is not None and multi != is_multi:
                raise StructNLPError(f"{name}: document {i} mixes single labels and label lists")
            multi = is_multi
            if is_multi:
                items = label.tolist() if isinstance(label, np.ndarray) else label
                sets.append(frozenset(items))
            elif isinstance(label, Hashable):
                sets.append(frozenset([label]))
            else:
                raise StructNLPError(f"{name}: label of document {i} is not hashable: {label!r}")
        return sets

    q_sets = as_sets(query_labels, "query_labels")
    t_sets = as_sets(train_labels, "train_labels")
    vocab: dict = {}
    for s in (*q_sets, *t_sets):
        for label in s:
            vocab.setdefault(label, len(vocab))

    def indicator(sets: list[frozenset]):
        rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
        cols = np.fromiter((vocab[label] for s in sets for label in s), dtype=np.int64, count=len(rows))
        data = np.ones(len(rows), dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(sets), max(len(vocab), 1)))

    return indicator(q_sets), indicator(t_sets)


def _n_retrieved(fraction: float, n_train: int) -> int:
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)):
        raise StructNLPError(f"retrieval fraction must be a number in (0, 1], got {fraction!r}")
    if not 0 < fraction <= 1:
        raise StructNLPError(f"retrieval fraction must be in (0, 1], got {fraction}")
    return max(1, int(np.floor(fraction * n_train + 0.5)))


def retrieval_precision_curve(
    query_vectors,
    query_labels: Sequence,
    train_vectors,
    train_labels: Sequence,
    fractions: Sequence[float] = (0.0002, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
    batch_size: int = 512,
) -> dict[float, float]:
    """Mean retrieval precision at each of ``fractions`` of the training set.

    ``query_vectors`` (n_queries x d) and ``train_vectors`` (n_train x d) are dense arrays or
    scipy sparse matrices. Labels: one hashable label per document, or one list/set of labels
    per document (multi-label). Queries are processed ``batch_size`` at a time, so memory stays
    at ``batch_size x n_train`` similarities.

    >>> train = [[1, 0], [0.9, 0.1], [0, 1]]
    >>> retrieval_precision_curve([[1, 0.05]], ["a"], train, ["a", "a", "b"], fractions=[0.34, 1.0])
    {0.34: 1.0, 1.0: 0.6666666666666666}
    """
    from sklearn.preprocessing import normalize

    queries = _check_vectors(query_vectors, "query_vectors")
    train = _check_vectors(train_vectors, "train_vectors")
    if queries.shape[1] != train.shape[1]:
        raise StructNLPError(
            f"query vectors have {queries.shape[1]} features but training vectors have {train.shape[1]}"
        )
    for name, labels in (("query_labels", query_labels), ("train_labels", train_labels)):
        if isinstance(labels, (str, bytes)):
            raise StructNLPError(f"{name} must be a sequence with one label (or label set) per document")
    query_labels, train_labels = list(query_labels), list(train_labels)
    if len(query_labels) != queries.shape[0]:
        raise StructNLPError(f"{queries.shape[0]} query vectors but {len(query_labels)} query labels")
    if len(train_labels) != train.shape[0]:
        raise StructNLPError(f"{train.shape[0]} training vectors but {len(train_labels)} training labels")
    if isinstance(fractions, (int, float)):
        raise StructNLPError("fractions must be a sequence; use retrieval_precision for a single fraction")
    n_train = train.shape[0]
    ks = {f: _n_retrieved(f, n_train) for f in fractions}
    if not ks:
        raise StructNLPError("no retrieval fractions given")
    check_int("batch_size", batch_size, 1)
    q_ind, t_ind = _label_matrix(query_labels, train_labels)
    qn = normalize(queries)
    tn_t = normalize(train).T
    totals = dict.fromkeys(ks, 0.0)
    for start in range(0, queries.shape[0], batch_size):
        stop = min(start + batch_size, queries.shape[0])
        sims = qn[start:stop] @ tn_t
        sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
        relevant = (q_ind[start:stop] @ t_ind.T).toarray() > 0
        for fraction, k in ks.items():
            if k >= n_train:
                chosen = np.ones_like(relevant)
            else:
                # k-th largest similarity per row; take everything above it, then ties by index
                threshold = -np.partition(-sims, k - 1, axis=1)[:, k - 1 : k]
                above = sims > threshold
                ties = sims == threshold
                room = k - above.sum(axis=1, keepdims=True)
                chosen = above | ties
                crowded = np.flatnonzero(ties.sum(axis=1) > room[:, 0])
                if crowded.size:  # more tied documents than places left: keep the first ones
                    tied = ties[crowded]
                    chosen[crowded] = above[crowded] | (tied & (np.cumsum(tied, axis=1) <= room[crowded]))
            totals[fraction] += float((relevant & chosen).sum(axis=1).sum() / k)
    return {f: totals[f] / queries.shape[0] for f in ks}


def retrieval_precision(
    query_vectors,
    query_labels: Sequence,
    train_vectors,
    train_labels: Sequence,
    fraction: float = 0.02,
    batch_size: int = 512,
) -> float:
    """Mean retrieval precision at one ``fraction`` of the training set (see the module doc).

    >>> train = [[1, 0], [0.9, 0.1], [0, 1]]
    >>> retrieval_precision([[1, 0.05], [0, 1]], ["a", "b"], train, ["a", "a", "b"], fraction=0.34)
    1.0
    """
    curve = retrieval_precision_curve(
        query_vectors, query_labels, train_vectors, train_labels, fractions=[fraction], batch_size=batch_size
    )
    return curve[fraction]
