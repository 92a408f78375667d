"""The hierarchical NSE cell: memory update, masking and one full step, on hand-computed cases."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from summarize.nse import HierNSECell, Memory, MemoryAttention, NSEState, masked_softmax, write_memory  # noqa: E402


def test_memory_update_by_hand():
    # M <- M * (1 - z 1^T) + z h^T with M = [[1, 2], [3, 4]], z = [0.25, 0.75], h = [10, 20]
    memory = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    new = write_memory(memory, torch.tensor([[0.25, 0.75]]), torch.tensor([[10.0, 20.0]]))
    assert new.tolist() == [[[3.25, 6.5], [8.25, 16.0]]]


def test_a_slot_with_zero_attention_is_unchanged_and_full_attention_overwrites():
    memory = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    new = write_memory(memory, torch.tensor([[0.0, 1.0]]), torch.tensor([[7.0, 8.0]]))
    assert new.tolist() == [[[1.0, 2.0], [7.0, 8.0]]]


def test_masked_softmax_by_hand():
    z = masked_softmax(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[True, False, True]]))
    # exp(1) / (exp(1) + exp(3)) = 1 / (1 + e^2)
    expected = 1 / (1 + math.e**2)
    assert z[0].tolist() == pytest.approx([expected, 0.0, 1 - expected])


def test_masked_softmax_of_a_fully_masked_row_is_zero_not_nan():
    z = masked_softmax(torch.tensor([[1.0, 2.0], [0.5, 0.5]]), torch.tensor([[False, False], [True, True]]))
    assert z.tolist() == [[0.0, 0.0], [0.5, 0.5]]


def test_additive_attention_with_set_weights():
    att = MemoryAttention(2)
    with torch.no_grad():
        att.query.weight.copy_(torch.eye(2))
        att.query.bias.zero_()
        att.key.weight.copy_(torch.eye(2))
        att.v.copy_(torch.tensor([1.0, 0.0]))
    memory = torch.tensor([[[0.5, 0.0], [-0.5, 0.0], [9.0, 9.0]]])
    z = att(torch.tensor([[0.5, 0.0]]), att.key(memory), torch.tensor([[True, True, False]]))
    # scores: tanh(0.5 + 0.5) = tanh(1), tanh(0.5 - 0.5) = 0; the third slot is padding
    a = math.exp(math.tanh(1.0))
    assert z[0].tolist() == pytest.approx([a / (a + 1), 1 / (a + 1), 0.0])


def _lstm(cell: torch.nn.LSTMCell, x, h, c):
    """The LSTM cell equations written out (gates i, f, g, o)."""
    gates = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    i, f, g, o = gates.chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def test_one_step_matches_the_equations_written_out():
    torch.manual_seed(0)
    dim = 3
    cell = HierNSECell(dim)
    x = torch.randn(2, dim)
    word_values = torch.randn(2, 4, dim)
    word_mask = torch.tensor([[True, True, True, False], [True, False, False, False]])
    doc_values = torch.randn(2, 2, dim)
    doc_mask = torch.tensor([[True, True], [True, False]])
    state = NSEState(*(torch.randn(2, dim) for _ in range(4)))
    words, doc = cell.memory(word_values, word_mask), cell.memory(doc_values, doc_mask, document=True)
    step, new_state, new_words, new_doc = cell(x, state, words, doc)

    with torch.no_grad():
        r, rc = _lstm(cell.read_lstm, x, state.read_h, state.read_c)

        def attend(att, memory, mask):
            scores = (
                torch.tanh(memory @ att.key.weight.T + (r @ att.query.weight.T + att.query.bias)[:, None])
                @ att.v
            )
            scores = scores.masked_fill(~mask, float("-inf"))
            return torch.softmax(scores, -1)

        zw, zd = (
            attend(cell.word_attention, word_values, word_mask),
            attend(cell.doc_attention, doc_values, doc_mask),
        )
        mw = (zw[:, :, None] * word_values).sum(1)
        md = (zd[:, :, None] * doc_values).sum(1)
        c = torch.relu(torch.cat([r, mw, md], -1) @ cell.compose.weight.T + cell.compose.bias)
        h, wc = _lstm(cell.write_lstm, c, state.write_h, state.write_c)
        expected_words = word_values * (1 - zw[:, :, None]) + zw[:, :, None] * h[:, None]
        expected_doc = doc_values * (1 - zd[:, :, None]) + zd[:, :, None] * h[:, None]
    assert torch.allclose(step.read, r, atol=1e-6) and torch.allclose(new_state.read_c, rc, atol=1e-6)
    assert torch.allclose(step.z_word, zw, atol=1e-6) and torch.allclose(step.z_doc, zd, atol=1e-6)
    assert torch.allclose(step.write, h, atol=1e-6) and torch.allclose(new_state.write_c, wc, atol=1e-6)
    assert torch.allclose(new_words.values, expected_words, atol=1e-6)
    assert torch.allclose(new_doc.values, expected_doc, atol=1e-6)
    # padded slots: no attention, never written
    assert step.z_word[~word_mask].abs().max() == 0 and step.z_doc[~doc_mask].abs().max() == 0
    assert torch.equal(new_words.values[~word_mask], word_values[~word_mask])
    # the incrementally updated attention features equal a fresh projection of the new memory
    assert torch.allclose(new_words.features, cell.word_attention.key(new_words.values), atol=1e-5)
    assert torch.allclose(new_doc.features, cell.doc_attention.key(new_doc.values), atol=1e-5)


def test_inactive_rows_keep_memories_and_states():
    torch.manual_seed(1)
    cell = HierNSECell(2)
    words = cell.memory(torch.randn(2, 3, 2), torch.ones(2, 3, dtype=torch.bool))
    doc = cell.memory(torch.randn(2, 2, 2), torch.ones(2, 2, dtype=torch.bool), document=True)
    state = NSEState(*(torch.randn(2, 2) for _ in range(4)))
    active = torch.tensor([True, False])
    _, new_state, new_words, new_doc = cell(torch.randn(2, 2), state, words, doc, active=active)
    assert torch.equal(new_words.values[1], words.values[1]) and torch.equal(new_doc.values[1], doc.values[1])
    assert torch.equal(new_state.write_h[1], state.write_h[1]) and torch.equal(
        new_state.read_c[1], state.read_c[1]
    )
    assert not torch.equal(new_words.values[0], words.values[0])


def test_a_word_prior_reweights_the_attention():
    torch.manual_seed(2)
    cell = HierNSECell(2)
    words = cell.memory(torch.randn(1, 3, 2), torch.ones(1, 3, dtype=torch.bool))
    doc = cell.memory(torch.randn(1, 1, 2), torch.ones(1, 1, dtype=torch.bool), document=True)
    state, x = NSEState.zeros(1, 2, words.values), torch.randn(1, 2)
    plain, _, _, _ = cell(x, state, words, doc)
    prior = torch.tensor([[1.0, 0.5, 0.0]])
    weighted, _, new_words, _ = cell(x, state, words, doc, word_prior=prior)
    expected = plain.z_word * prior / (plain.z_word * prior).sum()
    assert torch.allclose(weighted.z_word, expected, atol=1e-6) and weighted.z_word[0, 2] == 0
    assert torch.equal(new_words.values[0, 2], words.values[0, 2])  # a slot with prior 0 is not written


def test_memory_select_reorders_rows():
    memory = Memory(torch.arange(4.0).view(2, 2, 1), torch.zeros(2, 2, 1), torch.ones(2, 2, dtype=torch.bool))
    assert memory.select(torch.tensor([1, 1, 0])).values[:, 0, 0].tolist() == [2.0, 2.0, 0.0]
