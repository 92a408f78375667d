"""TsetlinMachineClassifier: learning, determinism, incremental learning, persistence and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MultiLabelBinarizer

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.features import BooleanBagOfWords
from structnlp.modelio import save_model
from tsetlin import TsetlinMachineClassifier


def noisy_xor(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """12 random bits; the label is x0 XOR x1, flipped with probability ``noise``."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 12)).astype(np.uint8)
    y = X[:, 0] ^ X[:, 1]
    return X, np.where(rng.random(n) < noise, 1 - y, y)


def planted(n: int, seed: int, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """20 random bits; the label is (x2 AND x7 AND NOT x11) OR (x4 AND x15)."""
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 20)) < 0.5).astype(np.uint8)
    y = (X[:, 2] & X[:, 7] & (1 - X[:, 11])) | (X[:, 4] & X[:, 15])
    return X, np.where(rng.random(n) < noise, 1 - y, y)


def small(**kw) -> TsetlinMachineClassifier:
    params = dict(n_clauses=10, threshold=10, specificity=5.0, n_epochs=10, random_state=0, n_jobs=1)
    params.update(kw)
    return TsetlinMachineClassifier(**params)


# ------------------------------------------------------------------ learning
@pytest.mark.parametrize("seed", [0, 1])
def test_learns_noisy_xor(seed):
    X, y = noisy_xor(3000, noise=0.3, seed=1)
    X_test, y_test = noisy_xor(2000, noise=0.0, seed=99)
    clf = TsetlinMachineClassifier(
        n_clauses=20,
        threshold=10,
        specificity=3.9,
        n_epochs=50,
        weighted=False,
        boost_true_positive_feedback=False,
        random_state=seed,
        n_jobs=1,
    ).fit(X, y)
    assert (clf.predict(X_test) == y_test).mean() >= 0.99


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_learns_planted_conjunctions_and_shows_them_as_rules(noise):
    X, y = planted(2000, seed=1, noise=noise)
    X_test, y_test = planted(2000, seed=99)
    clf = small(n_epochs=30).fit(X, y)
    assert (clf.predict(X_test) == y_test).mean() >= 0.99
    found = {(r.positive, r.negated) for r in clf.rules() if r.class_ == 1 and r.polarity == "for"}
    assert any({"x4", "x15"} <= set(pos) for pos, _ in found)
    assert any({"x2", "x7"} <= set(pos) and "x11" in neg for pos, neg in found)


def test_multiclass_string_labels_and_sparse_input():
    X, y = planted(1500, seed=3)
    labels = np.where(X[:, 0] == 1, "third", np.where(y == 1, "one", "zero"))
    clf = small(n_epochs=20).fit(sp.csr_matrix(X), labels)
    assert clf.classes_.tolist() == ["one", "third", "zero"]
    assert clf.decision_function(X).shape == (1500, 3)
    X_test, y_test = planted(1000, seed=4)
    expected = np.where(X_test[:, 0] == 1, "third", np.where(y_test == 1, "one", "zero"))
    assert (clf.predict(sp.csc_matrix(X_test)) == expected).mean() >= 0.97


def test_literal_budget_and_positive_only_rules():
    X, y = planted(1000, seed=5)
    clf = small(max_included_literals=2, feature_negation=False).fit(X, y)
    positive, negated = clf.include_masks()
    assert (positive.sum(axis=2) + negated.sum(axis=2)).max() <= 2
    assert not negated.any()
    assert all(not r.negated and r.n_literals <= 2 for r in clf.rules())


def test_clause_and_literal_drop_still_learn():
    X, y = planted(2000, seed=6)
    clf = small(n_epochs=30, clause_drop_p=0.2, literal_drop_p=0.05).fit(X, y)
    X_test, y_test = planted(1000, seed=7)
    assert (clf.predict(X_test) == y_test).mean() >= 0.95


def test_unweighted_clauses_keep_unit_weights():
    X, y = planted(500, seed=8)
    clf = small(weighted=False).fit(X, y)
    half = clf.n_clauses // 2
    assert (clf.clause_weights_[:, :half] == 1).all() and (clf.clause_weights_[:, half:] == -1).all()


# ------------------------------------------------------------------ outputs agree with each other
def test_decision_function_proba_and_predict_are_consistent():
    X, y = planted(800, seed=9)
    clf = small().fit(X, y)
    sums = clf.class_sums(X)
    fired = clf.clause_outputs(X)
    assert np.array_equal(sums, (fired * clf.clause_weights_[None]).sum(axis=2))
    assert np.array_equal(clf.decision_function(X), sums[:, 1] - sums[:, 0])
    proba = clf.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(clf.classes_[np.argmax(proba, axis=1)], clf.predict(X))
    z = sums / clf.threshold
    assert np.allclose(proba[:, 1], 1 / (1 + np.exp(z[:, 0] - z[:, 1])))


def test_dense_and_index_prediction_paths_agree():
    from tsetlin import cpu

    X, y = planted(600, seed=10)
    clf = small().fit(X, y)
    Xc = sp.csr_matrix(X)
    indptr, indices = Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64)
    votes = clf.clause_weights_.reshape(-1).astype(np.int64)
    dense = cpu.class_sums_dense(clf._ta, votes, indptr, indices, 2, n_threads=2)
    index = cpu.class_sums_index(indptr, indices, clf._index, votes, 2, n_threads=2)
    assert np.array_equal(dense, index)
    assert np.array_equal(dense, clf.class_sums(X))


# ------------------------------------------------------------------ determinism, partial_fit
def test_same_random_state_same_model_for_any_thread_count():
    X, y = planted(800, seed=11)
    labels = y + 2 * X[:, 0]  # four classes, so that two threads each get classes
    a = small(n_jobs=1).fit(X, labels)
    b = small(n_jobs=2).fit(X, labels)
    c = small(n_jobs=1, random_state=1).fit(X, labels)
    assert np.array_equal(a.literal_states(), b.literal_states())
    assert np.array_equal(a.clause_weights_, b.clause_weights_)
    assert not np.array_equal(a.literal_states(), c.literal_states())


def test_fit_equals_repeated_partial_fit():
    X, y = planted(500, seed=12)
    whole = small(n_epochs=3).fit(X, y)
    steps = small(n_epochs=3)
    for _ in range(3):
        steps.partial_fit(X, y, classes=[0, 1])
    assert steps.n_iter_ == whole.n_iter_ == 3
    assert np.array_equal(whole.literal_states(), steps.literal_states())
    assert np.array_equal(whole.clause_weights_, steps.clause_weights_)


def test_partial_fit_on_batches_learns():
    X, y = planted(3000, seed=13)
    clf = small()
    for epoch in range(10):
        for batch in np.array_split(np.arange(3000), 6):
            clf.partial_fit(X[batch], y[batch], classes=[0, 1] if epoch == 0 else None)
    X_test, y_test = planted(1000, seed=14)
    assert (clf.predict(X_test) == y_test).mean() >= 0.97


def test_partial_fit_errors():
    X, y = planted(100, seed=15)
    with pytest.raises(StructNLPError, match="classes must be given on the first call"):
        small().partial_fit(X, y)
    clf = small().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(StructNLPError, match=r"labels \[2\] that are not among the classes \[0, 1\]"):
        clf.partial_fit(X, np.full(100, 2))
    with pytest.raises(StructNLPError, match=r"classes=\[0, 1, 2\] differs .* first call \[0, 1\]"):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(StructNLPError, match="at least 2 classes"):
        small().partial_fit(X, y, classes=[0])
    with pytest.raises(ValueError, match="X has 19 features, but TsetlinMachineClassifier is expecting 20"):
        clf.partial_fit(X[:, :19], y)


def test_set_params_after_fit_never_breaks_the_fitted_model(tmp_path):
    """Changing n_clauses after fit crashed explain/rules with a reshape error, and a model saved
    then could not be loaded (shapes vs config); learning on needs the fitted automata."""
    X, y = planted(100, seed=25)
    clf = small(n_epochs=1).fit(X, y)
    rules, explanation = [str(r) for r in clf.rules()], clf.explain(X[0])
    for name, value in [("n_clauses", 20), ("n_state_bits", 4)]:
        clf.set_params(**{name: value})
        assert [str(r) for r in clf.rules()] == rules and clf.explain(X[0]) == explanation
        assert clf.clause_outputs(X[:2]).shape == (2, 2, 10)
        with pytest.raises(StructNLPError, match=f"{name} is {value} but the model was fitted with"):
            clf.partial_fit(X, y)
        with pytest.raises(StructNLPError, match=f"{name} is {value} but the model was fitted with"):
            clf.save(tmp_path / "tm")
        clf.set_params(n_clauses=10, n_state_bits=8)
    clf.set_params(threshold=0)
    with pytest.raises(StructNLPError, match="threshold must be an int >= 1"):
        clf.partial_fit(X, y)
    with pytest.raises(StructNLPError, match="threshold must be an int >= 1"):
        clf.save(tmp_path / "tm")
    assert not (tmp_path / "tm").exists()


# ------------------------------------------------------------------ persistence
def test_save_load_round_trip(tmp_path):
    X, y = planted(600, seed=16)
    labels = np.array(["no", "yes"])[y]
    clf = small(max_included_literals=4).fit(X, labels)
    clf.save(tmp_path / "tm")
    loaded = TsetlinMachineClassifier.load(tmp_path / "tm")
    assert loaded.get_params() == clf.get_params() | {"n_jobs": None, "verbose": 0, "random_state": None}
    assert loaded.classes_.tolist() == ["no", "yes"] and loaded.classes_.dtype == clf.classes_.dtype
    assert np.array_equal(loaded.class_sums(X), clf.class_sums(X))
    assert np.array_equal(loaded.predict(X), clf.predict(X))
    assert [str(r) for r in loaded.rules()] == [str(r) for r in clf.rules()]
    clf.partial_fit(X, labels)  # learning continues identically after a reload
    loaded.partial_fit(X, labels)
    assert np.array_equal(loaded.literal_states(), clf.literal_states())


def test_load_rejects_other_models_and_damaged_files(tmp_path):
    save_model(tmp_path / "other", model_class="topics.DocNADE", format_version=1, config={}, arrays={})
    with pytest.raises(ModelFileError, match="holds a 'topics.DocNADE' model"):
        TsetlinMachineClassifier.load(tmp_path / "other")
    with pytest.raises(ModelFileError, match="no such model directory"):
        TsetlinMachineClassifier.load(tmp_path / "missing")
    X, y = planted(100, seed=17)
    clf = small(n_epochs=1).fit(X, y)
    clf.save(tmp_path / "tm")
    config = {name: clf.get_params()[name] for name in ("n_clauses", "threshold", "specificity", "n_epochs")}
    save_model(
        tmp_path / "bad",
        model_class="tsetlin.TsetlinMachineClassifier",
        format_version=1,
        config=config,
        arrays={},
    )
    with pytest.raises(ModelFileError, match="incomplete or invalid TsetlinMachineClassifier config"):
        TsetlinMachineClassifier.load(tmp_path / "bad")
    with pytest.raises(ModelFileError, match="format version 2"):
        save_model(
            tmp_path / "v2",
            model_class="tsetlin.TsetlinMachineClassifier",
            format_version=2,
            config={},
            arrays={},
        )
        TsetlinMachineClassifier.load(tmp_path / "v2")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("classes", ["yes", "no"], r"classes \['yes', 'no'\] are not distinct sorted labels"),
        ("classes", ["no", "no"], "not distinct sorted labels"),
        ("classes", "noyes", "classes is not a list of at least 2 labels"),
        ("classes_dtype", "<i8", "not distinct sorted labels of dtype <i8"),
        ("n_features_in", "20", "n_features_in must be an int >= 1"),
        ("n_iter", -1, "n_iter must be an int >= 0"),
        ("seed", 1.5, "seed must be an int >= 0"),
        ("feature_names_in", ["a"], "feature_names_in is not a list of 20 str"),
    ],
)
def test_load_rejects_a_hand_edited_config(tmp_path, field, value, message):
    """config.json has no checksum: each field is checked, never a silently relabelled model."""
    import json

    X, y = planted(100, seed=17)
    small(n_epochs=1).fit(X, np.array(["no", "yes"])[y]).save(tmp_path / "tm")
    config_path = tmp_path / "tm" / "config.json"
    header = json.loads(config_path.read_text(encoding="utf-8"))
    header["config"][field] = value
    config_path.write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match=f"invalid TsetlinMachineClassifier config .*{message}"):
        TsetlinMachineClassifier.load(tmp_path / "tm")


@pytest.mark.parametrize(
    "labels",
    [np.array([3, 7]), np.array([False, True]), np.array([1.0, 2.0]), np.array(["b", "a"], dtype=object)],
)
def test_save_load_keeps_every_label_type(tmp_path, labels):
    X, y = planted(100, seed=23)
    clf = small(n_epochs=1).fit(X, labels[y])
    clf.save(tmp_path / "tm")
    loaded = TsetlinMachineClassifier.load(tmp_path / "tm")
    assert loaded.classes_.tolist() == clf.classes_.tolist() and loaded.classes_.dtype == clf.classes_.dtype
    assert loaded.predict(X).tolist() == clf.predict(X).tolist()


# ------------------------------------------------------------------ scikit-learn composition
def test_pipeline_grid_search_and_one_vs_rest():
    docs = [
        "fever cough ache",
        "rash itch red",
        "fever cough",
        "rash itch",
        "cough fever chills",
        "red rash",
    ] * 10
    labels = ["flu", "allergy"] * 30
    pipe = make_pipeline(BooleanBagOfWords(), small(n_clauses=4, threshold=4, specificity=3.0))
    search = GridSearchCV(pipe, {"tsetlinmachineclassifier__threshold": [2, 4]}, cv=2).fit(docs, labels)
    assert search.best_score_ == 1.0
    assert search.predict(["itchy red rash", "fever and cough"]).tolist() == ["allergy", "flu"]
    tags = [["fever"], ["skin"], ["fever"], ["skin"], ["fever", "chills"], ["skin"]] * 10
    Y = MultiLabelBinarizer().fit_transform(tags)
    ovr = make_pipeline(
        BooleanBagOfWords(), OneVsRestClassifier(small(n_clauses=4, threshold=4, specificity=3.0))
    )
    ovr.fit(docs, Y)
    assert np.array_equal(ovr.predict(docs), Y)
    assert clone(pipe).get_params()["tsetlinmachineclassifier__threshold"] == 4


def test_calibrated_classifier_cv_works_on_the_class_sums():
    """predict_proba's docstring points to CalibratedClassifierCV; it needs float scores."""
    X, y = planted(200, seed=22)
    labels = np.array(["no", "yes"])[y]
    clf = small(n_epochs=3)
    assert clf.fit(X, labels).decision_function(X[:3]).dtype == np.float64
    for method in ("sigmoid", "isotonic"):
        proba = CalibratedClassifierCV(clf, cv=2, method=method).fit(X, labels).predict_proba(X[:5])
        assert proba.shape == (5, 2) and np.allclose(proba.sum(axis=1), 1.0)
    three = np.array(["a", "b", "c"])[(X[:, 0] + X[:, 1]).astype(int)]
    assert CalibratedClassifierCV(clf, cv=2).fit(X, three).predict_proba(X[:5]).shape == (5, 3)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([[0, 1], [2, 0]] * 3), r"only 0 and 1 .* found 2 at row 1, column 0"),
        (
            sp.csr_matrix(np.array([[0, 0.5], [1, 0]] * 3)),
            r"only 0 and 1 .* found 0.5 at row 0, column 1",
        ),
        (np.array([[0, -1], [1, 0]] * 3), r"found -1 at row 0, column 1"),
        (np.array([[0, np.nan], [1, 0]] * 3), "Input X contains NaN"),
        (np.array([[0, np.inf], [1, 0]] * 3), "Input X contains infinity"),
        (["fever cough", "rash"] * 3, "got text; put a featurizer in front"),
        (np.array([["a", "b"], ["c", "d"]] * 3), "got text; put a featurizer in front"),
        (pd.Series(["fever cough", "rash"] * 3), "got text; put a featurizer in front"),
        (pd.DataFrame({"text": ["fever cough", "rash"] * 3}), "got text; put a featurizer in front"),
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((6, 0)), "0 feature"),
        (np.zeros((6, 2, 2)), "Found array with dim 3"),
    ],
)
def test_bad_X_is_a_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        small().fit(X, [0, 1] * 3)


def test_bad_y_and_prediction_input():
    X, y = planted(60, seed=18)
    with pytest.raises(StructNLPError, match="needs at least 2 classes to learn; y holds 1 class"):
        small().fit(X, np.ones(60))
    with pytest.raises(ValueError, match="Unknown label type"):
        small().fit(X, np.linspace(0, 1, 60))
    mixed = np.array(
        ["a", 1] * 30, dtype=object
    )  # scikit-learn: "Unknown label type: unknown ... regression"
    with pytest.raises(StructNLPError, match=r"y mixes str and int labels \('a' and 1\); use one type"):
        small().fit(X, mixed)
    with pytest.raises(StructNLPError, match="y holds a missing label \\(None\\) at index 1"):
        small().fit(X, np.array(["a", None, "b"] * 20, dtype=object))
    with pytest.raises(StructNLPError, match="missing label \\(None\\) at index 0"):
        small().partial_fit(X, np.array([None, "a", "b"] * 20, dtype=object), classes=["a", "b"])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small().fit(X, y[:10])
    clf = small(n_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but TsetlinMachineClassifier is expecting 20"):
        clf.predict(np.zeros((2, 3)))
    with pytest.raises(StructNLPError, match="found 5 at row 0, column 0"):
        clf.predict(np.full((1, 20), 5))
    with pytest.raises(StructNLPError, match="explain takes one document"):
        clf.explain(X[:2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        small().predict(X)
    failed = small()
    with pytest.raises(StructNLPError):
        failed.fit(X * 2, y)
    with pytest.raises(NotFittedError):  # a failed fit leaves no half-fitted model behind
        failed.predict(X)


def test_a_failed_refit_leaves_the_fitted_model_intact():
    """validate_data resets n_features_in_ and the feature names before the 0/1 check."""
    X, y = planted(60, seed=24)
    frame = pd.DataFrame(X, columns=[f"w{i}" for i in range(20)])
    clf = small(n_epochs=1).fit(frame, y)
    before = [str(r) for r in clf.rules()]
    with pytest.raises(StructNLPError, match="found 2"):
        clf.fit(pd.DataFrame(np.full((6, 3), 2), columns=["x", "y", "z"]), [0, 1] * 3)
    with pytest.raises(StructNLPError, match="at least 2 classes"):
        clf.fit(np.ones((6, 5)), [0] * 6)
    assert clf.n_features_in_ == 20 and list(clf.feature_names_in_) == list(frame.columns)
    assert [str(r) for r in clf.rules()] == before and clf.predict(frame).shape == (60,)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_clauses": 7}, "n_clauses must be even"),
        ({"n_clauses": 0}, "n_clauses must be an int >= 2"),
        ({"threshold": 0}, "threshold must be an int >= 1"),
        ({"threshold": 2**63}, "threshold must be <= 2147483647"),  # an OverflowError inside numba
        ({"max_included_literals": 2**63}, "max_included_literals must be <= 2147483647"),
        ({"specificity": 0.5}, "specificity must be a number >= 1.0"),
        ({"specificity": float("nan")}, "specificity must be a number"),
        ({"n_epochs": 0}, "n_epochs must be an int >= 1"),
        ({"weighted": "yes"}, "weighted must be True or False"),
        ({"max_included_literals": 0}, "max_included_literals must be None or an int >= 1"),
        ({"clause_drop_p": 1.0}, "clause_drop_p must be a number >= 0.0 and < 1.0"),
        ({"literal_drop_p": -0.1}, "literal_drop_p must be a number >= 0.0"),
        ({"n_state_bits": 17}, "n_state_bits must be <= 16"),
        ({"backend": "tpu"}, "backend must be one of 'auto', 'cpu', 'gpu'"),
        ({"n_jobs": 0}, "n_jobs must be None or a non-zero int"),
        ({"binarize": "half"}, "binarize must be a number"),
    ],
)
def test_bad_parameters_are_reported_at_fit(params, message):
    X, y = planted(20, seed=19)
    with pytest.raises(StructNLPError, match=message):
        small(**params).fit(X, y)


def test_gpu_backend_without_cupy_is_a_clear_error():
    pytest.importorskip("numba")
    import importlib.util

    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed")
    X, y = planted(20, seed=20)
    with pytest.raises(StructNLPError, match="backend='gpu' needs CuPy and a CUDA device"):
        small(backend="gpu").fit(X, y)
    assert small(backend="auto").fit(X, y).backend_ == "cpu"


def test_binarize_thresholds_numeric_features():
    X, y = planted(500, seed=21)
    counts = X * np.random.default_rng(0).integers(1, 5, size=X.shape)
    a = small(binarize=0.0).fit(counts, y)
    b = small().fit(X, y)
    assert np.array_equal(a.literal_states(), b.literal_states())
    with pytest.raises(StructNLPError, match="binarize < 0"):
        small(binarize=-1.0).fit(sp.csr_matrix(counts), y)
