"""What the unsupervised parsers share: sentences in, trees out, training, model files.

:class:`InducedParser` is the base class of :class:`parsing.StructFormerParser` and
:class:`parsing.ReCATParser`. It owns everything that is not the network or its decoding:

* **sentences** — a sentence is a ``str`` (cut into tokens by ``tokenizer``) or a list of
  ``str`` tokens (used exactly as given). ``tokenizer="nltk"`` (the default) is NLTK's
  Treebank tokenizer, the Penn Treebank conventions the parsers are evaluated on
  (``"isn't"`` -> ``is n't``); ``"spacy"``, ``"regex"``, ``"whitespace"`` (``str.split``) or
  any callable ``str -> list[str]`` can be chosen. Tokens must be non-empty and hold no
  whitespace (a tree leaf and a CoNLL-U FORM cannot).
* **normalisation** — the network sees *words*: tokens lower-cased (``lowercase``), numbers
  (``12``, ``3.5``, ``1,000``, ``1990s``) replaced by ``<num>`` (``normalize_numbers``), words
  outside the vocabulary by ``<unk>``. Results always carry the original tokens.
* **punctuation** — with ``punctuation="attach"`` (the default) tokens made only of
  punctuation (``. , ; : ! ? ' " ` - ( ) [ ] { } ...``, currency signs, ``-LRB-``-style
  bracket tokens; not ``%``, ``&``, ``@`` or ``*``, which are words in the Penn Treebank) are
  removed before the network sees a sentence, in training and in parsing, as in the
  unsupervised-parsing literature (StructFormer trains on PTB text without punctuation and
  is evaluated with punctuation removed). A parse then puts every maximal run of
  punctuation tokens back: the run (a balanced binary subtree when it has several tokens)
  becomes the right sibling of the largest constituent that ends just before it (a
  sentence-final ``.`` joins the whole sentence), or the left sibling of the whole sentence
  when it precedes the first word; its tokens depend on the head word of that constituent
  (the word inside it whose head is outside it), i.e. the root for sentence-final
  punctuation, as in Universal Dependencies. A sentence made only of punctuation is parsed
  as words. With ``punctuation="keep"`` punctuation tokens are words like any other.
* **long sentences** — training sentences longer than ``max_train_length`` words are cut into
  consecutive pieces of at most that length (the span computations cost O(L³) memory).
  Sentences longer than ``max_length`` words are parsed in consecutive windows of
  ``max_length`` words: the window trees are joined by a balanced binary tree (depth log₂ of
  the number of windows) and the root word of every later window depends on the root word
  of the first one. So a 10,000-token sentence parses in bounded memory.
* **bad input** raises :class:`~structnlp.errors.StructNLPError` naming the sentence: an empty
  sentence (in ``parse``; ``fit`` skips empty sentences), a token that is not a non-empty
  ``str`` without whitespace, bytes (decode them first), a non-iterable corpus.
* **batching** — ``parse_many`` groups sentences (windows) of similar length into batches of
  at most ``batch_size`` (fewer for long sentences, so that ``rows * length³`` stays under
  the class attribute ``_decode_cells``) and returns one result per sentence, in the input
  order.
* **training** — ``fit`` builds the vocabulary (``min_count``, ``max_vocab``) and trains with
  :func:`structnlp.training.train` on the masked-language-modelling loss (``history_``
  records its mean every 100 steps and at every epoch end): ``mask_rate`` of the words
  (never padding, never ``<unk>``; at least one per sentence) are replaced by ``<mask>``
  and predicted. ``max_minutes`` stops training on the clock (the weights of the last
  finished step are kept) and ``fit(..., snapshot_dir=...)`` saves the parser there every
  ``snapshot_minutes`` while it trains. With ``warm_start=True`` a fitted (or loaded) parser's
  ``fit`` continues training its network with its vocabulary, as scikit-learn's
  ``warm_start``: the training settings may change, the network's sizes may not (an error
  names them); ``history_`` and the step, time and token counts go on from where they were.
* **files** — ``save``/``load`` write and read a structnlp model directory (JSON +
  safetensors, :mod:`structnlp.modelio`), format version :data:`FORMAT_VERSION`;
  ``save(path, half=True)`` stores the weights in float16.

Subclass hooks (a subclass implements the first two and may override the others):

``_build_network(self, n_words: int) -> torch.nn.Module``
    A freshly initialised network for a vocabulary of ``n_words`` ids (called with torch's
    random generator seeded from ``random_state``; also called by ``load`` before the saved
    weights are copied in). Its ``forward(ids, mask, select=None)`` takes ``ids`` (B, L)
    int64 word ids (:data:`PAD_ID` = padding), ``mask`` (B, L) bool (True at real words) and
    ``select`` (B, L) bool or None, and returns the vocabulary logits of the selected
    positions, shape (N, n_words), or of every position, (B, L, n_words), when ``select`` is
    None.
``_decode(self, network: torch.nn.Module, batch: Batch) -> list[ParseResult]``
    Parse a batch (already on the network's device, network in eval mode, no gradients):
    one :class:`~parsing.api.ParseResult` per row, whose tokens are ``batch.words[k]`` (the
    normalised words, at most ``max_length`` of them, never empty), whose tree is binary and
    whose heads are a valid single-rooted list or None. The base class maps the result back
    to the original tokens and punctuation.
``_loss(self, network, batch: Batch) -> torch.Tensor``
    The scalar training loss; the default is the masked-language-modelling loss above
    (:meth:`InducedParser._mlm_loss`).
``_check_model_params(self) -> None``
    Check the parameters the subclass adds (called by ``fit`` after the shared checks).
``_learned_state(self) -> dict`` / ``_restore_learned_state(self, state: dict) -> None``
    JSON-ready learned attributes the subclass adds, saved with the model.

Every subclass ``__init__`` takes its own network parameters *and* the shared ones listed in
:data:`SHARED_PARAMS` (with those names), storing each unchanged (scikit-learn convention);
it sets the class attribute ``_model_class`` (the name :func:`parsing.load_parser` dispatches
on). Learned attributes end in ``_``: ``vocabulary_``, ``module_``, ``history_``,
``n_steps_``, ``train_seconds_``, ``train_tokens_``.

torch is imported here (this module is imported by the parsers, not by ``import parsing``);
nltk is imported only when results are built, so that training runs where nltk is absent.
"""

from __future__ import annotations

import math
import os
import re
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.modelio import load_model, save_model
from structnlp.params import check_bool, check_choice, check_int
from structnlp.training import TrainConfig, batches_by_token_budget, select_device, train
from structnlp.vocab import Vocabulary

if TYPE_CHECKING:
    from parsing.api import ParseResult

__all__ = [
    "FORMAT_VERSION",
    "MASK_TOKEN",
    "NUM_TOKEN",
    "PAD_ID",
    "SHARED_PARAMS",
    "TOKENIZERS",
    "Batch",
    "InducedParser",
    "is_number",
    "is_punctuation",
    "mask_tokens",
]

#: Layout version of saved parsers written by this release.
FORMAT_VERSION = 1
PAD_TOKEN, UNK_TOKEN, MASK_TOKEN, NUM_TOKEN = "<pad>", "<unk>", "<mask>", "<num>"
#: Ids of the special words (the vocabulary puts them first, in this order).
PAD_ID, UNK_ID, MASK_ID, NUM_ID = 0, 1, 2, 3
#: Tokenizer names accepted by the ``tokenizer`` parameter (or pass a callable).
TOKENIZERS = ("nltk", "spacy", "regex", "whitespace")
PUNCTUATION_MODES = ("attach", "keep")
#: The parameters every parser takes, with their defaults (see the module docstring).
SHARED_PARAMS: dict[str, Any] = {
    "tokenizer": "nltk",
    "lowercase": True,
    "normalize_numbers": True,
    "punctuation": "attach",
    "min_count": 2,
    "max_vocab": 10_000,
    "max_length": 128,
    "max_train_length": 64,
    "mask_rate": 0.3,
    "lr": 3e-4,
    "weight_decay": 1.2e-6,
    "warmup_steps": 100,
    "lr_schedule": "constant",
    "max_epochs": 10,
    "max_steps": None,
    "max_minutes": None,
    "batch_tokens": 4096,
    "amp": False,
    "device": "auto",
    "random_state": None,
    "verbose": False,
    "warm_start": False,
}

_BRACKET_TOKENS = frozenset({"-LRB-", "-RRB-", "-LCB-", "-RCB-", "-LSB-", "-RSB-"})
_WORD_SYMBOLS = frozenset("%&@*")
_NUMBER = re.compile(r"[+-]?(\d[\d,.:/]*\d|\d)(s|th|st|nd|rd|%)?")


def is_punctuation(token: str) -> bool:
    """True for a token of punctuation, currency signs and accents only (`````), or a ``-LRB-``-like bracket.

    ``%``, ``&``, ``@`` and ``*`` count as words (the Penn Treebank tags them NN, CC, ...).

    >>> [is_punctuation(t) for t in [".", "``", "--", "-LRB-", "$", "%", "n't", "a.m."]]
    [True, True, True, True, True, False, False, False]
    """
    if token in _BRACKET_TOKENS:
        return True
    return bool(token) and all(
        (unicodedata.category(c).startswith("P") and c not in _WORD_SYMBOLS)
        or unicodedata.category(c) in ("Sc", "Sk")
        for c in token
    )


def is_number(token: str) -> bool:
    """True for a token that reads as a number (replaced by ``<num>`` when ``normalize_numbers``).

    >>> [is_number(t) for t in ["12", "3.5", "1,000", "1990s", "-4", "4th", "a1", "."]]
    [True, True, True, True, True, True, False, False]
    """
    return _NUMBER.fullmatch(token) is not None


@dataclass
class Batch:
    """Padded word ids of a batch of sentences.

    ``ids`` (B, L) int64 with :data:`PAD_ID` after each sentence's end, ``mask`` (B, L) bool
    (True at real words), ``words`` the normalised words of each row (filled when parsing,
    empty when training).
    """

    ids: torch.Tensor
    mask: torch.Tensor
    words: list[list[str]] = field(default_factory=list)

    @property
    def lengths(self) -> torch.Tensor:
        """Number of words of each row."""
        return self.mask.sum(dim=1)


def collate(examples: Sequence[np.ndarray], words: list[list[str]] | None = None) -> Batch:
    """Pad word-id arrays into a :class:`Batch` (what :func:`structnlp.training.train` gets)."""
    lengths = [len(e) for e in examples]
    ids = np.full((len(examples), max(lengths, default=0)), PAD_ID, dtype=np.int64)
    for row, example in zip(ids, examples, strict=True):
        row[: len(example)] = example
    ids_t = torch.from_numpy(ids)
    mask = torch.arange(ids.shape[1])[None, :] < torch.tensor(lengths)[:, None]
    return Batch(ids_t, mask, list(words or []))


def mask_tokens(
    ids: torch.Tensor, mask: torch.Tensor, rate: float, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose the words to predict and hide them: returns ``(inputs, select)``.

    Each real word other than ``<unk>`` is selected with probability ``rate`` (at least one
    per sentence that has such a word; if no word of the batch is eligible, ``<unk>`` words
    are too), and replaced by ``<mask>`` in ``inputs`` (StructFormer's masking).

    >>> ids = torch.tensor([[5, 6, 1, 0]]); mask = ids != 0
    >>> inputs, select = mask_tokens(ids, mask, 0.0)
    >>> select.sum().item(), (inputs == MASK_ID).sum().item(), bool(select[0, 2])
    (1, 1, False)
    """
    eligible = mask & (ids != UNK_ID)
    if not bool(eligible.any()):
        eligible = mask
    scores = torch.rand(ids.shape, generator=generator, device=ids.device if generator is None else "cpu")
    scores = scores.to(ids.device)
    select = eligible & (scores < rate)
    missing = eligible.any(dim=1) & ~select.any(dim=1)
    if bool(missing.any()):
        best = scores.masked_fill(~eligible, -1.0).argmax(dim=1)
        forced = torch.zeros_like(select)
        forced[torch.arange(ids.shape[0], device=ids.device), best] = True
        select = select | (forced & missing[:, None])
    return ids.masked_fill(select, MASK_ID), select


class _TimeUp(Exception):
    """Raised inside the training loop when ``max_minutes`` have passed."""


class _Clock:
    """Stops training at a deadline and saves snapshots at intervals (called before every step).

    The first step always runs: set-up before it (torch's one-time imports take seconds) must not
    use up a short time limit and leave the model untrained.
    """

    def __init__(self, deadline: float | None, every: float | None, snapshot: Callable[[], None] | None):
        self.deadline = deadline
        self.every = every
        self.snapshot = snapshot
        self.next_snapshot = None if every is None else time.monotonic() + every
        self.first_step_end: float | None = None
        self.steps = 0

    def tick(self) -> None:
        now = time.monotonic()
        self.steps += 1
        if self.steps == 2:
            self.first_step_end = now
        if self.deadline is not None and now >= self.deadline and self.steps > 1:
            raise _TimeUp
        if self.snapshot is not None and self.next_snapshot is not None and now >= self.next_snapshot:
            self.snapshot()
            self.next_snapshot = time.monotonic() + self.every


class InducedParser(ABC, BaseEstimator):
    """Base class of the unsupervised parsers (see the module docstring for the contract)."""

    #: the ``model_class`` written into saved model directories (set by each subclass)
    _model_class: str

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _build_network(self, n_words: int) -> torch.nn.Module:
        """A freshly initialised network for ``n_words`` word ids."""

    @abstractmethod
    def _decode(self, network: torch.nn.Module, batch: Batch) -> list[ParseResult]:
        """One result per row of ``batch``, over ``batch.words[k]``."""

    def _loss(self, network: torch.nn.Module, batch: Batch) -> torch.Tensor:
        return self._mlm_loss(network, batch)

    def _check_model_params(self) -> None:
        """Checks of the subclass's own parameters (none by default)."""

    def _learned_state(self) -> dict[str, Any]:
        return {}

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        """Set the attributes :meth:`_learned_state` saved (nothing by default)."""

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        name = type(self).__name__
        tokenizer = self.tokenizer
        if isinstance(tokenizer, str):
            check_choice(f"{name}: tokenizer", tokenizer, TOKENIZERS)
        elif not callable(tokenizer) and not callable(getattr(tokenizer, "tokenize", None)):
            raise StructNLPError(
                f"{name}: tokenizer must be one of {TOKENIZERS} or a callable str -> list[str],"
                f" got {type(tokenizer).__name__}"
            )
        for flag in ("lowercase", "normalize_numbers", "amp", "verbose", "warm_start"):
            check_bool(f"{name}: {flag}", getattr(self, flag))
        check_choice(f"{name}: punctuation", self.punctuation, PUNCTUATION_MODES)
        check_choice(f"{name}: lr_schedule", self.lr_schedule, ("constant", "linear", "cosine"))
        check_int(f"{name}: min_count", self.min_count, 1)
        check_int(f"{name}: max_vocab", self.max_vocab, 5, allow_none=True)
        check_int(f"{name}: max_length", self.max_length, 2)
        check_int(f"{name}: max_train_length", self.max_train_length, 2)
        check_int(f"{name}: max_epochs", self.max_epochs, 1)
        check_int(f"{name}: max_steps", self.max_steps, 1, allow_none=True)
        check_int(f"{name}: warmup_steps", self.warmup_steps, 0)
        check_int(f"{name}: batch_tokens", self.batch_tokens, 1)
        for key, low, high, wanted in (
            ("mask_rate", 0.0, 1.0, "in (0, 1)"),
            ("lr", 0.0, math.inf, "positive"),
            ("weight_decay", -math.inf, math.inf, "non-negative"),
        ):
            value = getattr(self, key)
            ok = not isinstance(value, bool) and isinstance(value, (int, float)) and low < value < high
            if not ok or (key == "weight_decay" and value < 0):
                raise StructNLPError(f"{name}: {key} must be a number {wanted}, got {value!r}")
        minutes = self.max_minutes
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not minutes > 0
        ):
            raise StructNLPError(f"{name}: max_minutes must be a positive number or None, got {minutes!r}")
        if not isinstance(self.device, str):
            raise StructNLPError(f"{name}: device must be a string such as 'auto', 'cpu' or 'cuda'")
        self._check_model_params()

    # ------------------------------------------------------------------ sentences
    def _tokenize_function(self) -> Callable[[str], list[str]]:
        tokenizer = self.tokenizer
        if tokenizer == "whitespace":
            return str.split
        if tokenizer == "nltk":
            from structnlp.tokenize import get_tokenizer

            return get_tokenizer("nltk").tokenize
        from structnlp.features import resolve_tokenizer

        return resolve_tokenizer(tokenizer, type(self).__name__)

    def _tokens(self, sentence: Any, where: str, tokenize: Callable[[str], list[str]] | None) -> list[str]:
        """The tokens of one sentence (a str, tokenized, or a sequence of str tokens), checked."""
        if isinstance(sentence, str):
            if tokenize is None:
                tokenize = self._tokenize_function()
            tokens = tokenize(sentence)
            if isinstance(tokens, str) or not isinstance(tokens, Sequence):
                raise StructNLPError(
                    f"{where}: the tokenizer returned {type(tokens).__name__}, expected a list"
                )
        elif isinstance(sentence, (list, tuple)) or (isinstance(sentence, np.ndarray) and sentence.ndim == 1):
            tokens = list(sentence)
        else:
            hint = "; decode bytes to str first" if isinstance(sentence, (bytes, bytearray)) else ""
            raise StructNLPError(
                f"{where} is {type(sentence).__name__}, expected a str or a list of str tokens{hint}"
            )
        for token in tokens:
            if not isinstance(token, str):
                raise StructNLPError(f"{where}: token {token!r} is {type(token).__name__}, not a str")
            if not token or any(c.isspace() for c in token):
                raise StructNLPError(f"{where}: token {token!r} is empty or holds whitespace")
        return tokens

    def _normalize(self, token: str) -> str:
        if self.normalize_numbers and is_number(token):
            return NUM_TOKEN
        return token.lower() if self.lowercase else token

    def _words(self, tokens: list[str]) -> tuple[list[str], list[int]]:
        """The normalised words the network sees and the token positions they come from."""
        if self.punctuation == "attach":
            keep = [i for i, t in enumerate(tokens) if not is_punctuation(t)]
            if not keep:
                keep = list(range(len(tokens)))
        else:
            keep = list(range(len(tokens)))
        return [self._normalize(tokens[i]) for i in keep], keep

    def _iter_sentences(self, X: Any, owner: str) -> Iterable[Any]:
        if isinstance(X, (str, bytes)):
            raise StructNLPError(
                f"{owner}: expected an iterable of sentences (str or token lists), got a single "
                f"{type(X).__name__}; wrap it in a list: [sentence]"
            )
        try:
            return iter(X)
        except TypeError:
            raise StructNLPError(
                f"{owner}: expected an iterable of sentences (str or token lists), got {type(X).__name__}"
            ) from None

    def _encode(self, words: list[str]) -> np.ndarray:
        return np.asarray(self.vocabulary_.encode(words), dtype=np.int64)

    # ------------------------------------------------------------------ training
    def _scored_words(
        self, batch: Batch, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's input and the words its loss predicts: ``mask_rate`` of them, as ``<mask>``."""
        return mask_tokens(batch.ids, batch.mask, self.mask_rate, generator)

    def _mlm_loss(self, network: torch.nn.Module, batch: Batch) -> torch.Tensor:
        """Masked-language-modelling loss: mean cross-entropy of the hidden words."""
        inputs, select = self._scored_words(batch)
        logits = network(inputs, batch.mask, select)
        return torch.nn.functional.cross_entropy(logits.float(), batch.ids[select])

    def _train_config(self, seed: int, n_batches_hint: int | None = None) -> TrainConfig:
        return TrainConfig(
            max_epochs=self.max_epochs,
            max_steps=self.max_steps,
            lr=self.lr,
            optimizer="adam",
            weight_decay=self.weight_decay,
            schedule=self.lr_schedule,
            warmup_steps=self.warmup_steps,
            batch_tokens=self.batch_tokens,
            grad_clip=1.0,
            amp=self.amp and select_device(self.device).type == "cuda",  # bfloat16 on a CPU is slower
            device=self.device,
            seed=seed,
            progress=self.verbose,
            log=self._log_record,
        )

    def _log_record(self, record: dict[str, Any]) -> None:
        entry = {"epoch_end": record["epoch"], "step": record["step"], "epoch_loss": record["train_loss"]}
        self.history_.append(entry)
        if self.verbose and record["train_loss"] is not None:
            print(f"{type(self).__name__}: epoch {record['epoch']} ends at step {record['step']}")

    #: Steps between the records of the mean training loss that ``fit`` adds to ``history_``.
    _log_every: int = 100

    def _interval_record(self, step: int, running: list[torch.Tensor], start: float) -> None:
        loss = float(torch.stack(running).mean())
        running.clear()
        self.history_.append(
            {"step": step, "train_loss": loss, "seconds": round(time.monotonic() - start, 1)}
        )
        if self.verbose:
            print(f"{type(self).__name__}: step {step} loss {loss:.4f}")

    def _training_examples(self, X: Any) -> tuple[list[list[str]], int]:
        owner = f"{type(self).__name__}.fit"
        tokenize: Callable[[str], list[str]] | None = None
        sentences = []
        n_input = 0
        for k, sentence in enumerate(self._iter_sentences(X, owner)):
            n_input += 1
            if isinstance(sentence, str) and not sentence.strip():
                continue
            if isinstance(sentence, str) and tokenize is None:
                tokenize = self._tokenize_function()
            tokens = self._tokens(sentence, f"{owner}: sentence {k}", tokenize)
            if tokens:
                sentences.append(self._words(tokens)[0])
        if not sentences:
            raise EmptyCorpusError(f"{owner}: no non-empty sentences among the {n_input} given")
        return sentences, n_input

    def fit(
        self,
        X: Iterable[Any],
        y: Any = None,
        *,
        snapshot_dir: str | os.PathLike | None = None,
        snapshot_minutes: float = 1.0,
    ) -> InducedParser:
        """Learn the vocabulary and train the network on the raw sentences ``X``; returns ``self``.

        ``X`` is any iterable of sentences (``str`` or token lists; empty ones are skipped);
        ``y`` is ignored. With ``snapshot_dir`` the parser is saved there (float16 weights)
        every ``snapshot_minutes`` during training, so a long run that is killed still leaves
        a usable model.
        """
        name = type(self).__name__
        self._check_params()
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        continuing = self.warm_start and hasattr(self, "module_")
        sentences, _ = self._training_examples(X)
        if continuing:
            vocabulary = self.vocabulary_
        else:
            try:
                vocabulary = Vocabulary.build(
                    sentences,
                    min_count=self.min_count,
                    max_size=self.max_vocab,
                    pad_token=PAD_TOKEN,
                    unk_token=UNK_TOKEN,
                    extra_specials=(MASK_TOKEN, NUM_TOKEN),
                )
            except EmptyCorpusError as exc:
                raise EmptyCorpusError(f"{name}.fit: {exc}") from None
            self.vocabulary_ = vocabulary
        cap = self.max_train_length
        examples = []
        for words in sentences:
            ids = self._encode(words)
            examples.extend(ids[start : start + cap] for start in range(0, len(ids), cap))
        lengths = np.fromiter((len(e) for e in examples), dtype=np.int64, count=len(examples))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            network = self._build_network(len(vocabulary))
        if continuing:
            self._check_same_network(network)
            network = self.module_.train()
            before = (self.n_steps_, self.train_seconds_, self.train_tokens_)
        else:
            self.module_ = network
            self.history_ = []
            before = (0, 0.0, 0)
        steps_before, seconds_before, tokens_before = before
        self.n_steps_, self.train_seconds_, self.train_tokens_ = before
        snapshot = None
        if snapshot_dir is not None:
            if not isinstance(snapshot_minutes, (int, float)) or not snapshot_minutes > 0:
                raise StructNLPError(
                    f"{name}.fit: snapshot_minutes must be positive, got {snapshot_minutes!r}"
                )

            def snapshot() -> None:
                self.save(snapshot_dir, half=True)

        start = time.monotonic()
        deadline = None if self.max_minutes is None else start + 60.0 * self.max_minutes
        every = None if snapshot is None else 60.0 * snapshot_minutes
        clock = _Clock(deadline, every, snapshot)
        origin = start - seconds_before  # the clock of history_ and train_seconds_ runs on across fits
        counted: list[int] = []
        running: list[torch.Tensor] = []  # losses since the last interval record, left on the device

        def loss_fn(model: torch.nn.Module, batch: Batch) -> torch.Tensor:
            self.n_steps_ = steps_before + len(counted)  # steps finished so far (what a snapshot records)
            self.train_tokens_ = tokens_before + sum(counted)
            self.train_seconds_ = time.monotonic() - origin
            clock.tick()
            if len(running) >= self._log_every:
                self._interval_record(steps_before + len(counted), running, origin)
            counted.append(int(batch.mask.sum()))
            loss = self._loss(model, batch)
            running.append(loss.detach().float())
            return loss

        config = self._train_config(seed)
        config.log = lambda record: self._log_record(dict(record, step=steps_before + record["step"]))
        try:
            train(network, examples, collate=collate, loss_fn=loss_fn, config=config, lengths=lengths)
            finished = len(counted)
        except _TimeUp:
            finished = len(counted)
        if running:
            self._interval_record(steps_before + finished, running, origin)
        end = time.monotonic()
        self.module_ = network.eval()
        self.n_steps_ = steps_before + finished
        self.train_seconds_ = end - origin
        self.train_tokens_ = tokens_before + int(sum(counted[:finished]))
        warm = clock.first_step_end
        if finished > 1 and warm is not None and end > warm:
            self.train_tokens_per_second_ = float(sum(counted[1:finished]) / (end - warm))
        else:
            self.train_tokens_per_second_ = float(sum(counted[:finished]) / max(end - start, 1e-9))
        return self

    def _check_same_network(self, fresh: torch.nn.Module) -> None:
        """Refuse to continue training when the parameters now describe another network."""
        old = {k: tuple(v.shape) for k, v in self.module_.state_dict().items()}
        new = {k: tuple(v.shape) for k, v in fresh.state_dict().items()}
        if old != new:
            differ = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            raise StructNLPError(
                f"{type(self).__name__}.fit: warm_start continues the fitted network, but the parameters "
                f"now describe another one ({', '.join(differ[:4])}{' ...' if len(differ) > 4 else ''} "
                "differ); set the sizes back or use warm_start=False"
            )

    def mlm_loss(self, X: Iterable[Any], *, random_state: int = 0) -> float:
        """Mean masked-word cross-entropy (nats) of the sentences ``X``, with a fixed masking seed.

        The training objective measured on any sentences: lower is better. (For a ReCAT parser
        trained with ``objective="bilm"`` it is the cross-entropy of every word predicted from
        its context, nothing masked.)
        """
        check_is_fitted(self, "module_")
        sentences, _ = self._training_examples(X)
        examples = []
        for words in sentences:
            ids = self._encode(words)
            examples.extend(
                ids[s : s + self.max_train_length] for s in range(0, len(ids), self.max_train_length)
            )
        network = self._network()
        device = next(network.parameters()).device
        generator = torch.Generator().manual_seed(int(random_state))
        total = count = 0.0
        lengths = [len(e) for e in examples]
        with torch.no_grad():
            for indices in batches_by_token_budget(lengths, self.batch_tokens, shuffle=False):
                batch = collate([examples[i] for i in indices])
                inputs, select = self._scored_words(batch, generator)
                logits = network(inputs.to(device), batch.mask.to(device), select.to(device))
                loss = torch.nn.functional.cross_entropy(
                    logits.float(), batch.ids[select].to(device), reduction="sum"
                )
                total += float(loss)
                count += int(select.sum())
        return total / count

    # ------------------------------------------------------------------ parsing
    def _network(self) -> torch.nn.Module:
        check_is_fitted(self, "module_")
        network = self.module_.to(select_device(self.device))
        return network.eval()

    def parse(self, sentence: str | Sequence[str]) -> ParseResult:
        """Parse one sentence (a ``str``, tokenized by ``tokenizer``, or a list of ``str`` tokens).

        Raises :class:`StructNLPError` for an empty sentence or a bad token.
        """
        if not isinstance(sentence, (str, list, tuple, np.ndarray)):
            self._tokens(sentence, "sentence", None)  # raises the type error
        return self.parse_many([sentence])[0]

    def parse_many(self, sentences: Iterable[Any], batch_size: int = 64) -> list[ParseResult]:
        """Parse many sentences in batches of similar length; one result per sentence, in order."""
        check_int("batch_size", batch_size, 1)
        network = self._network()
        device = next(network.parameters()).device
        tokenize: Callable[[str], list[str]] | None = None
        prepared = []
        windows: list[tuple[int, list[str], int]] = []  # (sentence index, words, window index)
        for k, sentence in enumerate(self._iter_sentences(sentences, "parse_many")):
            if isinstance(sentence, str) and tokenize is None:
                tokenize = self._tokenize_function()
            tokens = self._tokens(sentence, f"sentence {k}", tokenize)
            if not tokens and isinstance(sentence, str) and sentence.strip():
                where = f"sentence {k} ({sentence[:40]!r})"
                raise StructNLPError(f"{where}: the {self.tokenizer!r} tokenizer leaves no token to parse")
            if not tokens:
                raise StructNLPError(f"sentence {k} is empty: there is nothing to parse")
            words, keep = self._words(tokens)
            prepared.append((tokens, keep))
            for w, start in enumerate(range(0, len(words), self.max_length)):
                windows.append((k, words[start : start + self.max_length], w))
        decoded: dict[tuple[int, int], ParseResult] = {}
        batches = self._decode_batches([len(words) for _, words, _ in windows], batch_size)
        with torch.no_grad():
            for indices in batches:
                rows = [windows[i] for i in indices]
                batch = collate(
                    [self._encode(words) for _, words, _ in rows], [words for _, words, _ in rows]
                )
                batch = Batch(batch.ids.to(device), batch.mask.to(device), batch.words)
                for (k, _, w), result in zip(rows, self._decode(network, batch), strict=True):
                    decoded[(k, w)] = result
        results = []
        for k, (tokens, keep) in enumerate(prepared):
            parts = []
            w = 0
            while (k, w) in decoded:
                parts.append(decoded[(k, w)])
                w += 1
            results.append(_assemble(tokens, keep, parts))
        return results

    #: Bound on ``rows * length**3`` of a parsing batch: the structure computations of both
    #: parsers hold a few (rows, length, length, length) arrays.
    _decode_cells: int = 2**22

    def _decode_batches(self, lengths: list[int], batch_size: int) -> list[list[int]]:
        """Indices grouped by length: at most ``batch_size`` rows and ``_decode_cells`` cells each."""
        batches: list[list[int]] = []
        current: list[int] = []
        for index in sorted(range(len(lengths)), key=lengths.__getitem__):
            limit = min(batch_size, max(1, self._decode_cells // max(lengths[index], 1) ** 3))
            if current and len(current) + 1 > limit:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    # ------------------------------------------------------------------ files
    def _params_for_file(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        if not isinstance(self.tokenizer, str):
            raise StructNLPError(
                f"{type(self).__name__}.save: tokenizer is a {type(self.tokenizer).__name__}; a saved parser "
                f"records its tokenizer by name ({', '.join(TOKENIZERS)})"
            )
        if not (self.random_state is None or isinstance(self.random_state, (int, np.integer))):
            params["random_state"] = None  # a RandomState object: only its use in fit() mattered
        return params

    def save(
        self, path: str | os.PathLike, *, half: bool = False, metadata: dict[str, Any] | None = None
    ) -> Path:
        """Write the fitted parser to the directory ``path`` (atomically) and return the path.

        ``half=True`` stores the weights in float16 (half the size; parses barely change).
        ``metadata`` (JSON) is stored beside, e.g. the training command and scores. Read the
        parser back with :func:`parsing.load_parser` or ``type(parser).load(path)``.
        """
        check_is_fitted(self, "module_")
        check_bool("half", half)
        config = {
            "params": self._params_for_file(),
            "vocabulary": self.vocabulary_.to_dict(),
            "history": self.history_,
            "training": {
                "n_steps": self.n_steps_,
                "seconds": self.train_seconds_,
                "tokens": self.train_tokens_,
            },
            "learned": self._learned_state(),
        }
        info = {
            "n_words": len(self.vocabulary_),
            "n_parameters": sum(p.numel() for p in self.module_.parameters()),
        }
        info.update(metadata or {})
        return save_model(
            path,
            model_class=self._model_class,
            format_version=FORMAT_VERSION,
            config=config,
            arrays=self.module_.state_dict(),
            metadata=info,
            float_storage="float16" if half else None,
        )

    @classmethod
    def _params_from_file(cls, params: dict[str, Any]) -> dict[str, Any]:
        """Settings read from a model file, with defaults for any the file predates."""
        return params

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> InducedParser:
        """Read a parser saved by :meth:`save`; ``device`` overrides the saved ``device`` parameter."""
        loaded = load_model(
            path, expected_class=cls._model_class, supported_versions={FORMAT_VERSION}, as_torch=True
        )
        where = f"{loaded.path}/config.json"
        try:
            config = loaded.config
            params = cls._params_from_file(dict(config["params"]))
            if device is not None:
                params["device"] = device
            parser = cls(**params)
            parser._check_params()  # a hand-edited value must fail here, not deep inside torch
            vocabulary = Vocabulary.from_dict(config["vocabulary"], source=where)
            history = list(config["history"])
            training = dict(config["training"])
            counts = (
                int(training.get("n_steps", 0)),
                float(training.get("seconds", 0.0)),
                int(training.get("tokens", 0)),
            )
            parser._restore_learned_state(dict(config["learned"]))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"{where}: the parser settings are damaged ({exc})") from None
        parser.vocabulary_ = vocabulary
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            network = parser._build_network(len(vocabulary))
        state = {
            name: tensor.float() if tensor.is_floating_point() else tensor
            for name, tensor in loaded.arrays.items()
        }
        try:
            network.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            problem = " ".join(str(exc).split())
            raise ModelFileError(
                f"{loaded.path}: the weights do not fit the saved settings ({problem})"
            ) from None
        parser.module_ = network.eval()
        parser.history_ = history
        parser.n_steps_, parser.train_seconds_, parser.train_tokens_ = counts
        return parser


# --------------------------------------------------------------------------- assembling results


def _balanced_spans(start: int, end: int, out: set[tuple[int, int]]) -> None:
    """Add the spans of a balanced binary tree over positions ``start..end-1`` to ``out``."""
    stack = [(start, end)]
    while stack:
        lo, hi = stack.pop()
        if hi - lo >= 2:
            out.add((lo, hi))
            mid = (lo + hi + 1) // 2
            stack.extend(((lo, mid), (mid, hi)))


def _join_windows(parts: list[ParseResult]) -> tuple[set[tuple[int, int]], list[int] | None, int]:
    """Spans (over words) and heads of the windows of one sentence joined into one parse."""
    from structnlp.trees import tree_spans

    spans: set[tuple[int, int]] = set()
    offsets = []
    offset = 0
    for part in parts:
        offsets.append(offset)
        spans.update((s + offset, e + offset) for s, e in tree_spans(part.tree, include_trivial=True))
        offset += len(part.tokens)
    bounds = [*offsets, offset]
    # balanced binary tree over the windows
    stack = [(0, len(parts))]
    while stack:
        lo, hi = stack.pop()
        if hi - lo >= 2:
            spans.add((bounds[lo], bounds[hi]))
            mid = (lo + hi + 1) // 2
            stack.extend(((lo, mid), (mid, hi)))
    if any(part.heads is None for part in parts):
        return spans, None, offset
    heads: list[int] = []
    first_root = parts[0].heads.index(0) + 1
    for part, off in zip(parts, offsets, strict=True):
        heads.extend((first_root if h == 0 else h + off) if off else h for h in part.heads)
    return spans, heads, offset


def _assemble(tokens: list[str], keep: list[int], parts: list[ParseResult]) -> ParseResult:
    """Map window parses over the normalised words back onto the original tokens (module doc)."""
    from parsing.api import ParseResult
    from structnlp.trees import spans_to_tree

    word_spans, word_heads, n_words = _join_windows(parts)
    if n_words != len(keep):
        raise StructNLPError(f"the decoder returned {n_words} words for a sentence of {len(keep)}")
    n = len(tokens)
    spans = {(keep[s], keep[e - 1] + 1) for s, e in word_spans if e - s >= 2}
    heads: list[int] | None = None
    if word_heads is not None:
        heads = [0] * n
        for w, h in enumerate(word_heads):
            heads[keep[w]] = 0 if h == 0 else keep[h - 1] + 1
    if len(keep) < n:
        # largest word span ending at each word / the whole sentence, for attaching punctuation
        largest_ending: dict[int, int] = {}
        for s, e in word_spans:
            if e - 1 not in largest_ending or s < largest_ending[e - 1]:
                largest_ending[e - 1] = s
        word_at = {p: w for w, p in enumerate(keep)}
        position = 0
        while position < n:
            if position in word_at:
                position += 1
                continue
            run_end = position
            while run_end < n and run_end not in word_at:
                run_end += 1
            _balanced_spans(position, run_end, spans)
            if position == 0:  # before the first word: left sibling of everything else
                w_start, w_end = 0, len(keep)
                spans.add((0, n))
            else:
                last_word = word_at[position - 1]
                w_start, w_end = largest_ending.get(last_word, last_word), last_word + 1
                spans.add((keep[w_start], run_end))
            if heads is not None:
                head_word = next(
                    w
                    for w in range(w_start, w_end)
                    if word_heads[w] == 0 or not w_start < word_heads[w] <= w_end
                )
                for p in range(position, run_end):
                    heads[p] = keep[head_word] + 1
            position = run_end
    tree = spans_to_tree(spans, tokens)
    return ParseResult(tokens, tree, heads)
