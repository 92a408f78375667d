"""ctx-DocNADE and ctx-DocNADEe: DocNADE with an LSTM language model (textTOvec, Gupta et al., ICLR 2019).

DocNADE sees the words before position ``i`` only as a bag. ctx-DocNADE adds the word order
through an LSTM language model run over the document in its natural order, whose input at each
word is that word's DocNADE column ``W[:, v_k]`` (the two models share ``W``). Its output after
the words ``v_<i`` is added, with weight ``lambda``, to DocNADE's hidden layer::

    h_i = g(c + sum_{k<i} W[:, v_k]) + lambda * LSTM(v_1 .. v_{i-1})    # zeros for i = 1
    p(v_i = w | v_<i) = softmax(b + U h_i)_w

as in the authors' code (pgcool/textTOvec, ``combination_type="sum"``: the LSTM state is added
after the non-linearity; the LSTM has ``n_topics`` units). The document vector is
``g(c + sum_k W[:, v_k]) + lambda * LSTM(v_1 .. v_D)``.

ctx-DocNADEe feeds the LSTM ``W[:, v_k] + E[:, v_k]`` where ``E`` holds fixed word embeddings
(``embeddings=``): vectors read from a word2vec/GloVe text file, or ``"train"`` for vectors
derived from the training corpus (:func:`topics.embeddings.ppmi_svd_embeddings`, ``n_topics``
dimensions), since nothing is downloaded here. Embeddings of another dimension than
``n_topics`` are mapped by a learned linear projection (the ``projection`` option of the
authors' iDocNADEe code). Differences from the authors' setup: their LSTM reads the text with
stop words and maps its states back to the DocNADE words; here both read the same vocabulary
words, and the LSTM uses the standard ``tanh`` cell activation.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from structnlp.errors import StructNLPError
from topics._base import NADETopicModel
from topics.docnade import DocNADENetwork

__all__ = ["CtxDocNADE", "CtxDocNADENetwork"]


class CtxDocNADENetwork(DocNADENetwork):
    """DocNADE plus an LSTM language model sharing ``W`` (and a fixed embedding prior ``E``)."""

    def __init__(
        self,
        n_words: int,
        n_hidden: int,
        activation: str = "sigmoid",
        lambda_ctx: float = 0.1,
        prior_dim: int | None = None,
    ):
        # the prior enters the LSTM's inputs only, not DocNADE's sum (lambda_prior 0)
        super().__init__(n_words, n_hidden, activation, bidirectional=False, prior_dim=prior_dim)
        self.lambda_ctx = float(lambda_ctx)
        self.lstm = nn.LSTM(n_hidden, n_hidden, batch_first=True)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """DocNADE's initialisation, PyTorch's default LSTM one, all drawn from ``generator``."""
        super().reset_parameters(generator)
        bound = 1.0 / math.sqrt(self.n_hidden)
        with torch.no_grad():
            for weight in self.lstm.parameters():
                weight.uniform_(-bound, bound, generator=generator)

    def lstm_outputs(self, ids: torch.Tensor, mask: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
        """The LSTM's output after each word: ``(batch, length, n_hidden)``."""
        inputs = embedded
        if self.prior_dim is not None:
            inputs = inputs + self.prior_rows(ids, mask)
        if ids.shape[1] == 0:
            return inputs.new_zeros(ids.shape[0], 0, self.n_hidden)
        return self.lstm(inputs)[0]

    def hidden_states(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        embedded = self.embed(ids, mask)
        outputs = self.lstm_outputs(ids, mask, embedded)
        context = F.pad(outputs, (0, 0, 1, 0))[:, :-1]  # the LSTM state after v_<i
        return self.prefix_hidden(embedded, self.c) + self.lambda_ctx * context

    def document_vectors(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = self.mask(ids, lengths)
        embedded = self.embed(ids, mask)
        vectors = self.g(self.c + embedded.sum(dim=1))
        if ids.shape[1] == 0:
            return vectors
        outputs = self.lstm_outputs(ids, mask, embedded)
        rows = torch.arange(ids.shape[0], device=ids.device)
        last = outputs[rows, (lengths - 1).clamp(min=0)] * (lengths > 0).unsqueeze(1)
        return vectors + self.lambda_ctx * last


class CtxDocNADE(NADETopicModel):
    """ctx-DocNADE (``embeddings=None``) and ctx-DocNADEe (``embeddings="train"`` or a file).

    Parameters are those of :class:`~topics.DocNADE` (without ``bidirectional``) plus:

    lambda_ctx : the weight ``lambda`` of the LSTM language model's state in the hidden layer
        (the paper tries 1.0 ... 0.001; the authors' scripts use 0.1). It is not called
        ``lambda_`` because scikit-learn reserves trailing underscores for learned attributes.
    embeddings : ``None`` (ctx-DocNADE), ``"train"`` (ctx-DocNADEe with PPMI-SVD vectors of the
        training corpus) or the path of a word2vec/GloVe text file (ctx-DocNADEe; vocabulary
        words missing from the file get zero vectors, see ``embedding_coverage_``).

    Attributes are those of :class:`~topics.DocNADE` plus ``embedding_coverage_``: the share of
    vocabulary words with a vector (``None`` without embeddings).

    >>> docs = ["apple banana fruit", "banana fruit salad", "car road wheel", "road car engine"] * 5
    >>> model = CtxDocNADE(n_topics=4, embeddings="train", max_epochs=3, random_state=0, device="cpu")
    >>> model.fit(docs).transform(["apple fruit", "car"]).shape
    (2, 4)
    >>> model.embedding_coverage_
    1.0
    """

    _model_class = "topics.CtxDocNADE"

    def __init__(
        self,
        n_topics: int = 50,
        *,
        lambda_ctx: float = 0.1,
        embeddings: str | os.PathLike | None = None,
        activation: str = "sigmoid",
        optimizer: str = "adam",
        lr: float = 0.01,
        max_epochs: int = 50,
        batch_tokens: int = 2048,
        patience: int | None = None,
        min_count: int = 1,
        max_size: int | None = None,
        vocabulary: Any = None,
        tokenizer: Any = "regex",
        lowercase: bool = True,
        stop_words: Any = None,
        random_state: Any = None,
        device: str = "auto",
        progress: bool = False,
        coherence_weight: float = 0.0,
        coherence_vectors: str | os.PathLike = "train",
    ):
        self.n_topics = n_topics
        self.lambda_ctx = lambda_ctx
        self.embeddings = embeddings
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_tokens = batch_tokens
        self.patience = patience
        self.min_count = min_count
        self.max_size = max_size
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.random_state = random_state
        self.device = device
        self.progress = progress
        self.coherence_weight = coherence_weight
        self.coherence_vectors = coherence_vectors

    def _check_model_params(self) -> None:
        value = self.lambda_ctx
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise StructNLPError(f"CtxDocNADE: lambda_ctx must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise StructNLPError(f"CtxDocNADE: lambda_ctx must be a finite number >= 0, got {value!r}")

    def _fitted_architecture(self) -> dict[str, Any]:
        return {**super()._fitted_architecture(), "lambda_ctx": self.module_.lambda_ctx}

    def _build_network(self, n_words: int, docs: list, generator: torch.Generator) -> CtxDocNADENetwork:
        prior = self._embedding_prior(docs, generator)
        network = CtxDocNADENetwork(
            n_words,
            self.n_topics,
            self.activation,
            self.lambda_ctx,
            None if prior is None else prior.shape[1],
        )
        network.reset_parameters(generator)
        if prior is not None:
            network.prior.copy_(torch.from_numpy(prior))
        return network

    def _network_for_arrays(self, n_words: int, arrays: dict[str, torch.Tensor]) -> CtxDocNADENetwork:
        prior_dim = self._prior_dim(arrays)
        return CtxDocNADENetwork(n_words, self.n_topics, self.activation, self.lambda_ctx, prior_dim)
