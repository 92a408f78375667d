"""What every model of the DocNADE family shares: documents to word ids, training, evaluation, files.

A subclass supplies its ``__init__`` (the hyper-parameters, stored untouched, scikit-learn
style), ``_build_network`` (a fresh torch module for a vocabulary) and ``_network_for_arrays``
(an empty module shaped like a saved one); :class:`NADETopicModel` does the rest:

* documents are strings (lower-cased when ``lowercase``, then tokenized with ``tokenizer``, by
  default structnlp's regex tokenizer) or lists of tokens (used as they are); ``stop_words``
  are removed from both; words outside the vocabulary are dropped, as in the DocNADE papers' preprocessing;
* training runs through :func:`structnlp.training.train` (token-budget batches, Adam, early
  stopping on the perplexity of ``validation_docs``);
* the model predicts a document's words given its length, so a document left with no
  vocabulary word has probability 1 (log-likelihood 0), the document vector of an empty
  document is the hidden state of the empty prefix, and perplexity skips such documents;
* models are saved as structnlp model directories (JSON + safetensors, never pickle).
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.features import resolve_tokenizer, stop_word_set, text_input_tags
from structnlp.modelio import load_model as load_model_directory
from structnlp.modelio import read_model_class, save_model
from structnlp.params import changed_since_fit, check_bool, check_choice, check_int, is_number
from structnlp.training import TrainConfig, batches_by_token_budget, select_device, train
from structnlp.vocab import Vocabulary

__all__ = ["ACTIVATIONS", "FORMAT_VERSION", "OPTIMIZERS", "NADETopicModel", "load_model"]

#: Hidden-layer non-linearities ``g`` of the DocNADE papers.
ACTIVATIONS = ("sigmoid", "tanh", "relu")
#: The layout version of saved topic models written by this release.
FORMAT_VERSION = 1
#: Optimisers of ``fit`` (SGD with momentum 0.9).
OPTIMIZERS = ("adam", "sgd")
_MEASURES = ("npmi", "c_v")


def _token_lists(
    X: Any, tokenize: Callable[[str], list[str]], lowercase: bool, stop: frozenset[str], owner: str
) -> list[list[str]]:
    """Tokenize the documents ``X`` (str or token lists), refusing the classic input mistakes."""
    if isinstance(X, (str, bytes)):
        raise StructNLPError(
            f"{owner}: expected a list of documents (str or token lists), got a single "
            f"{type(X).__name__}; wrap it in a list: [text]"
        )
    if getattr(X, "ndim", 1) != 1:
        raise StructNLPError(
            f"{owner}: expected a 1-D sequence of documents, got {type(X).__name__} of shape "
            f"{getattr(X, 'shape', '?')}"
        )
    try:
        iterator = iter(X)
    except TypeError:
        raise StructNLPError(
            f"{owner}: expected an iterable of documents (str or token lists), got {type(X).__name__}"
        ) from None
    docs = []
    for i, doc in enumerate(iterator):
        if isinstance(doc, str):
            tokens = tokenize(doc.lower() if lowercase else doc)
            if isinstance(tokens, str) or not isinstance(tokens, Sequence):
                raise StructNLPError(
                    f"{owner}: the tokenizer returned {type(tokens).__name__}, expected a list"
                )
        elif isinstance(doc, (list, tuple)) or (isinstance(doc, np.ndarray) and doc.ndim == 1):
            tokens = list(doc)
        else:
            hint = "; decode bytes to str first" if isinstance(doc, bytes) else ""
            raise StructNLPError(
                f"{owner}: document {i} is {type(doc).__name__}, expected a str or a list of str tokens{hint}"
            )
        bad = next((t for t in tokens if not isinstance(t, str)), None)
        if bad is not None:
            raise StructNLPError(
                f"{owner}: document {i} holds the token {bad!r} ({type(bad).__name__}), not a str"
            )
        docs.append([t for t in tokens if t not in stop] if stop else list(tokens))
    return docs


def _collate(docs: list[np.ndarray]) -> dict[str, torch.Tensor]:
    """Pad word-id arrays (with id 0, masked out by ``lengths``) into one batch."""
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    ids = np.zeros((len(docs), int(lengths.max(initial=0))), dtype=np.int64)
    for row, doc in zip(ids, docs, strict=True):
        row[: len(doc)] = doc
    return {"ids": torch.from_numpy(ids), "lengths": torch.from_numpy(lengths)}


def _shuffled(docs: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Each document's word ids in a random order drawn from ``rng``."""
    return [doc[rng.permutation(len(doc))] for doc in docs]


def _shuffling_collate(seed: int) -> Callable[[list[np.ndarray]], dict[str, torch.Tensor]]:
    """:func:`_collate` after a fresh random permutation of each document's words.

    Each call draws new permutations, so every epoch shows the model every document in another
    word order: order-agnostic training, the bag-of-words reading of DocNADE (Uria et al. 2016).
    """
    rng = np.random.default_rng(seed)
    return lambda docs: _collate(_shuffled(docs, rng))


def _check_weight(name: str, value: Any) -> None:
    """Raise unless ``value`` is a finite number >= 0 (the weight of a term of the model or loss)."""
    if not is_number(value) or not math.isfinite(value) or value < 0:
        raise StructNLPError(f"{name} must be a finite number >= 0, got {value!r}")


def _mean_token_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Negative log-likelihood per word of a batch (what :func:`structnlp.training.train` minimises)."""
    return model(batch["ids"], batch["lengths"]).sum() / batch["lengths"].sum()


def _loss_with_coherence_prior(
    weight: float, unit: torch.Tensor
) -> Callable[[torch.nn.Module, dict[str, torch.Tensor]], torch.Tensor]:
    """:func:`_mean_token_loss` minus ``weight`` times the mean soft coherence of ``W``'s topics."""
    from topics.coherence_prior import soft_coherence

    on_device: dict[torch.device, torch.Tensor] = {}

    def loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        device = model.W.device
        if device not in on_device:
            on_device[device] = unit.to(device)
        return _mean_token_loss(model, batch) - weight * soft_coherence(model.W, on_device[device]).mean()

    return loss


def _run_batches(
    network: torch.nn.Module,
    docs: list[np.ndarray],
    batch_tokens: int,
    compute: Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
    width: int | None,
) -> np.ndarray:
    """Apply ``compute(network, ids, lengths)`` to every document, batched, results in input order."""
    device = next(network.parameters()).device
    shape = (len(docs),) if width is None else (len(docs), width)
    out = np.zeros(shape, dtype=np.float64)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            for indices in batches_by_token_budget(lengths, batch_tokens, shuffle=False):
                batch = _collate([docs[i] for i in indices])
                result = compute(network, batch["ids"].to(device), batch["lengths"].to(device))
                out[indices] = result.double().cpu().numpy()
    finally:
        network.train(was_training)
    return out


def _document_nll(network: torch.nn.Module, docs: list[np.ndarray], batch_tokens: int) -> np.ndarray:
    return _run_batches(network, docs, batch_tokens, lambda net, ids, lengths: net(ids, lengths), None)


def _perplexity(network: torch.nn.Module, docs: list[np.ndarray], batch_tokens: int) -> float:
    """Document-averaged per-word perplexity of the non-empty ``docs`` (the DocNADE papers' measure)."""
    from structnlp.metrics import document_perplexity

    kept = [d for d in docs if d.size]
    if not kept:
        raise StructNLPError("none of the documents holds a vocabulary word; their perplexity is undefined")
    return document_perplexity(_document_nll(network, kept, batch_tokens), [d.size for d in kept])


class NADETopicModel(ABC, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of :class:`~topics.DocNADE` and :class:`~topics.CtxDocNADE` (see the module doc)."""

    #: the ``model_class`` recorded in saved model directories (set by each subclass)
    _model_class: str

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _build_network(
        self, n_words: int, docs: list[np.ndarray], generator: torch.Generator
    ) -> torch.nn.Module:
        """A freshly initialised network for ``n_words`` words (``docs``: the training word ids)."""

    @abstractmethod
    def _network_for_arrays(self, n_words: int, arrays: dict[str, torch.Tensor]) -> torch.nn.Module:
        """A network shaped to receive the saved ``arrays``."""

    def _check_model_params(self) -> None:
        """Checks of the parameters a subclass adds (called by ``fit``)."""

    def _fitted_architecture(self) -> dict[str, Any]:
        """The parameters that shaped ``module_``, with the values it was built with."""
        return {"n_topics": self.module_.n_hidden, "activation": self.module_.activation}

    def _shuffles_words(self) -> bool:
        """Whether ``fit`` reads the words in a new random order at every epoch (``word_order``)."""
        return False

    # ------------------------------------------------------------------ the embedding prior
    def _embedding_prior(self, docs: list[np.ndarray], generator: torch.Generator) -> np.ndarray | None:
        """The fixed embedding matrix ``E`` of ``embeddings`` (one row per vocabulary word), or None.

        Sets ``embedding_coverage_``, the share of vocabulary words with a vector.
        """
        from topics.embeddings import word_vectors

        if self.embeddings is None:
            self.embedding_coverage_ = None
            return None
        seed = 0  # the generator is drawn from only when vectors are trained
        if self.embeddings == "train":
            seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        vectors, self.embedding_coverage_ = word_vectors(
            self.embeddings, docs, self._words, self.n_topics, owner=type(self).__name__,
            option="embeddings", random_state=seed,
        )  # fmt: skip
        return vectors

    @staticmethod
    def _prior_dim(arrays: dict[str, torch.Tensor]) -> int | None:
        """The width of the saved embedding prior, None when the file has none."""
        prior = arrays.get("prior")
        return None if prior is None or prior.ndim != 2 else int(prior.shape[1])

    def _learned_state(self) -> dict[str, Any]:
        """JSON-ready learned attributes other than the weights (saved in the model directory)."""
        return {"embedding_coverage": self.embedding_coverage_}

    def _restore_learned_state(self, state: dict[str, Any]) -> None:
        """Set the attributes :meth:`_learned_state` saved (files without an embedding prior: None)."""
        self.embedding_coverage_ = state.get("embedding_coverage")

    # ------------------------------------------------------------------ inputs
    def _check_params(self) -> None:
        name = type(self).__name__
        check_int(f"{name}: n_topics", self.n_topics, 1)
        check_choice(f"{name}: activation", self.activation, ACTIVATIONS)
        check_int(f"{name}: min_count", self.min_count, 1)
        check_int(f"{name}: max_size", self.max_size, 1, allow_none=True)
        check_int(f"{name}: batch_tokens", self.batch_tokens, 1)
        if self.vocabulary is not None and not isinstance(self.vocabulary, Vocabulary):
            raise StructNLPError(
                f"{name}: vocabulary must be None or a structnlp.vocab.Vocabulary, "
                f"got {type(self.vocabulary).__name__}"
            )
        check_bool(f"{name}: progress", self.progress)
        check_bool(f"{name}: lowercase", self.lowercase)
        _check_weight(f"{name}: coherence_weight", self.coherence_weight)
        if self.embeddings is not None and not isinstance(self.embeddings, (str, os.PathLike)):
            raise StructNLPError(
                f"{name}: embeddings must be None, 'train' or the path of a word2vec text file, "
                f"got {type(self.embeddings).__name__}"
            )
        source = self.coherence_vectors
        if not isinstance(source, (str, os.PathLike)) or source == "":
            raise StructNLPError(
                f"{name}: coherence_vectors must be 'train' or the path of a word2vec text file, "
                f"got {source!r}"
            )
        self._check_model_params()

    def _documents(self, X: Any) -> list[list[str]]:
        owner = type(self).__name__
        tokenize = resolve_tokenizer(self.tokenizer, owner)
        return _token_lists(X, tokenize, bool(self.lowercase), stop_word_set(self.stop_words), owner)

    def _set_vocabulary(self, vocabulary: Vocabulary) -> None:
        specials = set(vocabulary.specials)
        words = [t for t in vocabulary if t not in specials]
        if not words:
            raise StructNLPError(f"{type(self).__name__}: the vocabulary holds only special tokens")
        self.vocabulary_ = vocabulary
        self._words = words
        self._word_ids = {w: i for i, w in enumerate(words)}

    def _encode(self, docs: list[list[str]]) -> list[np.ndarray]:
        index = self._word_ids
        return [np.fromiter((index[t] for t in doc if t in index), dtype=np.int64) for doc in docs]

    def _encoded(self, X: Any) -> list[np.ndarray]:
        check_is_fitted(self, "module_")
        return self._encode(self._documents(X))

    def _train_config(self, seed: int, validating: bool) -> TrainConfig:
        if self.patience is not None and not validating:
            raise StructNLPError(
                f"{type(self).__name__}: patience (early stopping) needs validation_docs in fit()"
            )
        check_choice(f"{type(self).__name__}: optimizer", self.optimizer, OPTIMIZERS)
        return TrainConfig(
            max_epochs=self.max_epochs,
            optimizer=self.optimizer,
            momentum=0.9 if self.optimizer == "sgd" else 0.0,
            lr=self.lr,
            batch_tokens=self.batch_tokens,
            device=self.device,
            seed=seed,
            patience=self.patience,
            metric_mode="min",
            progress=bool(self.progress),
            owner=type(self).__name__,
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Iterable[Any], y: Any = None, *, validation_docs: Iterable[Any] | None = None):
        """Learn the vocabulary and the weights from the documents ``X``; returns ``self``.

        ``y`` is ignored (scikit-learn compatibility). With ``validation_docs`` the perplexity
        of those documents is measured after every epoch, the best weights are kept and, with
        ``patience``, training stops after that many epochs without improvement.
        """
        name = type(self).__name__
        self._check_params()
        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        config = self._train_config(seed, validation_docs is not None)
        docs = self._documents(X)
        if not docs:
            raise EmptyCorpusError(f"{name}.fit: no documents")
        if self.vocabulary is None:
            try:
                vocabulary = Vocabulary.build(
                    docs, min_count=self.min_count, max_size=self.max_size, pad_token=None, unk_token=None
                )
            except EmptyCorpusError as exc:
                raise EmptyCorpusError(f"{name}.fit: {exc}") from None
        else:
            vocabulary = self.vocabulary
        self._set_vocabulary(vocabulary)
        encoded = self._encode(docs)
        training = [d for d in encoded if d.size]
        if not training:
            raise EmptyCorpusError(f"{name}.fit: none of the documents holds a vocabulary word")
        validate = None
        if validation_docs is not None:
            held_out = [d for d in self._encode(self._documents(validation_docs)) if d.size]
            if not held_out:
                raise EmptyCorpusError(f"{name}.fit: no validation document holds a vocabulary word")
            if self._shuffles_words():  # score what training optimises: the words in random order
                held_out = _shuffled(held_out, np.random.default_rng(seed + 1))
            batch_tokens = self.batch_tokens

            def validate(model: torch.nn.Module) -> float:
                return _perplexity(model, held_out, batch_tokens)

        loss_fn = _mean_token_loss
        if self.coherence_weight > 0:
            from topics.coherence_prior import coherence_vectors, unit_vectors

            vectors = coherence_vectors(self.coherence_vectors, training, self._words, seed, name)
            loss_fn = _loss_with_coherence_prior(float(self.coherence_weight), unit_vectors(vectors))
        generator = torch.Generator().manual_seed(seed)
        network = self._build_network(len(self._words), training, generator)
        result = train(
            network,
            training,
            collate=_shuffling_collate(seed) if self._shuffles_words() else _collate,
            loss_fn=loss_fn,
            config=config,
            validate=validate,
        )
        self.module_ = network.eval()
        self.n_iter_ = result.epochs
        self.history_ = result.history
        return self

    # ------------------------------------------------------------------ outputs
    def _network(self) -> torch.nn.Module:
        """The fitted module, on the device the ``device`` parameter names."""
        check_is_fitted(self, "module_")
        return self.module_.to(select_device(self.device))

    @property
    def _n_features_out(self) -> int:
        return self.module_.n_hidden  # not n_topics, which set_params may have changed since fit

    @property
    def components_(self) -> np.ndarray:
        """The word-topic weights ``W`` of the paper, shape ``(n_topics, n_words)``.

        Row ``j`` weighs each vocabulary word for hidden unit (topic) ``j``; columns follow
        :attr:`vocabulary_` order without its special tokens.
        """
        check_is_fitted(self, "module_")
        return self.module_.W.detach().cpu().numpy().T.copy()

    def transform(self, X: Iterable[Any]) -> np.ndarray:
        """Document vectors, shape ``(n_documents, n_topics)``: the hidden layer after every word."""
        docs = self._encoded(X)
        network = self._network()
        return _run_batches(
            network,
            docs,
            self.batch_tokens,
            lambda net, ids, lengths: net.document_vectors(ids, lengths),
            network.n_hidden,
        )

    def score_samples(self, X: Iterable[Any]) -> np.ndarray:
        """Log-likelihood (natural log) of each document's vocabulary words given their number.

        Documents without a vocabulary word score 0.0 (the empty sequence has probability 1).
        """
        docs = self._encoded(X)
        return 0.0 - _document_nll(self._network(), docs, self.batch_tokens)  # 0.0, not -0.0, when empty

    def perplexity(self, X: Iterable[Any]) -> float:
        """Per-word perplexity as in the DocNADE papers: ``exp(mean_d(-log p(d) / |d|))``.

        Averaged over the documents that hold at least one vocabulary word (``|d|`` counts
        only those words); see :func:`structnlp.metrics.document_perplexity`.
        """
        return _perplexity(self._network(), self._encoded(X), self.batch_tokens)

    def score(self, X: Iterable[Any], y: Any = None) -> float:
        """Minus the log of :meth:`perplexity`: higher is better, as scikit-learn's model selection expects.

        ``GridSearchCV`` and ``cross_val_score`` call it when given no ``scoring``, so they pick
        the model of lowest held-out perplexity. ``y`` is ignored.

        >>> from topics import DocNADE
        >>> docs = ["apple banana fruit", "car road wheel"] * 4
        >>> model = DocNADE(n_topics=2, max_epochs=2, random_state=0, progress=False).fit(docs)
        >>> bool(abs(model.score(docs) + math.log(model.perplexity(docs))) < 1e-12)
        True
        """
        return -math.log(self.perplexity(X))

    def topics(self, top_n: int = 10) -> list[list[str]]:
        """The ``top_n`` words of each topic: the largest entries of each row of :attr:`components_`.

        ``top_n`` is capped at the vocabulary size; ties are broken by vocabulary order.
        """
        check_int("top_n", top_n, 1)
        weights = self.components_
        order = np.argsort(-weights, axis=1, kind="stable")[:, : int(top_n)]
        return [[self._words[i] for i in row] for row in order.tolist()]

    def coherence(
        self,
        X: Iterable[Any],
        measure: str = "npmi",
        top_n: int = 10,
        window_size: int | None | str = "default",
        on_missing: str = "raise",
    ) -> dict[str, float | list[float]]:
        """Coherence of :meth:`topics` on the reference documents ``X``.

        ``measure`` is ``"npmi"`` (:func:`structnlp.metrics.npmi_coherence`) or ``"c_v"``
        (:func:`structnlp.metrics.cv_coherence`); ``window_size="default"`` uses that
        metric's default window (10 and 110 words), ``None`` whole documents. ``X`` is
        tokenized like the training documents. Returns ``coherence`` (mean) and ``per_topic``.
        """
        from structnlp.metrics import cv_coherence, npmi_coherence

        check_choice("measure", measure, _MEASURES)
        check_is_fitted(self, "module_")
        texts = self._documents(X)
        score = npmi_coherence if measure == "npmi" else cv_coherence
        options: dict[str, Any] = {} if window_size == "default" else {"window_size": window_size}
        return score(self.topics(top_n), texts, top_n=top_n, on_missing=on_missing, **options)

    def __sklearn_tags__(self):
        return text_input_tags(super().__sklearn_tags__())

    # ------------------------------------------------------------------ files
    def _params_for_file(self) -> dict[str, Any]:
        params = self.get_params(deep=False)
        if isinstance(self.vocabulary, Vocabulary):
            params["vocabulary"] = self.vocabulary.to_dict()
        if self.tokenizer is not None and not isinstance(self.tokenizer, str):
            raise StructNLPError(
                f"{type(self).__name__}.save: tokenizer is a {type(self.tokenizer).__name__}; a saved model "
                "records the tokenizer by name ('regex', 'spacy', 'nltk')"
            )
        stop = self.stop_words
        if stop is not None and not isinstance(stop, str):
            params["stop_words"] = sorted(stop_word_set(stop))
        for option in ("coherence_vectors", "embeddings"):
            if isinstance(params[option], os.PathLike):
                params[option] = os.fspath(params[option])
        if not (self.random_state is None or isinstance(self.random_state, (int, np.integer))):
            params["random_state"] = None  # a RandomState object: only its use in fit() mattered
        return params

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model to the directory ``path`` (atomically) and return the path.

        Read it back with :func:`topics.load_model` or ``type(model).load(path)``.
        """
        check_is_fitted(self, "module_")
        changed = changed_since_fit(self, self._fitted_architecture())
        if changed:
            raise StructNLPError(
                f"{type(self).__name__}.save: set_params changed {', '.join(changed)} after fit, so the "
                "saved settings would not fit the weights; set them back or fit again"
            )
        config = {
            "params": self._params_for_file(),
            "vocabulary": self.vocabulary_.to_dict(),
            "n_iter": self.n_iter_,
            "history": self.history_,
            "learned": self._learned_state(),
        }
        return save_model(
            path,
            model_class=self._model_class,
            format_version=FORMAT_VERSION,
            config=config,
            arrays=self.module_.state_dict(),
            metadata={"n_words": len(self._words), "n_topics": self.module_.n_hidden},
        )

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None):
        """Read a model saved by :meth:`save`; ``device`` overrides the saved ``device`` parameter."""
        loaded = load_model_directory(
            path, expected_class=cls._model_class, supported_versions={FORMAT_VERSION}, as_torch=True
        )
        where = f"{loaded.path}/config.json"
        try:
            config = loaded.config
            params = dict(config["params"])
            if params.get("vocabulary") is not None:
                params["vocabulary"] = Vocabulary.from_dict(params["vocabulary"], source=where)
            if device is not None:
                params["device"] = device
            model = cls(**params)
            model._check_params()
            vocabulary = Vocabulary.from_dict(config["vocabulary"], source=where)
            n_iter, history = int(config["n_iter"]), list(config["history"])
            model._restore_learned_state(dict(config["learned"]))
        except (KeyError, TypeError, ValueError) as exc:  # StructNLPError is a ValueError
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"{where}: the topic-model settings are damaged ({exc})") from None
        model._set_vocabulary(vocabulary)
        network = model._network_for_arrays(len(model._words), loaded.arrays)
        try:
            network.load_state_dict(loaded.arrays, strict=True)
        except RuntimeError as exc:
            problem = " ".join(str(exc).split())
            raise ModelFileError(
                f"{loaded.path}: the weights do not fit the saved settings ({problem})"
            ) from None
        model.module_ = network.eval()
        model.n_iter_ = n_iter
        model.history_ = history
        return model


def _model_classes() -> dict[str, type[NADETopicModel]]:
    from topics.ctx import CtxDocNADE
    from topics.docnade import DocNADE

    return {cls._model_class: cls for cls in (DocNADE, CtxDocNADE)}


def load_model(path: str | os.PathLike, *, device: str | None = None) -> NADETopicModel:
    """Load any topic model saved by ``save()`` (DocNADE, iDocNADE, ctx-DocNADE, ctx-DocNADEe).

    ``device`` (``"cpu"``, ``"cuda"``, ...) overrides the device saved with the model.
    """
    model_class = read_model_class(path)
    classes = _model_classes()
    if model_class not in classes:
        raise ModelFileError(
            f"{path}: holds a {model_class!r} model, not a topic model ({', '.join(sorted(classes))})"
        )
    return classes[model_class].load(path, device=device)
