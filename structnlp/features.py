"""scikit-learn transformers from raw text to model inputs.

* :class:`BooleanBagOfWords` — 0/1 document-feature matrices (sparse CSR, ``uint8``, sorted
  indices): the literals a Tsetlin Machine reads.
* :class:`CountBagOfWords` — the same with term counts.
* :class:`TokenIdSequences` — padded token-id matrices and lengths for sequence models.
* :class:`FactoredSequences` — padded (word, lemma, POS) id triples, for models that read
  linguistic factors.

All four follow the scikit-learn estimator contract (parameters stored untouched by
``__init__``, learned attributes ending in ``_``, ``fit`` returning ``self``), so ``clone``,
``Pipeline`` and ``GridSearchCV`` work. They take a list of documents (strings), like
scikit-learn's :class:`~sklearn.feature_extraction.text.CountVectorizer`.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from structnlp.errors import EmptyCorpusError, StructNLPError
from structnlp.params import check_bool, check_choice, check_int, is_int
from structnlp.tokenize import Token
from structnlp.vocab import Vocabulary

__all__ = ["BooleanBagOfWords", "CountBagOfWords", "FactoredSequences", "TokenIdSequences"]

FACTORS = ("text", "lemma", "pos", "tag")


# ---------------------------------------------------------------------- shared checks
def _documents(X: Any) -> Iterator[str]:
    """Iterate over documents, refusing the classic mistakes with a clear message."""
    if isinstance(X, (str, bytes)):
        raise StructNLPError(
            "expected an iterable of documents (e.g. a list of str), got a single "
            f"{type(X).__name__}; wrap it in a list: [text]"
        )
    if getattr(X, "ndim", 1) != 1:  # a 2-D array or a DataFrame would yield rows or column names
        shape = getattr(X, "shape", "?")
        raise StructNLPError(
            f"expected a 1-D sequence of documents, got {type(X).__name__} of shape {shape}; pass one column"
        )
    if sp.issparse(X) or isinstance(X, Mapping):
        raise StructNLPError(f"expected an iterable of documents (str), got {type(X).__name__}")
    try:
        iterator = iter(X)
    except TypeError:
        raise StructNLPError(f"expected an iterable of documents (str), got {type(X).__name__}") from None
    for i, doc in enumerate(iterator):
        if not isinstance(doc, str):
            hint = "; decode bytes to str first" if isinstance(doc, bytes) else ""
            raise StructNLPError(f"document {i} is {type(doc).__name__}, expected str{hint}")
        yield doc


def resolve_tokenizer(tokenizer: Any, owner: str) -> Callable[[str], list[str]]:
    """``tokenizer`` as a function str -> tokens: a backend name, a Tokenizer or a callable.

    ``owner`` names the estimator in the error message.

    >>> resolve_tokenizer("regex", "demo")("Rash, Fever")
    ['Rash', 'Fever']
    """
    if isinstance(tokenizer, str):
        from structnlp.tokenize import get_tokenizer

        # lower-casing is the transformer's own `lowercase` option: the regex backend must not redo it
        options = {"lowercase": False} if tokenizer.lower() == "regex" else {}
        return get_tokenizer(tokenizer, **options).tokenize
    if callable(getattr(tokenizer, "tokenize", None)):
        return tokenizer.tokenize
    if callable(tokenizer):
        return tokenizer
    raise StructNLPError(
        f"{owner}: tokenizer must be a backend name ('regex', 'spacy', 'nltk'), a Tokenizer or a "
        f"callable str -> list[str], got {type(tokenizer).__name__}"
    )


def text_input_tags(tags: Any) -> Any:
    tags.input_tags.string = True
    tags.input_tags.two_d_array = False
    return tags


# ---------------------------------------------------------------------- bag of words
def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    """All n-grams with ``low <= n <= high``, joined by a space (scikit-learn's convention)."""
    n = len(tokens)
    out = list(tokens) if low == 1 else []
    for k in range(max(low, 2), min(high, n) + 1):
        # the k shifted copies of the token list, zipped: the n-grams in order of position
        out.extend(map(" ".join, zip(*(tokens[i:] for i in range(k)), strict=False)))
    return out


def stop_word_set(stop_words: Any) -> frozenset[str]:
    if stop_words is None:
        return frozenset()
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise StructNLPError(
                f"stop_words must be None, 'english' or a collection of str, got {stop_words!r}"
            )
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    words = frozenset(stop_words)
    if not all(isinstance(w, str) for w in words):
        raise StructNLPError("stop_words must hold only str")
    return words


def _fixed_vocabulary(vocabulary: Any) -> dict[str, int]:
    """A user-given vocabulary (mapping feature -> column, or a sequence of features) checked."""
    if isinstance(vocabulary, str):
        raise StructNLPError("vocabulary must be a mapping or a sequence of str, got a single str")
    if isinstance(vocabulary, Mapping):
        mapping = dict(vocabulary)
        if sorted(mapping.values()) != list(range(len(mapping))) or not all(map(is_int, mapping.values())):
            raise StructNLPError("vocabulary mapping values must be the column indices 0 .. n-1, each once")
    else:
        items = list(vocabulary)
        mapping = {term: i for i, term in enumerate(items)}
        if len(mapping) != len(items):
            duplicate = next(t for t, c in Counter(items).items() if c > 1)
            raise StructNLPError(f"vocabulary holds {duplicate!r} twice")
    if not mapping:
        raise StructNLPError("vocabulary is empty")
    if not all(isinstance(t, str) for t in mapping):
        raise StructNLPError("vocabulary features must be str")
    return {t: int(i) for t, i in mapping.items()}


class _BagOfWords(TransformerMixin, BaseEstimator):
    """Shared machinery of the two bag-of-words transformers (``_binary`` tells them apart)."""

    _binary: bool

    def check_params(self) -> tuple[Callable[[str], list[str]], np.dtype]:
        name = type(self).__name__
        check_bool("lowercase", self.lowercase)
        ngram = self.ngram_range
        if (
            not isinstance(ngram, (tuple, list))
            or len(ngram) != 2
            or not all(map(is_int, ngram))
            or not 1 <= ngram[0] <= ngram[1]
        ):
            raise StructNLPError(
                f"ngram_range must be a pair (low, high) with 1 <= low <= high, got {ngram!r}"
            )
        for param in ("min_df", "max_df"):
            value = getattr(self, param)
            if not (is_int(value) and value >= 1) and not (isinstance(value, float) and 0.0 <= value <= 1.0):
                raise StructNLPError(
                    f"{param} must be an int >= 1 (documents) or a float in [0, 1] (fraction), got {value!r}"
                )
        check_int("max_features", self.max_features, 1, allow_none=True)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise StructNLPError(f"dtype must be a numpy numeric dtype, got {self.dtype!r}") from None
        if dtype.kind not in "biuf":
            raise StructNLPError(f"dtype must be a numpy numeric dtype, got {dtype}")
        if dtype == np.float16:  # the matrix was built, then toarray() and products failed in scipy
            raise StructNLPError("dtype float16 is not supported by scipy.sparse; use float32")
        if not self._binary and dtype.kind == "b":
            raise StructNLPError("CountBagOfWords: dtype=bool loses the counts; use BooleanBagOfWords")
        tokenize = resolve_tokenizer(self.tokenizer, name)
        stop = stop_word_set(self.stop_words)
        lowercase = bool(self.lowercase)
        low, high = (int(n) for n in ngram)

        def analyze(doc: str) -> list[str]:
            tokens = tokenize(doc.lower() if lowercase else doc)
            if isinstance(tokens, str):
                raise StructNLPError(f"{name}: the tokenizer returned a str, expected a list of str")
            if stop:
                tokens = [t for t in tokens if t not in stop]
            return _word_ngrams(tokens, low, high) if high > 1 else tokens

        return analyze, dtype

    def _count(self, X: Any, analyze: Callable[[str], list[str]], vocabulary: dict[str, int], grow: bool):
        """Sparse matrix of ``X`` over ``vocabulary`` (grown in first-seen order when ``grow``)."""
        indices = array("q")
        values = array("q")
        indptr = [0]
        if grow:
            index: dict[str, int] = defaultdict()
            index.default_factory = index.__len__  # type: ignore[attr-defined]
            column = index.__getitem__
        else:
            index = vocabulary
            column = vocabulary.__getitem__
        known = index.keys()
        for doc in _documents(X):
            features = analyze(doc)
            if self._binary:
                indices.extend(map(column, set(features) if grow else known & features))
            else:
                counts = Counter(features)
                keys = list(counts) if grow else list(counts.keys() & known)
                indices.extend(map(column, keys))
                values.extend(map(counts.__getitem__, keys))
            indptr.append(len(indices))
        if grow:
            vocabulary.update(index)
        cols = np.frombuffer(indices, dtype=np.int64) if indices else np.zeros(0, np.int64)
        data = (
            np.ones(len(cols), np.int64)
            if self._binary
            else (np.frombuffer(values, dtype=np.int64) if values else np.zeros(0, np.int64))
        )
        shape = (len(indptr) - 1, len(vocabulary))
        return cols, data, np.asarray(indptr, dtype=np.int64), shape

    def _matrix(self, cols, data, indptr, shape, dtype: np.dtype) -> sp.csr_matrix:
        if dtype.kind in "iu" and len(data) and data.max() > np.iinfo(dtype).max:
            raise StructNLPError(
                f"a count of {int(data.max())} does not fit dtype {dtype}; choose a wider dtype"
            )
        matrix = sp.csr_matrix((data.astype(dtype, copy=False), cols, indptr), shape=shape)
        matrix.sort_indices()
        return matrix

    def fit(self, X: Iterable[str], y: Any = None) -> _BagOfWords:
        """Learn the feature vocabulary of the documents ``X``."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Iterable[str], y: Any = None) -> sp.csr_matrix:
        """Learn the vocabulary and return the document-feature matrix (faster than fit + transform)."""
        analyze, dtype = self.check_params()
        if self.vocabulary is not None:
            vocabulary = _fixed_vocabulary(self.vocabulary)
            cols, data, indptr, shape = self._count(X, analyze, vocabulary, grow=False)
            if shape[0] == 0:
                raise EmptyCorpusError(f"{type(self).__name__}: no documents to fit")
        else:
            vocabulary = {}
            cols, data, indptr, shape = self._count(X, analyze, vocabulary, grow=True)
            if shape[0] == 0:
                raise EmptyCorpusError(f"{type(self).__name__}: no documents to fit")
            cols, data, indptr, vocabulary = self._limit(cols, data, indptr, vocabulary)
            shape = (shape[0], len(vocabulary))
        self.vocabulary_ = vocabulary
        return self._matrix(cols, data, indptr, shape, dtype)

    def _limit(self, cols, data, indptr, grown: dict[str, int]):
        """Apply min_df / max_df / max_features, then number the kept features by name."""
        n_docs = len(indptr) - 1
        names = list(grown)
        if not names:
            raise EmptyCorpusError(
                f"{type(self).__name__}: empty vocabulary; the documents hold no tokens (or only stop words)"
            )
        bad = next((t for t in names if not isinstance(t, str)), None)
        if bad is not None:
            raise StructNLPError(f"the tokenizer returned {type(bad).__name__} {bad!r}; it must return str")
        df = np.bincount(cols, minlength=len(names))
        low = self.min_df if is_int(self.min_df) else self.min_df * n_docs
        high = self.max_df if is_int(self.max_df) else self.max_df * n_docs
        if low > n_docs:
            raise EmptyCorpusError(
                f"{type(self).__name__}: min_df={self.min_df!r} asks for features in at least {low:g} "
                f"documents, but there are only {n_docs}"
            )
        if high < low:
            raise StructNLPError(
                f"max_df={self.max_df!r} keeps fewer documents than min_df={self.min_df!r} requires"
            )
        kept = np.flatnonzero((df >= low) & (df <= high))
        if len(kept) == 0:
            raise EmptyCorpusError(
                f"{type(self).__name__}: no feature is left after min_df={self.min_df!r} and "
                f"max_df={self.max_df!r}; lower min_df or raise max_df"
            )
        limit = self.max_features
        if limit is not None and len(kept) > limit:
            freq = (df if self._binary else np.bincount(cols, weights=data, minlength=len(names)))[kept]
            cut = np.partition(freq, len(freq) - limit)[len(freq) - limit]  # the limit-th highest
            above = kept[freq > cut]
            # among the features at the cut frequency, the smaller names take the places left
            tied = sorted(kept[freq == cut].tolist(), key=names.__getitem__)[: limit - len(above)]
            kept = np.concatenate((above, np.asarray(tied, dtype=np.int64)))
        # only the kept features are sorted by name: with n-grams, most are dropped
        kept = np.asarray(sorted(kept.tolist(), key=names.__getitem__), dtype=np.int64)
        renumber = np.full(len(names), -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept))
        vocabulary = {names[k]: i for i, k in enumerate(kept.tolist())}
        new_cols = renumber[cols]
        keep = new_cols >= 0
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        return new_cols[keep], data[keep], kept_before[indptr], vocabulary

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        """Document-feature matrix of ``X`` over the fitted vocabulary (unseen features ignored)."""
        check_is_fitted(self, "vocabulary_")
        analyze, dtype = self.check_params()
        cols, data, indptr, shape = self._count(X, analyze, self.vocabulary_, grow=False)
        return self._matrix(cols, data, indptr, shape, dtype)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The feature (n-gram) of each column, as an object array of str."""
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for term, column in self.vocabulary_.items():
            names[column] = term
        return names

    def inverse_transform(self, X: Any) -> list[np.ndarray]:
        """The features present (non-zero) in each row of ``X``, e.g. to explain a document."""
        check_is_fitted(self, "vocabulary_")
        if not sp.issparse(X):
            X = np.asarray(X)
            if X.ndim != 2:
                raise StructNLPError(f"expected a 2-D matrix, got an array of shape {X.shape}")
        X = sp.csr_matrix(X)
        n = len(self.vocabulary_)
        if X.shape[1] != n:
            raise StructNLPError(f"X has {X.shape[1]} columns but {type(self).__name__} has {n} features")
        names = self.get_feature_names_out()
        X.eliminate_zeros()
        X.sort_indices()
        return [names[X.indices[X.indptr[i] : X.indptr[i + 1]]] for i in range(X.shape[0])]

    def __sklearn_tags__(self):
        return text_input_tags(super().__sklearn_tags__())


class BooleanBagOfWords(_BagOfWords):
    """Text -> sparse 0/1 matrix: does the document contain the feature (word or n-gram)?

    The input of a Tsetlin Machine: a ``scipy.sparse`` CSR matrix of shape
    ``(n_documents, n_features)`` holding 0/1 as ``uint8``, with sorted column indices.
    Columns are the features in alphabetical order; n-grams join their words with a space.
    The text is lower-cased (``lowercase``) before it is tokenized, stop words are removed
    after tokenization, then n-grams are formed, as in scikit-learn's ``CountVectorizer``,
    which this matches when given the same tokenizer and ``binary=True``.

    ``min_df`` / ``max_df`` drop features in fewer / more documents than a count (int) or a
    fraction of the documents (float). ``max_features`` then keeps the features in most
    documents, equal document frequencies broken by the smaller feature name. With a given
    ``vocabulary`` (features, or a mapping feature -> column) nothing is learnt or dropped.
    ``tokenizer`` is a backend name for :func:`structnlp.tokenize.get_tokenizer`, a
    :class:`~structnlp.tokenize.Tokenizer`, or any callable ``str -> list[str]``.

    >>> bow = BooleanBagOfWords(tokenizer=str.split)
    >>> X = bow.fit_transform(["the cat sat", "the dog the dog"])
    >>> bow.get_feature_names_out().tolist()
    ['cat', 'dog', 'sat', 'the']
    >>> X.toarray()
    array([[1, 0, 1, 1],
           [0, 1, 0, 1]], dtype=uint8)
    """

    _binary = True

    def __init__(
        self,
        tokenizer: Any = "regex",
        lowercase: bool = True,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: float | int = 1,
        max_df: float | int = 1.0,
        max_features: int | None = None,
        stop_words: str | Iterable[str] | None = None,
        vocabulary: Mapping[str, int] | Iterable[str] | None = None,
        dtype: Any = np.uint8,
    ):
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.vocabulary = vocabulary
        self.dtype = dtype


class CountBagOfWords(_BagOfWords):
    """Text -> sparse matrix of feature counts (CSR, ``int64`` by default, sorted indices).

    The options are those of :class:`BooleanBagOfWords`, except that ``max_features``
    keeps the features with the highest total count in the corpus (as scikit-learn's
    ``CountVectorizer`` does), equal counts broken by the smaller feature name. A count that
    does not fit ``dtype`` is an error rather than a silent wrap-around.

    >>> bow = CountBagOfWords(tokenizer=str.split, ngram_range=(1, 2), max_features=3)
    >>> X = bow.fit_transform(["the cat sat", "the dog the dog"])
    >>> bow.get_feature_names_out().tolist()
    ['dog', 'the', 'the dog']
    >>> X.toarray()
    array([[0, 1, 0],
           [2, 2, 2]])
    """

    _binary = False

    def __init__(
        self,
        tokenizer: Any = "regex",
        lowercase: bool = True,
        ngram_range: tuple[int, int] = (1, 1),
        min_df: float | int = 1,
        max_df: float | int = 1.0,
        max_features: int | None = None,
        stop_words: str | Iterable[str] | None = None,
        vocabulary: Mapping[str, int] | Iterable[str] | None = None,
        dtype: Any = np.int64,
    ):
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.stop_words = stop_words
        self.vocabulary = vocabulary
        self.dtype = dtype


# ---------------------------------------------------------------------- id sequences
class _SequenceEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared machinery: factor strings per token -> ids through one Vocabulary per factor.

    Subclasses define ``_analyze`` (documents -> per document, one list of strings per
    factor, all of the same length) and where the fitted vocabularies live.
    """

    def _factor_names(self) -> tuple[str, ...]:
        return ("text",)

    def _check_sequence_params(self) -> dict[str, Any]:
        check_bool("lowercase", self.lowercase)
        check_int("min_count", self.min_count, 1)
        check_int("max_size", self.max_size, 1, allow_none=True)
        check_choice("padding", self.padding, ("post", "pre"))
        check_choice("truncating", self.truncating, ("post", "pre"))
        if self.pad_token is None:
            raise StructNLPError(f"{type(self).__name__} pads its output and needs a pad_token, got None")
        specials = {
            "pad_token": self.pad_token,
            "unk_token": self.unk_token,
            "bos_token": self.bos_token,
            "eos_token": self.eos_token,
        }
        if self.unk_token is None and (self.min_count > 1 or self.max_size is not None):
            raise StructNLPError(
                "unk_token=None leaves no id for the tokens that min_count / max_size drop; "
                "set unk_token (e.g. '<unk>') or keep min_count=1 and max_size=None"
            )
        n_frame = (self.bos_token is not None) + (self.eos_token is not None)
        check_int("max_length", self.max_length, n_frame + 1, allow_none=True)
        return specials

    def _encode(self, X: Any, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        """Flat ids (n_tokens, n_factors) and per-document lengths; builds the vocabularies if ``fitting``."""
        specials = self._check_sequence_params()
        factors = self._factor_names()
        lengths = array("q")
        if fitting:
            grown = []
            for _ in factors:
                index: dict[str, int] = defaultdict()
                index.default_factory = index.__len__  # type: ignore[attr-defined]
                grown.append(index)
            columns = [array("q") for _ in factors]
            for strings in self._analyze(X):
                for column, index, values in zip(columns, grown, strings, strict=True):
                    column.extend(map(index.__getitem__, values))
                lengths.append(len(strings[0]))
            if not lengths:
                raise EmptyCorpusError(f"{type(self).__name__}: no documents to fit")
            vocabs, ids = [], []
            for factor, index, column in zip(factors, grown, columns, strict=True):
                provisional = np.frombuffer(column, dtype=np.int64) if column else np.zeros(0, np.int64)
                names = list(index)
                bad = next((t for t in names if not isinstance(t, str)), None)
                if bad is not None:
                    raise StructNLPError(f"the tokenizer returned {type(bad).__name__} {bad!r}; expected str")
                counts = np.bincount(provisional, minlength=len(names)).tolist()
                try:
                    vocab = Vocabulary.from_counts(
                        dict(zip(names, counts, strict=True)),
                        min_count=self.min_count,
                        max_size=self.max_size,
                        **specials,
                    )
                except EmptyCorpusError as exc:
                    raise EmptyCorpusError(f"{type(self).__name__} ({factor}): {exc}") from None
                vocabs.append(vocab)
                ids.append(np.asarray(vocab.encode(names), dtype=np.int64)[provisional])
            self._set_vocabularies(vocabs)
        else:
            vocabs = self._vocabularies()
            columns = [array("q") for _ in factors]
            for strings in self._analyze(X):
                for column, vocab, values in zip(columns, vocabs, strings, strict=True):
                    column.extend(vocab.encode(values))
                lengths.append(len(strings[0]))
            ids = [np.frombuffer(c, dtype=np.int64) if c else np.zeros(0, np.int64) for c in columns]
        flat = np.stack(ids, axis=1)
        n_tokens = np.frombuffer(lengths, dtype=np.int64) if lengths else np.zeros(0, np.int64)
        if fitting:
            n_frame = (self.bos_token is not None) + (self.eos_token is not None)
            longest = int(n_tokens.max()) + n_frame
            self.max_length_ = longest if self.max_length is None else int(self.max_length)
        return flat, n_tokens

    def _pad(self, flat: np.ndarray, n_tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Frame (bos/eos), truncate and pad every document to ``max_length_``."""
        vocab = self._vocabularies()[0]
        bos, eos = vocab.bos_id, vocab.eos_id
        width = self.max_length_
        room = width - (bos is not None) - (eos is not None)
        out = np.full((len(n_tokens), width, flat.shape[1]), vocab.pad_id, dtype=np.int64)
        ends = np.cumsum(n_tokens)
        kept = np.minimum(n_tokens, room)
        lengths = kept + (width - room)
        pre_trunc, pre_pad = self.truncating == "pre", self.padding == "pre"
        for i, (end, length, k, total) in enumerate(
            zip(ends.tolist(), n_tokens.tolist(), kept.tolist(), lengths.tolist(), strict=True)
        ):
            start = end - length
            segment = flat[end - k : end] if pre_trunc else flat[start : start + k]
            pos = width - total if pre_pad else 0
            if bos is not None:
                out[i, pos] = bos
                pos += 1
            out[i, pos : pos + k] = segment
            if eos is not None:
                out[i, pos + k] = eos
        return out, lengths

    @property
    def _n_features_out(self) -> int:
        return self.max_length_

    def fit(self, X: Iterable[str], y: Any = None) -> _SequenceEncoder:
        """Build the vocabulary (vocabularies) and the output width from the documents ``X``."""
        self._encode(X, fitting=True)
        return self

    def fit_transform(self, X: Iterable[str], y: Any = None) -> np.ndarray:
        """Fit, then encode ``X`` (reads and tokenizes ``X`` only once)."""
        return self._squeeze(self._pad(*self._encode(X, fitting=True))[0])

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """The padded id array of ``X``; see :meth:`transform_with_lengths` for the lengths too."""
        return self.transform_with_lengths(X)[0]

    def transform_with_lengths(self, X: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """The padded id array and, per document, how many positions are not padding.

        A document longer than ``max_length_`` is cut (``truncating``); its length is then
        ``max_length_``. Lengths count the bos/eos tokens.
        """
        check_is_fitted(self, "max_length_")
        ids, lengths = self._pad(*self._encode(X, fitting=False))
        return self._squeeze(ids), lengths

    def _squeeze(self, ids: np.ndarray) -> np.ndarray:
        return ids

    def _content_positions(self, X: Any, ndim: int) -> np.ndarray:
        """Validate an id array for inverse_transform; mask of its non-special positions."""
        check_is_fitted(self, "max_length_")
        X = np.asarray(X)
        if X.ndim != ndim or not np.issubdtype(X.dtype, np.integer):
            raise StructNLPError(f"expected an integer array with {ndim} dimensions, got {X.dtype} {X.shape}")
        vocabs = self._vocabularies()
        if ndim == 3 and X.shape[2] != len(vocabs):
            raise StructNLPError(f"expected {len(vocabs)} factors on the last axis, got {X.shape[2]}")
        ids = X.reshape(X.shape[0], X.shape[1], -1)
        for f, vocab in enumerate(vocabs):
            if ids.size and (ids[..., f].min() < 0 or ids[..., f].max() >= len(vocab)):
                raise StructNLPError(f"ids out of range for the vocabulary of {len(vocab)} tokens")
        vocab = vocabs[0]
        frame = [i for i in (vocab.pad_id, vocab.bos_id, vocab.eos_id) if i is not None]
        return ~np.isin(ids[..., 0], frame)

    def __sklearn_tags__(self):
        return text_input_tags(super().__sklearn_tags__())


class TokenIdSequences(_SequenceEncoder):
    """Text -> padded matrix of token ids (``int64``, ``n_documents x max_length_``).

    ``fit`` builds a :class:`~structnlp.vocab.Vocabulary` (``vocabulary_``: ``min_count``,
    ``max_size`` and the special tokens, ``<pad>`` = 0 and ``<unk>`` = 1 by default) and fixes
    the output width ``max_length_``: ``max_length``, or else the longest training document.
    Longer documents are cut at the end (``truncating="post"``) or start (``"pre"``); shorter
    ones are padded with the pad id after (``padding="post"``) or before (``"pre"``) them. With
    ``bos_token`` / ``eos_token`` every document is framed by them (inside ``max_length``).
    :meth:`transform_with_lengths` also gives the unpadded lengths. The text is lower-cased
    (``lowercase``) before it is tokenized.

    >>> seq = TokenIdSequences(tokenizer=str.split)
    >>> seq.fit_transform(["the cat sat", "the dog"])
    array([[2, 3, 5],
           [2, 4, 0]])
    >>> seq.vocabulary_.decode([2, 3, 4, 5])
    ['the', 'cat', 'dog', 'sat']
    >>> seq.inverse_transform(seq.transform(["the bird sat"]))
    [['the', '<unk>', 'sat']]
    """

    def __init__(
        self,
        tokenizer: Any = "regex",
        lowercase: bool = True,
        min_count: int = 1,
        max_size: int | None = None,
        max_length: int | None = None,
        padding: str = "post",
        truncating: str = "post",
        pad_token: str = "<pad>",
        unk_token: str | None = "<unk>",
        bos_token: str | None = None,
        eos_token: str | None = None,
    ):
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_count = min_count
        self.max_size = max_size
        self.max_length = max_length
        self.padding = padding
        self.truncating = truncating
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.bos_token = bos_token
        self.eos_token = eos_token

    def _analyze(self, X: Any) -> Iterator[list[list[str]]]:
        tokenize = resolve_tokenizer(self.tokenizer, type(self).__name__)
        lowercase = bool(self.lowercase)
        for doc in _documents(X):
            tokens = tokenize(doc.lower() if lowercase else doc)
            if isinstance(tokens, str):
                raise StructNLPError("the tokenizer returned a str, expected a list of str")
            yield [tokens]

    def _set_vocabularies(self, vocabs: list[Vocabulary]) -> None:
        self.vocabulary_ = vocabs[0]

    def _vocabularies(self) -> list[Vocabulary]:
        return [self.vocabulary_]

    def _squeeze(self, ids: np.ndarray) -> np.ndarray:
        return ids[:, :, 0]

    def inverse_transform(self, X: Any) -> list[list[str]]:
        """The tokens of each row of an id matrix, without padding and bos/eos."""
        content = self._content_positions(X, ndim=2)
        decode = self.vocabulary_.decode
        return [decode(row[mask].tolist()) for row, mask in zip(np.asarray(X), content, strict=True)]


class FactoredSequences(_SequenceEncoder):
    """Text -> padded array of (word, lemma, POS) ids, shape ``(n_documents, max_length_, 3)``.

    Why one 3-D array rather than three matrices: the factors of a token stay aligned
    through padding, truncation, shuffling and batching, and scikit-learn's ``transform``
    contract returns one array. ``output[..., k]`` holds the ids of factor ``factors[k]`` in
    the vocabulary ``vocabs_[factors[k]]``. Any of the :class:`~structnlp.tokenize.Token`
    fields ``"text"``, ``"lemma"``, ``"pos"`` (universal POS) and ``"tag"`` (fine tag) can be
    chosen with ``factors``. Sentences of a document are concatenated.

    ``tokenizer`` is a backend name (default ``"spacy"``) or a
    :class:`~structnlp.tokenize.Tokenizer` whose ``analyze`` gives lemmas and tags (the
    ``"regex"`` backend cannot). ``lowercase`` lower-cases the text and lemma factors *after*
    the analysis, so that the tagger sees the original case. The other options are those of
    :class:`TokenIdSequences`, applied to each factor's vocabulary.
    """

    def __init__(
        self,
        tokenizer: Any = "spacy",
        factors: Sequence[str] = ("text", "lemma", "pos"),
        lowercase: bool = True,
        min_count: int = 1,
        max_size: int | None = None,
        max_length: int | None = None,
        padding: str = "post",
        truncating: str = "post",
        pad_token: str = "<pad>",
        unk_token: str | None = "<unk>",
        bos_token: str | None = None,
        eos_token: str | None = None,
    ):
        self.tokenizer = tokenizer
        self.factors = factors
        self.lowercase = lowercase
        self.min_count = min_count
        self.max_size = max_size
        self.max_length = max_length
        self.padding = padding
        self.truncating = truncating
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.bos_token = bos_token
        self.eos_token = eos_token

    def _factor_names(self) -> tuple[str, ...]:
        factors = self.factors
        if (
            isinstance(factors, str)
            or not isinstance(factors, Sequence)
            or not factors
            or len(set(factors)) != len(factors)
            or not all(f in FACTORS for f in factors)
        ):
            raise StructNLPError(
                f"factors must be a non-empty sequence of distinct names from {FACTORS}, got {factors!r}"
            )
        return tuple(factors)

    def _analyze(self, X: Any) -> Iterator[list[list[str]]]:
        tokenizer = self.tokenizer
        if isinstance(tokenizer, str):
            from structnlp.tokenize import get_tokenizer

            tokenizer = get_tokenizer(tokenizer)
        if not callable(getattr(tokenizer, "analyze", None)):
            raise StructNLPError(
                "FactoredSequences needs a tokenizer name or a Tokenizer with analyze() (lemmas and POS), "
                f"got {type(tokenizer).__name__}"
            )
        factors = self._factor_names()
        lower = {"text", "lemma"} if self.lowercase else set()
        # backends with pipe() (spaCy) analyse many documents in batches, much faster
        pipe = getattr(tokenizer, "pipe", None)
        analyzed = pipe(_documents(X)) if callable(pipe) else map(tokenizer.analyze, _documents(X))
        for sentences in analyzed:
            tokens = [t for sentence in sentences for t in sentence]
            if tokens and not isinstance(tokens[0], Token):
                raise StructNLPError(
                    f"the tokenizer's analyze() must give sentences of Token, got {type(tokens[0]).__name__}"
                )
            yield [
                [getattr(t, f).lower() for t in tokens] if f in lower else [getattr(t, f) for t in tokens]
                for f in factors
            ]

    def _set_vocabularies(self, vocabs: list[Vocabulary]) -> None:
        self.vocabs_ = dict(zip(self._factor_names(), vocabs, strict=True))

    def _vocabularies(self) -> list[Vocabulary]:
        return list(self.vocabs_.values())

    def inverse_transform(self, X: Any) -> list[list[tuple[str, ...]]]:
        """The factor tuples (e.g. (word, lemma, POS)) of each document, without padding and bos/eos."""
        content = self._content_positions(X, ndim=3)
        vocabs = self._vocabularies()
        out = []
        for row, mask in zip(np.asarray(X), content, strict=True):
            columns = [v.decode(row[mask, f].tolist()) for f, v in enumerate(vocabs)]
            out.append(list(zip(*columns, strict=True)))
        return out
