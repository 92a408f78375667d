"""The summarization network: hierarchical NSE encoder, sentence scorer, copy decoder, beam search.

Data layout. A document is a sequence of sentences of tokens; each token has three factors
(word, lemma, universal POS), embedded separately and **concatenated** into one vector of
``word_dim + lemma_dim + pos_dim`` (the combination of factored NMT, Sennrich & Haddow 2016:
no factor is squeezed into another's space, and the lemma embedding still carries meaning for
an inflected form that is rare or out of the word vocabulary). The NSE memories are
initialised with these vectors. A batch keeps every document's tokens in one flat row (no
padding between sentences), so the encoder takes as many steps as the longest document has
tokens.

Encoder (the RHS model of Ambati et al.). The document memory has one slot per sentence,
initialised with the mean of the sentence's token vectors. Reading the tokens in order, the
hierarchical NSE cell attends to the current sentence's word memory (initialised with the
sentence's token vectors when the sentence starts) and to the document memory, and writes into
both; the read and write LSTM states run on across sentences. After the last token, each
sentence's word memory as it was when the sentence ended forms the word-level memory of the
whole document.

Extractive head. Each sentence is scored from its slot of the final document memory, its
initial slot, the final write state (a document vector), the initial slot's elementwise product
with the mean of all initial slots (how central the sentence's words are to the document, the
signal TextRank uses), learned embeddings of its position and its length (in buckets of 4
tokens) and one fixed feature ``c_s``, the cosine similarity of the sentence's content-lemma
counts with those of the rest of the document (:func:`summarize.data.lexical_centrality`):
``sigmoid(w · tanh(W [M_d[s]; M_d⁰[s]; h; M_d⁰[s] ⊙ mean M_d⁰; p_s; l_s; c_s]))``. These
scores are the highlights. (Without ``c_s`` the head learned lexical centrality only slowly: on
BBC News Summary a logistic regression on position and length puts 65% of its top-3 sentences in
the reference, 89% with ``c_s``.)

Decoder. The same NSE cell (as in the authors' code) goes on reading the summary written so
far, attending to and writing into the word-level and document memories. The output
distribution mixes generation and copying (See et al. 2017):
``P(w) = p_gen · softmax(E · W_o[h; m_w])_w + (1 − p_gen) · Σ_{i: x_i = w} z_w,i`` over an
extended vocabulary that gives each out-of-vocabulary source word its own id, so such words
can be copied. The output projection is tied to the word embedding ``E``. The word attention
is reweighted by the extractive probability of each token's sentence and renormalised
(``z_w,i ∝ z_w,i · P(s(i))``, Hsu et al. 2018), so the decoder draws on the highlights and the
extractive head also learns from the decoder's loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from summarize.nse import HierNSECell, Memory, NSEState

__all__ = ["Batch", "Encoded", "Example", "HierNSENet", "beam_search", "collate", "greedy_decode"]

PAD, UNK, BOS, EOS = 0, 1, 2, 3
#: sentence lengths are embedded in buckets of 4 tokens, the last one open-ended (60 tokens and more)
LENGTH_BUCKETS = 16
_NEG = float("-inf")


# --------------------------------------------------------------------------- examples and batches


@dataclass
class Example:
    """One document as ids: flat token factors, sentence lengths, copy ids, optional labels and target."""

    words: np.ndarray
    lemmas: np.ndarray
    pos: np.ndarray
    ext: np.ndarray
    sentence_lengths: list[int]
    oov: list[str]
    oov_lemmas: np.ndarray
    oov_pos: np.ndarray
    labels: np.ndarray | None = None
    target: np.ndarray | None = None
    centrality: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.words.size) + (0 if self.target is None else int(self.target.size))


@dataclass
class Batch:
    """Padded tensors of several :class:`Example` (see :func:`collate`)."""

    words: torch.Tensor
    lemmas: torch.Tensor
    pos: torch.Tensor
    ext: torch.Tensor
    token_mask: torch.Tensor
    sent_of: torch.Tensor
    pos_in: torch.Tensor
    first: torch.Tensor
    last_step: torch.Tensor
    block_index: torch.Tensor
    block_mask: torch.Tensor
    sent_mask: torch.Tensor
    oov_lemmas: torch.Tensor
    oov_pos: torch.Tensor
    n_oov: torch.Tensor
    labels: torch.Tensor | None = None
    centrality: torch.Tensor | None = None
    dec_in: torch.Tensor | None = None
    target: torch.Tensor | None = None
    target_mask: torch.Tensor | None = None


def collate(examples: list[Example]) -> Batch:
    """Pad examples into a :class:`Batch` (flat token rows, sentence blocks, decoder input/target).

    >>> ex = Example(np.array([5, 6, 7]), np.array([2, 3, 4]), np.array([2, 2, 3]), np.array([5, 6, 7]),
    ...              [2, 1], [], np.zeros(0, int), np.zeros(0, int), np.array([1.0, 0.0]), np.array([6, EOS]))
    >>> b = collate([ex])
    >>> b.sent_of.tolist(), b.first.tolist(), b.last_step.tolist(), b.block_index.tolist()
    ([[0, 0, 1]], [[True, False, True]], [[1, 1, 2]], [[[0, 1], [2, 0]]])
    >>> b.dec_in.tolist(), b.target.tolist()
    ([[2, 6]], [[6, 3]])
    """
    n = len(examples)
    length = max(int(e.words.size) for e in examples)
    n_sent = max(len(e.sentence_lengths) for e in examples)
    width = max(max(e.sentence_lengths) for e in examples)
    n_oov = max(1, max(len(e.oov) for e in examples))
    shape = (n, length)
    arrays = {
        k: np.zeros(shape, np.int64)
        for k in ("words", "lemmas", "pos", "ext", "sent_of", "pos_in", "last_step")
    }
    token_mask = np.zeros(shape, bool)
    first = np.zeros(shape, bool)
    block_index = np.zeros((n, n_sent, width), np.int64)
    block_mask = np.zeros((n, n_sent, width), bool)
    sent_mask = np.zeros((n, n_sent), bool)
    oov_lemmas = np.zeros((n, n_oov), np.int64)
    oov_pos = np.zeros((n, n_oov), np.int64)
    labels = np.zeros((n, n_sent), np.float32)
    centrality = np.zeros((n, n_sent), np.float32)
    for b, e in enumerate(examples):
        size = int(e.words.size)
        for key in ("words", "lemmas", "pos", "ext"):
            arrays[key][b, :size] = getattr(e, key)
        token_mask[b, :size] = True
        start = 0
        for s, count in enumerate(e.sentence_lengths):
            arrays["sent_of"][b, start : start + count] = s
            arrays["pos_in"][b, start : start + count] = np.arange(count)
            arrays["last_step"][b, start : start + count] = start + count - 1
            first[b, start] = True
            block_index[b, s, :count] = np.arange(start, start + count)
            block_mask[b, s, :count] = True
            sent_mask[b, s] = True
            start += count
        oov_lemmas[b, : len(e.oov)] = e.oov_lemmas
        oov_pos[b, : len(e.oov)] = e.oov_pos
        if e.labels is not None:
            labels[b, : len(e.labels)] = e.labels
        if e.centrality is not None:
            centrality[b, : len(e.centrality)] = e.centrality
    t = torch.from_numpy
    batch = Batch(
        **{k: t(v) for k, v in arrays.items()},
        token_mask=t(token_mask),
        first=t(first),
        block_index=t(block_index),
        block_mask=t(block_mask),
        sent_mask=t(sent_mask),
        oov_lemmas=t(oov_lemmas),
        oov_pos=t(oov_pos),
        n_oov=torch.tensor([len(e.oov) for e in examples]),
        labels=t(labels),
        centrality=t(centrality),
    )
    if all(e.target is not None for e in examples):
        steps = max(int(e.target.size) for e in examples)
        dec_in = np.zeros((n, steps), np.int64)
        target = np.zeros((n, steps), np.int64)
        for b, e in enumerate(examples):
            size = int(e.target.size)
            target[b, :size] = e.target
            dec_in[b, 0] = BOS
            dec_in[b, 1:size] = e.target[: size - 1]
        batch.dec_in, batch.target = t(dec_in), t(target)
        batch.target_mask = batch.target != PAD
    return batch


# --------------------------------------------------------------------------- the network


@dataclass
class Encoded:
    """The encoder's output for a batch: memories, LSTM states and sentence scores."""

    words: Memory
    doc: Memory
    state: NSEState
    ext: torch.Tensor
    sent_of: torch.Tensor
    oov_lemmas: torch.Tensor
    oov_pos: torch.Tensor
    n_oov: torch.Tensor
    sentence_logits: torch.Tensor
    token_prior: torch.Tensor

    def select(self, index: torch.Tensor) -> Encoded:
        """Rows ``index`` of the batch (e.g. one document repeated for a beam)."""
        return Encoded(
            self.words.select(index),
            self.doc.select(index),
            self.state.select(index),
            self.ext[index],
            self.sent_of[index],
            self.oov_lemmas[index],
            self.oov_pos[index],
            self.n_oov[index],
            self.sentence_logits[index],
            self.token_prior[index],
        )

    def focused(self, power: float) -> Encoded:
        """This encoding with each token's prior raised to ``power``: ``p(its sentence) ** power``.

        The prior reweights the decoder's word attention (:class:`summarize.nse.HierNSECell`); a
        power above 1 keeps reading and copying to the most highlighted sentences. It is computed
        in log space relative to each document's top sentence, so a large power cannot underflow
        every weight to zero (the cell renormalises, so the scale does not matter).
        """
        if power == 1.0:
            return self
        log_p = nn.functional.logsigmoid(self.sentence_logits.float())
        prior = torch.exp(power * (log_p - log_p.max(-1, keepdim=True).values)).gather(1, self.sent_of)
        return replace(self, token_prior=prior.to(self.token_prior.dtype))


@dataclass
class DecoderState:
    """What the decoder carries from step to step: LSTM states, memories, last word attention (B, L)."""

    state: NSEState
    words: Memory
    doc: Memory
    z_word: torch.Tensor

    def select(self, index: torch.Tensor) -> DecoderState:
        return DecoderState(
            self.state.select(index), self.words.select(index), self.doc.select(index), self.z_word[index]
        )


class HierNSENet(nn.Module):
    """Hierarchical NSE encoder with an extractive head and a pointer-generator decoder (module doc).

    ``word_lemma`` / ``word_pos`` give, for each output word id, the lemma and POS ids fed to the
    decoder with it (the word's most frequent analysis in the training data), since generated
    words come without an analysis.
    """

    def __init__(
        self,
        n_words: int,
        n_lemmas: int,
        n_pos: int,
        word_dim: int = 128,
        lemma_dim: int = 64,
        pos_dim: int = 16,
        max_sentences: int = 50,
        dropout: float = 0.2,
        sentence_end_ids: list[int] | None = None,
        follow_copy: bool = False,
    ):
        super().__init__()
        self.n_words = n_words
        #: the learned weight of :meth:`next_token_bias` (None: no pull towards the next token)
        self.follow = nn.Parameter(torch.tensor(2.0)) if follow_copy else None
        self.dim = dim = word_dim + lemma_dim + pos_dim
        self.word_embedding = nn.Embedding(n_words, word_dim, padding_idx=PAD)
        self.lemma_embedding = nn.Embedding(n_lemmas, lemma_dim, padding_idx=PAD)
        self.pos_embedding = nn.Embedding(n_pos, pos_dim, padding_idx=PAD)
        # unit-variance embeddings (torch's default): with small ones the additive attention starts
        # uniform and the NSE memories barely differ, and training crawls
        with torch.no_grad():
            for emb in (self.word_embedding, self.lemma_embedding, self.pos_embedding):
                emb.weight[PAD].zero_()
        self.cell = HierNSECell(dim)
        self.position_embedding = nn.Embedding(max_sentences, 16)
        self.length_embedding = nn.Embedding(LENGTH_BUCKETS, 16)
        self.score_hidden = nn.Linear(4 * dim + 33, dim)
        self.score_out = nn.Linear(dim, 1)
        self.out_projection = nn.Linear(2 * dim, word_dim)
        self.out_bias = nn.Parameter(torch.zeros(n_words))
        self.gen_gate = nn.Linear(4 * dim, 1)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("word_lemma", torch.zeros(n_words, dtype=torch.long))
        self.register_buffer("word_pos", torch.zeros(n_words, dtype=torch.long))
        self.sentence_end_ids = frozenset(sentence_end_ids or ())

    # ------------------------------------------------------------------ embeddings
    def embed(self, words: torch.Tensor, lemmas: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """The factored token vectors ``[E_word w; E_lemma l; E_pos p]``."""
        return torch.cat(
            [self.word_embedding(words), self.lemma_embedding(lemmas), self.pos_embedding(pos)], -1
        )

    def embed_output(self, ids: torch.Tensor, enc: Encoded) -> torch.Tensor:
        """Vectors of decoder inputs given as extended-vocabulary ids (B,).

        A copied out-of-vocabulary word enters as ``<unk>`` with the lemma and POS of its first
        occurrence in the source.
        """
        oov = ids >= self.n_words
        slot = (ids - self.n_words).clamp_min(0).unsqueeze(-1)
        words = torch.where(oov, torch.full_like(ids, UNK), ids)
        lemmas = torch.where(oov, enc.oov_lemmas.gather(1, slot).squeeze(-1), self.word_lemma[words])
        pos = torch.where(oov, enc.oov_pos.gather(1, slot).squeeze(-1), self.word_pos[words])
        return self.embed(words, lemmas, pos)

    # ------------------------------------------------------------------ encoder
    def encode(self, batch: Batch) -> Encoded:
        """Run the hierarchical NSE over every document's tokens (module doc)."""
        x = self.dropout(self.embed(batch.words, batch.lemmas, batch.pos))  # B, L, D
        n, length, _ = x.shape
        rows = torch.arange(n, device=x.device)
        keys = self.cell.word_attention.key(x)
        flat_index = batch.block_index.flatten(1)  # B, S*T
        gather = flat_index.unsqueeze(-1).expand(-1, -1, self.dim)
        block_shape = (*batch.block_index.shape, self.dim)
        blocks = x.gather(1, gather).view(block_shape)  # B, S, T, D
        block_keys = keys.gather(1, gather).view(block_shape)
        block_mask = batch.block_mask
        counts = block_mask.sum(-1, keepdim=True).clamp_min(1)
        initial_doc = (blocks * block_mask.unsqueeze(-1)).sum(2) / counts  # B, S, D
        doc = self.cell.memory(initial_doc, batch.sent_mask, document=True)
        state = NSEState.zeros(n, self.dim, x)
        width = blocks.shape[2]
        values = x.new_zeros(n, width, self.dim)
        features = x.new_zeros(n, width, self.dim)
        mask = torch.zeros(n, width, dtype=torch.bool, device=x.device)
        history = []
        full = batch.token_mask.all(0).tolist()  # steps where every document still has a token
        for t in range(length):
            sentence = batch.sent_of[:, t]
            new = batch.first[:, t]
            values = torch.where(new[:, None, None], blocks[rows, sentence], values)
            features = torch.where(new[:, None, None], block_keys[rows, sentence], features)
            mask = torch.where(new[:, None], block_mask[rows, sentence], mask)
            words = Memory(values, features, mask)
            active = None if full[t] else batch.token_mask[:, t]
            _, state, words, doc = self.cell(x[:, t], state, words, doc, active=active)
            values, features = words.values, words.features
            history.append(values)
        stacked = torch.stack(history)  # L, B, T, D
        word_values = stacked[batch.last_step, rows.unsqueeze(1), batch.pos_in]  # B, L, D
        word_memory = self.cell.memory(word_values, batch.token_mask)
        positions = torch.arange(doc.values.shape[1], device=x.device).clamp_max(
            self.position_embedding.num_embeddings - 1
        )
        n_slots = doc.values.shape[1]
        summary = state.write_h.unsqueeze(1).expand(-1, n_slots, -1)
        sent_mask = batch.sent_mask.unsqueeze(-1)
        centre = (initial_doc * sent_mask).sum(1, keepdim=True) / sent_mask.sum(1, keepdim=True).clamp_min(1)
        features_s = torch.cat(
            [
                doc.values,
                initial_doc,
                summary,
                initial_doc * centre,
                self.position_embedding(positions).expand(n, -1, -1),
                self.length_embedding((counts.squeeze(-1) // 4).clamp_max(LENGTH_BUCKETS - 1)),
                batch.centrality.unsqueeze(-1),
            ],
            -1,
        )
        logits = self.score_out(torch.tanh(self.score_hidden(self.dropout(features_s)))).squeeze(-1)
        logits = logits.masked_fill(~batch.sent_mask, _NEG)
        return Encoded(
            word_memory,
            doc,
            state,
            batch.ext,
            batch.sent_of,
            batch.oov_lemmas,
            batch.oov_pos,
            batch.n_oov,
            logits,
            torch.sigmoid(logits).gather(1, batch.sent_of),
        )

    # ------------------------------------------------------------------ decoder
    def start(self, enc: Encoded) -> DecoderState:
        """The decoder's initial state: the encoder's final memories and LSTM states."""
        return DecoderState(enc.state, enc.words, enc.doc, torch.zeros_like(enc.token_prior))

    def next_token_bias(self, z_word: torch.Tensor, scale: float = 1.0) -> torch.Tensor | None:
        """Scores pulling the word attention one source token past the last step's (``follow``).

        ``scale · follow · z_prev[i − 1]`` at each source position ``i``: with a sharp previous
        attention the token after the last copied one gets a bonus of ``follow``, so copying a run
        of source text is a learned default rather than something the content attention must
        rediscover at every step (location-aware attention, Chorowski et al. 2015, restricted to a
        shift of one). ``scale`` is 1 in training; decoding may strengthen the pull (longer copied
        runs, fewer badly spliced ones).
        """
        if self.follow is None:
            return None
        return scale * self.follow * nn.functional.pad(z_word[:, :-1], (1, 0))

    def step(
        self, ids: torch.Tensor, dec: DecoderState, enc: Encoded, follow_scale: float = 1.0
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor, torch.Tensor]:
        """One decoder step from input ids (B,): the output distribution over the extended vocabulary.

        Returns ``(probabilities (B, V + max_oov), new state, word attention (B, L), p_gen (B,))``.
        ``follow_scale`` multiplies the pull of :meth:`next_token_bias`.
        """
        x = self.dropout(self.embed_output(ids, enc))
        bias = self.next_token_bias(dec.z_word, follow_scale)
        out, state, words, doc = self.cell(
            x, dec.state, dec.words, dec.doc, word_prior=enc.token_prior, word_bias=bias
        )
        hidden = self.dropout(torch.cat([out.write, out.m_word], -1))
        logits = self.out_projection(hidden) @ self.word_embedding.weight.t() + self.out_bias
        logits[:, PAD] = _NEG
        logits[:, BOS] = _NEG
        p_gen = torch.sigmoid(self.gen_gate(torch.cat([out.m_word, out.m_doc, out.write, out.read], -1)))
        vocab = p_gen * torch.softmax(logits, -1)
        extra = vocab.new_zeros(vocab.shape[0], enc.oov_lemmas.shape[1])
        probs = torch.cat([vocab, extra], -1).scatter_add(1, enc.ext, (1.0 - p_gen) * out.z_word)
        return probs, DecoderState(state, words, doc, out.z_word), out.z_word, p_gen.squeeze(-1)

    def nll(self, batch: Batch, enc: Encoded) -> torch.Tensor:
        """Mean negative log-likelihood per target token under teacher forcing."""
        dec = self.start(enc)
        total = enc.words.values.new_zeros(())
        for t in range(batch.target.shape[1]):
            probs, dec, _, _ = self.step(batch.dec_in[:, t], dec, enc)
            picked = probs.gather(1, batch.target[:, t : t + 1]).squeeze(1)
            total = total - (torch.log(picked.clamp_min(1e-12)) * batch.target_mask[:, t]).sum()
        return total / batch.target_mask.sum().clamp_min(1)

    def extract_loss(self, batch: Batch, enc: Encoded) -> torch.Tensor:
        """Binary cross-entropy of the sentence scores against the highlight labels (mean per sentence)."""
        logits = enc.sentence_logits.masked_fill(~batch.sent_mask, 0.0)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, batch.labels, reduction="none")
        return (loss * batch.sent_mask).sum() / batch.sent_mask.sum().clamp_min(1)

    def forward(
        self,
        batch: Batch,
        objective: str = "ml",
        rl_weight: float = 0.9,
        extract_weight: float = 1.0,
        max_length: int = 100,
    ) -> torch.Tensor:
        """The training loss: ``"ml"`` (maximum likelihood) or ``"rl"`` (self-critical mixed objective).

        Both add ``extract_weight`` times the extractive loss. The self-critical loss (Rennie et
        al. 2017; Paulus et al. 2018) samples a summary, decodes one greedily as the baseline,
        and weights the sample's log-probability by the difference of their ROUGE-L F against
        the target; it is mixed with the likelihood loss as ``rl_weight · RL + (1 − rl_weight) · ML``.
        """
        enc = self.encode(batch)
        loss = extract_weight * self.extract_loss(batch, enc)
        if objective == "ml":
            return loss + self.nll(batch, enc)
        from summarize.scoring import rouge_l

        sampled, logp, steps_mask = _generate(self, enc, max_length, sample=True)
        with torch.no_grad():
            greedy, _, _ = _generate(self, enc, max_length, sample=False)
        rewards = []
        for b in range(batch.target.shape[0]):
            ref = [int(i) for i in batch.target[b][batch.target_mask[b]].tolist() if i != EOS]
            rewards.append(
                rouge_l(_strip(sampled[b]), ref, ignore=UNK)["f"]
                - rouge_l(_strip(greedy[b]), ref, ignore=UNK)["f"]
            )
        advantage = torch.tensor(rewards, device=logp.device, dtype=logp.dtype)
        rl = -(advantage.unsqueeze(1) * logp * steps_mask).sum() / steps_mask.sum().clamp_min(1)
        ml = self.nll(batch, enc) if rl_weight < 1 else 0.0
        return loss + rl_weight * rl + (1 - rl_weight) * ml


def _strip(ids: list[int]) -> list[int]:
    return [i for i in ids if i != EOS]


# --------------------------------------------------------------------------- decoding


@dataclass
class Constraints:
    """Decoding rules shared by greedy decoding and beam search (so that beam 1 equals greedy).

    All but ``follow_scale`` forbid tokens (:func:`_apply_constraints`); ``follow_scale`` is
    passed to :meth:`HierNSENet.step`.
    """

    max_length: int = 100
    min_length: int = 0
    max_sentences: int | None = None
    block_trigrams: bool = False
    min_sentence_length: int = 0
    min_sentences: int = 0
    follow_scale: float = 1.0


def _apply_constraints(
    model: HierNSENet, logp: torch.Tensor, histories: list[list[int]], n_oov: torch.Tensor, rules: Constraints
) -> torch.Tensor:
    """Forbid what may not be generated now: specials, unused copy slots, an early end, repeated trigrams.

    Before ``min_length`` tokens neither ``<eos>`` nor the sentence end that would complete the
    ``max_sentences``-th sentence may be produced; a sentence shorter than ``min_sentence_length``
    tokens may not be ended (by a sentence end or ``<eos>``); ``<eos>`` may not come before
    ``min_sentences`` sentences. A repeated trigram is allowed only when every other
    continuation is forbidden.
    """
    logp = logp.clone()
    logp[:, [PAD, UNK, BOS]] = _NEG
    slots = torch.arange(logp.shape[1] - model.n_words, device=logp.device)
    logp[:, model.n_words :] = logp[:, model.n_words :].masked_fill(
        slots.unsqueeze(0) >= n_oov.unsqueeze(1), _NEG
    )
    short = [row for row, history in enumerate(histories) if len(history) < rules.min_length]
    if short:
        logp[short, EOS] = _NEG
    ends = sorted(model.sentence_end_ids)
    if rules.max_sentences is not None or rules.min_sentences > 0:
        written = [_sentence_count(history, model.sentence_end_ids) for history in histories]
    if rules.max_sentences is not None and ends:
        last = [
            row
            for row, history in enumerate(histories)
            if len(history) + 1 < rules.min_length and written[row] + 1 >= rules.max_sentences
        ]
        if last:
            logp[torch.tensor(last).unsqueeze(1), torch.tensor(ends).unsqueeze(0)] = _NEG
    if rules.min_sentences > 0:
        few = [row for row in range(len(histories)) if written[row] < rules.min_sentences]
        if few:
            logp[few, EOS] = _NEG
    if rules.min_sentence_length > 0 and ends:
        for row, history in enumerate(histories):
            length = _current_sentence_length(history, model.sentence_end_ids)
            if length < rules.min_sentence_length:
                logp[row, ends] = _NEG
                if length > 0:  # <eos> right after a sentence end stays allowed
                    logp[row, EOS] = _NEG
    if rules.block_trigrams:
        for row, history in enumerate(histories):
            if len(history) < 2:
                continue
            last_two = (history[-2], history[-1])
            banned = [
                history[i + 2] for i in range(len(history) - 2) if (history[i], history[i + 1]) == last_two
            ]
            if banned:
                kept = logp[row].clone()
                logp[row, banned] = _NEG
                if not bool(torch.isfinite(logp[row]).any()):  # every continuation repeats: allow one
                    logp[row] = kept
    return logp


def _sentence_count(history: list[int], sentence_end_ids: frozenset[int]) -> int:
    """Sentences completed so far: the sentence ends in ``history``."""
    return sum(1 for t in history if t in sentence_end_ids)


def _current_sentence_length(history: list[int], sentence_end_ids: frozenset[int]) -> int:
    """Tokens generated since the last sentence end (all of them before the first one)."""
    for back, token in enumerate(reversed(history)):
        if token in sentence_end_ids:
            return back
    return len(history)


def _finished(model: HierNSENet, token: int, history: list[int], rules: Constraints) -> bool:
    """True when ``token`` (already appended to ``history``) ends the summary."""
    if token == EOS:
        return True
    if rules.max_sentences is None or token not in model.sentence_end_ids:
        return False
    return _sentence_count(history, model.sentence_end_ids) >= rules.max_sentences


def _generate(
    model: HierNSENet, enc: Encoded, max_length: int, sample: bool, rules: Constraints | None = None
) -> tuple[list[list[int]], torch.Tensor, torch.Tensor]:
    """Decode a batch greedily or by sampling: token lists, chosen log-probabilities and a step mask."""
    rules = rules or Constraints(max_length=max_length)
    n = enc.ext.shape[0]
    dec = model.start(enc)
    ids = torch.full((n,), BOS, dtype=torch.long, device=enc.ext.device)
    histories: list[list[int]] = [[] for _ in range(n)]
    done = [False] * n
    logps, masks = [], []
    for _ in range(rules.max_length):
        probs, dec, _, _ = model.step(ids, dec, enc, rules.follow_scale)
        logp = _apply_constraints(model, torch.log(probs.clamp_min(1e-12)), histories, enc.n_oov, rules)
        if sample:
            choice = torch.multinomial(torch.softmax(logp.detach(), -1), 1).squeeze(1)
        else:
            choice = logp.argmax(-1)
        logps.append(logp.gather(1, choice.unsqueeze(1)).squeeze(1))
        masks.append(torch.tensor([not d for d in done], device=logp.device))
        for row, token in enumerate(choice.tolist()):
            if not done[row]:
                histories[row].append(token)
                done[row] = _finished(model, token, histories[row], rules)
        if all(done):
            break
        ids = choice
    return histories, torch.stack(logps, 1), torch.stack(masks, 1).to(logps[0].dtype)


def greedy_decode(model: HierNSENet, enc: Encoded, rules: Constraints) -> list[list[int]]:
    """Greedy decoding of a batch under ``rules`` (the final ``<eos>`` is dropped)."""
    histories, _, _ = _generate(model, enc, rules.max_length, sample=False, rules=rules)
    return [_strip(h) for h in histories]


@dataclass
class Hypothesis:
    """A beam-search result: extended-vocabulary ids, score, per-sentence attention, and whether
    it ended by itself (``<eos>`` or its last allowed sentence end) rather than at ``max_length``."""

    tokens: list[int]
    score: float
    attention: np.ndarray = field(default_factory=lambda: np.zeros(0))
    complete: bool = True


def whole_sentences(tokens: list[int], sentence_end_ids: frozenset[int]) -> list[int]:
    """``tokens`` up to their last sentence end: a summary cut off by the length limit loses its
    unfinished last sentence, unless that is its only one.

    >>> whole_sentences([7, 8, 4, 9, 10], frozenset({4})), whole_sentences([7, 8], frozenset({4}))
    ([7, 8, 4], [7, 8])
    """
    ends = [i for i, t in enumerate(tokens) if t in sentence_end_ids]
    return tokens[: ends[-1] + 1] if ends else list(tokens)


def beam_search(
    model: HierNSENet, enc: Encoded, beam_size: int, rules: Constraints, length_penalty: float = 1.0
) -> Hypothesis:
    """Beam search for one document (``enc`` holds one row); the best finished hypothesis.

    Hypotheses end with ``<eos>`` or with their ``max_sentences``-th sentence end; their score is
    the summed log-probability divided by ``length ** length_penalty``. The search stops when
    ``beam_size`` hypotheses have ended or after ``max_length`` tokens (then unfinished ones
    compete too). ``attention`` is the decoder's word attention summed per source sentence and
    averaged over the output tokens: what the summary drew on.
    """
    n_sent = int(enc.sent_of.max()) + 1
    beams = enc.select(torch.zeros(1, dtype=torch.long, device=enc.ext.device))
    dec = model.start(beams)
    ids = torch.full((1,), BOS, dtype=torch.long, device=enc.ext.device)
    histories: list[list[int]] = [[]]
    scores = [0.0]
    attention = [np.zeros(n_sent)]
    finished: list[Hypothesis] = []

    def normalised(score: float, length: int) -> float:
        return score / max(1, length) ** length_penalty

    for _ in range(rules.max_length):
        probs, dec, z_word, _ = model.step(ids, dec, beams, rules.follow_scale)
        logp = _apply_constraints(model, torch.log(probs.clamp_min(1e-12)), histories, beams.n_oov, rules)
        per_sentence = torch.zeros(len(histories), n_sent, device=z_word.device).scatter_add(
            1, beams.sent_of, z_word
        )
        per_sentence = per_sentence.cpu().numpy()
        total = torch.tensor(scores, device=logp.device).unsqueeze(1) + logp
        k = min(2 * beam_size, total.numel())
        top_scores, top_index = total.flatten().topk(k)
        width = logp.shape[1]
        keep_rows, new_histories, new_scores, new_attention = [], [], [], []
        for score, index in zip(top_scores.tolist(), top_index.tolist(), strict=True):
            if score == _NEG:
                break
            row, token = divmod(index, width)
            history = histories[row] + [token]
            seen = attention[row] + per_sentence[row]
            if _finished(model, token, history, rules):
                finished.append(
                    Hypothesis(_strip(history), normalised(score, len(history)), seen / len(history))
                )
            else:
                keep_rows.append(row)
                new_histories.append(history)
                new_scores.append(score)
                new_attention.append(seen)
            if len(new_histories) == beam_size:
                break
        if len(finished) >= beam_size or not new_histories:
            break
        index = torch.tensor(keep_rows, device=logp.device)
        dec, beams = dec.select(index), beams.select(index)
        histories, scores, attention = new_histories, new_scores, new_attention
        ids = torch.tensor([h[-1] for h in histories], device=logp.device)
    else:
        finished.extend(
            Hypothesis(_strip(h), normalised(s, len(h)), a / max(1, len(h)), complete=False)
            for h, s, a in zip(histories, scores, attention, strict=True)
        )
    if not finished:
        return Hypothesis([], 0.0, np.zeros(n_sent))
    return max(finished, key=lambda h: h.score)
