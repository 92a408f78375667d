"""ReCAT: the parser API (fit, parse, save, load), training, self-distillation and decoding."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from nltk import Tree

from parsing import ReCATParser, load_parser
from parsing.base import collate
from parsing.recat import ReCATNetwork, split_spans
from structnlp.errors import ModelFileError, StructNLPError
from structnlp.modelio import save_model
from structnlp.trees import tree_spans

CORPUS = [
    "the cat sat on the mat",
    "a dog sat on a log",
    "the dog saw a cat",
    "a cat saw the dog on the mat",
    "the old man saw a big dog",
    "a big cat sat on the old log",
] * 6
SMALL = dict(
    hidden_size=16,
    compose_size=16,
    score_size=8,
    parser_size=8,
    n_heads=2,
    min_count=1,
    batch_tokens=256,
    device="cpu",
    random_state=0,
)


@pytest.fixture(scope="module")
def fitted() -> ReCATParser:
    torch.set_num_threads(1)
    return ReCATParser(max_steps=8, **SMALL).fit(CORPUS)


def is_binary(tree: Tree) -> bool:
    return all(len(node) == 2 for node in tree.subtrees()) or len(tree.leaves()) == 1


def test_parse_returns_a_binary_tree_over_the_tokens(fitted):
    result = fitted.parse("The old dog sat on a mat .")
    assert result.tokens == ["The", "old", "dog", "sat", "on", "a", "mat", "."]
    assert result.tree.leaves() == result.tokens and is_binary(result.tree)
    assert result.heads is None
    many = fitted.parse_many([["a", "cat"], "the dog saw a big cat", ["mat"]], batch_size=2)
    assert [r.tokens for r in many] == [["a", "cat"], ["the", "dog", "saw", "a", "big", "cat"], ["mat"]]
    assert all(is_binary(r.tree) for r in many)


def test_decoding_gives_a_valid_binary_tree_for_every_length(fitted):
    rng = np.random.default_rng(0)
    words = "the cat dog sat on a mat log old big saw zebra".split()
    sentences = [list(rng.choice(words, size=n)) for n in range(1, 41)]
    for n, result in zip(range(1, 41), fitted.parse_many(sentences, batch_size=7), strict=True):
        assert len(result.tree.leaves()) == n and is_binary(result.tree)
        assert len(tree_spans(result.tree, include_trivial=True)) == 2 * n - 1
    for n in range(1, 30):  # the decoder itself, on random scores
        spans = split_spans(rng.normal(size=n - 1))
        assert len(spans) == 2 * n - 1 and (0, n) in spans and all((i, i + 1) in spans for i in range(n))


def test_split_spans_follow_the_parser_scores_top_down():
    # gap 1 splits (0 1 | 2 3 4), then gap 3 splits (2 3 | 4), then gap 2
    expected = {(0, 5), (0, 2), (2, 5), (2, 4), (0, 1), (1, 2), (2, 3), (3, 4), (4, 5)}
    assert split_spans([0.0, 5.0, 1.0, 3.0]) == expected
    assert split_spans([]) == {(0, 1)}
    assert split_spans([1.0, 1.0]) == {(0, 3), (0, 1), (1, 3), (1, 2), (2, 3)}  # ties: leftmost gap


def test_save_and_load_round_trip(fitted, tmp_path):
    sentences = ["the cat saw a big dog on the log", "a mat"]
    before = [r.to_brackets() for r in fitted.parse_many(sentences)]
    path = fitted.save(tmp_path / "recat")
    loaded = load_parser(path)
    assert type(loaded) is ReCATParser and loaded.get_params() == fitted.get_params()
    assert [r.to_brackets() for r in loaded.parse_many(sentences)] == before
    np.testing.assert_allclose(
        loaded.split_scores(sentences[0]), fitted.split_scores(sentences[0]), atol=1e-6
    )
    half = load_parser(fitted.save(tmp_path / "half", half=True))
    np.testing.assert_allclose(half.split_scores(sentences[0]), fitted.split_scores(sentences[0]), atol=2e-2)


@pytest.mark.parametrize("objective", ["bilm", "mlm"])
def test_training_reduces_the_loss(objective):
    corpus = CORPUS * 2
    start = ReCATParser(max_steps=1, objective=objective, **SMALL).fit(corpus)
    trained = ReCATParser(max_steps=60, lr=3e-3, warmup_steps=5, objective=objective, **SMALL).fit(corpus)
    before, after = start.mlm_loss(corpus), trained.mlm_loss(corpus)
    assert after < before - 0.5, (before, after)


def test_batches_of_one_word_sentences_train_under_the_bidirectional_lm():
    """A word with no neighbours is predicted from the two learned sentence-end stand-ins."""
    parser = ReCATParser(max_steps=5, **{**SMALL, "batch_tokens": 16}).fit(["yes", "no", "the cat sat"] * 5)
    assert parser.n_steps_ == 5 and np.isfinite(parser.history_[-1]["train_loss"])
    assert parser.parse("yes").tree.leaves() == ["yes"]


def test_the_bidirectional_lm_never_sees_the_word_it_predicts():
    """With objective "bilm" a word's logits come from the cells beside it: changing it changes nothing."""
    torch.manual_seed(0)
    net = ReCATNetwork(30, 16, 1, 16, 8, 8, 1, 2, window=9, dropout=0.0, parser_noise=0.0, objective="bilm")
    net = net.eval()
    batch = collate([np.arange(4, 14), np.arange(14, 19)])
    logits = net(batch.ids, batch.mask)
    assert logits.shape == (2, 10, 30)
    for b, i in [(0, 0), (0, 4), (0, 9), (1, 2)]:
        changed = batch.ids.clone()
        changed[b, i] = 29
        other = net(changed, batch.mask)
        torch.testing.assert_close(other[b, i], logits[b, i])
        assert not torch.allclose(other[b][batch.mask[b]], logits[b][batch.mask[b]])
    select = batch.mask & (batch.ids % 2 == 0)
    picked, parser_loss = net(batch.ids, batch.mask, select, return_parser_loss=True)
    torch.testing.assert_close(picked, logits[select])
    (picked.logsumexp(-1).sum() + parser_loss).backward()
    assert net.layers[0].inside_proj.weight.grad.abs().sum() > 0


def test_a_file_from_before_the_objective_setting_loads_as_masked_lm(tmp_path):
    parser = ReCATParser(max_steps=2, objective="mlm", **SMALL).fit(CORPUS)
    path = parser.save(tmp_path / "old")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    del config["config"]["params"]["objective"]
    (path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    loaded = load_parser(path)
    assert loaded.objective == "mlm"
    assert loaded.parse("the cat sat").to_brackets() == parser.parse("the cat sat").to_brackets()
    with pytest.raises(StructNLPError, match="objective"):
        ReCATParser(objective="lm", **SMALL).fit(CORPUS)


def test_self_distillation_teaches_the_parser_the_chart_trees():
    """The parser loss alone moves the parser's tree onto the chart's best tree."""
    torch.manual_seed(0)
    net = ReCATNetwork(20, 16, 1, 16, 8, 8, 1, 2, window=2, dropout=0.0, parser_noise=0.0).eval()
    batch = collate([np.array([4, 5, 6, 7, 8, 9, 10]), np.array([11, 12, 13, 14])])
    with torch.no_grad():
        target = net.chart(batch.ids, batch.mask).nodes  # fixed targets: the chart's best trees
    optimizer = torch.optim.Adam(net.parser.parameters(), lr=0.05)
    chart = net.chart(batch.ids, batch.mask)
    for _ in range(60):
        chart.nodes = target
        loss = net.parser_loss(chart, net.parser(batch.ids, batch.mask))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scores = net.parser(batch.ids, batch.mask).detach().numpy()
    for b, n in enumerate([7, 4]):
        wanted = {(i, j + 1) for s, _, i, _, j in target.tolist() if s == b}
        assert split_spans(scores[b, : n - 1]) == wanted
    assert float(loss.detach()) < 0.05


def test_an_untrained_chart_prefers_right_branching_trees():
    """Every split score starts at exactly zero, so the tied chart's best tree is right-branching."""
    torch.manual_seed(0)
    net = ReCATNetwork(30, 16, 2, 16, 8, 8, 1, 2, window=8, dropout=0.0, parser_noise=0.0).eval()
    lengths = [9, 5, 2]
    batch = collate([np.arange(4, 4 + n) for n in lengths])
    with torch.no_grad():
        nodes = net.chart(batch.ids, batch.mask).nodes.tolist()
    for b, n in enumerate(lengths):
        spans = {(i, j + 1) for s, _, i, k, j in nodes if s == b and k >= 0}  # internal nodes
        assert spans == {(i, n) for i in range(n - 1)}


def test_network_forward_follows_the_parser_contract():
    torch.manual_seed(0)
    net = ReCATNetwork(30, 16, 2, 16, 8, 8, 1, 2, window=3, dropout=0.0, parser_noise=1.0)
    batch = collate([np.arange(4, 14), np.array([5]), np.array([6, 7, 8])])
    assert net(batch.ids, batch.mask).shape == (3, 10, 30)
    select = batch.mask & (batch.ids % 2 == 0)
    logits, parser_loss = net(batch.ids, batch.mask, select, parser_ids=batch.ids, return_parser_loss=True)
    assert logits.shape == (int(select.sum()), 30) and parser_loss.ndim == 0
    (logits.logsumexp(-1).sum() + parser_loss).backward()
    assert all(p.grad is not None for p in net.layers.parameters() if p.requires_grad)
    single = collate([np.array([5])])
    _, zero = net(single.ids, single.mask, single.mask, return_parser_loss=True)
    assert float(zero.detach()) == 0.0


def test_a_very_long_sentence_parses_in_windows(fitted):
    tokens = ["cat", "dog", "sat", "mat"] * 2500
    result = fitted.parse(tokens)
    assert len(result.tree.leaves()) == 10_000


def test_bad_settings_and_inputs_raise_clear_errors(fitted, tmp_path):
    with pytest.raises(StructNLPError, match="multiple of n_heads"):
        ReCATParser(hidden_size=10, n_heads=4).fit(CORPUS)
    with pytest.raises(StructNLPError, match="window"):
        ReCATParser(window=0, **{**SMALL}).fit(CORPUS)
    with pytest.raises(StructNLPError, match="parser_noise"):
        ReCATParser(parser_noise=-1.0, **SMALL).fit(CORPUS)
    with pytest.raises(StructNLPError, match="empty"):
        fitted.parse("")
    other = save_model(
        tmp_path / "other", model_class="StructFormerParser", format_version=1, config={}, arrays={}
    )
    with pytest.raises(ModelFileError):
        ReCATParser.load(other)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_training_and_parsing_match_the_cpu(tmp_path):
    parser = ReCATParser(max_steps=5, amp=True, **{**SMALL, "device": "cuda"}).fit(CORPUS)
    sentence = "the old cat saw a dog on the mat"
    on_gpu = parser.parse(sentence).to_brackets()
    on_cpu = load_parser(parser.save(tmp_path / "m"), device="cpu")
    assert on_cpu.parse(sentence).to_brackets() == on_gpu
    np.testing.assert_allclose(on_cpu.split_scores(sentence), parser.split_scores(sentence), atol=1e-3)


def test_the_shipped_parser_loads_and_parses():
    parser = load_parser("default-recat", device="cpu")
    assert isinstance(parser, ReCATParser)
    result = parser.parse("Stocks fell sharply on Monday after the report.")
    assert result.tree.leaves() == result.tokens and is_binary(result.tree) and result.heads is None
    assert parser.get_params()["tokenizer"] == "nltk"  # raw text is cut like the training corpus


def test_the_language_model_cannot_read_hidden_words_off_the_tree():
    """The chart's merge order comes from the masked words; the unmasked ones only train the parser."""
    torch.manual_seed(0)
    net = ReCATNetwork(30, 16, 2, 16, 8, 8, 1, 2, window=2, dropout=0.0, parser_noise=0.0).eval()
    batch = collate([np.arange(4, 13), np.arange(13, 20)])
    select = batch.mask & (batch.ids % 3 == 0)
    inputs = batch.ids.masked_fill(select, 2)  # <mask>
    first, loss_a = net(inputs, batch.mask, select, parser_ids=batch.ids, return_parser_loss=True)
    other = torch.randint(4, 30, batch.ids.shape).masked_fill(~batch.mask, 0)
    second, loss_b = net(inputs, batch.mask, select, parser_ids=other, return_parser_loss=True)
    torch.testing.assert_close(first, second)
    assert float(loss_a.detach()) != float(loss_b.detach())
