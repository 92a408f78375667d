"""The hierarchical NSE summarizer as a scikit-learn style estimator, and summaries as results.

``HierarchicalNSESummarizer(...).fit(documents, summaries)`` learns vocabularies and weights;
``summarize(document, mode=...)`` returns a :class:`Summary` whose ``highlights`` say which
document sentences the summary rests on; ``save(path)`` / :func:`load_summarizer` keep it in a
structnlp model directory (JSON + safetensors, never pickle).

Long documents. The text is analysed only up to ``max_chars`` characters (30,000 by default,
about 5,000 words: far more than the encoder reads), and the encoder reads the first
``max_doc_sentences`` sentences, each cut to its first ``max_sentence_tokens`` tokens. This is
truncation, not chunking: news puts its content first (the Lead-3 baseline is strong for that
reason), and the decoder attends to every token it was given at every step, so its cost grows
with the input. Sentences past the limit get the score 0 and are never selected; a selected
sentence is returned whole even when the encoder read only its beginning. A 100,000-word
document therefore costs as much as a 5,000-word one.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.modelio import load_model, save_model
from structnlp.params import changed_since_fit, check_bool, check_choice, check_int
from structnlp.vocab import Vocabulary
from summarize.data import (
    MAX_CHARS,
    SENTENCE_END,
    AnalyzedDocument,
    analyze_documents,
    decoder_target,
    highlight_labels,
    lexical_centrality,
)

__all__ = [
    "DEFAULT_MODEL",
    "FORMAT_VERSION",
    "MODES",
    "RANKINGS",
    "HierarchicalNSESummarizer",
    "Summary",
    "load_summarizer",
]

#: The model shipped with the package (``load_summarizer("default")``).
DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "default"
#: The layout version of saved summarizers written by this release.
FORMAT_VERSION = 1
MODEL_CLASS = "summarize.HierarchicalNSESummarizer"
#: What ``summarize`` can do.
MODES = ("extractive", "abstractive")
#: how extractive mode picks its sentences (see HierarchicalNSESummarizer.summarize)
RANKINGS = ("coverage", "probability")

_NO_SPACE_BEFORE = {
    ".",
    ",",
    "!",
    "?",
    ";",
    ":",
    "%",
    ")",
    "]",
    "}",
    "'s",
    "n't",
    "'re",
    "'ve",
    "'ll",
    "'d",
    "'m",
}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "£", "€", "#"}


@dataclass
class Summary:
    """A summary and what it rests on.

    ``text`` is the summary; ``summary_sentences`` its sentences. ``sentences`` are the
    document's sentences as the summarizer split them, ``scores`` one score per document
    sentence (the extractive head's probability, or in abstractive mode the share of the
    decoder's attention the sentence received), and ``highlights`` the ``(sentence index,
    score)`` pairs of the top sentences, in document order.
    """

    text: str
    highlights: list[tuple[int, float]]
    sentences: list[str] = field(default_factory=list)
    summary_sentences: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    mode: str = "extractive"

    def __str__(self) -> str:
        return self.text


def detokenize(words: Sequence[str]) -> str:
    """Join tokens with the spacing of ordinary English text.

    >>> detokenize(["He", "said", '"', "no", '"', "(", "twice", ")", "and", "did", "n't", "pay", "$", "5"])
    'He said "no" (twice) and didn\\'t pay $5'
    """
    out: list[str] = []
    open_quote = False
    glue = False
    for word in words:
        if word == '"':
            if open_quote:
                out.append(word)
            else:
                out.append(word if glue or not out else " " + word)
            open_quote = not open_quote
            glue = open_quote
            continue
        lower = word.lower()
        if out and not glue and lower not in _NO_SPACE_BEFORE:
            out.append(" ")
        out.append(word)
        glue = word in _NO_SPACE_AFTER
    return "".join(out).strip()


def _case_table(doc: AnalyzedDocument) -> dict[str, str]:
    """For each lower-cased word of the document, the form it usually takes inside a sentence."""
    inner: dict[str, Counter[str]] = {}
    initial: dict[str, str] = {}
    for sentence in doc.sentences:
        for i, (word, pos) in enumerate(zip(sentence.words, sentence.pos, strict=True)):
            if i == 0:
                initial.setdefault(word.lower(), word if pos == "PROPN" else word.lower())
            else:
                inner.setdefault(word.lower(), Counter())[word] += 1
    table = {w: forms.most_common(1)[0][0] for w, forms in inner.items()}
    for w, form in initial.items():
        table.setdefault(w, form)
    return table


def render(words: Sequence[str], case: dict[str, str]) -> list[str]:
    """Lower-cased generated words -> sentences of text, cased as in the document.

    >>> render(["the", "bbc", "said", "so", ".", "it", "rained", "."], {"bbc": "BBC"})
    ['The BBC said so.', 'It rained.']
    """
    sentences: list[list[str]] = [[]]
    for word in words:
        form = case.get(word, "I" if word == "i" else word)
        if not sentences[-1]:
            form = form[:1].upper() + form[1:]
        sentences[-1].append(form)
        if word in SENTENCE_END:
            sentences.append([])
    return [detokenize(s) for s in sentences if s]


class HierarchicalNSESummarizer(BaseEstimator):
    """Read, highlight and summarize: the hierarchical NSE summarizer of Ambati et al.

    Parameters (stored as given; checked by ``fit``):

    * sizes: ``word_dim``, ``lemma_dim``, ``pos_dim`` (the factored token vector and the NSE
      memories have their sum as dimension), ``max_vocab`` / ``max_lemmas`` (vocabulary sizes,
      specials included), ``min_count``;
    * inputs: ``tokenizer`` (``"spacy"``: structnlp's embedded pipeline; ``"nltk"``; or a
      Tokenizer with ``analyze``, which ``save`` refuses: set the name it stands for),
      ``max_doc_sentences``, ``max_sentence_tokens``, ``max_chars`` (see the module doc on long
      documents), ``max_target_tokens`` (decoder targets are cut at a sentence end near this length);
    * ``follow_copy``: give the decoder's word attention a learned pull towards the source
      token after the one it attended last, so that copying runs of source text is easier to
      learn (:meth:`summarize.model.HierNSENet.next_token_bias`; off by default, on in the
      shipped model, which it made a better abstracter: docs/summarize.md);
    * training: ``lr``, ``batch_tokens``, ``max_epochs``, ``max_steps``, ``max_minutes``,
      ``patience``, ``dropout``, ``extract_weight`` (weight of the extractive loss); the
      self-critical phase runs when ``rl_epochs > 0`` or ``rl_minutes`` is set, with
      ``rl_lr`` and ``rl_weight``; ``warm_start=True`` makes a second ``fit`` continue from
      the fitted weights and vocabularies (as in scikit-learn), e.g. to train a loaded model
      longer; the sizes and ``follow_copy`` must then be those it was trained with;
    * decoding: ``beam_size``, ``max_summary_tokens``, ``min_summary_tokens``,
      ``min_sentence_tokens`` (no generated sentence ends before this many tokens: a small
      model otherwise closes sentences early and its abstracts come out short),
      ``length_penalty``, ``block_trigrams``, ``follow_scale`` (multiplies the learned pull
      of a ``follow_copy`` model towards the next source token: above 1, longer runs are
      copied whole instead of spliced; no effect on other models), ``highlight_sharpness``
      (the power applied to the sentence probabilities that steer the decoder's attention:
      above 1, it reads and copies mostly from the top highlights);
    * ``random_state``, ``device`` (``"auto"``, ``"cpu"``, ``"cuda"``), ``progress``.

    Fitted attributes: ``word_vocab_``, ``lemma_vocab_``, ``pos_vocab_``, ``network_`` (the
    torch module), ``history_`` (training records of both phases).

    >>> docs = ["The storm hit the coast. Trees fell. Power failed in the town.",
    ...         "The team won the cup. Fans cheered. The coach praised the players."]
    >>> sums = ["The storm hit the coast. Power failed in the town.", "The team won the cup."]
    >>> model = HierarchicalNSESummarizer(word_dim=8, lemma_dim=4, pos_dim=4, max_epochs=2,
    ...                                   tokenizer="nltk", device="cpu").fit(docs, sums)
    >>> out = model.summarize(docs[0], max_sentences=2)
    >>> len(out.highlights), [i for i, _ in out.highlights] == sorted(i for i, _ in out.highlights)
    (2, True)
    """

    def __init__(
        self,
        word_dim: int = 128,
        lemma_dim: int = 64,
        pos_dim: int = 16,
        max_vocab: int = 10000,
        max_lemmas: int = 5000,
        min_count: int = 2,
        tokenizer: Any = "spacy",
        max_doc_sentences: int = 50,
        max_sentence_tokens: int = 60,
        max_chars: int = MAX_CHARS,
        max_target_tokens: int = 100,
        follow_copy: bool = False,
        warm_start: bool = False,
        lr: float = 1e-3,
        batch_tokens: int = 8192,
        max_epochs: int = 10,
        max_steps: int | None = None,
        max_minutes: float | None = None,
        patience: int | None = None,
        dropout: float = 0.2,
        extract_weight: float = 1.0,
        rl_epochs: int = 0,
        rl_minutes: float | None = None,
        rl_lr: float = 1e-4,
        rl_weight: float = 0.9,
        beam_size: int = 4,
        max_summary_tokens: int = 120,
        min_summary_tokens: int = 10,
        min_sentence_tokens: int = 0,
        fill_sentences: bool = False,
        length_penalty: float = 1.0,
        block_trigrams: bool = True,
        follow_scale: float = 1.0,
        highlight_sharpness: float = 1.0,
        random_state: int | None = 0,
        device: str = "auto",
        progress: bool = False,
    ):
        self.word_dim = word_dim
        self.lemma_dim = lemma_dim
        self.pos_dim = pos_dim
        self.max_vocab = max_vocab
        self.max_lemmas = max_lemmas
        self.min_count = min_count
        self.tokenizer = tokenizer
        self.max_doc_sentences = max_doc_sentences
        self.max_sentence_tokens = max_sentence_tokens
        self.max_chars = max_chars
        self.max_target_tokens = max_target_tokens
        self.follow_copy = follow_copy
        self.warm_start = warm_start
        self.lr = lr
        self.batch_tokens = batch_tokens
        self.max_epochs = max_epochs
        self.max_steps = max_steps
        self.max_minutes = max_minutes
        self.patience = patience
        self.dropout = dropout
        self.extract_weight = extract_weight
        self.rl_epochs = rl_epochs
        self.rl_minutes = rl_minutes
        self.rl_lr = rl_lr
        self.rl_weight = rl_weight
        self.beam_size = beam_size
        self.max_summary_tokens = max_summary_tokens
        self.min_summary_tokens = min_summary_tokens
        self.min_sentence_tokens = min_sentence_tokens
        self.fill_sentences = fill_sentences
        self.length_penalty = length_penalty
        self.block_trigrams = block_trigrams
        self.follow_scale = follow_scale
        self.highlight_sharpness = highlight_sharpness
        self.random_state = random_state
        self.device = device
        self.progress = progress

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        name = type(self).__name__
        for key, low in (
            ("word_dim", 1), ("lemma_dim", 1), ("pos_dim", 1), ("max_vocab", 5), ("max_lemmas", 3),
            ("min_count", 1), ("max_doc_sentences", 1), ("max_sentence_tokens", 1), ("max_chars", 100),
            ("max_target_tokens", 1), ("batch_tokens", 1), ("max_epochs", 1), ("rl_epochs", 0),
            ("beam_size", 1), ("max_summary_tokens", 1), ("min_summary_tokens", 0),
            ("min_sentence_tokens", 0),
        ):  # fmt: skip
            check_int(f"{name}: {key}", getattr(self, key), low)
        check_int(f"{name}: max_steps", self.max_steps, 1, allow_none=True)
        check_int(f"{name}: patience", self.patience, 1, allow_none=True)
        for key in ("lr", "rl_lr"):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or not value > 0:
                raise StructNLPError(f"{name}: {key} must be a positive number, got {value!r}")
        for key in ("dropout", "rl_weight"):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise StructNLPError(f"{name}: {key} must be a number in [0, 1], got {value!r}")
        for key in ("extract_weight", "length_penalty", "follow_scale", "highlight_sharpness"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise StructNLPError(f"{name}: {key} must be a non-negative finite number, got {value!r}")
        if self.highlight_sharpness == 0:
            raise StructNLPError(f"{name}: highlight_sharpness must be positive (it is a power), got 0")
        for key in ("max_minutes", "rl_minutes"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, (int, float)) or not value > 0):
                raise StructNLPError(f"{name}: {key} must be None or a positive number, got {value!r}")
        check_bool(f"{name}: block_trigrams", self.block_trigrams)
        check_bool(f"{name}: follow_copy", self.follow_copy)
        check_bool(f"{name}: warm_start", self.warm_start)
        check_bool(f"{name}: fill_sentences", self.fill_sentences)
        check_bool(f"{name}: progress", self.progress)
        if not isinstance(self.device, str):
            raise StructNLPError(f"{name}: device must be a string such as 'auto', 'cpu' or 'cuda'")

    # ------------------------------------------------------------------ data
    def _analyze(self, texts: Iterable[str], skip_first_line: bool = False) -> list[AnalyzedDocument]:
        return list(analyze_documents(texts, self.tokenizer, self.max_chars, skip_first_line))

    def _truncated(self, doc: AnalyzedDocument) -> list[tuple[list[str], list[str], list[str]]]:
        """The (words, lemmas, POS) of the sentences the encoder reads."""
        cut = self.max_sentence_tokens
        return [
            (s.words[:cut], s.lemmas[:cut], s.pos[:cut])
            for s in doc.sentences[: self.max_doc_sentences]
            if s.words
        ]

    def _example(
        self, doc: AnalyzedDocument, labels: Sequence[int] | None = None, target: Sequence[str] | None = None
    ):
        from summarize.model import EOS, UNK, Example

        words_v, lemma_v, pos_v = self.word_vocab_, self.lemma_vocab_, self.pos_vocab_
        sentences = self._truncated(doc)
        words = [w.lower() for s in sentences for w in s[0]]
        lemmas = [w.lower() for s in sentences for w in s[1]]
        tags = [p for s in sentences for p in s[2]]
        word_ids = np.array(words_v.encode(words), dtype=np.int64)
        lemma_ids = np.array(lemma_v.encode(lemmas), dtype=np.int64)
        pos_ids = np.array(pos_v.encode(tags), dtype=np.int64)
        oov: dict[str, int] = {}
        oov_lemmas, oov_pos = [], []
        ext = word_ids.copy()
        for i, (word, wid) in enumerate(zip(words, word_ids.tolist(), strict=True)):
            if wid == UNK:
                if word not in oov:
                    oov[word] = len(oov)
                    oov_lemmas.append(lemma_ids[i])
                    oov_pos.append(pos_ids[i])
                ext[i] = len(words_v) + oov[word]
        kept = [i for i, s in enumerate(doc.sentences[: self.max_doc_sentences]) if s.words]
        label_array = None
        if labels is not None:
            label_array = np.array([float(labels[i]) for i in kept], dtype=np.float32)
        target_ids = None
        if target is not None:
            ids = [len(words_v) + oov[w] if w in oov else words_v.token_to_id(w) if w in words_v else UNK
                   for w in (t.lower() for t in target)]  # fmt: skip
            target_ids = np.array(ids + [EOS], dtype=np.int64)
        centrality = np.array(lexical_centrality([(s[1], s[2]) for s in sentences]), dtype=np.float32)
        return Example(
            word_ids, lemma_ids, pos_ids, ext, [len(s[0]) for s in sentences], list(oov),
            np.array(oov_lemmas, dtype=np.int64), np.array(oov_pos, dtype=np.int64), label_array, target_ids,
            centrality,
        )  # fmt: skip

    def _build_vocabularies(self, docs: list[AnalyzedDocument], targets: list[list[str]]) -> None:
        counts: Counter[str] = Counter()
        lemma_counts: Counter[str] = Counter()
        pos_counts: Counter[str] = Counter()
        analyses: dict[str, Counter[tuple[str, str]]] = {}
        for doc in docs:
            for words, lemmas, tags in self._truncated(doc):
                for w, lm, p in zip(words, lemmas, tags, strict=True):
                    w, lm = w.lower(), lm.lower()
                    counts[w] += 1
                    lemma_counts[lm] += 1
                    pos_counts[p] += 1
                    analyses.setdefault(w, Counter())[(lm, p)] += 1
        for target in targets:
            counts.update(w.lower() for w in target)
        self.word_vocab_ = Vocabulary.from_counts(
            counts, min_count=self.min_count, max_size=self.max_vocab, bos_token="<s>", eos_token="</s>"
        )
        self.lemma_vocab_ = Vocabulary.from_counts(
            lemma_counts, min_count=self.min_count, max_size=self.max_lemmas
        )
        self.pos_vocab_ = Vocabulary.from_counts(pos_counts)
        self._set_tables(analyses)

    def _set_tables(self, analyses: dict[str, Counter[tuple[str, str]]]) -> None:
        """The lemma and POS ids fed to the decoder with each output word (its usual analysis)."""
        n = len(self.word_vocab_)
        self.word_lemma_ = np.full(n, self.lemma_vocab_.unk_id, dtype=np.int64)
        self.word_pos_ = np.full(n, self.pos_vocab_.unk_id, dtype=np.int64)
        for i, word in enumerate(self.word_vocab_):
            if word in analyses:
                (lemma, pos), _ = analyses[word].most_common(1)[0]
                self.word_lemma_[i] = self.lemma_vocab_.encode([lemma])[0]
                self.word_pos_[i] = self.pos_vocab_.encode([pos])[0]

    def _new_network(self):
        import torch

        from summarize.model import HierNSENet

        ends = [self.word_vocab_.token_to_id(t) for t in SENTENCE_END if t in self.word_vocab_]
        net = HierNSENet(
            len(self.word_vocab_), len(self.lemma_vocab_), len(self.pos_vocab_), self.word_dim,
            self.lemma_dim, self.pos_dim, self.max_doc_sentences, self.dropout, ends, self.follow_copy,
        )  # fmt: skip
        net.word_lemma.copy_(torch.from_numpy(self.word_lemma_))
        net.word_pos.copy_(torch.from_numpy(self.word_pos_))
        return net

    # ------------------------------------------------------------------ fitting
    def _pairs(self, documents: Any, summaries: Any, where: str) -> tuple[list[str], list[str]]:
        for value, what in ((documents, "documents"), (summaries, "summaries")):
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise StructNLPError(f"{where}: {what} must be a list of strings, got {type(value).__name__}")
        documents, summaries = list(documents), list(summaries)
        if len(documents) != len(summaries):
            raise StructNLPError(f"{where}: {len(documents)} documents but {len(summaries)} summaries")
        for i, summary in enumerate(summaries):
            if isinstance(summary, (list, tuple)):
                bad = next((s for s in summary if not isinstance(s, str)), None)
                if bad is not None:
                    raise StructNLPError(
                        f"{where}: summary {i} is a list holding {type(bad).__name__}, expected str sentences"
                    )
                summaries[i] = "\n".join(summary)
        for kind, items in (("document", documents), ("summary", summaries)):
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    hint = "; decode bytes to str first" if isinstance(item, bytes) else ""
                    raise StructNLPError(f"{where}: {kind} {i} is {type(item).__name__}, expected str{hint}")
        return documents, summaries

    def _prepare(self, documents: Any, summaries: Any, where: str):
        """Analyse pairs of texts into documents, highlight labels and decoder targets."""
        documents, summaries = self._pairs(documents, summaries, where)
        docs = self._analyze(documents)
        refs = self._analyze(summaries)
        labels, targets = [], []
        for doc, ref in zip(docs, refs, strict=True):
            ref_sentences = [s.words for s in ref.sentences]
            labels.append(highlight_labels(doc, [w for s in ref_sentences for w in s]))
            targets.append(decoder_target(doc, labels[-1], ref_sentences, self.max_target_tokens))
        return docs, labels, targets

    def fit(self, X: Iterable[str], y: Iterable[str], validation: tuple[Any, Any] | None = None):
        """Learn from documents ``X`` and their reference summaries ``y`` (strings); returns ``self``.

        Each summary may also be a list of sentences. ``validation=(documents, summaries)``
        selects the best weights (and enables ``patience``). Sentences the reference uses are
        the extractive labels and, in document order when the reference is extractive, the
        decoder's target (see :func:`summarize.data.highlight_labels` and
        :func:`summarize.data.decoder_target`). Pairs whose document or summary holds no word
        are skipped.
        """
        self._check_params()
        docs, labels, targets = self._prepare(X, y, f"{type(self).__name__}.fit")
        held_out = None
        if validation is not None:
            if not isinstance(validation, tuple) or len(validation) != 2:
                raise StructNLPError("validation must be a (documents, summaries) tuple")
            held_out = self._prepare(*validation, f"{type(self).__name__}.fit (validation)")
        return self.fit_analyzed(docs, labels, targets, validation=held_out)

    def fit_analyzed(
        self,
        documents: Sequence[AnalyzedDocument],
        labels: Sequence[Sequence[int]],
        targets: Sequence[Sequence[str]],
        validation: tuple[Sequence[AnalyzedDocument], Sequence[Sequence[int]], Sequence[Sequence[str]]]
        | None = None,
        log: Callable[[dict[str, Any]], None] | None = None,
    ):
        """Fit from analysed documents, highlight labels (0/1 per sentence) and decoder targets (words).

        This is what :meth:`fit` calls after analysing the texts; the training script calls it
        directly with a pre-analysed corpus, so that training needs neither spaCy nor nltk.
        ``validation`` is ``(documents, labels, targets)``; ``log`` receives each training record
        (epoch, step, loss, validation metric) as it is made.
        """
        import torch

        from summarize.train import PhaseSettings, run_phase, validation_metric

        self._check_params()
        name = type(self).__name__
        if not (len(documents) == len(targets) == len(labels)):
            raise StructNLPError(
                f"{name}: {len(documents)} documents, {len(targets)} targets and {len(labels)} label lists"
            )
        for i, (doc, lab) in enumerate(zip(documents, labels, strict=True)):
            if not isinstance(doc, AnalyzedDocument):
                raise StructNLPError(
                    f"{name}: document {i} is {type(doc).__name__}, expected AnalyzedDocument"
                )
            if len(lab) != len(doc.sentences):
                raise StructNLPError(
                    f"{name}: document {i} has {len(doc.sentences)} sentences, {len(lab)} labels"
                )
        kept = [i for i, d in enumerate(documents) if self._truncated(d) and targets[i]]
        if not kept:
            raise EmptyCorpusError(
                f"{name}.fit: no pair has both a non-empty document and a non-empty summary"
            )
        resume = self.warm_start and hasattr(self, "network_")
        if resume:
            self._check_same_architecture("warm_start continues the fitted network (or use warm_start=False)")
        else:
            self._build_vocabularies([documents[i] for i in kept], [list(targets[i]) for i in kept])
        examples = [self._example(documents[i], labels[i], targets[i]) for i in kept]
        valid = None
        if validation is not None:
            v_docs, v_labels, v_targets = validation
            valid = [self._example(d, lab, t) for d, lab, t in zip(v_docs, v_labels, v_targets, strict=True)
                     if self._truncated(d) and t]  # fmt: skip
            if not valid:
                raise EmptyCorpusError(f"{name}.fit: no usable validation pair")
        if self.patience is not None and valid is None:
            raise StructNLPError(f"{name}: patience (early stopping) needs validation data")
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        torch.manual_seed(seed)
        network = self.network_.train() if resume else self._new_network()
        self.network_ = network  # set now so that a ``log`` callback may save snapshots
        self.n_train_ = len(examples)
        earlier = list(self.history_) if resume else []
        self.history_: list[dict[str, Any]] = earlier
        settings = PhaseSettings(
            objective="ml", lr=self.lr, max_epochs=self.max_epochs, max_steps=self.max_steps,
            max_minutes=self.max_minutes, batch_tokens=self.batch_tokens, patience=self.patience,
            extract_weight=self.extract_weight, max_length=self.max_target_tokens + 1, seed=seed,
            device=self.device, progress=self.progress, log=log,
        )  # fmt: skip
        history = [dict(h, phase="ml") for h in run_phase(network, examples, valid, settings)]
        if self.rl_epochs > 0 or self.rl_minutes is not None:
            before = {k: v.detach().clone() for k, v in network.state_dict().items()}
            baseline = validation_metric(network, valid, self.batch_tokens)["metric"] if valid else None
            settings.objective, settings.lr, settings.rl_weight = "rl", self.rl_lr, self.rl_weight
            settings.max_epochs, settings.max_minutes = max(1, self.rl_epochs), self.rl_minutes
            settings.max_steps = None
            settings.seed = seed + 1
            history += [dict(h, phase="rl") for h in run_phase(network, examples, valid, settings)]
            if (
                valid is not None
                and validation_metric(network, valid, self.batch_tokens)["metric"] < baseline
            ):
                network.load_state_dict(before)
                history.append({"phase": "rl", "note": "reverted: RL did not improve the validation metric"})
        self.network_ = network.cpu().eval()
        self.history_ = earlier + history
        return self

    def _check_same_architecture(self, remedy: str) -> None:
        """The parameters that shape the network must be those it was fitted with (``remedy``: what to do)."""
        net = self.network_
        fitted = {
            "word_dim": net.word_embedding.embedding_dim,
            "lemma_dim": net.lemma_embedding.embedding_dim,
            "pos_dim": net.pos_embedding.embedding_dim,
            "max_doc_sentences": net.position_embedding.num_embeddings,
            "follow_copy": net.follow is not None,
        }
        changed = changed_since_fit(self, fitted)
        if changed:
            raise StructNLPError(f"{type(self).__name__}: {remedy}, but " + ", ".join(changed))

    # ------------------------------------------------------------------ summarizing
    def _net(self):
        from structnlp.training import select_device

        check_is_fitted(self, "network_")
        return self.network_.to(select_device(self.device)).eval()

    def summarize(
        self,
        document: str | AnalyzedDocument,
        mode: str = "extractive",
        max_sentences: int = 3,
        beam_size: int | None = None,
        rank_by: str = "coverage",
    ) -> Summary:
        """Summarize one document (a string or an :class:`AnalyzedDocument`).

        ``extractive``: ``max_sentences`` sentences in document order, those with the largest
        ``rank_by``: ``"coverage"`` (default), the sentence's probability times its number of
        words, i.e. how many words of the summary it is expected to supply, or ``"probability"``,
        the extractive head's probability alone, which favours short sentences. With a budget
        counted in sentences, coverage is what fills it best: on the BBC validation articles
        it raised ROUGE-1 from 46.9 to 58.9 (docs/summarize.md). ``abstractive``: beam search
        (``beam_size``, default the ``beam_size`` parameter) with copying, at most
        ``max_sentences`` sentences and ``max_summary_tokens`` tokens. An empty document gives
        an empty summary. The highlights' scores are the probabilities in both rankings.
        """
        return self.summarize_batch([document], mode, max_sentences, beam_size, rank_by)[0]

    def summarize_batch(
        self,
        documents: Iterable[str | AnalyzedDocument],
        mode: str = "extractive",
        max_sentences: int = 3,
        beam_size: int | None = None,
        rank_by: str = "coverage",
    ) -> list[Summary]:
        """:meth:`summarize` for many documents (analysed and encoded in batches)."""
        import torch

        from structnlp.training import batches_by_token_budget, to_device
        from summarize.model import Constraints, beam_search, collate, whole_sentences

        self._check_params()  # decoding settings may have changed through set_params
        check_choice("mode", mode, MODES)
        check_choice("rank_by", rank_by, RANKINGS)
        check_int("max_sentences", max_sentences, 1)
        check_int("beam_size", beam_size, 1, allow_none=True)
        if isinstance(documents, (str, bytes, AnalyzedDocument)):
            raise StructNLPError("summarize_batch takes a list of documents; use summarize() for one")
        net = self._net()
        device = next(net.parameters()).device
        documents = list(documents)
        texts = [(i, d) for i, d in enumerate(documents) if not isinstance(d, AnalyzedDocument)]
        analysed: list[Any] = list(documents)
        for (i, _), doc in zip(texts, self._analyze(d for _, d in texts), strict=True):
            analysed[i] = doc
        results: list[Summary | None] = [None] * len(analysed)
        work = []
        for i, doc in enumerate(analysed):
            if self._truncated(doc):
                work.append(i)
            else:
                results[i] = Summary("", [], [s.text for s in doc.sentences], [], [0.0] * len(doc), mode)
        examples = {i: self._example(analysed[i]) for i in work}
        rules = Constraints(
            self.max_summary_tokens, self.min_summary_tokens, max_sentences, self.block_trigrams,
            self.min_sentence_tokens, follow_scale=float(self.follow_scale),
        )  # fmt: skip
        beam = beam_size or self.beam_size
        lengths = [len(examples[i]) for i in work]
        with torch.no_grad():
            for group in batches_by_token_budget(
                lengths, max(self.batch_tokens, max(lengths, default=1)), shuffle=False
            ):
                rows = [work[g] for g in group]
                enc = net.encode(to_device(collate([examples[i] for i in rows]), device))
                if mode == "abstractive":
                    enc = enc.focused(float(self.highlight_sharpness))
                probabilities = torch.sigmoid(enc.sentence_logits).float().cpu().numpy()
                for r, i in enumerate(rows):
                    doc = analysed[i]
                    n_read = len(examples[i].sentence_lengths)
                    if mode == "extractive":
                        scores = np.zeros(len(doc))
                        scores[self._read_positions(doc)] = probabilities[r, :n_read]
                        results[i] = self._extractive(doc, scores, max_sentences, rank_by)
                    else:
                        wanted = min(max_sentences, n_read) if self.fill_sentences else 0
                        one = enc.select(torch.tensor([r], device=device))
                        doc_rules = replace(rules, min_sentences=wanted)
                        hyp = beam_search(net, one, beam, doc_rules, self.length_penalty)
                        tokens = hyp.tokens
                        if not hyp.complete:  # cut off by max_summary_tokens
                            tokens = whole_sentences(tokens, net.sentence_end_ids)
                        scores = np.zeros(len(doc))
                        scores[self._read_positions(doc)] = hyp.attention[:n_read]
                        results[i] = self._abstractive(doc, examples[i], tokens, scores, max_sentences)
        return [r for r in results if r is not None]

    def _read_positions(self, doc: AnalyzedDocument) -> list[int]:
        return [i for i, s in enumerate(doc.sentences[: self.max_doc_sentences]) if s.words]

    @staticmethod
    def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in sorted(order.tolist())]

    def _extractive(self, doc: AnalyzedDocument, scores: np.ndarray, k: int, rank_by: str) -> Summary:
        if rank_by == "coverage":
            words = np.array([s.n_words for s in doc.sentences])
            order = np.argsort(-(scores * words), kind="stable")[:k]
            highlights = [(int(i), float(scores[i])) for i in sorted(order.tolist())]
        else:
            highlights = self._top(scores, k)
        chosen = [doc.sentences[i].text for i, _ in highlights]
        return Summary(" ".join(chosen), highlights, [s.text for s in doc.sentences], chosen,
                       scores.tolist(), "extractive")  # fmt: skip

    def _abstractive(
        self, doc: AnalyzedDocument, example: Any, tokens: list[int], scores: np.ndarray, k: int
    ):
        n = len(self.word_vocab_)
        words = [self.word_vocab_.id_to_token(t) if t < n else example.oov[t - n] for t in tokens]
        sentences = render(words, _case_table(doc))
        return Summary(" ".join(sentences), self._top(scores, k), [s.text for s in doc.sentences], sentences,
                       scores.tolist(), "abstractive")  # fmt: skip

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike, float16: bool = False) -> Path:
        """Write the model directory ``path`` (``float16=True`` halves its size); returns the path."""
        check_is_fitted(self, "network_")
        self._check_same_architecture("save needs the sizes the weights were fitted with (set them back)")
        if not isinstance(self.tokenizer, str):  # it was saved as "spacy", so loading switched tokenizers
            raise StructNLPError(
                f"{type(self).__name__}.save: tokenizer is a {type(self.tokenizer).__name__}, but a saved "
                "model records its tokenizer by name: set tokenizer='spacy' or 'nltk', whichever it is"
            )
        config = {
            "params": self.get_params(),
            "word_vocab": self.word_vocab_.to_dict(),
            "lemma_vocab": self.lemma_vocab_.to_dict(),
            "pos_vocab": self.pos_vocab_.to_dict(),
            "n_train": int(self.n_train_),
        }
        arrays = {k: v.detach().cpu() for k, v in self.network_.state_dict().items()}
        history = [
            {k: v for k, v in h.items() if isinstance(v, (int, float, str)) or v is None}
            for h in self.history_
        ]
        return save_model(
            path, model_class=MODEL_CLASS, format_version=FORMAT_VERSION, config=config, arrays=arrays,
            metadata={"history": history}, float_storage="float16" if float16 else None,
        )  # fmt: skip

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "cpu") -> HierarchicalNSESummarizer:
        """Read a model directory written by :meth:`save` (its network on ``device``)."""
        loaded = load_model(
            path, expected_class=MODEL_CLASS, supported_versions={FORMAT_VERSION}, as_torch=True
        )
        where = f"{loaded.path}/config.json"
        try:
            model = cls(**dict(loaded.config["params"], device=device))
            model._check_params()
            model.word_vocab_ = Vocabulary.from_dict(loaded.config["word_vocab"], source=where)
            model.lemma_vocab_ = Vocabulary.from_dict(loaded.config["lemma_vocab"], source=where)
            model.pos_vocab_ = Vocabulary.from_dict(loaded.config["pos_vocab"], source=where)
            model.n_train_ = int(loaded.config["n_train"])
            model.history_ = list(loaded.metadata.get("history", []))
            model.word_lemma_ = loaded.arrays["word_lemma"].numpy().astype(np.int64)
            model.word_pos_ = loaded.arrays["word_pos"].numpy().astype(np.int64)
        except (KeyError, TypeError, ValueError) as exc:  # StructNLPError is a ValueError
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"{where}: the summarizer's settings are damaged ({exc!r})") from None
        network = model._new_network()
        state = {k: v.float() if v.is_floating_point() else v for k, v in loaded.arrays.items()}
        try:
            network.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelFileError(
                f"{loaded.path}: arrays do not fit the model ({' '.join(str(exc).split())})"
            ) from None
        model.network_ = network.eval()
        return model


def load_summarizer(path: str | os.PathLike = "default", device: str = "cpu") -> HierarchicalNSESummarizer:
    """Load a saved summarizer; ``"default"`` is the model shipped with the package.

    >>> load_summarizer("/nonexistent/model")
    Traceback (most recent call last):
    ...
    structnlp.errors.ModelFileError: /nonexistent/model: ...
    """
    if str(path) == "default":
        if not (DEFAULT_MODEL / "config.json").is_file():
            raise ModelFileError(
                f"{DEFAULT_MODEL}: the default summarizer is missing from this installation; train one with "
                "scripts/train_summarizer.py or `structnlp summarize train`"
            )
        path = DEFAULT_MODEL
    return HierarchicalNSESummarizer.load(path, device=device)
