"""DocNADE / iDocNADE: the batched O(HD) network against a naive loop, likelihood, training, files, inputs."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from topics_helpers import FRUIT, HELD_OUT, SETTINGS, TRAIN, G, naive_nll, one_thread  # noqa: F401

import topics
from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.metrics import cv_coherence, npmi_coherence
from structnlp.modelio import save_model
from structnlp.vocab import Vocabulary
from topics import DocNADE
from topics._base import _collate, _shuffling_collate
from topics.docnade import DocNADENetwork


@pytest.fixture(scope="module")
def fitted() -> DocNADE:
    return DocNADE(max_epochs=20, **SETTINGS).fit(TRAIN)


def random_network(
    activation: str = "sigmoid",
    bidirectional: bool = False,
    prior_dim: int | None = None,
    lambda_prior: float = 0.0,
) -> DocNADENetwork:
    """A small network whose every weight (and prior) is drawn from N(0, 1), so no term is negligible."""
    network = DocNADENetwork(7, 5, activation, bidirectional, prior_dim, lambda_prior)
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for weight in [*network.parameters(), *network.buffers()]:
            weight.copy_(torch.randn(weight.shape, generator=generator))
    return network


def weights(network: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().double().numpy() for k, v in network.state_dict().items()}


DOCS = [[3, 1, 4, 1, 5], [2], [], [6, 6, 0, 2, 2, 2, 1]]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_batched_cumulative_sums_equal_the_naive_loop(activation):
    network = random_network(activation)
    batch = _collate([np.array(d) for d in DOCS])
    nll = network(batch["ids"], batch["lengths"]).detach().double().numpy()
    w = weights(network)
    expected = [naive_nll(d, w["W"], w["c"], w["U"], w["b"], G[activation]) for d in DOCS]
    np.testing.assert_allclose(nll, expected, rtol=1e-5, atol=1e-5)
    vectors = network.document_vectors(batch["ids"], batch["lengths"]).detach().double().numpy()
    naive_vectors = [G[activation](w["c"] + w["W"][d].sum(axis=0)) for d in DOCS]
    np.testing.assert_allclose(vectors, naive_vectors, rtol=1e-5, atol=1e-6)


def test_bidirectional_is_the_mean_of_both_reading_directions():
    network = random_network(bidirectional=True)
    batch = _collate([np.array(d) for d in DOCS])
    nll = network(batch["ids"], batch["lengths"]).detach().double().numpy()
    w, g = weights(network), G["sigmoid"]
    expected = [
        0.5
        * (
            naive_nll(d, w["W"], w["c"], w["U"], w["b"], g)
            + naive_nll(d[::-1], w["W"], w["c_bw"], w["U"], w["b_bw"], g)
        )
        for d in DOCS
    ]
    np.testing.assert_allclose(nll, expected, rtol=1e-5, atol=1e-5)
    vectors = network.document_vectors(batch["ids"], batch["lengths"]).detach().double().numpy()
    totals = [w["W"][d].sum(axis=0) for d in DOCS]
    np.testing.assert_allclose(vectors, [g(w["c"] + t) + g(w["c_bw"] + t) for t in totals], rtol=1e-5)


@pytest.mark.parametrize("prior_dim", [5, 3])
def test_docnadee_adds_the_weighted_embeddings_to_every_column_of_w(prior_dim):
    """iDocNADEe's batched network equals the naive loop run with W + lambda E (E projected)."""
    network = random_network(bidirectional=True, prior_dim=prior_dim, lambda_prior=0.6)
    assert hasattr(network, "prior_projection") == (prior_dim == 3)
    w, g = weights(network), G["sigmoid"]
    prior = w["prior"] @ w["prior_projection"] if prior_dim == 3 else w["prior"]
    columns = w["W"] + 0.6 * prior
    batch = _collate([np.array(d) for d in DOCS])
    nll = network(batch["ids"], batch["lengths"]).detach().double().numpy()
    expected = [
        0.5
        * (
            naive_nll(d, columns, w["c"], w["U"], w["b"], g)
            + naive_nll(d[::-1], columns, w["c_bw"], w["U"], w["b_bw"], g)
        )
        for d in DOCS
    ]
    np.testing.assert_allclose(nll, expected, rtol=1e-5, atol=1e-5)
    vectors = network.document_vectors(batch["ids"], batch["lengths"]).detach().double().numpy()
    totals = [columns[d].sum(axis=0) for d in DOCS]
    np.testing.assert_allclose(vectors, [g(w["c"] + t) + g(w["c_bw"] + t) for t in totals], rtol=1e-5)


def test_docnadee_trains_saves_and_loads_with_its_embeddings(tmp_path):
    plain = DocNADE(max_epochs=10, **SETTINGS).fit(TRAIN)
    model = DocNADE(max_epochs=10, embeddings="train", lambda_embeddings=0.5, **SETTINGS).fit(TRAIN)
    assert plain.embedding_coverage_ is None and model.embedding_coverage_ == 1.0
    prior = model.module_.prior.numpy()
    assert prior.shape == (10, SETTINGS["n_topics"]) and prior.any()
    assert model.perplexity(HELD_OUT) < 0.9 * len(model.vocabulary_)  # it learns
    assert not np.allclose(model.score_samples(HELD_OUT), plain.score_samples(HELD_OUT))
    loaded = topics.load_model(model.save(tmp_path / "docnadee"))
    assert loaded.get_params() == model.get_params() and loaded.embedding_coverage_ == 1.0
    np.testing.assert_array_equal(loaded.module_.prior.numpy(), prior)
    np.testing.assert_array_equal(loaded.score_samples(HELD_OUT), model.score_samples(HELD_OUT))
    np.testing.assert_array_equal(loaded.transform(HELD_OUT), model.transform(HELD_OUT))
    model.set_params(lambda_embeddings=1.0)
    with pytest.raises(StructNLPError, match=r"set_params changed lambda_embeddings=1.0 \(fitted with 0.5\)"):
        model.save(tmp_path / "changed")


def test_the_estimator_scores_documents_like_the_naive_loop(fitted):
    w = weights(fitted.module_)
    words = list(fitted.vocabulary_)
    docs = ["banana car apple unknownword", "truck", ""]
    ids = [[words.index(t) for t in doc.split() if t in words] for doc in docs]
    expected = [-naive_nll(d, w["W"], w["c"], w["U"], w["b"], G["sigmoid"]) for d in ids]
    np.testing.assert_allclose(fitted.score_samples(docs), expected, rtol=1e-5, atol=1e-6)


def test_word_probabilities_normalise_over_all_short_documents(fitted):
    words = list(fitted.vocabulary_)
    for length in (1, 2):
        docs = [list(d) for d in itertools.product(words, repeat=length)]
        assert np.exp(fitted.score_samples(docs)).sum() == pytest.approx(1.0, abs=1e-5)


def test_a_model_with_zero_weights_is_uniform_and_has_the_vocabulary_size_as_perplexity(fitted):
    model = clone(fitted).fit(TRAIN)
    with torch.no_grad():
        for weight in model.module_.parameters():
            weight.zero_()
    assert len(model.vocabulary_) == 10
    assert model.perplexity(HELD_OUT) == pytest.approx(10.0, rel=1e-6)
    assert model.score_samples(["apple car"])[0] == pytest.approx(-2 * np.log(10), rel=1e-6)


def test_training_lowers_the_perplexity(fitted):
    one_epoch = DocNADE(max_epochs=1, **SETTINGS).fit(TRAIN)
    # Once the first word shows the topic, 5 words remain likely: the ideal perplexity is about 5.5.
    assert fitted.perplexity(HELD_OUT) < 7.0 < one_epoch.perplexity(HELD_OUT)
    losses = [h["train_loss"] for h in fitted.history_]
    assert losses[-1] < losses[0]
    assert fitted.n_iter_ == 20 and len(fitted.history_) == 20


def test_a_random_state_makes_fitting_reproducible(fitted):
    again = DocNADE(max_epochs=20, **SETTINGS).fit(TRAIN)
    np.testing.assert_array_equal(again.transform(HELD_OUT), fitted.transform(HELD_OUT))
    other = DocNADE(max_epochs=20, **{**SETTINGS, "random_state": 1}).fit(TRAIN)
    assert not np.allclose(other.transform(HELD_OUT), fitted.transform(HELD_OUT))


def test_topics_are_the_largest_weights_of_each_row_of_w(fitted):
    W = fitted.components_
    assert W.shape == (6, 10)
    words = list(fitted.vocabulary_)
    assert fitted.topics(top_n=3) == [[words[i] for i in np.argsort(-row, kind="stable")[:3]] for row in W]
    assert all(len(t) == 10 for t in fitted.topics(top_n=50))  # capped at the vocabulary size


def test_a_trained_model_separates_the_two_topics(fitted):
    vectors = fitted.transform(
        ["apple banana cherry", "grape lemon apple", "car road wheel", "engine truck car"]
    )
    same = np.corrcoef(vectors)
    assert same[0, 1] > same[0, 2] and same[2, 3] > same[1, 3]


def test_coherence_scores_the_topics_with_the_shared_metrics(fitted):
    texts = [doc.split() for doc in TRAIN]
    assert fitted.coherence(TRAIN, top_n=4) == npmi_coherence(fitted.topics(4), texts, top_n=4)
    assert fitted.coherence(TRAIN, measure="c_v", top_n=4, window_size=None) == cv_coherence(
        fitted.topics(4), texts, top_n=4, window_size=None
    )
    with pytest.raises(StructNLPError, match="measure"):
        fitted.coherence(TRAIN, measure="umass")


def test_empty_oov_and_single_word_documents(fitted):
    vectors = fitted.transform(["", "zebra unicorn", "apple", []])
    w = weights(fitted.module_)
    empty = G["sigmoid"](w["c"])
    np.testing.assert_allclose(vectors[[0, 1, 3]], [empty] * 3, rtol=1e-6)
    assert not np.allclose(vectors[2], empty)
    np.testing.assert_array_equal(fitted.score_samples(["", "zebra"]), [0.0, 0.0])
    # Documents without a vocabulary word do not enter the perplexity.
    assert fitted.perplexity(["apple car", "", "zebra"]) == pytest.approx(fitted.perplexity(["apple car"]))
    with pytest.raises(StructNLPError, match="none of the documents holds a vocabulary word"):
        fitted.perplexity(["", "zebra"])
    assert fitted.transform([]).shape == (0, 6)
    single = np.exp(fitted.score_samples(["apple"]))[0]
    assert 0 < single < 1


def test_fitting_skips_documents_without_vocabulary_words():
    model = DocNADE(max_epochs=2, **SETTINGS).fit(TRAIN[:10] + ["", "   "])
    assert len(model.vocabulary_) <= 10


def test_token_lists_and_strings_give_the_same_model():
    from_text = DocNADE(max_epochs=2, **SETTINGS).fit(TRAIN)
    from_tokens = DocNADE(max_epochs=2, **SETTINGS).fit([doc.split() for doc in TRAIN])
    np.testing.assert_array_equal(from_text.transform(HELD_OUT), from_tokens.transform(HELD_OUT))
    assert (
        from_text.transform(["Apple, BANANA!"]).tolist()
        == from_text.transform([["apple", "banana"]]).tolist()
    )


def test_vocabulary_options():
    docs = ["the apple and the banana", "the car and the road", "the apple"]
    model = DocNADE(max_epochs=1, stop_words="english", **SETTINGS).fit(docs)
    assert "the" not in model.vocabulary_ and "apple" in model.vocabulary_
    assert list(DocNADE(max_epochs=1, min_count=2, **SETTINGS).fit(docs).vocabulary_) == [
        "the",
        "and",
        "apple",
    ]
    assert len(DocNADE(max_epochs=1, max_size=2, **SETTINGS).fit(docs).vocabulary_) == 2
    given = Vocabulary(["apple", "car"])  # its <pad> and <unk> are not modelled
    model = DocNADE(max_epochs=1, vocabulary=given, **SETTINGS).fit(docs)
    assert model.components_.shape == (6, 2) and model.topics(2)[0] in (["apple", "car"], ["car", "apple"])


def test_validation_documents_select_the_best_epoch():
    model = DocNADE(max_epochs=6, patience=2, **SETTINGS).fit(TRAIN, validation_docs=HELD_OUT)
    metrics = [h["metric"] for h in model.history_]
    assert all(m is not None for m in metrics)
    assert model.perplexity(HELD_OUT) == pytest.approx(min(metrics), rel=1e-6)
    with pytest.raises(StructNLPError, match="patience"):
        DocNADE(patience=2, **SETTINGS).fit(TRAIN)


def test_save_and_load_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    for loaded in (topics.load_model(path), DocNADE.load(path, device="cpu")):
        assert isinstance(loaded, DocNADE) and loaded.get_params() == fitted.get_params()
        np.testing.assert_array_equal(loaded.transform(HELD_OUT), fitted.transform(HELD_OUT))
        np.testing.assert_array_equal(loaded.score_samples(HELD_OUT), fitted.score_samples(HELD_OUT))
        assert loaded.topics(5) == fitted.topics(5) and loaded.history_ == fitted.history_
        assert loaded.vocabulary_ == fitted.vocabulary_ and loaded.n_iter_ == fitted.n_iter_


def test_files_from_before_word_order_and_embeddings_load_as_before(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    header = json.loads((path / "config.json").read_text())
    for key in ("word_order", "embeddings", "lambda_embeddings"):
        del header["config"]["params"][key]
    header["config"]["learned"] = {}
    (path / "config.json").write_text(json.dumps(header))
    loaded = topics.load_model(path)
    assert loaded.word_order == "document" and loaded.embeddings is None
    assert loaded.embedding_coverage_ is None
    np.testing.assert_array_equal(loaded.score_samples(HELD_OUT), fitted.score_samples(HELD_OUT))


def test_bidirectional_and_given_vocabulary_survive_saving(tmp_path):
    model = DocNADE(max_epochs=2, bidirectional=True, vocabulary=Vocabulary(FRUIT), **SETTINGS).fit(TRAIN)
    loaded = topics.load_model(model.save(tmp_path / "bi"))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.score_samples(HELD_OUT), model.score_samples(HELD_OUT))


def test_foreign_and_damaged_model_files_are_refused(fitted, tmp_path):
    other = save_model(
        tmp_path / "other", model_class="tsetlin.Classifier", format_version=1, config={}, arrays={}
    )
    with pytest.raises(ModelFileError, match="not a topic model"):
        topics.load_model(other)
    path = fitted.save(tmp_path / "model")
    with pytest.raises(ModelFileError, match="expected 'topics.CtxDocNADE'"):
        topics.CtxDocNADE.load(path)
    header = json.loads((path / "config.json").read_text())
    header["config"]["params"]["n_topicz"] = header["config"]["params"].pop("n_topics")
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match="settings are damaged"):
        topics.load_model(path)
    with pytest.raises(ModelFileError, match="pickle"):
        (tmp_path / "model.pkl").write_bytes(b"\x80\x04K\x01.")
        topics.load_model(tmp_path / "model.pkl")


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [("n_topics", "6", "n_topics must be an int"), ("activation", "bogus", "activation must be one of"),
     ("batch_tokens", 0, "batch_tokens must be an int >= 1"), ("bidirectional", "no", "bidirectional"),
     ("word_order", "sorted", "word_order must be one of")],
)  # fmt: skip
def test_damaged_setting_values_are_refused_when_loading(fitted, tmp_path, key, value, problem):
    """A bad value must not reach torch (a TypeError) nor change the model (unknown activations were relu)."""
    path = fitted.save(tmp_path / "model")
    header = json.loads((path / "config.json").read_text())
    header["config"]["params"][key] = value
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=f"settings are damaged .*{problem}"):
        topics.load_model(path)


def test_set_params_after_fit_leaves_the_fitted_model_as_it_is_until_refit(tmp_path):
    model = DocNADE(max_epochs=1, **SETTINGS).fit(TRAIN)
    vectors = model.transform(HELD_OUT)
    model.set_params(n_topics=3, bidirectional=True)
    np.testing.assert_array_equal(model.transform(HELD_OUT), vectors)
    assert len(model.get_feature_names_out()) == SETTINGS["n_topics"]
    changed = r"set_params changed n_topics=3 \(fitted with 6\), bidirectional"
    with pytest.raises(StructNLPError, match=changed):
        model.save(tmp_path / "model")
    model.set_params(n_topics=SETTINGS["n_topics"], bidirectional=False)
    loaded = topics.load_model(model.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.transform(HELD_OUT), vectors)


@pytest.mark.parametrize(
    ("docs", "error", "message"),
    [
        ("apple banana", StructNLPError, "single str"),
        ([], EmptyCorpusError, "no documents"),
        (["", "  ..."], EmptyCorpusError, "empty"),
        ([1, 2], StructNLPError, "document 0 is int"),
        ([["apple", 3]], StructNLPError, "holds the token 3"),
        (np.array([["a", "b"]]), StructNLPError, "1-D"),
    ],
)
def test_bad_training_input_is_a_clear_error(docs, error, message):
    with pytest.raises(error, match=message):
        DocNADE(**SETTINGS).fit(docs)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_topics": 0}, "n_topics must be an int >= 1"),
        ({"activation": "softmax"}, "activation must be one of"),
        ({"bidirectional": "yes"}, "bidirectional must be True or False"),
        ({"vocabulary": ["a", "b"]}, "Vocabulary"),
        ({"lr": -1.0}, "lr"),
        ({"tokenizer": 42}, "tokenizer"),
        ({"word_order": "sorted"}, "word_order must be one of 'document', 'shuffle'"),
        ({"lambda_embeddings": -1.0}, "lambda_embeddings must be a finite number >= 0"),
        ({"embeddings": 3}, "embeddings must be None, 'train' or the path"),
    ],
)
def test_bad_parameters_are_reported_by_fit(params, message):
    with pytest.raises(StructNLPError, match=message):
        DocNADE(**{**SETTINGS, **params}).fit(TRAIN)


def test_unfitted_models_refuse_to_predict():
    with pytest.raises(NotFittedError):
        DocNADE().transform(["apple"])
    with pytest.raises(NotFittedError):
        DocNADE().save("/nonexistent/model")


def test_works_as_a_scikit_learn_pipeline_step():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    labels = [int(doc.split()[0] in FRUIT) for doc in TRAIN]
    pipeline = make_pipeline(DocNADE(max_epochs=20, **SETTINGS), LogisticRegression(max_iter=1000))
    pipeline.fit(TRAIN, labels)
    assert pipeline.score(TRAIN, labels) > 0.9
    assert list(pipeline[0].get_feature_names_out()) == [f"docnade{i}" for i in range(6)]


@pytest.mark.parametrize("lr", [0, -1.0])
def test_a_bad_learning_rate_is_named_as_the_estimator_parameter(lr):
    with pytest.raises(StructNLPError, match=rf"^DocNADE.lr must be a positive number, got {lr}"):
        DocNADE(n_topics=2, lr=lr).fit(["a b c", "b c d"])


def test_score_is_minus_the_log_perplexity_so_grid_search_picks_the_lowest_perplexity(fitted):
    from sklearn.model_selection import GridSearchCV

    assert fitted.score(HELD_OUT) == pytest.approx(-np.log(fitted.perplexity(HELD_OUT)), rel=1e-12)
    settings = SETTINGS | {"max_epochs": 5}
    search = GridSearchCV(DocNADE(**settings), {"n_topics": [1, 6]}, cv=2).fit(TRAIN)
    perplexities = search.cv_results_["mean_test_score"]
    assert np.isfinite(perplexities).all()
    assert search.best_params_["n_topics"] == [1, 6][int(np.argmax(perplexities))]


def test_the_shuffling_collate_permutes_each_document_anew_at_every_call():
    docs = [np.arange(6), np.array([4, 4, 1]), np.array([], dtype=np.int64)]
    collate = _shuffling_collate(seed=0)
    orders = set()
    for _ in range(20):
        batch = collate(docs)
        assert batch["lengths"].tolist() == [6, 3, 0]
        ids = batch["ids"].numpy()
        assert sorted(ids[0]) == list(range(6)) and sorted(ids[1, :3]) == [1, 4, 4]
        orders.add(tuple(ids[0]))
    assert len(orders) > 10  # a new order at (nearly) every call
    first = [b["ids"].tolist() for b in map(_shuffling_collate(seed=0), [docs] * 3)]
    assert first == [b["ids"].tolist() for b in map(_shuffling_collate(seed=0), [docs] * 3)]


def test_shuffled_training_scores_a_bag_of_words_alike_in_any_order():
    """Trained on words always written in one order, the document-order model has learnt that
    order; the shuffle-trained one gives the same bag nearly the same likelihood either way."""
    words = [f"w{i}" for i in range(8)]
    docs = [words[i : i + 4] for i in range(5)] * 30  # every document in ascending order
    gaps = {}
    for order in ("document", "shuffle"):
        model = DocNADE(word_order=order, max_epochs=30, **SETTINGS).fit(docs)
        forward = model.score_samples(docs[:5])
        backward = model.score_samples([doc[::-1] for doc in docs[:5]])
        gaps[order] = float(np.abs(forward - backward).mean())
    assert gaps["shuffle"] < 0.25 * gaps["document"]


def test_shuffled_training_is_reproducible_and_differs_from_document_order():
    first = DocNADE(word_order="shuffle", max_epochs=3, **SETTINGS).fit(TRAIN)
    again = DocNADE(word_order="shuffle", max_epochs=3, **SETTINGS).fit(TRAIN)
    plain = DocNADE(max_epochs=3, **SETTINGS).fit(TRAIN)
    np.testing.assert_array_equal(first.components_, again.components_)
    assert not np.allclose(first.components_, plain.components_)


def test_shuffled_training_validates_on_the_validation_words_in_one_fixed_random_order():
    from sklearn.utils import check_random_state

    model = DocNADE(word_order="shuffle", max_epochs=3, **SETTINGS).fit(TRAIN, validation_docs=HELD_OUT)
    seed = int(check_random_state(SETTINGS["random_state"]).randint(0, 2**31 - 1))
    rng = np.random.default_rng(seed + 1)
    encoded = [doc for doc in model._encode(model._documents(HELD_OUT)) if doc.size]
    shuffled = [[model._words[i] for i in doc[rng.permutation(len(doc))]] for doc in encoded]
    best = min(h["metric"] for h in model.history_)
    assert model.perplexity(shuffled) == pytest.approx(best, rel=1e-9)
    assert model.perplexity(HELD_OUT) != pytest.approx(best, rel=1e-6)
