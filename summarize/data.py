"""Documents as the summarizer sees them: analysed sentences, highlight labels, decoder targets.

Everything here is plain Python (no torch, no spaCy at import time), so that the training
script can read pre-analysed data on a machine without spaCy or nltk.

* :func:`analyze_document` turns a text into an :class:`AnalyzedDocument`: the text is cut
  into lines, each line into sentences by a tokenizer with ``analyze()`` (lemmas and POS).
  Only the first ``max_chars`` characters are read, so a 100,000-word document costs no
  more than a long news article (see the truncation notes of :mod:`summarize.summarizer`).
* :func:`highlight_labels` marks the document sentences that a reference summary uses.
* :func:`decoder_target` is what the abstractive decoder learns to write.
* :func:`bbc_split` is the deterministic train/validation/test split of BBC News Summary.
* :func:`read_analyzed` / :func:`write_analyzed` store analysed corpora as JSON Lines (gzip).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from structnlp.errors import CorpusFormatError, StructNLPError
from structnlp.files import atomic_write, iter_lines

__all__ = [
    "AnalyzedDocument",
    "AnalyzedSentence",
    "analyze_document",
    "analyze_documents",
    "bbc_reference_sentences",
    "bbc_split",
    "decoder_target",
    "greedy_oracle",
    "highlight_labels",
    "lexical_centrality",
    "read_analyzed",
    "sentence_words",
    "write_analyzed",
]

#: Tokens that end a sentence in generated text (the decoder counts them for ``max_sentences``).
SENTENCE_END = frozenset({".", "!", "?"})
#: Default number of characters of a document that are analysed (the encoder reads fewer).
MAX_CHARS = 30_000
#: Fraction of a sentence's word bigrams that must occur in the reference for it to count as used.
COPY_THRESHOLD = 0.5


@dataclass
class AnalyzedSentence:
    """One sentence: its original text and its tokens' surface forms, lemmas and universal POS."""

    text: str
    words: list[str]
    lemmas: list[str]
    pos: list[str]

    def __post_init__(self) -> None:
        if not (len(self.words) == len(self.lemmas) == len(self.pos)):
            raise StructNLPError(
                f"sentence {self.text[:40]!r}: {len(self.words)} words, {len(self.lemmas)} lemmas and "
                f"{len(self.pos)} POS tags; they must be aligned"
            )

    @property
    def n_words(self) -> int:
        """Tokens holding a letter or digit: the sentence's length in words, punctuation left out.

        >>> words = ["Fares", "rise", "4", "%", "."]
        >>> AnalyzedSentence("Fares rise 4%.", words, words, ["NOUN", "VERB", "NUM", "SYM", "PUNCT"]).n_words
        3
        """
        return sum(any(c.isalnum() for c in w) for w in self.words)


@dataclass
class AnalyzedDocument:
    """A document as a list of analysed sentences (``truncated``: text was cut before analysis)."""

    sentences: list[AnalyzedSentence] = field(default_factory=list)
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.sentences)

    @property
    def n_tokens(self) -> int:
        """Number of tokens over all sentences."""
        return sum(len(s.words) for s in self.sentences)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (parallel lists, compact)."""
        return {
            "text": [s.text for s in self.sentences],
            "words": [s.words for s in self.sentences],
            "lemmas": [s.lemmas for s in self.sentences],
            "pos": [s.pos for s in self.sentences],
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "document") -> AnalyzedDocument:
        """The inverse of :meth:`to_json`, with a clear error on a malformed record.

        >>> doc = AnalyzedDocument([AnalyzedSentence("Hi there.", ["Hi", "there", "."],
        ...                                          ["hi", "there", "."], ["INTJ", "ADV", "PUNCT"])])
        >>> AnalyzedDocument.from_json(doc.to_json()) == doc
        True
        """
        try:
            parts = [data[k] for k in ("text", "words", "lemmas", "pos")]
            if len({len(p) for p in parts}) != 1:
                raise ValueError("text, words, lemmas and pos have different numbers of sentences")
            sentences = [
                AnalyzedSentence(str(t), list(w), list(lm), list(p))
                for t, w, lm, p in zip(*parts, strict=True)
            ]
            for s in sentences:
                if not all(isinstance(x, str) for x in s.words + s.lemmas + s.pos):
                    raise ValueError("tokens must be strings")
            return cls(sentences, bool(data.get("truncated", False)))
        except (KeyError, TypeError, ValueError, StructNLPError) as exc:
            raise StructNLPError(f"{where}: not an analysed document ({exc})") from None


def _check_text(text: object, where: str) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        raise StructNLPError(f"{where}: expected text as str, got bytes; decode it first (UTF-8)")
    raise StructNLPError(f"{where}: expected a str, got {type(text).__name__}")


def _cut(text: str, max_chars: int) -> tuple[str, bool]:
    """The first ``max_chars`` characters of ``text``, cut at a whitespace when there is one."""
    if len(text) <= max_chars:
        return text, False
    head = text[:max_chars]
    space = max(head.rfind(" "), head.rfind("\n"))
    return (head[:space] if space > max_chars // 2 else head), True


def resolve_analyzer(tokenizer: Any) -> Any:
    """A tokenizer with ``analyze()``; ``"spacy"`` means structnlp's embedded spaCy pipeline.

    The embedded pipeline is chosen rather than ``en_core_web_sm`` so that a saved model sees
    the same tokens, lemmas and tags on every installation.
    """
    from structnlp.tokenize import get_tokenizer

    if tokenizer == "spacy":
        return get_tokenizer("spacy", model="embedded")
    if isinstance(tokenizer, str):
        return get_tokenizer(tokenizer)
    if not callable(getattr(tokenizer, "analyze", None)):
        raise StructNLPError(
            f"tokenizer must be 'spacy', 'nltk' or a Tokenizer with analyze(), got {type(tokenizer).__name__}"
        )
    return tokenizer


def analyze_documents(
    texts: Iterable[str], tokenizer: Any = "spacy", max_chars: int = MAX_CHARS, skip_first_line: bool = False
) -> Iterator[AnalyzedDocument]:
    """Analyse many texts (batched through the tokenizer's ``pipe`` when it has one).

    Each text is cut after ``max_chars`` characters, split into non-empty lines (a sentence
    never spans a line break: titles and paragraphs stay apart), and each line into
    sentences. ``skip_first_line`` drops the first non-empty line (BBC's titles).

    >>> texts = ["Title\\nA storm hit. Trees fell.", "Title two\\nPrices rose."]
    >>> [[s.text for s in d.sentences] for d in analyze_documents(texts, "nltk", skip_first_line=True)]
    [['A storm hit.', 'Trees fell.'], ['Prices rose.']]
    """
    analyzer = resolve_analyzer(tokenizer)
    pipe = getattr(analyzer, "pipe", None)
    for i, text in enumerate(texts):
        text, truncated = _cut(_check_text(text, f"document {i}"), max_chars)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if skip_first_line:
            lines = lines[1:]
        analyzed = pipe(lines) if callable(pipe) else map(analyzer.analyze, lines)
        sentences = []
        for line, line_sentences in zip(lines, analyzed, strict=True):
            for tokens in line_sentences:
                if not tokens:
                    continue
                start, last = tokens[0].idx, tokens[-1]
                snippet = line[start : last.idx + len(last.text)] if start >= 0 and last.idx >= 0 else ""
                sentences.append(
                    AnalyzedSentence(
                        snippet or " ".join(t.text for t in tokens),
                        [t.text for t in tokens],
                        [t.lemma or t.text for t in tokens],
                        [t.pos or "X" for t in tokens],
                    )
                )
        yield AnalyzedDocument(sentences, truncated)


def analyze_document(text: str, tokenizer: Any = "spacy", max_chars: int = MAX_CHARS) -> AnalyzedDocument:
    """Analyse one text into sentences of (word, lemma, POS).

    >>> doc = analyze_document("Storm hits coast\\n\\nA storm hit the coast. Old trees were falling.", "nltk")
    >>> [s.text for s in doc.sentences]
    ['Storm hits coast', 'A storm hit the coast.', 'Old trees were falling.']
    >>> doc.sentences[2].lemmas, doc.sentences[2].pos
    (['old', 'tree', 'be', 'fall', '.'], ['ADJ', 'NOUN', 'AUX', 'VERB', 'PUNCT'])
    """
    return next(analyze_documents([text], tokenizer, max_chars))


def sentence_words(text: str, tokenizer: Any = "spacy") -> list[list[str]]:
    """The sentences of ``text`` as lists of lower-cased words (how summaries are compared).

    >>> sentence_words("Prices rose. Shares fell.", "nltk")
    [['prices', 'rose', '.'], ['shares', 'fell', '.']]
    """
    return [[w.lower() for w in s.words] for s in analyze_document(text, tokenizer).sentences]


# --------------------------------------------------------------------------- labels and targets

#: Universal POS tags whose lemmas count as content for :func:`lexical_centrality` (and TextRank).
CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"})


def lexical_centrality(sentences: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[float]:
    """For each sentence, the cosine of its content-lemma counts with those of all other sentences.

    ``sentences`` are ``(lemmas, pos)`` pairs. A sentence that shares its content words with the
    rest of the document scores near 1, one about something else near 0: the lexical centrality
    that TextRank ranks sentences by, given to the extractive head as a fixed feature.

    >>> scores = lexical_centrality([(["cat", "sit"], ["NOUN", "VERB"]), (["cat", "run"], ["NOUN", "VERB"]),
    ...                              (["rain", "the"], ["NOUN", "DET"])])
    >>> [round(c, 3) for c in scores]  # 1 / (sqrt(2) * sqrt(3)): "cat" shared; "the" is no content word
    [0.408, 0.408, 0.0]
    """
    bags = [
        Counter(lm.lower() for lm, p in zip(lemmas, pos, strict=True) if p in CONTENT_POS)
        for lemmas, pos in sentences
    ]
    total: Counter[str] = Counter()
    for bag in bags:
        total.update(bag)
    out = []
    for bag in bags:
        rest = total - bag
        dot = sum(count * rest[w] for w, count in bag.items())
        norm = math.sqrt(sum(c * c for c in bag.values()) * sum(c * c for c in rest.values()))
        out.append(dot / norm if norm else 0.0)
    return out


def _bigrams(words: Sequence[str]) -> list[tuple[str, str]]:
    return list(zip(words[:-1], words[1:], strict=True))


def greedy_oracle(
    sentences: Sequence[Sequence[str]], reference: Sequence[str], max_sentences: int = 10
) -> list[int]:
    """Indices of sentences picked greedily to maximise ROUGE-1 + ROUGE-2 F against ``reference``.

    The usual extractive oracle (Nallapati et al. 2017): add the sentence that most improves the
    score, stop when none improves it. Words are compared as given.

    >>> greedy_oracle([["a", "b"], ["c", "d"], ["a", "x"]], ["a", "b", "c", "d"])
    [0, 1]
    """
    from summarize.scoring import rouge_n

    chosen: list[int] = []
    best = 0.0
    while len(chosen) < max_sentences:
        candidate, candidate_score = None, best
        for i in range(len(sentences)):
            if i in chosen:
                continue
            words = [w for j in sorted(chosen + [i]) for w in sentences[j]]
            score = rouge_n(words, reference, 1)["f"] + rouge_n(words, reference, 2)["f"]
            if score > candidate_score + 1e-12:
                candidate, candidate_score = i, score
        if candidate is None:
            break
        chosen.append(candidate)
        best = candidate_score
    return sorted(chosen)


def highlight_labels(doc: AnalyzedDocument, reference: Sequence[str]) -> list[int]:
    """1 for each sentence the reference summary uses, else 0 (the extractive training labels).

    A sentence counts as used when at least half of its word bigrams (lower-cased) occur in the
    reference: this recovers the sentences of extractive references such as BBC News Summary's
    even where the tokenizer splits sentences differently from the reference's author. When no
    sentence qualifies (an abstractive reference), the greedy ROUGE oracle of
    :func:`greedy_oracle` labels the sentences instead.

    >>> doc = analyze_document("The cat sat on the mat. Dogs bark loudly at night. It rained.", "nltk")
    >>> highlight_labels(doc, "dogs bark loudly at night .".split())
    [0, 1, 0]
    """
    words = [[w.lower() for w in s.words] for s in doc.sentences]
    ref = [w.lower() for w in reference]
    ref_bigrams = set(_bigrams(ref))
    labels = []
    for sentence in words:
        pairs = _bigrams(sentence)
        if pairs:
            used = sum(pair in ref_bigrams for pair in pairs) / len(pairs)
        else:
            used = float(bool(sentence) and sentence[0] in ref)
        labels.append(int(used >= COPY_THRESHOLD))
    if not any(labels) and words and ref:
        chosen = set(greedy_oracle(words, ref))
        labels = [int(i in chosen) for i in range(len(words))]
    return labels


def decoder_target(
    doc: AnalyzedDocument,
    labels: Sequence[int],
    reference_sentences: Sequence[Sequence[str]],
    max_tokens: int,
) -> list[str]:
    """The lower-cased words the decoder learns to write, cut at a sentence end near ``max_tokens``.

    When the labelled sentences cover at least 80% of the reference's bigrams the reference is
    extractive, and the target is those sentences *in document order* (BBC News Summary lists
    its extracted sentences in a scrambled order, which no reader of the document can predict;
    ROUGE-1/2/Lsum do not depend on the order of sentences). Otherwise the target is the
    reference as written. Whole sentences are kept while they fit in ``max_tokens`` (the first
    one is cut if it alone is longer), so that the decoder learns where summaries stop.

    >>> doc = analyze_document("Rain fell. Then it snowed. Sun came.", "nltk")
    >>> decoder_target(doc, [0, 1, 1], [["sun", "came", "."], ["then", "it", "snowed", "."]], 6)
    ['then', 'it', 'snowed', '.']
    """
    ref_words = [w.lower() for s in reference_sentences for w in s]
    picked = [[w.lower() for w in s.words] for s, keep in zip(doc.sentences, labels, strict=True) if keep]
    covered = {pair for s in picked for pair in _bigrams(s)}
    ref_bigrams = set(_bigrams(ref_words))
    extractive = bool(ref_bigrams) and len(ref_bigrams & covered) >= 0.8 * len(ref_bigrams)
    sentences = picked if extractive else [[w.lower() for w in s] for s in reference_sentences]
    target: list[str] = []
    for sentence in sentences:
        if not sentence:
            continue
        if target and len(target) + len(sentence) > max_tokens:
            break
        target.extend(sentence[: max_tokens - len(target)])
        if len(target) >= max_tokens:
            break
    return target


# --------------------------------------------------------------------------- BBC News Summary

_QUOTES = '"\u201c\u201d'


def bbc_reference_sentences(summary: str) -> list[str]:
    """Split a BBC News Summary reference, whose sentences run together without spaces.

    A break goes after ``.``, ``!`` or ``?`` (with its closing quote, when an odd number of
    quotes precede it) that is directly followed by a capital letter or by an opening quote and
    a capital, so that ROUGE-Lsum sees the reference's sentences.

    >>> bbc_reference_sentences('Sales rose to $11.1bn.For the year, profit was up."We are pleased."It said.')
    ['Sales rose to $11.1bn.', 'For the year, profit was up.', '"We are pleased."', 'It said.']
    """
    pieces, start, quotes, n = [], 0, 0, len(summary)
    for i, ch in enumerate(summary):
        if ch in _QUOTES:
            quotes += 1
        if ch not in ".!?":
            continue
        cut = i + 1
        if cut < n and summary[cut] in _QUOTES and quotes % 2 == 1:
            cut += 1
        nxt = summary[cut : cut + 2]
        if nxt[:1].isupper() or (len(nxt) == 2 and nxt[0] in _QUOTES and nxt[1].isupper()):
            pieces.append(summary[start:cut])
            start = cut
    pieces.append(summary[start:])
    return [p.strip() for p in pieces if p.strip()]


def bbc_split(article: str) -> str:
    """``"train"``, ``"validation"`` or ``"test"`` for a BBC News Summary article (about 80/10/10).

    The split is a hash of the article's text with whitespace collapsed, so the 98 articles that
    occur twice in the corpus always fall into the same split (no test article is seen in
    training) and the split does not depend on the order of the file.

    >>> bbc_split("Ad sales boost Time Warner profit")
    'train'
    """
    key = re.sub(r"\s+", " ", article).strip().encode("utf-8")
    bucket = int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 10
    return "validation" if bucket == 8 else "test" if bucket == 9 else "train"


# --------------------------------------------------------------------------- files


def write_analyzed(path: str | os.PathLike, records: Iterable[dict[str, Any]]) -> int:
    """Write records (dicts with an :meth:`AnalyzedDocument.to_json` ``"document"``) as gzip'd JSON Lines."""
    count = 0
    with atomic_write(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        for record in records:
            fh.write((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
            count += 1
    return count


def read_analyzed(path: str | os.PathLike, split: str | None = None) -> list[dict[str, Any]]:
    """Read a file written by :func:`write_analyzed` (records of one ``split`` only, if given).

    Each record's ``"document"`` becomes an :class:`AnalyzedDocument`; a malformed line is a
    :class:`~structnlp.errors.CorpusFormatError` naming the file and line.

    >>> import pathlib, tempfile
    >>> doc = analyze_document("A storm hit. Trees fell.", "nltk")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bbc.jsonl.gz"
    >>> write_analyzed(path, [{"id": "a", "split": "train", "document": doc.to_json()},
    ...                       {"id": "b", "split": "test", "document": doc.to_json()}])
    2
    >>> [(r["id"], len(r["document"])) for r in read_analyzed(path, split="test")]
    [('b', 2)]
    """
    out = []
    for lineno, line in iter_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or "document" not in record:
                raise ValueError("a JSON object with a 'document' field expected")
        except ValueError as exc:
            raise CorpusFormatError(path, lineno, f"not an analysed-document record ({exc})") from None
        if split is not None and record.get("split") != split:
            continue
        record["document"] = AnalyzedDocument.from_json(record["document"], f"{path}, line {lineno}")
        out.append(record)
    return out
