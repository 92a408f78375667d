"""The network: batching, the copy distribution, padding invariance, beam search vs greedy decoding."""

from __future__ import annotations

import numpy as np
import pytest
from summarize_helpers import one_thread  # noqa: F401

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_thread")

from summarize.model import (  # noqa: E402
    BOS,
    EOS,
    UNK,
    Constraints,
    Example,
    HierNSENet,
    beam_search,
    collate,
    greedy_decode,
)

N_WORDS = 12  # ids 0-3 are specials; 4 = ".", 5 = "!"


def _example(
    rng: np.random.Generator, lengths: list[int], n_oov: int = 2, target: int = 6, n_words: int = N_WORDS
) -> Example:
    size = sum(lengths)
    words = rng.integers(4, n_words, size)
    ext = words.copy()
    # some tokens are out of the vocabulary: <unk> as input, their own extended id for copying
    for k, position in enumerate(rng.choice(size, n_oov, replace=False)):
        words[position], ext[position] = UNK, n_words + k
    return Example(
        words=words,
        lemmas=rng.integers(2, 6, size),
        pos=rng.integers(2, 5, size),
        ext=ext,
        sentence_lengths=lengths,
        oov=[f"oov{k}" for k in range(n_oov)],
        oov_lemmas=rng.integers(2, 6, n_oov),
        oov_pos=rng.integers(2, 5, n_oov),
        labels=rng.integers(0, 2, len(lengths)).astype(np.float32),
        target=np.append(rng.choice(ext, target), EOS),
    )


def _net(seed: int = 0, n_words: int = N_WORDS) -> HierNSENet:
    torch.manual_seed(seed)
    net = HierNSENet(n_words, 6, 5, word_dim=6, lemma_dim=3, pos_dim=3, max_sentences=8, dropout=0.0,
                     sentence_end_ids=[4, 5])  # fmt: skip
    return net.eval()


def test_collate_lays_out_tokens_sentences_and_decoder_io():
    rng = np.random.default_rng(0)
    a, b = _example(rng, [2, 3], n_oov=1), _example(rng, [1], n_oov=0, target=2)
    batch = collate([a, b])
    assert batch.words.shape == (2, 5) and batch.token_mask.sum(1).tolist() == [5, 1]
    assert batch.sent_of[0].tolist() == [0, 0, 1, 1, 1] and batch.pos_in[0].tolist() == [0, 1, 0, 1, 2]
    assert batch.last_step[0].tolist() == [1, 1, 4, 4, 4]
    assert batch.block_index[0].tolist() == [[0, 1, 0], [2, 3, 4]]
    assert batch.block_mask[1].tolist() == [[True, False, False], [False, False, False]]
    assert batch.sent_mask.tolist() == [[True, True], [True, False]]
    assert batch.dec_in[0, 0] == BOS and batch.dec_in[0, 1:].tolist() == a.target[:-1].tolist()
    assert batch.target_mask[1].tolist() == [True] * 3 + [False] * 4
    assert batch.n_oov.tolist() == [1, 0] and batch.oov_lemmas.shape == (2, 1)


def test_copy_distribution_sums_to_one_over_the_extended_vocabulary():
    rng = np.random.default_rng(1)
    examples = [_example(rng, [3, 2, 4], n_oov=3), _example(rng, [2], n_oov=1)]
    batch = collate(examples)
    net = _net()
    with torch.no_grad():
        enc = net.encode(batch)
        dec = net.start(enc)
        ids = batch.dec_in[:, 0]
        for _ in range(4):
            probs, dec, z_word, p_gen = net.step(ids, dec, enc)
            assert probs.shape == (2, N_WORDS + 3)
            assert torch.allclose(probs.sum(-1), torch.ones(2), atol=1e-5)
            # an out-of-vocabulary word can only be copied: (1 - p_gen) x its attention
            for row, example in enumerate(examples):
                for k in range(len(example.oov)):
                    where = torch.from_numpy(example.ext == N_WORDS + k)
                    expected = (1 - p_gen[row]) * z_word[row, : len(example.ext)][where].sum()
                    assert torch.isclose(probs[row, N_WORDS + k], expected, atol=1e-6)
            # the second document has a single out-of-vocabulary slot: the others are impossible
            assert probs[1, N_WORDS + 1 :].abs().max() == 0
            assert probs[:, 0].abs().max() == 0  # <pad> is never produced
            ids = probs.argmax(-1)


def test_the_decoder_is_pulled_towards_the_token_after_its_last_attention():
    torch.manual_seed(0)
    net = HierNSENet(N_WORDS, 6, 5, word_dim=6, lemma_dim=3, pos_dim=3, dropout=0.0, follow_copy=True).eval()
    previous = torch.tensor([[0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    with torch.no_grad():
        net.follow.fill_(3.0)
        bias = net.next_token_bias(previous)
    # the weight moves one source position on; the first position never gets any
    assert torch.equal(bias, torch.tensor([[0.0, 0.0, 3.0, 0.0], [0.0, 0.75, 0.75, 0.75]]))
    assert torch.equal(net.next_token_bias(previous, 2.0), 2.0 * bias)  # decoding may strengthen it
    # in a decoder step, the bonus raises the next token's attention by the factor exp(3)
    rng = np.random.default_rng(7)
    example = _example(rng, [5], n_oov=0)
    with torch.no_grad():
        enc = net.encode(collate([example]))
        dec = net.start(enc)
        one_hot = torch.zeros_like(dec.z_word)
        one_hot[0, 1] = 1.0
        ids = torch.tensor([BOS])
        _, _, z_without, _ = net.step(ids, dec, enc)
        dec.z_word = one_hot
        _, _, z_with, _ = net.step(ids, dec, enc)
    ratio = (z_with / z_without)[0]
    assert torch.isclose(ratio[2] / ratio[0], torch.tensor(float(np.exp(3.0))), rtol=1e-4)
    assert torch.allclose(ratio[[0, 1, 3, 4]], ratio[0].expand(4), rtol=1e-5)
    no_pull = HierNSENet(N_WORDS, 6, 5, word_dim=6, lemma_dim=3, pos_dim=3)
    assert no_pull.follow is None and no_pull.next_token_bias(previous) is None


def test_a_sharper_highlight_prior_keeps_the_attention_on_the_top_sentence():
    rng = np.random.default_rng(3)
    net = _net()
    with torch.no_grad():
        enc = net.encode(collate([_example(rng, [3, 4, 2])]))
        enc.sentence_logits = torch.tensor([[2.0, -1.0, -40.0]])  # sentence 2 is all but excluded
        assert enc.focused(1.0) is enc
        prior = enc.focused(1.0 + 1e-9).token_prior  # any power: p ** power over the top sentence's
        p = torch.sigmoid(enc.sentence_logits[0])
        assert torch.allclose(prior[0], (p / p.max())[enc.sent_of[0]], rtol=1e-6)
        focused = enc.focused(8.0)
        # a power this large would underflow p ** 8 for sentence 2; relative to the top it stays finite
        assert torch.isfinite(focused.token_prior).all() and float(focused.token_prior.max()) == 1.0
        share = []
        for e in (enc, focused):
            _, _, z_word, _ = net.step(torch.tensor([BOS]), net.start(e), e)
            share.append(float(z_word[0, enc.sent_of[0] == 0].sum()))
            assert torch.isclose(z_word.sum(), torch.tensor(1.0))
        assert share[1] > share[0] and share[1] > 0.99


def test_encoding_does_not_depend_on_the_other_documents_of_the_batch():
    rng = np.random.default_rng(2)
    short, long = _example(rng, [2, 1]), _example(rng, [4, 3, 5])
    net = _net()
    with torch.no_grad():
        alone = net.encode(collate([short]))
        together = net.encode(collate([long, short]))
    n = short.words.size
    assert torch.allclose(together.words.values[1, :n], alone.words.values[0], atol=1e-5)
    assert torch.allclose(together.doc.values[1, :2], alone.doc.values[0], atol=1e-5)
    assert torch.allclose(together.state.write_h[1], alone.state.write_h[0], atol=1e-5)
    assert torch.allclose(together.sentence_logits[1, :2], alone.sentence_logits[0], atol=1e-5)
    assert torch.isinf(together.sentence_logits[1, 2:]).all()  # no third sentence


def test_encoder_matches_a_sentence_by_sentence_loop():
    # the authors' layout: one word memory per sentence, read token by token, the LSTM states and
    # the document memory carried from sentence to sentence
    from summarize.nse import NSEState

    rng = np.random.default_rng(3)
    example = _example(rng, [3, 1, 4], n_oov=1)
    net = _net(3)
    with torch.no_grad():
        enc = net.encode(collate([example]))
        x = net.embed(*(torch.from_numpy(getattr(example, k))[None] for k in ("words", "lemmas", "pos")))
        sentences = torch.split(x[0], example.sentence_lengths)
        means = torch.stack([s.mean(0) for s in sentences])[None]
        doc = net.cell.memory(means, torch.ones(1, 3, dtype=torch.bool), document=True)
        state = NSEState.zeros(1, net.dim, x)
        finals = []
        for sentence in sentences:
            words = net.cell.memory(sentence[None], torch.ones(1, len(sentence), dtype=torch.bool))
            for token in sentence:
                _, state, words, doc = net.cell(token[None], state, words, doc)
            finals.append(words.values[0])
    assert torch.allclose(enc.words.values[0], torch.cat(finals), atol=1e-5)
    assert torch.allclose(enc.doc.values, doc.values, atol=1e-5)
    assert torch.allclose(enc.state.write_h, state.write_h, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_with_beam_one_is_greedy_decoding(seed):
    rng = np.random.default_rng(seed)
    examples = [_example(rng, [3, 4, 2], n_oov=2), _example(rng, [5, 1], n_oov=1)]
    net = _net(seed)
    rules = Constraints(max_length=15, min_length=3, max_sentences=2, block_trigrams=True)
    with torch.no_grad():
        enc = net.encode(collate(examples))
        greedy = greedy_decode(net, enc, rules)
        for row in range(len(examples)):
            beam = beam_search(net, enc.select(torch.tensor([row])), 1, rules)
            assert beam.tokens == greedy[row]
            assert 3 <= len(beam.tokens) <= 15


def test_beam_search_obeys_the_limits():
    rng = np.random.default_rng(4)
    net = _net(4)
    with torch.no_grad():
        enc = net.encode(collate([_example(rng, [3, 4, 2], n_oov=2)]))
        for rules in (Constraints(max_length=7, min_length=7), Constraints(max_length=30, max_sentences=1)):
            hyp = beam_search(net, enc, 3, rules)
            assert UNK not in hyp.tokens and EOS not in hyp.tokens and BOS not in hyp.tokens
            assert len(hyp.tokens) <= rules.max_length
            if rules.max_sentences == 1:
                ends = [t for t in hyp.tokens if t in (4, 5)]
                assert len(ends) <= 1 and (not ends or hyp.tokens[-1] in (4, 5))
            else:
                assert len(hyp.tokens) == 7 and not hyp.complete  # stopped by the limit, not by itself
            assert hyp.attention.shape == (3,) and 0 < hyp.attention.sum() <= 1 + 1e-6


def test_no_sentence_ends_before_the_minimum_sentence_length():
    rng = np.random.default_rng(6)
    net = _net(6)

    def sentences(tokens: list[int]) -> tuple[list[list[int]], list[int]]:
        done, current = [], []
        for token in tokens:
            current.append(token)
            if token in net.sentence_end_ids:
                done.append(current)
                current = []
        return done, current

    with torch.no_grad():
        net.out_bias[4] = 4.0  # a net eager to end sentences
        net.gen_gate.bias.fill_(5.0)
        enc = net.encode(collate([_example(rng, [3, 4, 2], n_oov=2)]))
        for beam in (1, 3):
            free_rules = Constraints(max_length=40, max_sentences=3)
            free, _ = sentences(beam_search(net, enc, beam, free_rules).tokens)
            assert min(len(s) for s in free) < 6  # what the constraint has to prevent
            rules = Constraints(max_length=40, max_sentences=3, min_sentence_length=6)
            hyp = beam_search(net, enc, beam, rules)
            done, unfinished = sentences(hyp.tokens)
            assert done and all(len(s) > 6 for s in done)  # at least 6 tokens, then the end
            assert not unfinished or len(unfinished) >= 6 or len(hyp.tokens) == rules.max_length


def test_no_end_of_summary_before_the_minimum_number_of_sentences():
    rng = np.random.default_rng(7)
    net = _net(7)
    with torch.no_grad():
        net.out_bias[EOS] = 6.0  # a net eager to stop
        net.gen_gate.bias.fill_(5.0)
        enc = net.encode(collate([_example(rng, [3, 4, 2], n_oov=2)]))
        for beam in (1, 3):
            short = beam_search(net, enc, beam, Constraints(max_length=60)).tokens
            assert sum(t in net.sentence_end_ids for t in short) < 2  # what the rule has to prevent
            hyp = beam_search(net, enc, beam, Constraints(max_length=60, max_sentences=3, min_sentences=2))
            assert sum(t in net.sentence_end_ids for t in hyp.tokens) >= 2


def test_blocked_trigrams_never_repeat():
    rng = np.random.default_rng(5)
    net = _net(5, n_words=60)  # enough words that some continuation is always new
    with torch.no_grad():
        enc = net.encode(collate([_example(rng, [6, 6], n_oov=0, n_words=60)]))
        tokens = greedy_decode(net, enc, Constraints(max_length=40, min_length=40, block_trigrams=True))[0]
    trigrams = list(zip(tokens[:-2], tokens[1:-1], tokens[2:], strict=True))
    assert len(tokens) == 40 and len(trigrams) == len(set(trigrams))
    # with 8 usable words the continuations of some word pair run out: then one repeat is allowed,
    # rather than an impossible token
    small = _net(5)
    with torch.no_grad():
        enc = small.encode(collate([_example(rng, [6, 6], n_oov=0)]))
        tokens = greedy_decode(small, enc, Constraints(max_length=60, min_length=60, block_trigrams=True))[0]
    assert len(tokens) == 60 and min(tokens) >= 4


def test_both_training_objectives_give_gradients():
    rng = np.random.default_rng(6)
    batch = collate([_example(rng, [3, 2]), _example(rng, [4])])
    net = _net(6).train()
    for objective in ("ml", "rl"):
        net.zero_grad()
        loss = net(batch, objective=objective, max_length=8)
        loss.backward()
        assert torch.isfinite(loss)
        assert net.word_embedding.weight.grad.abs().sum() > 0
        assert net.score_out.weight.grad.abs().sum() > 0
