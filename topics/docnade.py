"""DocNADE and iDocNADE: neural autoregressive topic models (Larochelle & Lauly 2012; Gupta et al. 2019).

DocNADE reads a document's words ``v_1 .. v_D`` in order and predicts each from the ones
before it::

    h_i = g(c + sum_{k<i} W[:, v_k])          # hidden layer: the "topic" activations
    p(v_i = w | v_<i) = softmax(b + U h_i)_w   # full softmax over the vocabulary

The pre-activations ``c + sum_{k<i} W[:, v_k]`` of all positions come from one cumulative
sum over the document, so a document costs ``O(H D)`` for the hidden layers (``H`` topics)
plus the softmax; batches of documents are padded and masked. The document vector is the
hidden layer after the whole document, ``g(c + sum_k W[:, v_k])``, and topic ``j`` is the list
of words with the largest weights in row ``j`` of ``W`` (``H x V``).

iDocNADE (``bidirectional=True``, Gupta et al., AAAI 2019) adds the same model read right
to left, sharing ``W`` and ``U`` with separate biases; its log-likelihood is the mean of the
two directions' and its document vector the sum of the two directions' final hidden layers
(the authors' ``combination_type="sum"``). Initialisation follows the authors' code
(pgcool/iDocNADEe): ``W ~ Uniform(0, 1 / (V H))``, ``U ~ Normal(0, 2 / H)``, zero biases.

DocNADEe and iDocNADEe (``embeddings=``, Gupta et al., AAAI 2019) add fixed word embeddings
``E`` to every word's column: ``h_i = g(c + sum_{k<i} (W[:, v_k] + lambda E[:, v_k]))``, a prior
that carries what the embeddings know about words the corpus sees rarely. ``E`` holds vectors
read from a word2vec/GloVe text file or derived from the training documents (``"train"``);
vectors of another width than ``n_topics`` are mapped by a learned projection (the authors'
``projection`` option). Topics are still read from ``W``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from structnlp.params import check_bool, check_choice
from topics._base import NADETopicModel, _check_weight

__all__ = ["WORD_ORDERS", "DocNADE", "DocNADENetwork"]

#: How ``fit`` orders each document's words: as written, or a new random order every epoch.
WORD_ORDERS = ("document", "shuffle")


class DocNADENetwork(nn.Module):
    """The DocNADE (or, with ``bidirectional``, iDocNADE) network on padded batches of word ids.

    ``W`` and ``U`` are stored as ``(n_words, n_hidden)`` tensors: row ``v`` of ``W`` is the
    paper's column ``W[:, v]``. ``forward(ids, lengths)`` returns each document's negative
    log-likelihood; positions at or after ``lengths`` are padding.
    """

    def __init__(
        self,
        n_words: int,
        n_hidden: int,
        activation: str = "sigmoid",
        bidirectional: bool = False,
        prior_dim: int | None = None,
        lambda_prior: float = 0.0,
    ):
        super().__init__()
        self.n_words = n_words
        self.n_hidden = n_hidden
        self.activation = activation
        self.bidirectional = bidirectional
        self.W = nn.Parameter(torch.empty(n_words, n_hidden))
        self.c = nn.Parameter(torch.zeros(n_hidden))
        self.U = nn.Parameter(torch.empty(n_words, n_hidden))
        self.b = nn.Parameter(torch.zeros(n_words))
        if bidirectional:
            self.c_bw = nn.Parameter(torch.zeros(n_hidden))
            self.b_bw = nn.Parameter(torch.zeros(n_words))
        # the fixed embedding prior E (DocNADEe; ctx-DocNADEe feeds it to its LSTM instead)
        self.prior_dim = prior_dim
        self.lambda_prior = float(lambda_prior)
        if prior_dim is not None:
            self.register_buffer("prior", torch.zeros(n_words, prior_dim))
            if prior_dim != n_hidden:
                self.prior_projection = nn.Parameter(torch.empty(prior_dim, n_hidden))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Initialise as the authors' code does, drawing only from ``generator``."""
        with torch.no_grad():
            self.W.copy_(torch.rand(self.W.shape, generator=generator) / self.W.numel())
            self.U.copy_(torch.randn(self.U.shape, generator=generator) * math.sqrt(2.0 / self.n_hidden))
            for bias in (self.c, self.b, getattr(self, "c_bw", None), getattr(self, "b_bw", None)):
                if bias is not None:
                    bias.zero_()
            self.reset_prior_projection(generator)

    def reset_prior_projection(self, generator: torch.Generator) -> None:
        """``Uniform(0, 1 / size)``, as the authors' ``embedding_prior_projection`` (if there is one)."""
        if hasattr(self, "prior_projection"):
            projection = self.prior_projection
            with torch.no_grad():
                projection.copy_(torch.rand(projection.shape, generator=generator) / projection.numel())

    def g(self, x: torch.Tensor) -> torch.Tensor:
        """The hidden-layer non-linearity."""
        if self.activation == "sigmoid":
            return torch.sigmoid(x)
        if self.activation == "tanh":
            return torch.tanh(x)
        return torch.relu(x)

    @staticmethod
    def mask(ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(batch, length)`` float mask, 1 on the words and 0 on the padding."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        return (positions.unsqueeze(0) < lengths.unsqueeze(1)).to(torch.get_default_dtype())

    @staticmethod
    def reverse(ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Each document's words in reverse order (the padding stays at the end)."""
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        source = lengths.unsqueeze(1) - 1 - positions
        source = torch.where(source >= 0, source, positions.expand_as(source))
        return ids.gather(1, source)

    def prior_rows(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``E[:, v_i]`` (projected to ``n_hidden`` units) for every position, zero on the padding."""
        prior = self.prior[ids]
        if hasattr(self, "prior_projection"):
            prior = prior @ self.prior_projection
        return prior * mask.unsqueeze(-1)

    def embed(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``W[:, v_i]`` (plus ``lambda E[:, v_i]`` for DocNADEe) at every position, zero on the padding.

        Shape ``(batch, length, n_hidden)``.
        """
        embedded = self.W[ids] * mask.unsqueeze(-1)
        if self.prior_dim is not None and self.lambda_prior:
            embedded = embedded + self.lambda_prior * self.prior_rows(ids, mask)
        return embedded

    def prefix_hidden(self, embedded: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``h_i = g(c + sum_{k<i} W[:, v_k])`` at every position, from one cumulative sum."""
        before = F.pad(embedded.cumsum(dim=1), (0, 0, 1, 0))[:, :-1]
        return self.g(c + before)

    def hidden_states(self, ids: torch.Tensor, lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The hidden layer that predicts each word, left to right: ``(batch, length, n_hidden)``."""
        return self.prefix_hidden(self.embed(ids, mask), self.c)

    def word_nll(
        self, hidden: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor, b: torch.Tensor
    ) -> torch.Tensor:
        """``-log softmax(b + U h_i)[v_i]`` summed over each document's words: ``(batch,)``."""
        logits = hidden @ self.U.T + b
        nll = F.cross_entropy(logits.reshape(-1, self.n_words), ids.reshape(-1), reduction="none")
        return (nll.view(ids.shape) * mask).sum(dim=1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each document (mean of both directions for iDocNADE)."""
        mask = self.mask(ids, lengths)
        nll = self.word_nll(self.hidden_states(ids, lengths, mask), ids, mask, self.b)
        if self.bidirectional:
            backward = self.reverse(ids, lengths)
            hidden = self.prefix_hidden(self.embed(backward, mask), self.c_bw)
            nll = 0.5 * (nll + self.word_nll(hidden, backward, mask, self.b_bw))
        return nll

    def document_vectors(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``g(c + sum_k W[:, v_k])`` over all words (plus the backward one for iDocNADE)."""
        total = self.embed(ids, self.mask(ids, lengths)).sum(dim=1)
        vectors = self.g(self.c + total)
        if self.bidirectional:
            vectors = vectors + self.g(self.c_bw + total)
        return vectors


class DocNADE(NADETopicModel):
    """DocNADE topic model (iDocNADE with ``bidirectional=True``), scikit-learn style.

    Parameters
    ----------
    n_topics : number of hidden units ``H`` (the papers use 200).
    activation : ``"sigmoid"`` (default), ``"tanh"`` or ``"relu"``: the non-linearity ``g``.
    bidirectional : iDocNADE: also model the documents right to left.
    optimizer, lr : ``"adam"`` (default, as the authors) or ``"sgd"`` (with momentum 0.9), and
        its learning rate. Adam reaches lower perplexity; SGD gives more coherent topics, since
        its updates of a word's column of ``W`` grow with the word's frequency, while Adam's
        per-weight step sizes let rare words dominate the columns (use ``lr`` 1-10 with SGD).
    max_epochs, batch_tokens : number of passes over the documents, and the token budget of a
        batch (``batch_size * longest_document <= batch_tokens``).
    patience : stop after this many epochs without a better validation perplexity (needs
        ``validation_docs`` in :meth:`fit`); ``None`` trains ``max_epochs`` epochs.
    min_count, max_size : vocabulary built by ``fit``: words seen at least ``min_count`` times,
        the ``max_size`` most frequent (ties by spelling).
    vocabulary : a :class:`structnlp.vocab.Vocabulary` to use instead (its special tokens are
        not modelled).
    tokenizer, lowercase : how ``str`` documents are split: ``"regex"`` (default), ``"spacy"``,
        ``"nltk"`` or a callable, after lower-casing (``lowercase=True``). Documents given as
        token lists are used as they are.
    stop_words : ``None``, ``"english"`` (scikit-learn's list) or a collection of words to drop.
    random_state : seed of the initial weights and batch order (an int gives identical results
        on the same hardware); device : ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``;
        progress : show a progress bar while training.
    coherence_weight : weight of a coherence prior added to the training loss (``0``, the
        default, trains the paper's model). It rewards each topic's leading words for being
        similar words (Ding et al. 2018, see :mod:`topics.coherence_prior`); ``1.0`` raised the
        NPMI of 20NSshort's topics from -0.54 to -0.16 with no loss of perplexity, TREC6's and
        TMN's by less than 0.1, and lowers C_v and topic diversity (docs/topics.md).
    coherence_vectors : the word vectors that say which words are similar: ``"train"``
        (PPMI-SVD vectors of the training documents) or the path of a word2vec/GloVe text file.
    word_order : the order in which ``fit`` reads each document's words: ``"document"`` (as
        written, the default) or ``"shuffle"``: a new random order of every document at every
        epoch, so that the model learns to predict any word from any subset of the others, as
        a bag-of-words model should (order-agnostic training, Uria et al. 2016). It raised
        TREC6's IR precision from 0.48 to 0.52 (0.54 with the coherence prior), and costs
        perplexity on text in its natural order (docs/topics.md). The validation perplexity of
        early stopping is then measured with the validation documents' words in one fixed
        random order; the scoring methods (``perplexity``, ``score_samples``) read the words in
        the order given.
    embeddings : ``None`` (DocNADE), ``"train"`` (DocNADEe with PPMI-SVD vectors of the
        training documents) or the path of a word2vec/GloVe text file (vocabulary words missing
        from it get zero vectors, see ``embedding_coverage_``); lambda_embeddings : the weight
        ``lambda`` of those vectors in the hidden layer (the authors' scripts use 1.0).

    Attributes: ``vocabulary_``, ``module_`` (the :class:`DocNADENetwork`), ``components_``
    (``W``, ``n_topics x n_words``), ``n_iter_`` (epochs run), ``history_`` (per-epoch loss and
    validation perplexity), ``embedding_coverage_`` (the share of vocabulary words with a vector,
    ``None`` without ``embeddings``).

    >>> docs = ["apple banana fruit", "banana fruit salad", "car road wheel", "road car engine"] * 5
    >>> model = DocNADE(n_topics=4, lr=0.05, max_epochs=10, batch_tokens=64, random_state=0, device="cpu")
    >>> model = model.fit(docs)
    >>> model.transform(["apple fruit", "car"]).shape
    (2, 4)
    >>> [len(words) for words in model.topics(top_n=3)]
    [3, 3, 3, 3]
    >>> round(model.perplexity(docs), 1)   # a uniform model has 8, the vocabulary size
    6.7
    """

    _model_class = "topics.DocNADE"

    def __init__(
        self,
        n_topics: int = 50,
        *,
        activation: str = "sigmoid",
        bidirectional: bool = False,
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
        word_order: str = "document",
        embeddings: str | os.PathLike | None = None,
        lambda_embeddings: float = 1.0,
    ):
        self.n_topics = n_topics
        self.activation = activation
        self.bidirectional = bidirectional
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
        self.word_order = word_order
        self.embeddings = embeddings
        self.lambda_embeddings = lambda_embeddings

    def _check_model_params(self) -> None:
        check_bool("DocNADE: bidirectional", self.bidirectional)
        check_choice("DocNADE: word_order", self.word_order, WORD_ORDERS)
        _check_weight("DocNADE: lambda_embeddings", self.lambda_embeddings)

    def _shuffles_words(self) -> bool:
        return self.word_order == "shuffle"

    def _fitted_architecture(self) -> dict[str, Any]:
        module = self.module_
        return {
            **super()._fitted_architecture(),
            "bidirectional": module.bidirectional,
            "lambda_embeddings": module.lambda_prior,
        }

    def _build_network(self, n_words: int, docs: list, generator: torch.Generator) -> DocNADENetwork:
        prior = self._embedding_prior(docs, generator)
        network = self._new_network(n_words, None if prior is None else prior.shape[1])
        network.reset_parameters(generator)
        if prior is not None:
            network.prior.copy_(torch.from_numpy(prior))
        return network

    def _network_for_arrays(self, n_words: int, arrays: dict[str, torch.Tensor]) -> DocNADENetwork:
        return self._new_network(n_words, self._prior_dim(arrays))

    def _new_network(self, n_words: int, prior_dim: int | None) -> DocNADENetwork:
        return DocNADENetwork(
            n_words,
            self.n_topics,
            self.activation,
            bool(self.bidirectional),
            prior_dim,
            float(self.lambda_embeddings),
        )
