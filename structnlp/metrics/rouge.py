"""ROUGE-1, ROUGE-2 and ROUGE-Lsum of summaries, computed by Google's ``rouge-score`` package.

Settings (those of the summarization papers that use ``rouge-score``, e.g. CNN/DailyMail):

* ``RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)``: lower-cased
  alphanumeric tokens, Porter-stemmed (tokens longer than 3 characters);
* ROUGE-Lsum is the summary-level LCS: it needs one sentence per line. A summary given as a
  list of sentences is joined with newlines; a string that already holds newlines is used as
  it is; a string without newlines is split into sentences first, by default after ``.``,
  ``!`` or ``?`` followed by whitespace (so abbreviations such as "Mr. Smith" are split too:
  pass ``sentence_splitter`` for a better splitter, e.g. a spaCy tokenizer's ``split_sentences``).
  ROUGE-1/2 do not depend on the sentence split.
* rouge-score's tokenizer keeps only the ASCII letters and digits: text in another script
  (Cyrillic, Greek, CJK, ...) would score 0 whatever the prediction, so a reference with
  letters but no such token is an error. Pass ``tokenizer`` (a callable ``str -> list[str]``
  or a :class:`~structnlp.tokenize.Tokenizer`) to score such text; it replaces the default
  tokenization, stemming included.
* Scores are computed per document pair and averaged over documents (macro average).
  Optionally a percentile bootstrap over documents gives a confidence interval of the mean.

All values are fractions in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from structnlp.errors import StructNLPError

__all__ = ["rouge", "split_sentences_simple"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")

_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+")

Summary = str | Sequence[str]


def split_sentences_simple(text: str) -> list[str]:
    """Split after ``.``, ``!`` or ``?`` (and any closing quotes or brackets) followed by whitespace.

    >>> split_sentences_simple('It rained. "Really?" she asked. Yes!')
    ['It rained.', '"Really?"', 'she asked.', 'Yes!']
    """
    pieces = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        pieces.append(text[start : match.start() + len(match.group().rstrip())].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def _as_lines(summary: Summary, where: str, splitter: Callable[[str], list[str]]) -> str:
    if isinstance(summary, str):
        if "\n" in summary:
            return summary
        return "\n".join(splitter(summary))
    if isinstance(summary, bytes):
        raise StructNLPError(f"{where}: expected text, got bytes (decode it as UTF-8 first)")
    try:
        sentences = list(summary)
    except TypeError:
        raise StructNLPError(
            f"{where}: expected a string or a list of sentences, got {type(summary).__name__}"
        ) from None
    for sentence in sentences:
        if not isinstance(sentence, str):
            raise StructNLPError(f"{where}: sentences must be strings, got {type(sentence).__name__}")
    return "\n".join(s.replace("\n", " ") for s in sentences)


class _CustomTokenizer:
    """The ``tokenize`` object rouge-score wants, around a user's tokenizer, checking its output."""

    def __init__(self, tokenizer: object):
        method = getattr(tokenizer, "tokenize", None)
        if callable(method):
            self._tokenize = method
        elif callable(tokenizer):
            self._tokenize = tokenizer
        else:
            raise StructNLPError(
                "tokenizer must be a callable str -> list[str] or a Tokenizer,"
                f" got {type(tokenizer).__name__}"
            )

    def tokenize(self, text: str) -> list[str]:
        tokens = self._tokenize(text)
        if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
            raise StructNLPError("rouge: the tokenizer must return a list of str")
        return list(tokens)


def rouge(
    predictions: Sequence[Summary],
    references: Sequence[Summary],
    sentence_splitter: Callable[[str], list[str]] | None = None,
    bootstrap: int = 0,
    random_state: int = 0,
    tokenizer: Callable[[str], list[str]] | object | None = None,
) -> dict[str, float]:
    """Mean ROUGE-1/2/Lsum of ``predictions`` against ``references`` (one reference per document).

    Each summary is a string or a list of sentence strings. Returns the F-measures under
    ``rouge1``, ``rouge2``, ``rougeLsum``, precision and recall under ``<type>_precision`` and
    ``<type>_recall``, and ``n_documents``. With ``bootstrap=B > 0`` also ``<type>_low`` and
    ``<type>_high``: the 2.5 and 97.5 percentiles of the mean F-measure over ``B`` resamples of the
    documents (seeded by ``random_state``). ``tokenizer`` replaces rouge-score's ASCII-only
    tokenization and stemming (see the module doc).

    >>> scores = rouge(["the cat sat on the mat"], ["the cat was on the mat"])
    >>> round(scores["rouge1"], 4), round(scores["rouge2"], 4), round(scores["rougeLsum"], 4)
    (0.8333, 0.6, 0.8333)
    """
    from rouge_score import rouge_scorer

    if isinstance(predictions, str) or isinstance(references, str):
        raise StructNLPError("predictions and references must be sequences of summaries, not one string")
    predictions, references = list(predictions), list(references)
    if len(predictions) != len(references):
        raise StructNLPError(f"{len(predictions)} predictions but {len(references)} references")
    if not predictions:
        raise StructNLPError("no summaries to score")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise StructNLPError(f"bootstrap must be an int >= 0 (resamples), got {bootstrap!r}")
    splitter = sentence_splitter or split_sentences_simple
    custom = None if tokenizer is None else _CustomTokenizer(tokenizer)
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True, tokenizer=custom)
    table = np.zeros((len(predictions), len(ROUGE_TYPES), 3))  # precision, recall, F
    for k, (pred, ref) in enumerate(zip(predictions, references, strict=True)):
        target = _as_lines(ref, f"reference {k}", splitter)
        prediction = _as_lines(pred, f"prediction {k}", splitter)
        if custom is None and not _ASCII_ALNUM.search(target) and any(c.isalnum() for c in target):
            raise StructNLPError(
                f"reference {k} has no ASCII letter or digit, the only characters rouge-score's tokenizer"
                f" keeps ({target[:40]!r}): every prediction would score 0; pass tokenizer= to score it"
            )
        result = scorer.score(target, prediction)
        for j, name in enumerate(ROUGE_TYPES):
            table[k, j] = (result[name].precision, result[name].recall, result[name].fmeasure)
    means = table.mean(axis=0)
    scores: dict[str, float] = {}
    for j, name in enumerate(ROUGE_TYPES):
        scores[name] = float(means[j, 2])
        scores[f"{name}_precision"] = float(means[j, 0])
        scores[f"{name}_recall"] = float(means[j, 1])
    if bootstrap:
        rng = np.random.default_rng(random_state)
        samples = rng.integers(0, len(predictions), size=(bootstrap, len(predictions)))
        resampled = table[samples, :, 2].mean(axis=1)  # (bootstrap, n_types)
        low, high = np.percentile(resampled, [2.5, 97.5], axis=0)
        for j, name in enumerate(ROUGE_TYPES):
            scores[f"{name}_low"] = float(low[j])
            scores[f"{name}_high"] = float(high[j])
    scores["n_documents"] = len(predictions)
    return scores
