"""A coherence prior on ``W``: reward topics whose leading words are similar words.

Trained on likelihood alone, DocNADE's topics (the largest weights of each row of ``W``) are
led by rare words, and their NPMI is no better than that of random word sets (docs/topics.md).
Following Ding, Nallapati & Xiang (EMNLP 2018, "Coherence-aware neural topic modeling"), the
training loss can reward coherence directly, measured with word vectors because NPMI itself
is not differentiable. With ``coherence_weight=lam`` the loss of a batch becomes::

    mean word NLL - lam * mean_j C_j
    C_j = sum_{v != w} beta_jv beta_jw S_vw / (1 - sum_v beta_jv ** 2)
    beta_j = softmax(SHARPNESS * standardised row j of W)

``beta_j`` puts nearly all its mass on topic ``j``'s leading words, ``S`` is the cosine
similarity of word vectors, and ``C_j`` is the expected similarity of two
different words drawn from ``beta_j``: the mean pairwise cosine of the leading words. The
vectors are PPMI-SVD vectors of the training documents (``"train"``, nothing downloaded) or
a word2vec/GloVe text file. The prior shapes training only; a saved model does not keep it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import torch

from topics.embeddings import word_vectors

__all__ = ["SHARPNESS", "VECTOR_DIM", "WINDOW", "coherence_vectors", "soft_coherence", "unit_vectors"]

#: How sharply ``beta_j`` picks the leading words: ``exp(3 z)`` puts most of the mass on the
#: words 2-3 standard deviations above the row's mean, about the top ten of a thousand.
SHARPNESS = 3.0
#: Dimension and co-occurrence window of the PPMI-SVD vectors made from the training documents.
VECTOR_DIM = 200
WINDOW = 10


def coherence_vectors(
    source: str | os.PathLike, docs: Sequence[np.ndarray], words: Sequence[str], random_state: int, owner: str
) -> np.ndarray:
    """Word vectors for the prior, one row per word of ``words``: ``"train"`` or a word2vec text file.

    >>> docs = [np.array([0, 1, 2]), np.array([3, 4, 5])] * 3
    >>> coherence_vectors("train", docs, list("abcdef"), 0, "DocNADE").shape
    (6, 200)
    """
    vectors, _ = word_vectors(
        source,
        docs,
        words,
        VECTOR_DIM,
        owner=owner,
        option="coherence_vectors",
        window=WINDOW,
        random_state=random_state,
    )
    return vectors


def unit_vectors(vectors: np.ndarray) -> torch.Tensor:
    """The word vectors scaled to unit length (float32); a word without a vector keeps zeros.

    >>> unit_vectors(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return torch.from_numpy(unit.astype(np.float32))


def soft_coherence(W: torch.Tensor, unit: torch.Tensor, sharpness: float = SHARPNESS) -> torch.Tensor:
    """``C_j`` of the module doc for every topic; ``W`` is ``(n_words, n_topics)`` as the networks store it.

    ``unit`` holds the words' unit vectors (:func:`unit_vectors`). The pairwise sum is computed
    as ``|E^T beta|^2 - sum_v beta_v^2 |e_v|^2``, so the ``n_words x n_words`` similarity matrix
    is never formed: memory and time grow with the vocabulary, not with its square.

    >>> unit = unit_vectors(np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]]))
    >>> W = torch.tensor([[9.0, 9.0], [9.0, 0.0], [0.0, 9.0], [0.0, 0.0]])
    >>> [round(c, 2) for c in soft_coherence(W, unit).tolist()]   # topic 0 leads with similar words
    [0.98, 0.01]
    """
    if W.shape[0] < 2:  # one word: no pair to be similar, so nothing to reward
        return W.sum(dim=0) * 0.0
    spread = W.std(dim=0, keepdim=True).clamp_min(1e-6)
    beta = torch.softmax(sharpness * (W - W.mean(dim=0, keepdim=True)) / spread, dim=0)
    projected = unit.T @ beta
    squared = beta * beta
    pairs = (projected * projected).sum(dim=0) - (squared * (unit * unit).sum(dim=1, keepdim=True)).sum(dim=0)
    return pairs / (1.0 - squared.sum(dim=0)).clamp_min(1e-6)
