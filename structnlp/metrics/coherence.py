"""Topic coherence: NPMI (``c_npmi``) and C_v, with gensim's definitions (Röder et al. 2015),
and topic diversity (Dieng et al. 2020).

Both score each topic's ``top_n`` words against a *reference corpus* of tokenized documents,
then average over topics. Probabilities come from boolean sliding windows:

* every document of length ``L`` gives ``max(L - window_size + 1, 1)`` windows of
  ``window_size`` consecutive tokens (a document shorter than the window is one window; an empty
  document still counts as one, as in gensim); ``window_size=None`` makes each whole document
  one window (document co-occurrence);
* ``P(w)`` is the share of windows containing ``w``, ``P(w1, w2)`` the share containing both.

With ``eps = 1e-12`` (gensim's ``EPSILON``):

* ``NPMI(w1, w2) = log((P(w1, w2) + eps) / (P(w1) P(w2))) / -log(P(w1, w2) + eps)``;
* **c_npmi** of a topic: the mean NPMI over its ordered word pairs ``(w_i, w_j), i != j``
  (gensim's ``s_one_one`` segmentation; the mean over unordered pairs is the same). Default
  window 10.
* **C_v** of a topic with words ``W``: context vectors ``v(w_i)_j = NPMI(w_i, w_j)`` for every
  ``w_j`` in ``W`` (``NPMI(w, w)`` included), ``v(W) = sum_i v(w_i)``; the score is the mean over
  ``i`` of ``cos(v(w_i), v(W))`` (one-set segmentation, indirect cosine confirmation,
  ``gamma = 1``). Default window 110.

A topic word absent from the reference corpus has P = 0 and no defined score: by default this
raises :class:`StructNLPError` naming the words; ``on_missing="drop"`` removes such words from
the topic first (a topic needs two words left).

The co-occurrence counts are exact. gensim 4.4's ``WordOccurrenceAccumulator`` undercounts a
word that appears twice inside one window when the window slides past its first occurrence (in
``a b a c d`` with windows of 3 it counts ``a`` in 1 window instead of 3), so on such corpora
the values differ from gensim's; on corpora without repeated topic words inside a window they
agree to floating-point precision (see the tests).

The counting is linear in the corpus size: per document, windows are grouped into runs with
the same set of topic words, and co-occurrences are summed with one small matrix product.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from structnlp.errors import EmptyCorpusError, StructNLPError

__all__ = ["cooccurrence_counts", "npmi_coherence", "cv_coherence", "topic_diversity"]

EPSILON = 1e-12


def cooccurrence_counts(
    texts: Iterable[Sequence[str]], vocabulary: Sequence[str], window_size: int | None = 10
) -> tuple[np.ndarray, int]:
    """Boolean-window co-occurrence counts of ``vocabulary`` words in ``texts``.

    Returns ``(counts, n_windows)``: ``counts[i, j]`` is the number of windows holding both
    ``vocabulary[i]`` and ``vocabulary[j]``, and ``counts[i, i]`` the number holding
    ``vocabulary[i]``. See the module doc for the windows.

    >>> counts, n = cooccurrence_counts([["a", "b", "a", "c", "d"]], ["a", "c"], window_size=3)
    >>> counts.tolist(), n
    ([[3, 2], [2, 2]], 3)
    """
    if window_size is not None and (
        isinstance(window_size, bool) or not isinstance(window_size, (int, np.integer)) or window_size < 1
    ):
        raise StructNLPError(f"window_size must be a positive integer or None, got {window_size!r}")
    if isinstance(vocabulary, str):  # its characters would be counted as the words
        raise StructNLPError("vocabulary must be a list of words, got a single string")
    index = {word: i for i, word in enumerate(vocabulary)}
    if len(index) != len(vocabulary):
        raise StructNLPError("vocabulary holds duplicate words")
    v = len(index)
    counts = np.zeros((v, v), dtype=np.int64)
    n_windows = 0
    # Documents that fit in one window are batched into one sparse doc x word matrix.
    rows: list[int] = []
    cols: list[int] = []
    n_short = 0
    for d, text in enumerate(texts):
        if isinstance(text, str):
            raise StructNLPError(f"texts must be token lists; document {d} is a string (tokenize it first)")
        tokens = list(text)
        length = len(tokens)
        ids = np.fromiter((index.get(t, -1) for t in tokens), dtype=np.int64, count=length)
        present = np.flatnonzero(ids >= 0)
        if window_size is None or length <= window_size:
            n_windows += 1
            if present.size:
                unique = np.unique(ids[present])
                rows.extend([n_short] * unique.size)
                cols.extend(unique.tolist())
                n_short += 1
            continue
        n_doc_windows = length - window_size + 1
        n_windows += n_doc_windows
        if present.size == 0:
            continue
        _add_long_document(counts, ids[present], present, n_doc_windows, window_size)
    if n_windows == 0:
        raise EmptyCorpusError("the reference corpus holds no documents")
    if rows:
        import scipy.sparse as sp

        x = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (np.asarray(rows), np.asarray(cols))), shape=(n_short, v)
        )
        counts += (x.T @ x).toarray()
    return counts, n_windows


def _add_long_document(
    counts: np.ndarray, word_ids: np.ndarray, positions: np.ndarray, n_windows: int, window_size: int
) -> None:
    """Add the window co-occurrences of one document longer than the window to ``counts``."""
    # Token at position p lies in windows max(0, p - w + 1) .. min(p, n_windows - 1).
    starts = np.maximum(positions - window_size + 1, 0)
    stops = np.minimum(positions, n_windows - 1) + 1
    breaks = np.unique(np.concatenate(([0, n_windows], starts, stops)))
    weights = np.diff(breaks)  # number of windows in each run
    words, column = np.unique(word_ids, return_inverse=True)
    delta = np.zeros((breaks.size, words.size), dtype=np.int64)
    np.add.at(delta, (np.searchsorted(breaks, starts), column), 1)
    np.add.at(delta, (np.searchsorted(breaks, stops), column), -1)
    inside = np.cumsum(delta, axis=0)[:-1] > 0  # runs x words: word present in the run's windows
    x = inside.astype(np.float64)  # float matmul uses BLAS; counts stay exact below 2**53
    counts[np.ix_(words, words)] += np.rint(x.T @ (x * weights[:, None])).astype(np.int64)


def _npmi_matrix(counts: np.ndarray, n_windows: int) -> np.ndarray:
    p = counts / n_windows
    single = np.diag(p)
    joint = p + EPSILON
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log(joint / np.outer(single, single)) / -np.log(joint)
    # Two words in every window: the formula reads 0/0, and eps would turn it into -1 ("never
    # together", as gensim reports it); its limit, and the meaning, is 1.
    npmi[counts == n_windows] = 1.0
    return npmi


def _topic_rows(topics: object) -> object:
    """A 2-D array of words (``feature_names[components.argsort(axis=1)]``) as a list of topics."""
    if isinstance(topics, np.ndarray):
        if topics.ndim != 2:
            raise StructNLPError(f"topics as an array must be 2-D (topics x words), got shape {topics.shape}")
        return topics.tolist()
    return topics


def _prepare_topics(
    topics: Sequence[Sequence[str]], top_n: int, on_missing: str
) -> tuple[list[list[str]], list[str]]:
    topics = _topic_rows(topics)
    if isinstance(topics, str) or not isinstance(topics, Sequence):
        raise StructNLPError("topics must be a sequence of word lists")
    if isinstance(top_n, bool) or not isinstance(top_n, (int, np.integer)) or top_n < 2:
        raise StructNLPError(f"top_n must be an integer >= 2, got {top_n!r}")
    if on_missing not in ("raise", "drop"):
        raise StructNLPError(f"on_missing must be 'raise' or 'drop', got {on_missing!r}")
    if len(topics) == 0:
        raise StructNLPError("no topics given")
    prepared = []
    for t, topic in enumerate(topics):
        if isinstance(topic, str):
            raise StructNLPError(f"topic {t} is a string; give each topic as a list of words")
        words = list(topic)[:top_n]
        if len(set(words)) != len(words):
            raise StructNLPError(f"topic {t} repeats a word: {words}")
        if len(words) < 2:
            raise StructNLPError(f"topic {t} has {len(words)} word(s); coherence needs at least 2")
        prepared.append(words)
    vocabulary = list(dict.fromkeys(w for words in prepared for w in words))
    return prepared, vocabulary


def _scored_topics(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    top_n: int,
    window_size: int | None,
    on_missing: str,
) -> list[np.ndarray | None]:
    """Per topic, the NPMI matrix over its (kept) words; None for a topic ``on_missing="drop"`` left
    with fewer than 2 words (it has no word pair to score)."""
    prepared, vocabulary = _prepare_topics(topics, top_n, on_missing)
    counts, n_windows = cooccurrence_counts(texts, vocabulary, window_size)
    index = {w: i for i, w in enumerate(vocabulary)}
    missing = {w for w, i in index.items() if counts[i, i] == 0}
    if missing and on_missing == "raise":
        raise StructNLPError(
            f"{len(missing)} topic word(s) never occur in the reference corpus: {sorted(missing)[:20]}; "
            "use a larger reference corpus or on_missing='drop'"
        )
    npmi = _npmi_matrix(counts, n_windows)
    matrices: list[np.ndarray | None] = []
    for words in prepared:
        ids = [index[w] for w in words if w not in missing]
        matrices.append(npmi[np.ix_(ids, ids)] if len(ids) >= 2 else None)
    if all(m is None for m in matrices):
        raise StructNLPError("no topic has 2 words that occur in the reference corpus; nothing to score")
    return matrices


def _summary(per_topic: list[float]) -> dict[str, float | list[float]]:
    """The mean over the topics that could be scored (those left with under 2 words are NaN)."""
    return {"coherence": float(np.nanmean(per_topic)), "per_topic": per_topic}


def npmi_coherence(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    top_n: int = 10,
    window_size: int | None = 10,
    on_missing: Literal["raise", "drop"] = "raise",
) -> dict[str, float | list[float]]:
    """NPMI coherence (gensim's ``c_npmi``) of ``topics`` on the reference corpus ``texts``.

    ``topics`` are word lists ordered by weight (the first ``top_n`` are used); ``texts`` are
    token lists. Returns ``coherence`` (mean over topics, in [-1, 1]) and ``per_topic``. With
    ``on_missing="drop"`` a topic left with fewer than 2 words scores NaN and the mean skips it.
    One deliberate difference from gensim: two words found in every window score 1, not -1.

    >>> texts = [["apple", "banana"], ["apple", "banana"], ["car", "road"], ["car", "road"]]
    >>> scores = npmi_coherence([["apple", "banana"], ["apple", "car"]], texts, window_size=None)
    >>> [round(x, 4) for x in scores["per_topic"]]   # always together; never together (eps keeps it > -1)
    [1.0, -0.9498]
    >>> npmi_coherence([["apple", "banana"]], texts[:2], window_size=None)["coherence"]  # in every window
    1.0
    """
    per_topic = []
    for m in _scored_topics(topics, texts, top_n, window_size, on_missing):
        if m is None:
            per_topic.append(math.nan)
            continue
        off_diagonal = ~np.eye(m.shape[0], dtype=bool)
        per_topic.append(float(m[off_diagonal].mean()))
    return _summary(per_topic)


def cv_coherence(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    top_n: int = 10,
    window_size: int | None = 110,
    on_missing: Literal["raise", "drop"] = "raise",
) -> dict[str, float | list[float]]:
    """C_v coherence (gensim's ``c_v``) of ``topics`` on the reference corpus ``texts``.

    Same inputs and outputs as :func:`npmi_coherence`; C_v lies in [-1, 1] too and is usually
    positive. A topic whose context vectors are all zero has no defined cosine and scores 0.

    >>> texts = [["apple", "banana", "fruit"], ["apple", "fruit"], ["car", "road"], ["car", "road", "fruit"]]
    >>> round(cv_coherence([["apple", "banana", "fruit"]], texts, window_size=None)["coherence"], 4)
    0.8829
    """
    per_topic = []
    for m in _scored_topics(topics, texts, top_n, window_size, on_missing):
        if m is None:
            per_topic.append(math.nan)
            continue
        topic_vector = m.sum(axis=0)
        norms = np.linalg.norm(m, axis=1) * np.linalg.norm(topic_vector)
        with np.errstate(invalid="ignore", divide="ignore"):
            cosines = np.where(norms > 0, (m @ topic_vector) / norms, 0.0)
        per_topic.append(float(cosines.mean()))
    return _summary(per_topic)


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 25) -> float:
    """Share of distinct words among the first ``top_n`` words of all topics (Dieng et al. 2020).

    1 when no two topics share a word, ``1 / n_topics`` when all topics are the same list.
    Coherence alone rewards repeating a few frequent, co-occurring words in every topic; this
    is the check on that.

    >>> topic_diversity([["apple", "banana"], ["apple", "car"]])
    0.75
    """
    topics = _topic_rows(topics)
    if isinstance(topics, str) or not isinstance(topics, Sequence) or len(topics) == 0:
        raise StructNLPError("topics must be a non-empty sequence of word lists")
    if isinstance(top_n, bool) or not isinstance(top_n, (int, np.integer)) or top_n < 1:
        raise StructNLPError(f"top_n must be a positive integer, got {top_n!r}")
    words = []
    for t, topic in enumerate(topics):
        if isinstance(topic, str) or not list(topic):
            raise StructNLPError(f"topic {t} must be a non-empty list of words, got {topic!r}")
        words.extend(list(topic)[:top_n])
    return len(set(words)) / len(words)
