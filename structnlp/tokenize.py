"""Tokenization behind one small interface.

Backends (pick one with :func:`get_tokenizer`):

* ``"regex"`` — a fast word tokenizer (no sentences, lemmas or POS); the default of the
  bag-of-words featurizers, like scikit-learn's ``token_pattern``.
* ``"spacy"`` — spaCy with the small pipeline embedded in this package, trained by this project
  on UD English EWT (``model="embedded"``), or ``en_core_web_sm`` when it is installed
  (``model="auto"``, the default) or named (``model="en_core_web_sm"``).
* ``"nltk"`` — NLTK's Treebank word tokenizer with Punkt sentence parameters, an averaged
  perceptron tagger and a lemma table, all trained by this project on UD English EWT and
  shipped as gzip'd JSON.

Both trained backends work offline on a fresh install: nothing is ever downloaded. Every
backend implements :class:`Tokenizer`; spaCy is imported only when a spaCy backend is created.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.params import is_int

MODELS_DIR = Path(__file__).resolve().parent / "models"
EMBEDDED_SPACY_MODEL = MODELS_DIR / "en_structnlp_ewt"
EMBEDDED_NLTK_MODEL = MODELS_DIR / "nltk_ewt" / "model.json.gz"
NLTK_MODEL_FORMAT = "structnlp.nltk_ewt"
NLTK_MODEL_VERSION = 1
BACKENDS = ("regex", "spacy", "nltk")


@dataclass(frozen=True)
class Token:
    """One analysed token: surface text, lemma, universal POS tag and fine tag (XPOS)."""

    text: str
    lemma: str
    pos: str
    tag: str = ""
    idx: int = -1  # character offset in the input text, -1 when unknown


@runtime_checkable
class Tokenizer(Protocol):
    """What every tokenizer backend offers; any object with these members can stand in for one.

    A backend that cannot do one of them raises :class:`StructNLPError` saying so, as the
    ``"regex"`` backend does for ``analyze``.

    >>> class Whitespace:
    ...     name = "whitespace"
    ...     def tokenize(self, text): return text.split()
    ...     def split_sentences(self, text): return [text]
    ...     def analyze(self, text): raise StructNLPError("whitespace tokens have no lemmas or POS tags")
    >>> get_tokenizer(Whitespace()).tokenize("rash after penicillin")
    ['rash', 'after', 'penicillin']
    """

    name: str

    def tokenize(self, text: str) -> list[str]:
        """Split ``text`` into word tokens."""
        ...

    def split_sentences(self, text: str) -> list[str]:
        """Split ``text`` into sentence strings."""
        ...

    def analyze(self, text: str) -> list[list[Token]]:
        """Sentences of analysed tokens (text, lemma, POS, tag)."""
        ...


def _check_text(text: object) -> str:
    """Reject non-text input up front, instead of a traceback from deep inside a backend."""
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        raise StructNLPError("expected text as str, got bytes; decode it first, e.g. data.decode('utf-8')")
    raise StructNLPError(f"expected text as str, got {type(text).__name__}")


def _check_words(sentences: object) -> list[list[str]]:
    if isinstance(sentences, str) or not isinstance(sentences, Iterable):
        raise StructNLPError("expected a list of sentences, each a list of word strings")
    out = []
    for i, words in enumerate(sentences):
        if isinstance(words, str) or not isinstance(words, Iterable):
            raise StructNLPError(f"sentence {i}: expected a list of word strings, got {type(words).__name__}")
        words = list(words)
        for w in words:
            if not isinstance(w, str) or not w or w != w.strip() or any(c.isspace() for c in w):
                raise StructNLPError(
                    f"sentence {i}: every word must be a non-empty str without spaces, got {w!r}"
                )
        out.append(words)
    return out


class RegexTokenizer:
    """Word tokens by regular expression, optionally lower-cased.

    It cannot give sentences, lemmas or POS tags: use the ``"spacy"`` or ``"nltk"``
    backend for those.

    >>> RegexTokenizer().tokenize("If rash and penicillin, then Allergy!")
    ['if', 'rash', 'and', 'penicillin', 'then', 'allergy']
    """

    name = "regex"

    def __init__(self, pattern: str = r"(?u)\b\w[\w'-]*\b", lowercase: bool = True):
        self.pattern = pattern
        self.lowercase = lowercase
        if not isinstance(pattern, str):
            raise StructNLPError(f"token pattern must be a str, got {type(pattern).__name__}")
        try:
            self._regex = re.compile(pattern)
        except re.error as exc:
            raise StructNLPError(f"invalid token pattern {pattern!r}: {exc}") from None
        # findall gives one tuple per match with several groups: tokens would not be strings
        if self._regex.groups > 1:
            raise StructNLPError(
                f"token pattern {pattern!r} has {self._regex.groups} capturing groups; use at most one "
                "(its text is the token), and (?:...) for the others"
            )

    def tokenize(self, text: str) -> list[str]:
        text = _check_text(text)
        if self.lowercase:
            text = text.lower()
        return self._regex.findall(text)

    def split_sentences(self, text: str) -> list[str]:
        raise StructNLPError(
            "the 'regex' tokenizer does not split sentences; use get_tokenizer('spacy') or 'nltk'"
        )

    def analyze(self, text: str) -> list[list[Token]]:
        raise StructNLPError(
            "the 'regex' tokenizer gives no lemmas or POS tags; use get_tokenizer('spacy') or 'nltk'"
        )

    def __repr__(self) -> str:
        return f"RegexTokenizer(pattern={self.pattern!r}, lowercase={self.lowercase})"


# ----------------------------------------------------------------------------- spaCy


def _chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into ``(offset, piece)`` pieces of at most ``size`` characters.

    Cuts fall on the last line break of a window, else on its last space, so that spaCy's memory
    stays bounded on book-length input (spaCy needs about 1 GB per 100,000 characters for some
    components) while sentences are seldom cut.
    """
    start = 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind("\n", start + size // 2, end)
        if cut < 0:
            cut = text.rfind(" ", start + size // 2, end)
        end = end if cut < 0 else cut + 1
        yield start, text[start:end]
        start = end
    if start < len(text) or not text:
        yield start, text[start:]


@functools.cache
def _load_spacy(model: str) -> Any:
    """Load a spaCy pipeline once per process (it is the slow part: about a second)."""
    import spacy

    try:
        nlp = spacy.load(model)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"cannot load spaCy pipeline {model!r}: {exc}") from exc
    if not {"senter", "parser", "sentencizer"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer")  # a pipeline without sentence boundaries still splits on punctuation
    return nlp


class SpacyTokenizer:
    """spaCy tokens, sentences, lemmas, UPOS (``Token.pos``) and fine tags (``Token.tag``).

    ``model`` chooses the pipeline:

    * ``"auto"`` (default): ``en_core_web_sm`` when that package is installed, else the embedded one;
    * ``"embedded"``: the small pipeline shipped in ``structnlp/models/en_structnlp_ewt`` (trained by
      ``scripts/train_tagger.py`` on UD English EWT; its UPOS tags and lemmas follow UD conventions);
    * the name of an installed spaCy package (e.g. ``"en_core_web_sm"``) or a pipeline folder.

    The pipeline is loaded on first use and shared by all tokenizers naming the same model.
    Texts longer than ``chunk_chars`` are processed in pieces cut at line breaks or spaces, so
    book-length documents work in bounded memory.

    >>> tok = SpacyTokenizer(model="embedded")
    >>> tok.tokenize("Dr. Smith isn't here.")
    ['Dr.', 'Smith', 'is', "n't", 'here', '.']
    """

    name = "spacy"

    def __init__(self, model: str | os.PathLike = "auto", batch_size: int = 64, chunk_chars: int = 100_000):
        import spacy.util

        if not is_int(batch_size) or batch_size < 1:
            raise StructNLPError(f"batch_size must be a positive int, got {batch_size!r}")
        if not is_int(chunk_chars) or chunk_chars < 1000:
            raise StructNLPError(f"chunk_chars must be an int >= 1000, got {chunk_chars!r}")
        self.model = model
        self.batch_size = batch_size
        self.chunk_chars = chunk_chars
        self.model_path = self._resolve(model, spacy.util)

    @staticmethod
    def _resolve(model: str | os.PathLike, util: Any) -> str:
        if isinstance(model, os.PathLike) or (isinstance(model, str) and os.sep in model):
            path = Path(model)
            if not (path / "config.cfg").is_file():
                raise ModelFileError(f"{path}: not a spaCy pipeline folder (no config.cfg)")
            return str(path)
        if not isinstance(model, str):
            raise StructNLPError(f"model must be 'auto', 'embedded', a package name or a path, got {model!r}")
        if model == "auto":
            return "en_core_web_sm" if util.is_package("en_core_web_sm") else str(EMBEDDED_SPACY_MODEL)
        if model == "embedded":
            if not (EMBEDDED_SPACY_MODEL / "config.cfg").is_file():
                raise ModelFileError(
                    f"{EMBEDDED_SPACY_MODEL}: the embedded spaCy pipeline is missing; reinstall structnlp"
                )
            return str(EMBEDDED_SPACY_MODEL)
        if not util.is_package(model):
            raise StructNLPError(
                f"spaCy pipeline {model!r} is not installed; install it with "
                f"`python -m spacy download {model}` "
                "(or pip install its wheel from https://github.com/explosion/spacy-models/releases), "
                "or use model='embedded' for the pipeline shipped with structnlp"
            )
        return model

    @property
    def nlp(self) -> Any:
        """The spaCy ``Language`` object (loaded on first access)."""
        return _load_spacy(self.model_path)

    @property
    def _chunk_size(self) -> int:
        """``chunk_chars``, but never above what spaCy accepts in one text (``nlp.max_length``)."""
        return min(self.chunk_chars, self.nlp.max_length)

    def _run(self, texts: Iterable[str], size: int, keep: set[str] | None) -> Iterator[tuple[Any, int, bool]]:
        """``(doc, offset, last piece of its text)`` for every chunk of every text, via ``nlp.pipe``."""

        def pieces() -> Iterator[tuple[str, tuple[int, bool]]]:
            for text in texts:
                chunks = list(_chunks(_check_text(text), self._chunk_size))
                for j, (offset, piece) in enumerate(chunks):
                    yield piece, (offset, j == len(chunks) - 1)

        disable = [] if keep is None else [n for n in self.nlp.pipe_names if n not in keep]
        for doc, (offset, last) in self.nlp.pipe(pieces(), as_tuples=True, batch_size=size, disable=disable):
            yield doc, offset, last

    def tokenize(self, text: str) -> list[str]:
        """Word tokens (spaCy's rule-based tokenizer only; whitespace tokens dropped)."""
        text = _check_text(text)
        nlp = self.nlp
        return [
            t.text
            for _, piece in _chunks(text, self._chunk_size)
            for t in nlp.make_doc(piece)
            if not t.is_space
        ]

    def split_sentences(self, text: str) -> list[str]:
        """Sentence strings, stripped of surrounding whitespace (runs only what sentences need)."""
        keep = {"tok2vec", "senter", "parser", "sentencizer", "transformer"}
        return [
            s.text.strip()
            for doc, _, _ in self._run([text], self.batch_size, keep)
            for s in doc.sents
            if s.text.strip()
        ]

    def analyze(self, text: str) -> list[list[Token]]:
        """Sentences of :class:`Token` with character offsets into ``text``."""
        return next(self.pipe([_check_text(text)]))

    def pipe(self, texts: Iterable[str], batch_size: int | None = None) -> Iterator[list[list[Token]]]:
        """Analyse many texts in batches (``nlp.pipe``); yields one :meth:`analyze` result per text.

        >>> tok = SpacyTokenizer(model="embedded")
        >>> [len(sents) for sents in tok.pipe(["One. Two.", "Three"])]
        [2, 1]
        """
        size = self.batch_size if batch_size is None else batch_size
        if not is_int(size) or size < 1:
            raise StructNLPError(f"batch_size must be a positive int, got {size!r}")
        if isinstance(texts, str):
            raise StructNLPError("pipe() takes an iterable of texts, got one str; use analyze() for one text")
        current: list[list[Token]] = []
        for doc, offset, last in self._run(texts, size, keep=None):
            current.extend(self._sentences(doc, offset))
            if last:
                yield current
                current = []

    def analyze_pretokenized(self, sentences: Iterable[Iterable[str]]) -> list[list[Token]]:
        """Tag and lemmatize given sentences of words (one sentence each; no re-tokenization).

        For corpora that come tokenized (treebanks, PTB text). ``Token.idx`` is the offset in the
        sentence's words joined by single spaces.

        >>> tok = SpacyTokenizer(model="embedded")
        >>> sentences = [["She", "has", "written", "two", "books", "."]]
        >>> [(t.lemma, t.pos, t.idx) for t in tok.analyze_pretokenized(sentences)[0]]
        [('she', 'PRON', 0), ('have', 'AUX', 4), ('write', 'VERB', 8), ('two', 'NUM', 16),
         ('book', 'NOUN', 20), ('.', 'PUNCT', 26)]
        """
        from spacy.tokens import Doc

        sentences = _check_words(sentences)
        nlp = self.nlp
        docs = [Doc(nlp.vocab, words=words) for words in sentences if words]
        disable = [n for n in nlp.pipe_names if n in ("senter", "parser", "ner", "sentencizer")]
        tagged = iter(nlp.pipe(docs, batch_size=self.batch_size, disable=disable))
        return [[self._token(t, 0) for t in next(tagged)] if words else [] for words in sentences]

    @staticmethod
    def _token(t: Any, offset: int) -> Token:
        return Token(text=t.text, lemma=t.lemma_ or t.text, pos=t.pos_, tag=t.tag_, idx=t.idx + offset)

    def _sentences(self, doc: Any, offset: int) -> list[list[Token]]:
        out = []
        for sent in doc.sents:
            tokens = [self._token(t, offset) for t in sent if not t.is_space]
            if tokens:
                out.append(tokens)
        return out

    def __repr__(self) -> str:
        return f"SpacyTokenizer(model={self.model!r})"


# ----------------------------------------------------------------------------- NLTK

_VOWELS = set("aeiou")


def _undouble(stem: str) -> str:
    """``runn`` -> ``run``: undo the consonant doubling of English inflection."""
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


def rule_lemma(word: str, upos: str) -> str:
    """A lemma by suffix rules: the fallback of the NLTK backend for words not in its lemma table.

    Proper nouns keep their form, other words are lower-cased; plural nouns and inflected
    verbs lose their suffix.

    >>> [rule_lemma(w, p) for w, p in [("Cats", "NOUN"), ("parties", "NOUN"), ("running", "VERB"),
    ...                                 ("jumped", "VERB"), ("London", "PROPN"), ("boxes", "NOUN")]]
    ['cat', 'party', 'run', 'jump', 'London', 'box']
    """
    if upos == "PROPN":
        return word
    w = word.lower()
    if not w.isalpha() or len(w) <= 3:
        return w
    if upos == "NOUN":
        if w.endswith("ies") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith(("ches", "shes", "sses", "xes", "zes")):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is")):
            return w[:-1]
    elif upos in ("VERB", "AUX"):
        if w.endswith("ies") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith("ied") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith("ing") and len(w) > 5:
            return _undouble(w[:-3])
        if w.endswith("ed") and len(w) > 4:
            return _undouble(w[:-2])
        if w.endswith(("ches", "shes", "sses", "xes", "zes")):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is")):
            return w[:-1]
    return w


def _read_json_gz(path: Path) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: model file not found") from None
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not a readable gzip'd JSON model file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != NLTK_MODEL_FORMAT:
        raise ModelFileError(
            f"{path}: not a structnlp NLTK model (format {data.get('format')!r})"
            if isinstance(data, dict)
            else f"{path}: not a structnlp NLTK model"
        )
    if data.get("format_version") != NLTK_MODEL_VERSION:
        raise ModelFileError(
            f"{path}: NLTK model format version {data.get('format_version')!r}, this structnlp reads "
            f"version {NLTK_MODEL_VERSION}"
        )
    missing = {"punkt", "tagger", "lemmas"} - data.keys()
    if missing:
        raise ModelFileError(f"{path}: model file lacks {sorted(missing)}")
    return data


class _ArrayPerceptron:
    """Scoring of NLTK's averaged perceptron on numpy arrays, a drop-in for its ``model``.

    ``PerceptronTagger.tag`` (features, tag dictionary, greedy decoding) is kept; only the
    dot product changes, from a Python loop over every weight of every feature (about 1 ms a
    word with this model's ~100 labels) to one ``np.bincount``. The argmax breaks ties towards
    the larger label, as NLTK's ``max(classes, key=(score, label))`` does.
    """

    def __init__(self, weights: dict[str, dict[str, float]], classes: Iterable[str]):
        import numpy as np

        self._np = np
        self.classes = sorted(classes, reverse=True)  # np.argmax keeps the first (largest) label
        index = {c: i for i, c in enumerate(self.classes)}
        self.weights = {
            feat: (
                np.array([index[c] for c in w], dtype=np.intp),
                np.array(list(w.values()), dtype=np.float64),
            )
            for feat, w in weights.items()
            if w
        }

    def predict(self, features: dict[str, int], return_conf: bool = False) -> tuple[str, float | None]:
        np = self._np
        rows = [(self.weights[f], v) for f, v in features.items() if v and f in self.weights]
        if rows:
            labels = np.concatenate([r[0] for r, _ in rows])
            values = np.concatenate([r[1] if v == 1 else r[1] * v for r, v in rows])
            scores = np.bincount(labels, weights=values, minlength=len(self.classes))
        else:
            scores = np.zeros(len(self.classes))
        best = int(np.argmax(scores))
        conf = float(1.0 / np.exp(scores - scores[best]).sum()) if return_conf else None
        return self.classes[best], conf


@functools.lru_cache(maxsize=4)
def _load_nltk(path: str, mtime_ns: int, size: int) -> tuple[Any, Any, dict[str, dict[str, str]], str]:
    """Build Punkt and the perceptron tagger from a JSON model file (once per process and file
    version: the cache key holds the file's mtime and size)."""
    from nltk.tag.perceptron import PerceptronTagger
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    data = _read_json_gz(Path(path))
    try:
        p = data["punkt"]
        params = PunktParameters()
        params.abbrev_types = set(p["abbrev_types"])
        params.collocations = {tuple(c) for c in p["collocations"]}
        params.sent_starters = set(p["sent_starters"])
        params.ortho_context.update(p["ortho_context"])
        splitter = PunktSentenceTokenizer(params)
        t = data["tagger"]
        tagger = PerceptronTagger(load=False)
        tagger.decode_json_params((t["weights"], t["tagdict"], t["classes"]))
        tagger.model = _ArrayPerceptron(t["weights"], t["classes"])
        separator = t["separator"]
        lemmas = data["lemmas"]
        if not isinstance(lemmas, dict) or not all(isinstance(v, dict) for v in lemmas.values()):
            raise TypeError("lemmas must map UPOS to {form: lemma} tables")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path}: malformed NLTK model ({type(exc).__name__}: {exc})") from None
    return splitter, tagger, lemmas, separator


def _source_quote(text: str, at: int) -> str:
    """The double quote written at ``text[at]`` (``"``, ``''`` or two backticks), or ``""``."""
    for quote in ('"', "''", "``"):
        if text.startswith(quote, at):
            return quote
    return ""


class NLTKTokenizer:
    """NLTK tokens, sentences, lemmas and tags, offline.

    Sentences come from Punkt with parameters learnt on UD English EWT, words from NLTK's
    Treebank-style ``NLTKWordTokenizer`` (the one behind ``nltk.word_tokenize``), tags from
    an averaged perceptron trained on EWT (one label ``UPOS|XPOS``, so ``Token.pos`` is a
    universal tag and ``Token.tag`` a Penn tag), lemmas from an EWT table of
    ``(form, UPOS) -> lemma`` with :func:`rule_lemma` as fallback. Nothing is downloaded: the
    model is ``structnlp/models/nltk_ewt/model.json.gz`` (or ``model_path``).

    >>> tok = NLTKTokenizer()
    >>> tok.split_sentences("Mr. Smith arrived. He sat down.")
    ['Mr. Smith arrived.', 'He sat down.']
    """

    name = "nltk"

    def __init__(self, model_path: str | os.PathLike | None = None):
        from nltk.tokenize.destructive import NLTKWordTokenizer

        self.model_path = Path(model_path) if model_path is not None else EMBEDDED_NLTK_MODEL
        self._words = NLTKWordTokenizer()
        self._model()  # fail now, not at the first text, on a bad model file

    def _model(self) -> tuple[Any, Any, dict[str, dict[str, str]], str]:
        try:
            stat = self.model_path.stat()
        except FileNotFoundError:
            raise ModelFileError(f"{self.model_path}: model file not found") from None
        return _load_nltk(str(self.model_path), stat.st_mtime_ns, stat.st_size)

    def _sentence_spans(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for a, b in self._model()[0].span_tokenize(text):
            piece = text[a:b]
            stripped = piece.strip()
            if stripped:
                a += len(piece) - len(piece.lstrip())
                spans.append((a, a + len(stripped)))
        return spans

    def _word_spans(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Offsets of the Treebank tokens of ``text[start:end]`` (quotes map back to the original)."""
        spans = []
        cursor = start
        for tok in self._words.tokenize(text[start:end]):
            while cursor < end and text[cursor].isspace():
                cursor += 1
            if text.startswith(tok, cursor):
                spans.append((cursor, cursor + len(tok)))
                cursor += len(tok)
            elif tok in ("``", "''") and (quote := _source_quote(text, cursor)):
                # the Treebank tokenizer rewrites " and '' as `` or '': map back to the source
                spans.append((cursor, cursor + len(quote)))
                cursor += len(quote)
            else:
                found = text.find(tok, cursor, end)
                if found < 0:
                    raise StructNLPError(f"cannot align NLTK token {tok!r} at offset {cursor}")
                spans.append((found, found + len(tok)))
                cursor = found + len(tok)
        return spans

    def _spans(self, text: str) -> list[list[tuple[int, int]]]:
        text = _check_text(text)
        return [s for s in (self._word_spans(text, a, b) for a, b in self._sentence_spans(text)) if s]

    def tokenize(self, text: str) -> list[str]:
        """Word tokens (Treebank conventions: ``isn't`` -> ``is``, ``n't``), original characters kept."""
        return [text[a:b] for sent in self._spans(text) for a, b in sent]

    def split_sentences(self, text: str) -> list[str]:
        """Sentence strings (Punkt)."""
        text = _check_text(text)
        return [text[a:b] for a, b in self._sentence_spans(text)]

    def _tag(self, words: list[str]) -> list[tuple[str, str, str]]:
        _, tagger, lemmas, separator = self._model()
        out = []
        for word, label in tagger.tag(words):
            upos, _, xpos = label.partition(separator)
            lemma = lemmas.get(upos, {}).get(word.lower()) or rule_lemma(word, upos)
            out.append((lemma, upos, xpos))
        return out

    def analyze(self, text: str) -> list[list[Token]]:
        """Sentences of :class:`Token` with character offsets into ``text``."""
        out = []
        for spans in self._spans(text):
            words = [text[a:b] for a, b in spans]
            out.append(
                [
                    Token(text=w, lemma=lemma, pos=upos, tag=xpos, idx=a)
                    for w, (a, _), (lemma, upos, xpos) in zip(words, spans, self._tag(words), strict=True)
                ]
            )
        return out

    def pipe(self, texts: Iterable[str], batch_size: int | None = None) -> Iterator[list[list[Token]]]:
        """Analyse many texts; yields one :meth:`analyze` result per text (``batch_size`` is accepted
        for symmetry with the spaCy backend and has no effect).

        >>> [len(s) for s in NLTKTokenizer().pipe(["One. Two.", "Three"])]
        [2, 1]
        """
        if isinstance(texts, str):
            raise StructNLPError("pipe() takes an iterable of texts, got one str; use analyze() for one text")
        for text in texts:
            yield self.analyze(text)

    def analyze_pretokenized(self, sentences: Iterable[Iterable[str]]) -> list[list[Token]]:
        """Tag and lemmatize given sentences of words (no re-tokenization); ``Token.idx`` is the
        offset in the words joined by single spaces.

        >>> sentences = [["She", "has", "written", "two", "books", "."]]
        >>> [(t.lemma, t.pos, t.idx) for t in NLTKTokenizer().analyze_pretokenized(sentences)[0]]
        [('she', 'PRON', 0), ('have', 'AUX', 4), ('write', 'VERB', 8), ('two', 'NUM', 16),
         ('book', 'NOUN', 20), ('.', 'PUNCT', 26)]
        """
        out = []
        for words in _check_words(sentences):
            offsets, pos = [], 0
            for w in words:
                offsets.append(pos)
                pos += len(w) + 1
            out.append(
                [
                    Token(text=w, lemma=lemma, pos=upos, tag=xpos, idx=i)
                    for w, i, (lemma, upos, xpos) in zip(words, offsets, self._tag(words), strict=True)
                ]
            )
        return out

    def __repr__(self) -> str:
        return f"NLTKTokenizer(model_path={str(self.model_path)!r})"


# ----------------------------------------------------------------------------- factory

_FACTORIES = {"regex": RegexTokenizer, "spacy": SpacyTokenizer, "nltk": NLTKTokenizer}


def get_tokenizer(name: str | Tokenizer = "regex", **options: Any) -> Tokenizer:
    """The tokenizer backend ``name`` (``"regex"``, ``"spacy"`` or ``"nltk"``), built with ``options``.

    A :class:`Tokenizer` instance is returned as it is, so functions can take either a name or a
    ready tokenizer.

    >>> get_tokenizer("regex", lowercase=False).tokenize("Hello World")
    ['Hello', 'World']
    >>> get_tokenizer("nltk").analyze("The cats were running.")[0][1]
    Token(text='cats', lemma='cat', pos='NOUN', tag='NNS', idx=4)
    >>> get_tokenizer("stanza")
    Traceback (most recent call last):
    ...
    structnlp.errors.StructNLPError: unknown tokenizer 'stanza'; valid names: 'regex', 'spacy', 'nltk'
    """
    if isinstance(name, str):
        factory = _FACTORIES.get(name.lower())
        if factory is None:
            valid = ", ".join(repr(n) for n in BACKENDS)
            raise StructNLPError(f"unknown tokenizer {name!r}; valid names: {valid}")
        try:
            return factory(**options)
        except TypeError as exc:
            raise StructNLPError(f"bad options for the {name!r} tokenizer: {exc}") from None
    if isinstance(name, Tokenizer):
        if options:
            raise StructNLPError(f"options {sorted(options)} given with a ready tokenizer instance")
        return name
    raise StructNLPError(
        f"tokenizer must be a name ({', '.join(BACKENDS)}) or a Tokenizer, got {type(name).__name__}"
    )
