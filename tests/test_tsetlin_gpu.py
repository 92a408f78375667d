"""The GPU backend: its kernel logic on the CPU (always), its CUDA kernels against the CPU backend (GPU only).

The CPU backend is the reference: for the same ``random_state`` the GPU must produce the same
automata, weights and random streams bit for bit.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import tsetlin_gpu_emulator as emulator

from tsetlin import TsetlinMachineClassifier, cpu

CONFIGS = {
    "weighted": {},
    "unweighted, no boost": {"weighted": False, "boost_true_positive_feedback": False},
    "literal budget": {"max_included_literals": 3},
    "clause and literal drop": {"clause_drop_p": 0.25, "literal_drop_p": 0.2},
    "no negation": {"feature_negation": False},
    "small s, few state bits": {"specificity": 1.5, "n_state_bits": 3},
}


def _has_cuda() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy raises its own error types when the driver or device is missing
        return False


needs_gpu = pytest.mark.skipif(not _has_cuda(), reason="needs CuPy and a CUDA device")


def problem(n_samples: int, n_features: int, n_classes: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Sparse documents whose class is planted in a few features, plus noise."""
    rng = np.random.default_rng(seed)
    X = (rng.random((n_samples, n_features)) < 0.08).astype(np.uint8)
    y = rng.integers(0, n_classes, size=n_samples)
    X[np.arange(n_samples), y % n_features] = 1
    return sp.csr_matrix(X), y


def epoch_inputs(params: dict, n_samples: int, n_features: int, n_classes: int, n_clauses: int, seed: int):
    """Fresh machine state and one epoch's plan, drawn as the estimator draws them."""
    X, y = problem(n_samples, n_features, n_classes, seed)
    clf = TsetlinMachineClassifier(n_clauses=n_clauses, threshold=8, random_state=seed, **params)
    clf.classes_ = np.arange(n_classes)
    clf._initialize(n_features)
    y_idx = y.astype(np.int32)
    plan = clf._epoch_plan(y_idx, n_features)
    state = (clf._ta, clf.clause_weights_.reshape(-1).copy(), clf._rng)
    budget = -1 if clf.max_included_literals is None else clf.max_included_literals
    rest = (
        X.indptr.astype(np.int64),
        X.indices.astype(np.int64),
        y_idx,
        plan["order"],
        plan["other"],
        plan["clause_active"],
        plan["la"],
        plan["valid"],
        plan["pool"],
        int(clf.threshold),
        bool(clf.boost_true_positive_feedback),
        bool(clf.weighted),
        budget,
        n_classes,
    )
    return state, rest


def copy_state(state):
    return tuple(a.copy() for a in state)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("n_warps", [1, 3, 7])
def test_kernel_decomposition_reproduces_the_cpu_backend(name, n_warps):
    # 70 features: two 64-bit words per half, the second one padded.
    state, rest = epoch_inputs(CONFIGS[name], n_samples=30, n_features=70, n_classes=3, n_clauses=6, seed=4)
    expected = copy_state(state)
    for epoch in range(2):
        cpu.train_epoch(*expected, *rest, 1)
        emulator.train_epoch(*state, *rest, n_warps=n_warps, schedule_seed=epoch)
    for got, want in zip(state, expected, strict=True):
        assert np.array_equal(got, want)
    assert (cpu.planes_to_states(expected[0], 70) >= 2 ** (expected[0].shape[1] - 1)).any()  # it learnt


@pytest.mark.skipif(_has_cuda(), reason="checks the fallback of a machine without a GPU")
def test_a_model_saved_for_the_gpu_loads_on_a_cpu_only_machine(tmp_path):
    from structnlp.errors import StructNLPError

    X, y = problem(100, 40, 2, seed=0)
    clf = TsetlinMachineClassifier(n_clauses=10, threshold=5, n_epochs=2, backend="cpu", random_state=0).fit(
        X, y
    )
    config, arrays = clf._state()
    config["backend"] = "gpu"  # as written by a model fitted with backend="gpu"
    with pytest.warns(UserWarning, match="saved with backend='gpu', which this machine lacks"):
        moved = TsetlinMachineClassifier._from_state(config, arrays, "model")
    assert moved.backend_ == "cpu"
    assert np.array_equal(moved.decision_function(X), clf.decision_function(X))
    clf.save(tmp_path / "m")
    with pytest.raises(StructNLPError, match="backend='gpu' needs CuPy"):
        TsetlinMachineClassifier.load(tmp_path / "m", backend="gpu")


@needs_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gpu_epochs_equal_cpu_epochs_bit_for_bit(name):
    from tsetlin import gpu

    state, rest = epoch_inputs(
        CONFIGS[name], n_samples=400, n_features=300, n_classes=4, n_clauses=40, seed=1
    )
    expected = copy_state(state)
    for _ in range(3):
        cpu.train_epoch(*expected, *rest, 2)
        gpu.train_epoch(*state, *rest, 1)
    for got, want in zip(state, expected, strict=True):
        assert np.array_equal(got, want)


@needs_gpu
@pytest.mark.gpu
def test_gpu_evaluation_equals_cpu_evaluation():
    from tsetlin import gpu

    rng = np.random.default_rng(3)
    n_features, C = 200, 24
    states = rng.integers(0, 64, size=(C, 2 * n_features)).astype(np.uint16)
    states[rng.random(states.shape) < 0.97] = 3  # mostly excluded, as after learning
    states[5] = 0  # an empty clause
    ta = cpu.states_to_planes(states, 7)
    X = sp.csr_matrix((rng.random((150, n_features)) < 0.05).astype(np.uint8))
    indptr, indices = X.indptr.astype(np.int64), X.indices.astype(np.int64)
    votes = rng.integers(-9, 10, size=C).astype(np.int64)
    assert np.array_equal(
        gpu.class_sums_dense(ta, votes, indptr, indices, 3),
        cpu.class_sums_dense(ta, votes, indptr, indices, 3),
    )
    assert np.array_equal(gpu.clause_outputs(ta, indptr, indices), cpu.clause_outputs(ta, indptr, indices))
    la = cpu.valid_mask(n_features)
    la[0] = 0
    assert np.array_equal(
        gpu.clause_outputs(ta, indptr, indices, la=la), cpu.clause_outputs(ta, indptr, indices, la=la)
    )


@needs_gpu
@pytest.mark.gpu
def test_estimator_on_gpu_equals_cpu_and_models_move_between_backends(tmp_path):
    X, y = problem(600, 500, 3, seed=7)
    params = {"n_clauses": 60, "threshold": 20, "specificity": 4.0, "n_epochs": 3, "random_state": 0}
    on_gpu = TsetlinMachineClassifier(backend="gpu", **params).fit(X, y)
    on_cpu = TsetlinMachineClassifier(backend="cpu", **params).fit(X, y)
    assert on_gpu.backend_ == "gpu" and TsetlinMachineClassifier(backend="auto").fit(X, y).backend_ == "gpu"
    assert np.array_equal(on_gpu.clause_weights_, on_cpu.clause_weights_)
    assert np.array_equal(on_gpu.decision_function(X), on_cpu.decision_function(X))
    assert (on_gpu.predict(X) == y).mean() > 0.9
    on_gpu.save(tmp_path / "m")
    loaded = TsetlinMachineClassifier.load(tmp_path / "m", backend="cpu")
    assert loaded.backend_ == "cpu"
    assert np.array_equal(loaded.decision_function(X), on_cpu.decision_function(X))
    on_gpu.partial_fit(X, y)
    on_cpu.partial_fit(X, y)
    assert np.array_equal(on_gpu.clause_weights_, on_cpu.clause_weights_)


@needs_gpu
@pytest.mark.gpu
def test_gpu_rejects_more_features_than_shared_memory_holds():
    from structnlp.errors import StructNLPError
    from tsetlin import gpu

    ta = cpu.initial_planes(2, 8, 400_000)
    with pytest.raises(StructNLPError, match="use backend='cpu' or fewer features"):
        gpu.class_sums_dense(
            ta, np.ones(2, dtype=np.int64), np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int64), 1
        )
