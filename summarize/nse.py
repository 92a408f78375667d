"""The hierarchical Neural Semantic Encoder cell (Munkhdalai & Yu 2017; Ambati et al.).

An NSE reads a sequence while it rewrites a memory. One step, for input ``x``:

1. *read*: ``r = LSTM_read(x)``;
2. *attend*: ``z = softmax(v · tanh(W_r r + W_m M))`` over the memory slots (additive
   attention, as in the authors' code; padded slots get zero weight, the weights of the others
   sum to 1);
3. *compose*: ``c = relu(W_c [r; zᵀM])``;
4. *write*: ``h = LSTM_write(c)``;
5. *update*: ``M ← M ⊙ (1 − z 1ᵀ) + z hᵀ`` — each slot moves towards ``h`` by its attention
   weight, so a padded slot (``z = 0``) never changes.

The hierarchical cell of Ambati, Bandyopadhyay & Mitra keeps two memories — a word-level
memory (the tokens of the current sentence while encoding; all the document's tokens while
decoding) and a document memory with one slot per sentence — attends to both, composes
``[r; z_wᵀM_w; z_dᵀM_d]`` and writes ``h`` into both.

Because the update is linear in ``M``, the attention's memory features ``W_m M`` obey the same
update with ``W_m h`` in place of ``h``; :class:`Memory` carries them along, so a step costs
``O(slots · dim)`` instead of re-projecting the whole memory (``O(slots · dim²)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "HierNSECell",
    "Memory",
    "MemoryAttention",
    "NSEState",
    "NSEStep",
    "masked_softmax",
    "write_memory",
]


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis restricted to ``mask``; a row with no allowed slot is all zeros.

    Masked scores are set to the most negative float, so their exponentials underflow to exactly
    0 and the others are normalised among themselves; the final product with the mask zeroes a
    row that had no allowed slot (it would otherwise be uniform).

    >>> masked_softmax(torch.tensor([[0.0, 0.0, 5.0]]), torch.tensor([[True, True, False]]))
    tensor([[0.5000, 0.5000, 0.0000]])
    """
    lowest = torch.finfo(scores.dtype).min
    return torch.softmax(scores.masked_fill(~mask, lowest), dim=-1) * mask


def write_memory(memory: torch.Tensor, weights: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """The NSE update ``M ⊙ (1 − z 1ᵀ) + z hᵀ`` for a batch: memory (B, N, D), weights (B, N), value (B, D).

    Computed as ``M + z (h − M)``, the same update in two operations.

    >>> write_memory(torch.ones(1, 2, 1), torch.tensor([[0.25, 0.0]]), torch.tensor([[5.0]]))
    tensor([[[2.],
             [1.]]])
    """
    return torch.addcmul(memory, weights.unsqueeze(-1), value.unsqueeze(1) - memory)


@dataclass
class Memory:
    """An NSE memory: ``values`` (B, N, D), attention features ``W_m values`` and slot ``mask`` (B, N)."""

    values: torch.Tensor
    features: torch.Tensor
    mask: torch.Tensor

    def written(self, weights: torch.Tensor, value: torch.Tensor, value_features: torch.Tensor) -> Memory:
        """The memory after writing ``value`` with attention ``weights``."""
        return Memory(
            write_memory(self.values, weights, value),
            write_memory(self.features, weights, value_features),
            self.mask,
        )

    def select(self, index: torch.Tensor) -> Memory:
        """Rows ``index`` of the batch (beam search reorders its hypotheses with this)."""
        return Memory(self.values[index], self.features[index], self.mask[index])


@dataclass
class NSEState:
    """The read and write LSTMs' hidden and cell states, each (B, D)."""

    read_h: torch.Tensor
    read_c: torch.Tensor
    write_h: torch.Tensor
    write_c: torch.Tensor

    @classmethod
    def zeros(cls, batch: int, dim: int, like: torch.Tensor) -> NSEState:
        z = like.new_zeros(batch, dim)
        return cls(z, z, z, z)

    def select(self, index: torch.Tensor) -> NSEState:
        return NSEState(self.read_h[index], self.read_c[index], self.write_h[index], self.write_c[index])


@dataclass
class NSEStep:
    """One step's read ``r``, write ``h``, attentions ``z_word`` / ``z_doc`` and retrieved vectors."""

    read: torch.Tensor
    write: torch.Tensor
    z_word: torch.Tensor
    z_doc: torch.Tensor
    m_word: torch.Tensor
    m_doc: torch.Tensor


class MemoryAttention(nn.Module):
    """Additive attention of a read vector over memory slots: ``softmax(v · tanh(W_r r + W_m M))``."""

    def __init__(self, dim: int):
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim, bias=False)
        self.v = nn.Parameter(torch.empty(dim).uniform_(-(dim**-0.5), dim**-0.5))

    def forward(
        self, read: torch.Tensor, features: torch.Tensor, mask: torch.Tensor, bias: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Attention weights (B, N); ``bias`` (B, N), when given, is added to the scores."""
        scores = torch.tanh(features + self.query(read).unsqueeze(1)) @ self.v
        if bias is not None:
            scores = scores + bias
        return masked_softmax(scores, mask)


class HierNSECell(nn.Module):
    """One step of the hierarchical NSE over a word memory and a document memory (see the module doc).

    ``active`` (B,) marks the rows that really take a step: padded rows of a batch keep their
    memories (their attention is zeroed) and their LSTM states. ``word_bias`` (B, N) is added to
    the word attention's scores (the decoder's pull towards the next source token).
    ``word_prior`` (B, N), when given, reweights the word attention (which is then
    renormalised): the decoder passes each token's sentence probability from the extractive
    head, so that it reads, writes and copies mostly within the highlighted sentences (the
    sentence-modulated attention of Hsu et al. 2018).

    >>> cell = HierNSECell(4)
    >>> words = cell.memory(torch.randn(2, 3, 4), torch.tensor([[True, True, False], [True, False, False]]))
    >>> doc = cell.memory(torch.randn(2, 2, 4), torch.ones(2, 2, dtype=torch.bool), document=True)
    >>> step, state, words2, doc2 = cell(torch.randn(2, 4), NSEState.zeros(2, 4, words.values), words, doc)
    >>> bool(torch.allclose(step.z_word.sum(-1), torch.ones(2)))  # weights of the real slots sum to 1
    True
    >>> bool(torch.equal(words2.values[:, 2], words.values[:, 2]))  # a padded slot is never written
    True
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.read_lstm = nn.LSTMCell(dim, dim)
        self.write_lstm = nn.LSTMCell(dim, dim)
        self.compose = nn.Linear(3 * dim, dim)
        self.word_attention = MemoryAttention(dim)
        self.doc_attention = MemoryAttention(dim)

    def memory(self, values: torch.Tensor, mask: torch.Tensor, document: bool = False) -> Memory:
        """Wrap ``values`` as a :class:`Memory` (computing its attention features)."""
        attention = self.doc_attention if document else self.word_attention
        return Memory(values, attention.key(values), mask)

    def forward(
        self,
        x: torch.Tensor,
        state: NSEState,
        words: Memory,
        doc: Memory,
        active: torch.Tensor | None = None,
        word_prior: torch.Tensor | None = None,
        word_bias: torch.Tensor | None = None,
    ) -> tuple[NSEStep, NSEState, Memory, Memory]:
        read_h, read_c = self.read_lstm(x, (state.read_h, state.read_c))
        z_word = self.word_attention(read_h, words.features, words.mask, word_bias)
        if word_prior is not None:
            z_word = z_word * word_prior
            z_word = z_word / z_word.sum(-1, keepdim=True).clamp_min(torch.finfo(z_word.dtype).tiny)
        z_doc = self.doc_attention(read_h, doc.features, doc.mask)
        if active is not None:
            keep = active.to(z_word.dtype).unsqueeze(-1)
            z_word, z_doc = z_word * keep, z_doc * keep
        m_word = torch.bmm(z_word.unsqueeze(1), words.values).squeeze(1)
        m_doc = torch.bmm(z_doc.unsqueeze(1), doc.values).squeeze(1)
        composed = torch.relu(self.compose(torch.cat([read_h, m_word, m_doc], dim=-1)))
        write_h, write_c = self.write_lstm(composed, (state.write_h, state.write_c))
        words = words.written(z_word, write_h, self.word_attention.key(write_h))
        doc = doc.written(z_doc, write_h, self.doc_attention.key(write_h))
        new_state = NSEState(read_h, read_c, write_h, write_c)
        if active is not None:
            a = active.unsqueeze(-1)
            new_state = NSEState(
                torch.where(a, read_h, state.read_h),
                torch.where(a, read_c, state.read_c),
                torch.where(a, write_h, state.write_h),
                torch.where(a, write_c, state.write_c),
            )
        return NSEStep(read_h, write_h, z_word, z_doc, m_word, m_doc), new_state, words, doc
