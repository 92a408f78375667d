"""Word vectors for ctx-DocNADEe: read a word2vec/GloVe text file, or derive vectors from the corpus.

ctx-DocNADEe (Gupta et al., ICLR 2019) feeds pre-trained word embeddings (GloVe in the paper)
to its LSTM language model. Nothing can be downloaded at run time here, so besides reading a
file the user has, :func:`ppmi_svd_embeddings` derives vectors from the training corpus itself:
the truncated SVD of its positive pointwise mutual information (PPMI) matrix of word
co-occurrences within a window, with context-distribution smoothing (Levy, Goldberg & Dagan,
TACL 2015, who found it on a par with word2vec's skip-gram on word-similarity tasks). It needs
only numpy, scipy and scikit-learn, is deterministic for a seed and takes seconds; word2vec
(gensim) would add a dependency that is only in the ``bench`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from structnlp.errors import CorpusFormatError, StructNLPError
from structnlp.files import iter_lines

__all__ = ["ppmi_svd_embeddings", "read_word2vec_text", "word_vectors"]


def read_word2vec_text(path: str | os.PathLike, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of ``words`` from a word2vec text file (``word x1 x2 ...`` per line; gzip is fine).

    An optional word2vec header line (``count dimension``) is skipped, so GloVe files work too.
    Returns ``(vectors, found)``: a ``float32`` matrix with one row per word of ``words``
    (zeros for a word the file lacks) and a boolean mask of the words found. Only the rows of
    ``words`` are parsed; a line with another number of values than the first names the file
    and line in a :class:`~structnlp.errors.CorpusFormatError`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "vectors.txt"
    >>> _ = p.write_text("3 2\\ncat 1.0 0.5\\ndog 0.5 1.0\\ncar -1 0\\n", encoding="utf-8")
    >>> vectors, found = read_word2vec_text(p, ["dog", "bird", "cat"])
    >>> vectors.tolist(), found.tolist()
    ([[0.5, 1.0], [0.0, 0.0], [1.0, 0.5]], [True, False, True])
    """
    if isinstance(words, str):
        raise StructNLPError("words must be a sequence of str, got a single str")
    index = {w: i for i, w in enumerate(words)}
    rows: dict[int, np.ndarray] = {}
    dim = None
    for lineno, line in iter_lines(path):
        parts = line.rstrip().split(" ")
        if not line.strip():
            continue
        if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
            continue  # word2vec header: "<count> <dimension>"
        values = parts[1:]
        if dim is None:
            if not values:
                raise CorpusFormatError(path, lineno, "a word without numbers; expected 'word x1 x2 ...'")
            dim = len(values)
        if len(values) != dim:
            raise CorpusFormatError(path, lineno, f"{len(values)} numbers after the word, expected {dim}")
        row = index.get(parts[0])
        if row is None or row in rows:
            continue  # not wanted, or a later duplicate (the first vector wins)
        try:
            vector = np.array(values, dtype=np.float32)
        except ValueError:
            raise CorpusFormatError(path, lineno, f"not a number in the vector of {parts[0]!r}") from None
        if not np.all(np.isfinite(vector)):
            raise CorpusFormatError(path, lineno, f"the vector of {parts[0]!r} holds NaN or infinity")
        rows[row] = vector
    if dim is None:
        raise CorpusFormatError(path, None, "holds no word vectors")
    vectors = np.zeros((len(words), dim), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    for row, vector in rows.items():
        vectors[row] = vector
        found[row] = True
    return vectors, found


def ppmi_svd_embeddings(
    docs: Sequence[Sequence[int] | np.ndarray],
    n_words: int,
    dim: int,
    *,
    window: int = 5,
    alpha: float = 0.75,
    random_state: int = 0,
) -> np.ndarray:
    """Word vectors from the truncated SVD of the corpus's PPMI matrix (see the module doc).

    ``docs`` are documents as word ids in ``range(n_words)``. Two words co-occur when at most
    ``window`` positions apart in a document (counted in both directions). With ``alpha``
    the context distribution smoothing ``P_alpha(c) ~ count(c) ** alpha``,
    ``PPMI(w, c) = max(0, log(P(w, c) / (P(w) P_alpha(c))))``. The vectors are ``U_d S_d^(1/2)``
    of the rank-``dim`` SVD, scaled to unit length; a word that co-occurs with nothing gets
    zeros, as do dimensions beyond ``n_words``. Returns ``float32``, shape ``(n_words, dim)``.

    >>> docs = [[0, 1, 2, 1, 0, 2], [3, 4, 5, 3, 4, 5]]     # two groups of words that co-occur
    >>> v = ppmi_svd_embeddings(docs, n_words=6, dim=2)
    >>> v.shape, round(float(v[0] @ v[1]), 3), round(abs(float(v[0] @ v[3])), 3)   # cosines
    ((6, 2), 1.0, 0.0)
    """
    import scipy.sparse as sp
    from sklearn.utils.extmath import randomized_svd

    for name, value, low in (("n_words", n_words, 1), ("dim", dim, 1), ("window", window, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise StructNLPError(f"{name} must be an int >= {low}, got {value!r}")
    if not 0 < alpha <= 1:
        raise StructNLPError(f"alpha must be in (0, 1], got {alpha!r}")
    arrays = [np.asarray(d, dtype=np.int64).reshape(-1) for d in docs]
    flat = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= n_words):
        raise StructNLPError(f"word ids must lie in range({n_words})")
    doc_of = np.repeat(np.arange(len(arrays)), [a.size for a in arrays])
    rows, cols = [], []
    for offset in range(1, window + 1):
        same = doc_of[:-offset] == doc_of[offset:]
        left, right = flat[:-offset][same], flat[offset:][same]
        rows += [left, right]
        cols += [right, left]
    vectors = np.zeros((n_words, dim), dtype=np.float32)
    row_ids = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    if row_ids.size == 0:
        return vectors
    col_ids = np.concatenate(cols)
    counts = sp.csr_matrix((np.ones(row_ids.size), (row_ids, col_ids)), shape=(n_words, n_words))
    counts.sum_duplicates()
    word_totals = np.asarray(counts.sum(axis=1)).ravel()
    smoothed = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    context_p = smoothed / smoothed.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data) - np.log(word_totals[coo.row]) - np.log(context_p[coo.col])
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n_words, n_words))
    if ppmi.nnz == 0:
        return vectors
    rank = min(dim, n_words)  # randomized_svd, which needs rank < n_words, runs only when n_words > 2 * rank
    if n_words <= 2 * rank + 10:
        u, s, _ = np.linalg.svd(ppmi.toarray(), full_matrices=False)
        u, s = u[:, :rank], s[:rank]
    else:
        u, s, _ = randomized_svd(ppmi, rank, random_state=random_state)
    kept = s > s[0] * 1e-6  # directions of (numerically) zero singular value carry no information
    vectors[:, : int(kept.sum())] = u[:, kept] * np.sqrt(s[kept])
    vectors[np.diff(ppmi.indptr) == 0] = 0.0  # a word without positive PMI has no direction
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors


def word_vectors(
    source: str | os.PathLike,
    docs: Sequence[Sequence[int] | np.ndarray],
    words: Sequence[str],
    dim: int,
    *,
    owner: str,
    option: str,
    window: int = 5,
    random_state: int = 0,
) -> tuple[np.ndarray, float]:
    """Vectors of ``words`` from ``source``: ``"train"`` (:func:`ppmi_svd_embeddings` of ``docs``,
    ``dim`` wide) or a word2vec text file; and the share of the words that got one.

    ``owner`` and ``option`` (the model and its parameter) name the source in the error for a file
    that covers no word.

    >>> docs = [np.array([0, 1, 2]), np.array([3, 4, 5])] * 3
    >>> vectors, coverage = word_vectors("train", docs, list("abcdef"), 2, owner="DocNADE", option="x")
    >>> vectors.shape, coverage
    ((6, 2), 1.0)
    """
    if isinstance(source, str) and source == "train":
        vectors = ppmi_svd_embeddings(docs, len(words), dim, window=window, random_state=random_state)
        return vectors, float(np.mean(np.linalg.norm(vectors, axis=1) > 0))
    vectors, found = read_word2vec_text(source, words)
    if not found.any():
        raise StructNLPError(
            f"{owner}: none of the {len(words)} vocabulary words has a vector in "
            f"{os.fspath(source)} ({option})"
        )
    return vectors, float(found.mean())
