"""Topic coherence (NPMI, C_v): structnlp.metrics.coherence."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from structnlp.errors import EmptyCorpusError, StructNLPError
from structnlp.metrics import cooccurrence_counts, cv_coherence, npmi_coherence


def brute_force_counts(texts, vocabulary, window_size):
    """Enumerate every window as a set of words (the definition, slowly)."""
    windows = []
    for text in texts:
        if window_size is None or len(text) <= window_size:
            windows.append(set(text))
        else:
            windows.extend(set(text[i : i + window_size]) for i in range(len(text) - window_size + 1))
    counts = np.array([[sum(a in w and b in w for w in windows) for b in vocabulary] for a in vocabulary])
    return counts, len(windows)


def test_counts_by_hand():
    texts = [["a", "b", "a", "c", "d"], ["c"], [], ["a", "x", "x", "x", "c", "a"]]
    counts, n = cooccurrence_counts(texts, ["a", "c"], window_size=3)
    # doc 1 windows: aba, bac, acd; doc 2 and the empty doc: one window each; doc 4: axx, xxx, xxc, xca
    assert n == 3 + 1 + 1 + 4
    assert counts.tolist() == [[3 + 2, 2 + 1], [2 + 1, 2 + 1 + 2]]
    whole, n_docs = cooccurrence_counts(texts, ["a", "c"], window_size=None)
    assert n_docs == 4
    assert whole.tolist() == [[2, 2], [2, 3]]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from("abcdefg"), max_size=40), min_size=1, max_size=8),
    st.one_of(st.none(), st.integers(1, 12)),
)
def test_counts_match_brute_force(texts, window_size):
    vocabulary = ["a", "b", "c", "z"]
    counts, n = cooccurrence_counts(texts, vocabulary, window_size)
    expected, expected_n = brute_force_counts(texts, vocabulary, window_size)
    assert n == expected_n
    assert counts.tolist() == expected.tolist()


def test_npmi_by_hand():
    texts = [["a", "b"], ["a", "b"], ["a", "c"], ["d"]]
    # P(a) = 3/4, P(b) = 1/2, P(a, b) = 1/2 -> NPMI = log(4/3) / log(2)
    score = npmi_coherence([["a", "b"]], texts, window_size=None)
    assert score["coherence"] == pytest.approx(math.log(4 / 3) / math.log(2), abs=1e-9)
    # three words: mean over the pairs ab, ac, bc (b and c never meet: log(eps / (1/2 * 1/4)) / -log(eps))
    eps = 1e-12
    ab = math.log((0.5 + eps) / (0.75 * 0.5)) / -math.log(0.5 + eps)
    ac = math.log((0.25 + eps) / (0.75 * 0.25)) / -math.log(0.25 + eps)
    bc = math.log(eps / (0.5 * 0.25)) / -math.log(eps)
    triple = npmi_coherence([["a", "b", "c"]], texts, window_size=None)
    assert triple["per_topic"][0] == pytest.approx((ab + ac + bc) / 3, abs=1e-12)


def test_cv_by_hand():
    texts = [["a", "b"], ["a", "b"], ["a", "c"], ["d"]]
    eps = 1e-12
    p = {"a": 0.75, "b": 0.5}

    def npmi(x, y, joint):
        return math.log((joint + eps) / (p[x] * p[y])) / -math.log(joint + eps)

    m = np.array([[npmi("a", "a", 0.75), npmi("a", "b", 0.5)], [npmi("b", "a", 0.5), npmi("b", "b", 0.5)]])
    total = m.sum(axis=0)
    expected = np.mean([m[i] @ total / (np.linalg.norm(m[i]) * np.linalg.norm(total)) for i in range(2)])
    assert cv_coherence([["a", "b"]], texts, window_size=None)["coherence"] == pytest.approx(
        expected, abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=30), min_size=1, max_size=10),
    st.one_of(st.none(), st.integers(2, 15)),
)
def test_scores_lie_in_minus_one_one(texts, window_size):
    topics = [["a", "b", "c"], ["d", "e", "f", "g"]]
    seen = {w for text in texts for w in text}
    assume(all(sum(w in seen for w in topic) >= 2 for topic in topics))
    for measure in (npmi_coherence, cv_coherence):
        result = measure(topics, texts, window_size=window_size, on_missing="drop")
        assert all(-1 - 1e-9 <= x <= 1 + 1e-9 for x in result["per_topic"])
        assert result["coherence"] == pytest.approx(np.mean(result["per_topic"]))


def test_missing_words():
    texts = [["a", "b"], ["b", "c"]]
    with pytest.raises(StructNLPError, match=r"never occur in the reference corpus: \['zzz'\]"):
        npmi_coherence([["a", "b", "zzz"]], texts)
    dropped = npmi_coherence([["a", "b", "zzz"]], texts, on_missing="drop")
    assert dropped == npmi_coherence([["a", "b"]], texts)
    for measure in (npmi_coherence, cv_coherence):
        # a topic left with under 2 words has no pair to score: NaN, skipped by the mean
        partly = measure([["a", "zzz", "yyy"], ["a", "b"]], texts, on_missing="drop")
        assert math.isnan(partly["per_topic"][0])
        assert partly["coherence"] == partly["per_topic"][1] == measure([["a", "b"]], texts)["coherence"]
        with pytest.raises(StructNLPError, match="no topic has 2 words that occur in the reference corpus"):
            measure([["a", "zzz", "yyy"]], texts, on_missing="drop")


def test_top_n_truncates_topics():
    texts = [["a", "b", "c"], ["a", "b"], ["c", "d"]]
    assert npmi_coherence([["a", "b", "c", "d"]], texts, top_n=2) == npmi_coherence([["a", "b"]], texts)


@pytest.mark.parametrize(
    ("topics", "texts", "options", "problem"),
    [
        ([["a", "b"]], ["a b", "c"], {}, "document 0 is a string"),
        (["ab"], [["a", "b"]], {}, "topic 0 is a string"),
        ([["a", "a"]], [["a", "b"]], {}, "repeats a word"),
        ([["a"]], [["a", "b"]], {}, "at least 2"),
        ([], [["a", "b"]], {}, "no topics"),
        ([["a", "b"]], [["a", "b"]], {"top_n": 1}, "top_n"),
        ([["a", "b"]], [["a", "b"]], {"window_size": 0}, "window_size"),
        ([["a", "b"]], [["a", "b"]], {"on_missing": "skip"}, "on_missing"),
    ],
)
def test_bad_inputs(topics, texts, options, problem):
    with pytest.raises(StructNLPError, match=problem):
        npmi_coherence(topics, texts, **options)


def test_empty_reference_corpus():
    with pytest.raises(EmptyCorpusError, match="no documents"):
        cv_coherence([["a", "b"]], [])


def _corpus_without_repeats(seed: int, n_docs: int = 300, vocab_size: int = 200):
    """Documents that never repeat a word, so gensim's sliding-window counts are exact too."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(vocab_size)]
    texts = [list(rng.choice(vocab, size=int(rng.integers(0, 150)), replace=False)) for _ in range(n_docs)]
    topics = [list(rng.choice(vocab[:60], size=10, replace=False)) for _ in range(4)]
    return texts, topics


@pytest.mark.parametrize(
    ("measure", "window_size"), [("c_npmi", 10), ("c_npmi", 3), ("c_v", 110), ("c_v", 20)]
)
def test_matches_gensim(measure, window_size):
    gensim = pytest.importorskip("gensim")
    from gensim.models import CoherenceModel

    texts, topics = _corpus_without_repeats(seed=window_size)
    ours = {"c_npmi": npmi_coherence, "c_v": cv_coherence}[measure](topics, texts, window_size=window_size)
    reference = CoherenceModel(
        topics=topics,
        texts=texts,
        dictionary=gensim.corpora.Dictionary(texts),
        coherence=measure,
        window_size=window_size,
        topn=10,
        processes=1,
    )
    assert ours["per_topic"] == pytest.approx(reference.get_coherence_per_topic(), abs=1e-9)
    assert ours["coherence"] == pytest.approx(reference.get_coherence(), abs=1e-9)


def test_pairs_are_symmetric():
    texts, topics = _corpus_without_repeats(seed=5, n_docs=50)
    vocabulary = sorted({w for t in topics for w in t})
    counts, _ = cooccurrence_counts(texts, vocabulary, window_size=7)
    assert (counts == counts.T).all()
    for i, j in itertools.combinations(range(len(vocabulary)), 2):
        assert counts[i, j] <= min(counts[i, i], counts[j, j])


def test_topic_diversity():
    from structnlp.metrics import topic_diversity

    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b", "c"]] * 4) == 0.25
    assert topic_diversity([["a", "b", "x"], ["a", "c", "y"]], top_n=2) == 0.75  # only the first 2 count
    cases = (([], "non-empty"), ("ab", "non-empty"), ([["a"], []], "topic 1"), ([["a"]], "top_n"))
    for bad, problem in cases:
        with pytest.raises(StructNLPError, match=problem):
            topic_diversity(bad, top_n=0 if problem == "top_n" else 25)


def test_words_in_every_window_are_perfectly_coherent():
    # P(a, b) = 1: NPMI's limit is 1; eps alone would give log(1 + eps) / -log(1 + eps) = -1.
    texts = [["apple", "banana"]] * 3
    assert npmi_coherence([["apple", "banana"]], texts, window_size=None)["coherence"] == 1.0
    assert cv_coherence([["apple", "banana"]], texts, window_size=None)["coherence"] == pytest.approx(1.0)


def test_topics_as_a_2d_array_of_words():
    # feature_names[components.argsort(axis=1)[:, ::-1][:, :n]] is how scikit-learn topic models give them
    from structnlp.metrics import topic_diversity

    texts = [["a", "b", "c"], ["a", "b"], ["c", "d"]]
    words = np.array([["a", "b"], ["c", "d"]])
    assert npmi_coherence(words, texts) == npmi_coherence([["a", "b"], ["c", "d"]], texts)
    assert cv_coherence(words, texts) == cv_coherence([["a", "b"], ["c", "d"]], texts)
    assert topic_diversity(words) == 1.0
    with pytest.raises(StructNLPError, match=r"must be 2-D \(topics x words\), got shape \(2,\)"):
        npmi_coherence(np.array(["a", "b"]), texts)


def test_cooccurrence_vocabulary_must_be_a_list():
    with pytest.raises(StructNLPError, match="vocabulary must be a list of words, got a single string"):
        cooccurrence_counts([["ab", "a"]], "ab")
