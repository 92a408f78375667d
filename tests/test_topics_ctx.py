"""ctx-DocNADE / ctx-DocNADEe: the LSTM context against a per-position loop, likelihood, embeddings, files."""

from __future__ import annotations

import gzip
import itertools
import json

import numpy as np
import pytest
import torch
from sklearn.base import clone
from topics_helpers import FRUIT, HELD_OUT, ROADS, SETTINGS, TRAIN, naive_nll, one_thread  # noqa: F401

import topics
from structnlp.errors import CorpusFormatError, EmptyCorpusError, ModelFileError, StructNLPError
from topics import CtxDocNADE, DocNADE
from topics._base import _collate
from topics.ctx import CtxDocNADENetwork

DOCS = [[3, 1, 4, 1, 5], [2], [], [6, 6, 0, 2, 2, 2, 1]]
sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731


@pytest.fixture(scope="module")
def fitted() -> CtxDocNADE:
    return CtxDocNADE(max_epochs=20, lambda_ctx=0.5, **SETTINGS).fit(TRAIN)


def random_network(prior_dim: int | None = None, lambda_ctx: float = 0.7) -> CtxDocNADENetwork:
    network = CtxDocNADENetwork(7, 5, "sigmoid", lambda_ctx, prior_dim)
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for weight in [*network.parameters(), *network.buffers()]:
            weight.copy_(torch.randn(weight.shape, generator=generator))
    return network


def naive_ctx(network: CtxDocNADENetwork, doc: list[int]) -> tuple[float, np.ndarray]:
    """-log p(doc) and the document vector, running the LSTM afresh on each prefix v_<i."""
    W, c, U, b = (getattr(network, n).detach().double().numpy() for n in ("W", "c", "U", "b"))

    def lstm_last(prefix: list[int]) -> np.ndarray:
        if not prefix:
            return np.zeros(network.n_hidden)
        inputs = network.W[prefix]
        if network.prior_dim is not None:
            prior = network.prior[prefix]
            inputs = inputs + (
                prior @ network.prior_projection if hasattr(network, "prior_projection") else prior
            )
        return network.lstm(inputs.unsqueeze(0))[0][0, -1].detach().double().numpy()

    total = 0.0
    for i, v in enumerate(doc):
        h = sigmoid(c + W[doc[:i]].sum(axis=0)) + network.lambda_ctx * lstm_last(doc[:i])
        logits = b + U @ h
        total -= logits[v] - np.log(np.exp(logits).sum())
    vector = sigmoid(c + W[doc].sum(axis=0)) + network.lambda_ctx * lstm_last(doc)
    return total, vector


@pytest.mark.parametrize("prior_dim", [None, 5, 3])
def test_batched_network_equals_the_per_position_loop(prior_dim):
    network = random_network(prior_dim)
    assert hasattr(network, "prior_projection") == (prior_dim == 3)
    batch = _collate([np.array(d) for d in DOCS])
    nll = network(batch["ids"], batch["lengths"]).detach().double().numpy()
    vectors = network.document_vectors(batch["ids"], batch["lengths"]).detach().double().numpy()
    expected = [naive_ctx(network, d) for d in DOCS]
    np.testing.assert_allclose(nll, [e[0] for e in expected], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vectors, [e[1] for e in expected], rtol=1e-5, atol=1e-5)


def test_without_the_lstm_term_it_is_docnade():
    network = random_network(lambda_ctx=0.0)
    batch = _collate([np.array(d) for d in DOCS])
    w = {n: getattr(network, n).detach().double().numpy() for n in ("W", "c", "U", "b")}
    expected = [naive_nll(d, w["W"], w["c"], w["U"], w["b"], sigmoid) for d in DOCS]
    np.testing.assert_allclose(network(batch["ids"], batch["lengths"]).detach().numpy(), expected, rtol=1e-5)


def test_word_probabilities_normalise(fitted):
    words = list(fitted.vocabulary_)
    for length in (1, 2):
        docs = [list(d) for d in itertools.product(words, repeat=length)]
        assert np.exp(fitted.score_samples(docs)).sum() == pytest.approx(1.0, abs=1e-5)


def test_word_order_matters_to_the_likelihood(fitted):
    forward, backward = fitted.score_samples(["apple banana car road", "road car banana apple"])
    assert forward != pytest.approx(backward, abs=1e-6)


def test_zero_weights_give_the_vocabulary_size_as_perplexity(fitted):
    model = clone(fitted).fit(TRAIN)
    with torch.no_grad():
        for weight in model.module_.parameters():
            weight.zero_()
    assert model.perplexity(HELD_OUT) == pytest.approx(10.0, rel=1e-6)


def test_training_lowers_the_perplexity(fitted):
    one_epoch = CtxDocNADE(max_epochs=1, lambda_ctx=0.5, **SETTINGS).fit(TRAIN)
    assert fitted.perplexity(HELD_OUT) < 7.0 < one_epoch.perplexity(HELD_OUT)


def test_reproducible_for_a_random_state(fitted):
    again = CtxDocNADE(max_epochs=20, lambda_ctx=0.5, **SETTINGS).fit(TRAIN)
    np.testing.assert_array_equal(again.transform(HELD_OUT), fitted.transform(HELD_OUT))


def test_empty_oov_and_single_word_documents(fitted):
    vectors = fitted.transform(["", "zebra", "apple"])
    c = fitted.module_.c.detach().double().numpy()
    np.testing.assert_allclose(vectors[:2], [sigmoid(c)] * 2, rtol=1e-6)
    np.testing.assert_array_equal(fitted.score_samples(["", "zebra"]), [0.0, 0.0])
    assert fitted.transform([""] * 3).shape == (3, 6)  # a batch of empty documents only
    assert 0 < np.exp(fitted.score_samples(["apple"]))[0] < 1


def write_vectors(path, words, dim, header=True, opener=open):
    rng = np.random.default_rng(0)
    with opener(path, "wt", encoding="utf-8") as fh:
        if header:
            fh.write(f"{len(words)} {dim}\n")
        for w in words:
            fh.write(w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim)) + "\n")


def test_embeddings_from_a_word2vec_file(tmp_path):
    path = tmp_path / "vectors.txt.gz"
    write_vectors(path, FRUIT + ["unrelated"], dim=4, opener=gzip.open)
    model = CtxDocNADE(max_epochs=2, embeddings=path, **SETTINGS).fit(TRAIN)
    assert model.embedding_coverage_ == 0.5  # the fruit words, not the road words
    assert model.module_.prior.shape == (10, 4) and model.module_.prior_projection.shape == (4, 6)
    road_rows = [list(model.vocabulary_).index(w) for w in ROADS]
    assert not model.module_.prior[road_rows].any()
    loaded = topics.load_model(model.save(tmp_path / "ctxe"))
    assert loaded.embedding_coverage_ == 0.5 and loaded.embeddings == str(path)
    assert loaded.get_params() == {**model.get_params(), "embeddings": str(path)}
    np.testing.assert_array_equal(loaded.transform(HELD_OUT), model.transform(HELD_OUT))


def test_embeddings_trained_on_the_corpus_need_no_file(fitted, tmp_path):
    model = CtxDocNADE(max_epochs=20, lambda_ctx=0.5, embeddings="train", **SETTINGS).fit(TRAIN)
    prior = model.module_.prior.numpy()
    assert prior.shape == (10, 6) and model.embedding_coverage_ == 1.0
    words = list(model.vocabulary_)
    fruit, road = [words.index(w) for w in FRUIT], [words.index(w) for w in ROADS]
    similarity = prior @ prior.T
    assert similarity[np.ix_(fruit, fruit)].mean() > similarity[np.ix_(fruit, road)].mean()
    assert model.perplexity(HELD_OUT) < 7.0
    loaded = CtxDocNADE.load(model.save(tmp_path / "trained"))
    np.testing.assert_array_equal(loaded.score_samples(HELD_OUT), model.score_samples(HELD_OUT))


def test_save_and_load_round_trip(fitted, tmp_path):
    loaded = topics.load_model(fitted.save(tmp_path / "ctx"))
    assert isinstance(loaded, CtxDocNADE) and loaded.get_params() == fitted.get_params()
    assert loaded.embedding_coverage_ is None
    np.testing.assert_array_equal(loaded.transform(HELD_OUT), fitted.transform(HELD_OUT))
    with pytest.raises(ModelFileError, match="expected 'topics.DocNADE'"):
        DocNADE.load(tmp_path / "ctx")


def test_lambda_ctx_changed_after_fit_or_damaged_in_the_file(fitted, tmp_path):
    model = clone(fitted).set_params(max_epochs=1).fit(TRAIN[:10])
    model.set_params(lambda_ctx=0.9)
    with pytest.raises(StructNLPError, match=r"lambda_ctx=0.9 \(fitted with 0.5\)"):
        model.save(tmp_path / "changed")
    path = model.set_params(lambda_ctx=0.5).save(tmp_path / "ctx")
    header = json.loads((path / "config.json").read_text())
    header["config"]["params"]["lambda_ctx"] = "x"
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match="settings are damaged .*lambda_ctx must be a number"):
        topics.load_model(path)


def test_bad_embeddings_and_parameters(tmp_path):
    unrelated = tmp_path / "other.txt"
    write_vectors(unrelated, ["zebra", "unicorn"], dim=3, header=False)
    with pytest.raises(StructNLPError, match="none of the 10 vocabulary words has a vector"):
        CtxDocNADE(embeddings=unrelated, **SETTINGS).fit(TRAIN)
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("apple 1 2 3\nbanana 1 2\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="ragged.txt, line 2: 2 numbers after the word, expected 3"):
        CtxDocNADE(embeddings=ragged, **SETTINGS).fit(TRAIN)
    with pytest.raises(FileNotFoundError):
        CtxDocNADE(embeddings=tmp_path / "missing.txt", **SETTINGS).fit(TRAIN)
    with pytest.raises(StructNLPError, match="embeddings must be None, 'train' or the path"):
        CtxDocNADE(embeddings=np.zeros((10, 6)), **SETTINGS).fit(TRAIN)
    with pytest.raises(StructNLPError, match="lambda_ctx must be a finite number >= 0"):
        CtxDocNADE(lambda_ctx=-1, **SETTINGS).fit(TRAIN)
    with pytest.raises(StructNLPError, match="single str"):
        CtxDocNADE(**SETTINGS).fit("apple banana")
    with pytest.raises(EmptyCorpusError):
        CtxDocNADE(**SETTINGS).fit([])
