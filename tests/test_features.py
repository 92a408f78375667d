"""The scikit-learn text transformers: exact outputs, sklearn equivalence, contract, bad input."""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils import estimator_checks

from structnlp.errors import EmptyCorpusError, StructNLPError
from structnlp.features import BooleanBagOfWords, CountBagOfWords, FactoredSequences, TokenIdSequences
from structnlp.tokenize import RegexTokenizer, Token

DOCS = ["The cat sat on the mat.", "The dog ate the cat!", "A dog, a cat."]


class FakeAnalyzer:
    """A tiny Tokenizer with a lemma table and POS tags, standing in for spaCy in tests."""

    name = "fake"
    LEMMAS = {"cats": "cat", "sat": "sit", "dogs": "dog", "ran": "run", "mice": "mouse"}
    POS = {"the": "DET", "a": "DET", "sat": "VERB", "ran": "VERB", "ate": "VERB", ".": "PUNCT"}

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+|[^\w\s]", text)

    def split_sentences(self, text: str) -> list[str]:
        return [s.strip() + "." for s in text.split(".") if s.strip()]

    def analyze(self, text: str) -> list[list[Token]]:
        return [
            [
                Token(w, self.LEMMAS.get(w.lower(), w), self.POS.get(w.lower(), "NOUN"), idx=-1)
                for w in self.tokenize(sentence)
            ]
            for sentence in self.split_sentences(text)
        ]


def _reference(binary: bool, **params) -> CountVectorizer:
    """scikit-learn's CountVectorizer with our regex tokenizer (it lower-cases first itself)."""
    return CountVectorizer(
        tokenizer=RegexTokenizer(lowercase=False).tokenize,
        token_pattern=None,
        lowercase=True,
        binary=binary,
        dtype=np.uint8 if binary else np.int64,
        **params,
    )


def _assert_canonical_csr(X, dtype) -> None:
    assert sp.isspmatrix_csr(X) and X.dtype == dtype
    assert X.has_sorted_indices
    for i in range(X.shape[0]):
        row = X.indices[X.indptr[i] : X.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


# ---------------------------------------------------------------------- bag of words: known outputs
def test_boolean_bag_of_words_by_hand():
    bow = BooleanBagOfWords(tokenizer=RegexTokenizer())
    X = bow.fit_transform(DOCS)
    assert bow.get_feature_names_out().tolist() == ["a", "ate", "cat", "dog", "mat", "on", "sat", "the"]
    assert bow.get_feature_names_out().dtype == object
    assert X.toarray().tolist() == [
        [0, 0, 1, 0, 1, 1, 1, 1],
        [0, 1, 1, 1, 0, 0, 0, 1],
        [1, 0, 1, 1, 0, 0, 0, 0],
    ]
    _assert_canonical_csr(X, np.uint8)
    assert bow.vocabulary_ == {"a": 0, "ate": 1, "cat": 2, "dog": 3, "mat": 4, "on": 5, "sat": 6, "the": 7}
    assert (bow.transform(DOCS) != X).nnz == 0
    Y = bow.transform(["the bird and THE cat", ""])
    assert Y.toarray().tolist() == [[0, 0, 1, 0, 0, 0, 0, 1], [0] * 8]
    _assert_canonical_csr(Y, np.uint8)
    assert [a.tolist() for a in bow.inverse_transform(Y)] == [["cat", "the"], []]


def test_count_bag_of_words_by_hand():
    bow = CountBagOfWords(tokenizer=RegexTokenizer())
    X = bow.fit_transform(DOCS)
    assert X.toarray().tolist() == [
        [0, 0, 1, 0, 1, 1, 1, 2],
        [0, 1, 1, 1, 0, 0, 0, 2],
        [2, 0, 1, 1, 0, 0, 0, 0],
    ]
    _assert_canonical_csr(X, np.int64)
    assert bow.transform(["the the the dog"]).toarray().tolist() == [[0, 0, 0, 1, 0, 0, 0, 3]]


def test_ngrams_stop_words_and_lowercase():
    bow = BooleanBagOfWords(tokenizer=str.split, ngram_range=(2, 3), stop_words=["on"], lowercase=False)
    X = bow.fit_transform(["The cat sat on mat", "cat sat"])
    # "on" is removed before the n-grams are formed, so "sat mat" is a bigram
    assert bow.get_feature_names_out().tolist() == [
        "The cat",
        "The cat sat",
        "cat sat",
        "cat sat mat",
        "sat mat",
    ]
    assert X.toarray().tolist() == [[1, 1, 1, 1, 1], [0, 0, 1, 0, 0]]
    english = BooleanBagOfWords(tokenizer=str.split, stop_words="english").fit(["the cat is on a mat"])
    assert english.get_feature_names_out().tolist() == ["cat", "mat"]


def test_document_frequency_limits():
    docs = ["a b c", "a b", "a d", "a"]

    def names(**params) -> list[str]:
        return BooleanBagOfWords(tokenizer=str.split, **params).fit(docs).get_feature_names_out().tolist()

    assert names(min_df=2) == ["a", "b"]
    assert names(max_df=3) == ["b", "c", "d"]
    assert names(max_df=0.5) == ["b", "c", "d"]
    assert names(min_df=0.5, max_df=0.9) == ["b"]
    # b is in 2 documents; c and d tie with 1 document: the smaller name wins the last place
    assert names(max_features=3) == ["a", "b", "c"]
    assert names(max_features=1) == ["a"]


def test_max_features_by_document_vs_total_frequency():
    docs = ["x x x x y", "y z", "y z"]
    # y is in 3 documents, z in 2, x in 1 but occurs 4 times
    assert BooleanBagOfWords(tokenizer=str.split, max_features=2).fit(docs).vocabulary_ == {"y": 0, "z": 1}
    assert CountBagOfWords(tokenizer=str.split, max_features=2).fit(docs).vocabulary_ == {"x": 0, "y": 1}


def test_fixed_vocabulary():
    bow = BooleanBagOfWords(tokenizer=str.split, vocabulary=["dog", "cat", "cat dog"], ngram_range=(1, 2))
    X = bow.fit_transform(["cat dog", "dog bird", "bird"])
    assert bow.get_feature_names_out().tolist() == ["dog", "cat", "cat dog"]
    assert X.toarray().tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    mapped = CountBagOfWords(tokenizer=str.split, vocabulary={"cat": 1, "dog": 0}, min_df=3)
    assert mapped.fit_transform(["cat dog cat"]).toarray().tolist() == [[1, 2]]  # min_df is not applied
    with pytest.raises(StructNLPError, match="holds 'a' twice"):
        BooleanBagOfWords(vocabulary=["a", "b", "a"]).fit(["a"])
    with pytest.raises(StructNLPError, match="column indices 0 .. n-1"):
        BooleanBagOfWords(vocabulary={"a": 0, "b": 2}).fit(["a"])
    with pytest.raises(StructNLPError, match="vocabulary is empty"):
        BooleanBagOfWords(vocabulary=[]).fit(["a"])
    with pytest.raises(StructNLPError, match="features must be str"):
        BooleanBagOfWords(vocabulary=[1, 2]).fit(["a"])
    with pytest.raises(StructNLPError, match="got a single str"):
        BooleanBagOfWords(vocabulary="abc").fit(["a"])


def test_tokenizer_forms():
    docs = ["Hello, World!", "hello again"]
    expected = BooleanBagOfWords(tokenizer=RegexTokenizer()).fit_transform(docs).toarray()
    by_callable = BooleanBagOfWords(tokenizer=RegexTokenizer().tokenize).fit_transform(docs).toarray()
    assert np.array_equal(expected, by_callable)
    assert np.array_equal(expected, BooleanBagOfWords().fit_transform(docs).toarray())  # the "regex" backend
    # lowercase=False keeps the case with the default backend too
    cased = BooleanBagOfWords(lowercase=False).fit(docs)
    assert cased.get_feature_names_out().tolist() == ["Hello", "World", "again", "hello"]
    assert TokenIdSequences(lowercase=False).fit(docs).vocabulary_.decode([2, 3]) == ["Hello", "World"]


def test_streams_generators_and_accepts_arrays():
    bow = CountBagOfWords(tokenizer=str.split)
    X = bow.fit_transform(d for d in ["a b", "b c"])
    assert X.toarray().tolist() == [[1, 1, 0], [0, 1, 1]]
    assert bow.transform(np.array(["c c", "a"])).toarray().tolist() == [[0, 0, 2], [1, 0, 0]]
    assert bow.transform([]).shape == (0, 3)


def test_dtypes_and_overflow():
    assert BooleanBagOfWords(tokenizer=str.split, dtype=bool).fit_transform(["a"]).dtype == bool
    assert BooleanBagOfWords(tokenizer=str.split, dtype="float32").fit_transform(["a"]).dtype == np.float32
    small = CountBagOfWords(tokenizer=str.split, dtype=np.uint8)
    assert small.fit_transform(["a " * 255]).toarray().tolist() == [[255]]
    with pytest.raises(StructNLPError, match="a count of 256 does not fit dtype uint8"):
        small.fit_transform(["a " * 256])
    # scipy.sparse has no float16: the matrix was returned, and toarray() or X @ w then failed
    for featurizer in (BooleanBagOfWords, CountBagOfWords):
        with pytest.raises(StructNLPError, match="dtype float16 is not supported by scipy.sparse"):
            featurizer(dtype=np.float16).fit(["a"])
    with pytest.raises(StructNLPError, match="dtype must be a numpy numeric dtype"):
        BooleanBagOfWords(dtype=str).fit(["a"])
    with pytest.raises(StructNLPError, match="dtype must be a numpy numeric dtype"):
        BooleanBagOfWords(dtype="no such type").fit(["a"])
    with pytest.raises(StructNLPError, match="dtype=bool loses the counts"):
        CountBagOfWords(dtype=bool).fit(["a"])


@pytest.mark.parametrize("cls", [BooleanBagOfWords, CountBagOfWords])
def test_bag_of_words_bad_input(cls):
    tok = RegexTokenizer()
    with pytest.raises(NotFittedError):
        cls(tokenizer=tok).transform(["a"])
    with pytest.raises(NotFittedError):
        cls(tokenizer=tok).get_feature_names_out()
    with pytest.raises(StructNLPError, match="got a single str; wrap it in a list"):
        cls(tokenizer=tok).fit("the cat sat")
    fitted = cls(tokenizer=tok).fit(["a b"])
    with pytest.raises(StructNLPError, match="got a single str"):
        fitted.transform("a b")
    with pytest.raises(StructNLPError, match="document 1 is int, expected str"):
        cls(tokenizer=tok).fit(["a", 3])
    with pytest.raises(StructNLPError, match="document 0 is bytes, expected str; decode bytes"):
        fitted.transform([b"a b"])
    with pytest.raises(StructNLPError, match="document 0 is NoneType"):
        fitted.transform([None])
    with pytest.raises(StructNLPError, match="1-D sequence of documents"):
        fitted.transform(np.array([["a", "b"]]))
    with pytest.raises(StructNLPError, match="got int"):
        fitted.transform(5)
    with pytest.raises(EmptyCorpusError, match="no documents to fit"):
        cls(tokenizer=tok).fit([])
    with pytest.raises(EmptyCorpusError, match="empty vocabulary"):
        cls(tokenizer=tok, stop_words=["the"]).fit(["the", "!!", ""])
    with pytest.raises(EmptyCorpusError, match="no feature is left after min_df=2"):
        cls(tokenizer=tok, min_df=2).fit(["a b", "c d"])
    with pytest.raises(EmptyCorpusError, match="min_df=5 asks .* only 2"):
        cls(tokenizer=tok, min_df=5).fit(["a b", "b c"])
    with pytest.raises(StructNLPError, match="keeps fewer documents than min_df"):
        cls(tokenizer=tok, min_df=3, max_df=2).fit(["a b", "b c", "c"])
    for params, message in [
        ({"ngram_range": (2, 1)}, "ngram_range must be a pair"),
        ({"ngram_range": 2}, "ngram_range must be a pair"),
        ({"min_df": 0}, "min_df must be an int >= 1"),
        ({"max_df": 1.5}, "max_df must be an int >= 1"),
        ({"max_features": 0}, "max_features must be None or an int >= 1"),
        ({"lowercase": "yes"}, "lowercase must be True or False"),
        ({"stop_words": "french"}, "stop_words must be None, 'english'"),
        ({"stop_words": [1]}, "stop_words must hold only str"),
        ({"tokenizer": 42}, "tokenizer must be a backend name"),
    ]:
        with pytest.raises(StructNLPError, match=message):
            cls(**{"tokenizer": tok, **params}).fit(["a b"])
    with pytest.raises(StructNLPError, match="the tokenizer returned a str"):
        cls(tokenizer=str.lower).fit(["a b"])
    with pytest.raises(StructNLPError, match="the tokenizer returned int 3"):
        cls(tokenizer=lambda s: [3]).fit(["a b"])
    with pytest.raises(StructNLPError, match="X has 5 columns but"):
        fitted.inverse_transform(np.zeros((1, 5)))


# ---------------------------------------------------------------------- equivalence with scikit-learn
WORDS = ["the", "The", "cat", "CAT", "sat", "dog's", "x-ray", "é", "a", "!", "on", "42"]
corpora = st.lists(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join), min_size=1, max_size=10)


def _check_against_sklearn(binary: bool, docs: list[str], ngram_range, min_df, max_df, max_features) -> None:
    ours_cls = BooleanBagOfWords if binary else CountBagOfWords
    params = {"ngram_range": ngram_range, "min_df": min_df, "max_df": max_df}
    ours = ours_cls(tokenizer=RegexTokenizer(lowercase=False), max_features=max_features, **params)
    try:
        full = _reference(binary, **params).fit(docs)
    except ValueError:
        with pytest.raises(ValueError):
            ours.fit_transform(docs)
        return
    X = ours.fit_transform(docs)
    _assert_canonical_csr(X, np.uint8 if binary else np.int64)
    Y = full.transform(docs)
    names = full.get_feature_names_out()
    if max_features is not None and len(names) > max_features:
        freq = np.asarray((Y > 0).sum(axis=0) if binary else Y.sum(axis=0)).ravel()
        ranked = sorted(range(len(names)), key=lambda j: (-freq[j], names[j]))
        keep = sorted(ranked[:max_features])
        names, Y = names[keep], Y[:, keep]
        limited = _reference(binary, max_features=max_features, **params).fit(docs)
        if freq[ranked[max_features - 1]] != freq[ranked[max_features]]:  # no tie at the cut: identical
            assert limited.get_feature_names_out().tolist() == names.tolist()
    assert ours.get_feature_names_out().tolist() == names.tolist()
    assert np.array_equal(X.toarray(), Y.toarray())
    assert np.array_equal(ours.transform(docs[::-1]).toarray(), Y.toarray()[::-1])


@settings(max_examples=80, deadline=None)
@given(
    docs=corpora,
    ngram_range=st.sampled_from([(1, 1), (1, 2), (2, 2), (1, 3)]),
    min_df=st.sampled_from([1, 2, 0.3]),
    max_df=st.sampled_from([1.0, 0.7, 3]),
    max_features=st.none() | st.integers(1, 6),
)
def test_boolean_matches_sklearn_binary_countvectorizer(docs, ngram_range, min_df, max_df, max_features):
    _check_against_sklearn(True, docs, ngram_range, min_df, max_df, max_features)


@settings(max_examples=60, deadline=None)
@given(
    docs=corpora,
    ngram_range=st.sampled_from([(1, 1), (1, 2)]),
    min_df=st.sampled_from([1, 2]),
    max_df=st.sampled_from([1.0, 0.7]),
    max_features=st.none() | st.integers(1, 6),
)
def test_counts_match_sklearn_countvectorizer(docs, ngram_range, min_df, max_df, max_features):
    _check_against_sklearn(False, docs, ngram_range, min_df, max_df, max_features)


@pytest.mark.data
def test_imdb_sample_matches_sklearn(shared_data):
    path = shared_data / "classification" / "imdb.jsonl.gz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line)["text"] for line, _ in zip(fh, range(1500), strict=False)]
    ours = BooleanBagOfWords(tokenizer=RegexTokenizer(lowercase=False), ngram_range=(1, 2), min_df=2)
    ref = _reference(True, ngram_range=(1, 2), min_df=2)
    X, Y = ours.fit_transform(docs), ref.fit_transform(docs)
    assert ours.get_feature_names_out().tolist() == ref.get_feature_names_out().tolist()
    assert (X != Y).nnz == 0 and X.shape[1] > 10_000


# ---------------------------------------------------------------------- scikit-learn contract
ESTIMATORS = [
    BooleanBagOfWords(),
    CountBagOfWords(),
    TokenIdSequences(),
    FactoredSequences(tokenizer=FakeAnalyzer()),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_estimator_checks(estimator):
    name = type(estimator).__name__
    estimator_checks.check_estimator(estimator)  # string input: only the checks that apply
    estimator_checks.check_estimator_cloneable(name, estimator)
    estimator_checks.check_estimator_repr(name, estimator)
    estimator_checks.check_get_params_invariance(name, estimator)
    estimator_checks.check_set_params(name, estimator)
    estimator_checks.check_no_attributes_set_in_init(name, estimator)
    estimator_checks.check_parameters_default_constructible(name, estimator)
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params(name, estimator)
    assert estimator.__sklearn_tags__().input_tags.string


def test_clone_get_params_set_params():
    bow = BooleanBagOfWords(ngram_range=(1, 2), max_features=10, stop_words=["a"])
    assert bow.get_params()["ngram_range"] == (1, 2)
    twin = clone(bow)
    assert twin is not bow and twin.get_params() == bow.get_params()
    fitted = clone(bow).fit(["x y", "y z"])
    assert not hasattr(clone(fitted), "vocabulary_")
    assert bow.set_params(min_df=2) is bow and bow.min_df == 2
    seq = TokenIdSequences(max_length=5).set_params(padding="pre")
    assert clone(seq).get_params()["padding"] == "pre"


LABELLED = [
    ("a wonderful moving film", 1),
    ("wonderful acting and a great story", 1),
    ("great fun, loved it", 1),
    ("loved the wonderful music", 1),
    ("a great cast, moving and fun", 1),
    ("simply great", 1),
    ("a dull boring film", 0),
    ("boring story and awful acting", 0),
    ("awful, hated it", 0),
    ("hated the dull music", 0),
    ("a boring cast, dull and awful", 0),
    ("simply awful", 0),
]


def test_pipeline_and_grid_search():
    texts, labels = zip(*LABELLED, strict=True)
    pipe = Pipeline([("bow", BooleanBagOfWords()), ("clf", LogisticRegression(C=10.0))])
    grid = GridSearchCV(
        pipe,
        {"bow__ngram_range": [(1, 1), (1, 2)], "bow__min_df": [1, 2], "bow__lowercase": [True, False]},
        cv=2,
    )
    grid.fit(list(texts), list(labels))
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_score_ >= 0.8
    assert grid.predict(["a wonderful great film", "an awful boring film"]).tolist() == [1, 0]
    names = grid.best_estimator_.named_steps["bow"].get_feature_names_out()
    assert "wonderful" in names and "awful" in names
    counts = Pipeline([("bow", CountBagOfWords()), ("clf", LogisticRegression())]).fit(texts, labels)
    assert counts.predict(["wonderful", "awful"]).tolist() == [1, 0]


# ---------------------------------------------------------------------- token id sequences
def test_token_id_sequences_by_hand():
    seq = TokenIdSequences(tokenizer=RegexTokenizer())
    X = seq.fit_transform(DOCS)
    # the: 4, cat: 3, a: 2, dog: 2, then ate, mat, on, sat once each
    assert list(seq.vocabulary_) == ["<pad>", "<unk>", "the", "cat", "a", "dog", "ate", "mat", "on", "sat"]
    assert X.dtype == np.int64 and seq.max_length_ == 6
    assert X.tolist() == [[2, 3, 9, 8, 2, 7], [2, 5, 6, 2, 3, 0], [4, 5, 4, 3, 0, 0]]
    ids, lengths = seq.transform_with_lengths(["the bird", "the cat sat on the mat and ran"])
    assert ids.tolist() == [[2, 1, 0, 0, 0, 0], [2, 3, 9, 8, 2, 7]]  # cut at max_length_
    assert lengths.tolist() == [2, 6] and lengths.dtype == np.int64
    assert seq.inverse_transform(ids) == [["the", "<unk>"], ["the", "cat", "sat", "on", "the", "mat"]]
    assert seq.get_feature_names_out().tolist() == [f"tokenidsequences{i}" for i in range(6)]


@pytest.mark.parametrize(
    ("padding", "truncating", "expected"),
    [
        ("post", "post", [[2, 10, 11, 3, 0], [2, 4, 5, 6, 3]]),
        ("pre", "post", [[0, 2, 10, 11, 3], [2, 4, 5, 6, 3]]),
        ("post", "pre", [[2, 10, 11, 3, 0], [2, 7, 8, 9, 3]]),
        ("pre", "pre", [[0, 2, 10, 11, 3], [2, 7, 8, 9, 3]]),
    ],
)
def test_padding_truncation_and_framing(padding, truncating, expected):
    seq = TokenIdSequences(
        tokenizer=str.split,
        max_length=5,
        padding=padding,
        truncating=truncating,
        bos_token="<s>",
        eos_token="</s>",
    )
    seq.fit(["x y", "c d e f g h"])
    # specials in role order (pad, unk, bos, eos), then the tokens: all seen once, by name
    assert list(seq.vocabulary_) == ["<pad>", "<unk>", "<s>", "</s>", "c", "d", "e", "f", "g", "h", "x", "y"]
    ids, lengths = seq.transform_with_lengths(["x y", "c d e f g h"])
    assert ids.tolist() == expected
    assert lengths.tolist() == [4, 5]  # bos and eos count; the long document is cut to 3 tokens
    assert seq.inverse_transform(ids) == [
        ["x", "y"],
        ["c", "d", "e"] if truncating == "post" else ["f", "g", "h"],
    ]


def test_sequence_vocabulary_limits_and_width():
    seq = TokenIdSequences(tokenizer=str.split, min_count=2, max_size=3)
    X = seq.fit_transform(["a a b b c", "a b"])
    assert list(seq.vocabulary_) == ["<pad>", "<unk>", "a"]
    assert X.tolist() == [[2, 2, 1, 1, 1], [2, 1, 0, 0, 0]]
    no_unk = TokenIdSequences(tokenizer=str.split, unk_token=None).fit(["a b"])
    with pytest.raises(StructNLPError, match="'c' is not in the vocabulary"):
        no_unk.transform(["a c"])


def test_sequence_bad_input():
    with pytest.raises(NotFittedError):
        TokenIdSequences().transform(["a"])
    with pytest.raises(StructNLPError, match="single str"):
        TokenIdSequences(tokenizer=str.split).fit("a b")
    with pytest.raises(EmptyCorpusError, match="no documents to fit"):
        TokenIdSequences(tokenizer=str.split).fit([])
    with pytest.raises(EmptyCorpusError, match="corpus is empty"):
        TokenIdSequences(tokenizer=str.split).fit(["", "  "])
    with pytest.raises(EmptyCorpusError, match=r"\(text\): no token occurs at least min_count=3"):
        TokenIdSequences(tokenizer=str.split, min_count=3).fit(["a b", "a"])
    for params, message in [
        ({"pad_token": None}, "needs a pad_token"),
        (
            {"max_length": 2, "bos_token": "<s>", "eos_token": "</s>"},
            "max_length must be None or an int >= 3",
        ),
        ({"padding": "left"}, "padding must be one of 'post', 'pre'"),
        ({"truncating": None}, "truncating must be one of"),
        ({"min_count": 0}, "min_count must be an int >= 1"),
        ({"unk_token": None, "min_count": 2}, "unk_token=None leaves no id"),
        ({"tokenizer": 1.5}, "tokenizer must be a backend name"),
    ]:
        with pytest.raises(StructNLPError, match=message):
            TokenIdSequences(**{"tokenizer": str.split, **params}).fit(["a b"])
    seq = TokenIdSequences(tokenizer=str.split).fit(["a b"])
    with pytest.raises(StructNLPError, match="integer array with 2 dimensions"):
        seq.inverse_transform(np.zeros((2, 3, 1), dtype=int))
    with pytest.raises(StructNLPError, match="integer array with 2 dimensions"):
        seq.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(StructNLPError, match="ids out of range"):
        seq.inverse_transform(np.array([[2, 9]]))


def test_token_id_sequences_in_a_pipeline():
    texts, labels = zip(*LABELLED, strict=True)
    pipe = Pipeline([("ids", TokenIdSequences(max_length=4)), ("clf", LogisticRegression())])
    grid = GridSearchCV(pipe, {"ids__padding": ["post", "pre"]}, cv=2).fit(list(texts), list(labels))
    assert grid.best_estimator_.named_steps["ids"].transform(["x"]).shape == (1, 4)


# ---------------------------------------------------------------------- factored sequences
def test_factored_sequences_by_hand():
    fs = FactoredSequences(tokenizer=FakeAnalyzer())
    X = fs.fit_transform(["The cats sat.", "Dogs ran. The mice sat."])
    assert X.shape == (2, 7, 3) and X.dtype == np.int64 and fs.max_length_ == 7
    assert list(fs.vocabs_) == ["text", "lemma", "pos"]
    # text is lower-cased after the analysis: ".": 3, sat: 2, the: 2, then cats, dogs, mice, ran
    assert list(fs.vocabs_["text"])[2:] == [".", "sat", "the", "cats", "dogs", "mice", "ran"]
    assert list(fs.vocabs_["lemma"])[2:] == [".", "sit", "the", "cat", "dog", "mouse", "run"]
    assert list(fs.vocabs_["pos"])[2:] == ["NOUN", "PUNCT", "VERB", "DET"]
    assert X[0].tolist() == [[4, 4, 5], [5, 5, 2], [3, 3, 4], [2, 2, 3], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert fs.inverse_transform(X)[1] == [
        ("dogs", "dog", "NOUN"),
        ("ran", "run", "VERB"),
        (".", ".", "PUNCT"),
        ("the", "the", "DET"),
        ("mice", "mouse", "NOUN"),
        ("sat", "sit", "VERB"),
        (".", ".", "PUNCT"),
    ]
    ids, lengths = fs.transform_with_lengths(["The dogs ate."])
    assert lengths.tolist() == [4]
    # "ate" is an unknown word and lemma, but its POS (VERB) is known
    assert ids[0, :4].tolist() == [[4, 4, 5], [6, 6, 2], [1, 1, 4], [2, 2, 3]]


def test_factored_sequences_options():
    fs = FactoredSequences(tokenizer=FakeAnalyzer(), factors=("pos", "text"), lowercase=False, max_length=3)
    X = fs.fit_transform(["The cats sat."])
    assert list(fs.vocabs_) == ["pos", "text"]
    assert fs.inverse_transform(X) == [[("DET", "The"), ("NOUN", "cats"), ("VERB", "sat")]]
    assert clone(fs).get_params()["factors"] == ("pos", "text")


def test_factored_sequences_bad_input():
    with pytest.raises(StructNLPError, match="gives no lemmas or POS tags"):
        FactoredSequences(tokenizer=RegexTokenizer()).fit(["a b"])
    with pytest.raises(StructNLPError, match="needs a tokenizer name or a Tokenizer with analyze"):
        FactoredSequences(tokenizer=str.split).fit(["a b"])
    for factors in [(), ("text", "text"), ("word",), "text"]:
        with pytest.raises(StructNLPError, match="factors must be a non-empty sequence"):
            FactoredSequences(tokenizer=FakeAnalyzer(), factors=factors).fit(["a b"])
    with pytest.raises(NotFittedError):
        FactoredSequences(tokenizer=FakeAnalyzer()).transform(["a"])
    fs = FactoredSequences(tokenizer=FakeAnalyzer()).fit(["a b"])
    with pytest.raises(StructNLPError, match="expected 3 factors on the last axis, got 2"):
        fs.inverse_transform(np.zeros((1, 2, 2), dtype=int))
    with pytest.raises(StructNLPError, match="integer array with 3 dimensions"):
        fs.inverse_transform(np.zeros((1, 2), dtype=int))

    class Wrong(FakeAnalyzer):
        def analyze(self, text):
            return [text.split()]

    with pytest.raises(StructNLPError, match="sentences of Token, got str"):
        FactoredSequences(tokenizer=Wrong()).fit(["a b"])


@pytest.mark.parametrize("backend", ["nltk", "spacy"])
def test_factored_sequences_with_a_named_backend(backend):
    from structnlp.errors import ModelFileError
    from structnlp.tokenize import get_tokenizer

    try:
        get_tokenizer(backend).analyze("probe")
    except ModelFileError as exc:
        pytest.skip(f"the embedded {backend} model is not available: {exc}")
    fs = FactoredSequences(tokenizer=backend)
    X = fs.fit_transform(["The cats sat on the mats.", "Dogs bark."])
    assert X.shape == (2, 7, 3)
    first = fs.inverse_transform(X)[0]
    assert first[1] == ("cats", "cat", "NOUN")
    assert [t[0] for t in first] == ["the", "cats", "sat", "on", "the", "mats", "."]
    bow = BooleanBagOfWords(tokenizer=backend).fit(["The cats sat."])
    assert bow.get_feature_names_out().tolist() == [".", "cats", "sat", "the"]
