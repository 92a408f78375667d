"""The coherence prior on W: its formula, its effect on training, its parameters, files and CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from topics_helpers import FRUIT, ROADS, SETTINGS, TRAIN, one_thread  # noqa: F401

import topics
from structnlp.cli import main
from structnlp.errors import StructNLPError
from topics import CtxDocNADE, DocNADE
from topics.coherence_prior import SHARPNESS, coherence_vectors, soft_coherence, unit_vectors


def brute_force_coherence(W: np.ndarray, vectors: np.ndarray, sharpness: float) -> list[float]:
    """Expected cosine of two different words drawn from each topic's softmax, pair by pair."""
    scores = []
    for column in W.T:
        z = sharpness * (column - column.mean()) / column.std(ddof=1)
        beta = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        pairs = [(v, w) for v in range(len(beta)) for w in range(len(beta)) if v != w]
        mass = sum(beta[v] * beta[w] for v, w in pairs)
        scores.append(sum(beta[v] * beta[w] * cosine(vectors[v], vectors[w]) for v, w in pairs) / mass)
    return scores


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / norms) if norms else 0.0


def test_soft_coherence_is_the_expected_cosine_of_two_different_leading_words():
    rng = np.random.default_rng(0)
    W, vectors = rng.normal(size=(7, 3)), rng.normal(size=(7, 4))
    vectors[2] = 0.0  # a word without a vector is similar to nothing
    got = soft_coherence(torch.from_numpy(W), unit_vectors(vectors).double(), SHARPNESS)
    np.testing.assert_allclose(got.numpy(), brute_force_coherence(W, vectors, SHARPNESS), rtol=1e-6)


def test_unit_vectors_keep_zero_rows():
    unit = unit_vectors(np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])).numpy()
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], rtol=1e-6)
    assert unit.dtype == np.float32


def test_the_gradient_raises_the_weights_of_words_similar_to_a_topics_leading_word():
    unit = unit_vectors(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]))
    W = torch.tensor([[2.0], [0.0], [0.0], [0.0]], requires_grad=True)  # word 0 leads the one topic
    soft_coherence(W, unit).sum().backward()
    assert W.grad[1, 0] > 0 and W.grad[1, 0] > W.grad[2, 0]  # word 1 is word 0's synonym, word 2 is not


def test_training_with_the_prior_makes_the_leading_words_more_similar():
    mixed = TRAIN + [f"{a} {b}" for a, b in zip(FRUIT, ROADS, strict=True)]  # a few documents mix topics
    plain = DocNADE(max_epochs=20, **SETTINGS).fit(mixed)
    prior = DocNADE(max_epochs=20, coherence_weight=1.0, **SETTINGS).fit(mixed)
    docs = plain._encode(plain._documents(mixed))
    unit = unit_vectors(coherence_vectors("train", docs, plain._words, 0, "test"))
    before = soft_coherence(plain.module_.W.detach(), unit).mean()
    after = soft_coherence(prior.module_.W.detach(), unit).mean()
    assert after > before + 0.1
    assert prior.perplexity(mixed) < 10  # still far better than uniform over the 10 words


@pytest.mark.parametrize("docs", [["a a a", "a"], ["a b", "b a"], ["a", "b", "c"]])
def test_tiny_vocabularies_train(docs):
    """One word has no pair to reward: its standard deviation was NaN and training stopped."""
    model = DocNADE(n_topics=3, coherence_weight=1.0, max_epochs=2, random_state=0, device="cpu").fit(docs)
    assert np.isfinite(model.history_[-1]["train_loss"])


def test_a_zero_weight_trains_exactly_the_papers_model():
    a = DocNADE(max_epochs=3, **SETTINGS).fit(TRAIN)
    b = DocNADE(max_epochs=3, coherence_weight=0.0, coherence_vectors="/nonexistent", **SETTINGS).fit(TRAIN)
    assert torch.equal(a.module_.W, b.module_.W)


def test_vectors_from_a_word2vec_file(tmp_path):
    path = tmp_path / "vectors.txt"
    rows = [f"{w} 1 0" for w in FRUIT] + [f"{w} 0 1" for w in ROADS]
    path.write_text(f"{len(rows)} 2\n" + "\n".join(rows) + "\n", encoding="utf-8")
    model = DocNADE(max_epochs=3, coherence_weight=1.0, coherence_vectors=path, **SETTINGS).fit(TRAIN)
    saved = topics.load_model(model.save(tmp_path / "model"))
    assert saved.coherence_vectors == str(path) and saved.coherence_weight == 1.0
    np.testing.assert_array_equal(saved.transform(TRAIN[:3]), model.transform(TRAIN[:3]))

    elsewhere = tmp_path / "other.txt"
    elsewhere.write_text("zebra 1 0\n", encoding="utf-8")
    with pytest.raises(StructNLPError, match=r"DocNADE: none of the 10 vocabulary words has a vector in"):
        DocNADE(max_epochs=1, coherence_weight=1.0, coherence_vectors=elsewhere, **SETTINGS).fit(TRAIN)


def test_ctx_docnade_takes_the_prior_too():
    model = CtxDocNADE(max_epochs=2, coherence_weight=1.0, **SETTINGS).fit(TRAIN)
    assert model.transform(TRAIN[:2]).shape == (2, 6)


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf"), True, "1"])
def test_a_bad_weight_is_named(weight):
    with pytest.raises(StructNLPError, match=r"^DocNADE: coherence_weight must be a finite number >= 0"):
        DocNADE(coherence_weight=weight, **SETTINGS).fit(TRAIN)


@pytest.mark.parametrize("source", [3, "", None])
def test_bad_vectors_are_named(source):
    with pytest.raises(StructNLPError, match=r"^CtxDocNADE: coherence_vectors must be 'train' or the path"):
        CtxDocNADE(coherence_weight=1.0, coherence_vectors=source, **SETTINGS).fit(TRAIN)


def test_a_missing_vector_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt: no such file"):
        DocNADE(coherence_weight=1.0, coherence_vectors=tmp_path / "missing.txt", **SETTINGS).fit(TRAIN)


def test_the_command_line_option(tmp_path, capsys):
    corpus = tmp_path / "train.txt"
    corpus.write_text("\n".join(TRAIN) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    fast = ["--n-topics", "4", "--epochs", "2", "--batch-tokens", "128", "--device", "cpu"]
    assert main(["topics", "train", str(corpus), "-o", str(out), "--coherence-weight", "1", *fast]) == 0
    assert topics.load_model(out).coherence_weight == 1.0
    assert main(["topics", "train", str(corpus), "-o", str(out), "--coherence-weight", "-1", *fast]) == 1
    assert "coherence_weight must be a finite number >= 0, got -1.0" in capsys.readouterr().err


@pytest.mark.data
@pytest.mark.slow
def test_the_prior_lifts_npmi_on_20nsshort_without_costing_perplexity(shared_data):
    from structnlp.datasets import load

    train = [d.split() for d in load("20NSshort", split="train", root=shared_data).texts]
    test = [d.split() for d in load("20NSshort", split="test", root=shared_data).texts]
    settings = {"n_topics": 50, "activation": "tanh", "max_epochs": 6, "batch_tokens": 4096}
    settings |= {"max_size": 1448, "random_state": 0, "device": "cpu"}
    plain = DocNADE(**settings).fit(train)
    prior = DocNADE(coherence_weight=1.0, **settings).fit(train)
    npmi = {m: m.coherence(train, measure="npmi")["coherence"] for m in (plain, prior)}
    assert npmi[prior] > npmi[plain] + 0.1
    assert prior.perplexity(test) < 1.05 * plain.perplexity(test)
