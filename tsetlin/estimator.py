"""The Tsetlin Machine text classifier as a scikit-learn estimator."""

from __future__ import annotations

import numbers
import os
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.params import check_bool, check_choice, check_int
from tsetlin.backend import BACKEND_CHOICES, load_backend, resolve_backend
from tsetlin.explain import Explanation, FiredClause, Rule, feature_names_or_default, plain_value

__all__ = ["TsetlinMachineClassifier"]

MODEL_CLASS = "tsetlin.TsetlinMachineClassifier"
_INT32_MAX = 2**31 - 1
FORMAT_VERSION = 1
_SAVED_PARAMS = (
    "n_clauses",
    "threshold",
    "specificity",
    "n_epochs",
    "weighted",
    "max_included_literals",
    "clause_drop_p",
    "literal_drop_p",
    "boost_true_positive_feedback",
    "feature_negation",
    "n_state_bits",
    "binarize",
    "backend",
)


def _check_float(
    name: str, value: Any, low: float, high: float | None = None, high_open: bool = False
) -> None:
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and np.isfinite(value)
        and value >= low
    )
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bound = f" and {'<' if high_open else '<='} {high}" if high is not None else ""
        raise StructNLPError(f"{name} must be a number >= {low}{bound}, got {value!r}")


def _n_threads(n_jobs: int | None) -> int:
    """Threads to use, as joblib counts them: None or -1 every CPU, -2 all but one, ..."""
    if n_jobs is not None and n_jobs > 0:
        return int(n_jobs)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return cpus if n_jobs is None else max(1, cpus + 1 + int(n_jobs))


def _pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack a (..., 64 * k) bool array into (..., k) little-endian uint64 words."""
    return np.packbits(bits, axis=-1, bitorder="little").view("<u8")


class TsetlinMachineClassifier(ClassifierMixin, BaseEstimator):
    """Multi-class Tsetlin Machine on 0/1 features, with readable rules and explanations.

    Each class has ``n_clauses`` clauses (the first half vote for it, the second half
    against it), conjunctions of features and negated features learnt by teams of
    Tsetlin automata (Granmo 2018; Berge et al. 2019 for text). A document's class sum is
    the total weight of the clauses that fire on it; the class with the largest sum wins.

    Parameters
    ----------
    n_clauses : int, default=100
        Clauses per class (even; as ``number_of_clauses`` in pyTsetlinMachine and tmu).
    threshold : int, default=50
        ``T``: class sums are clipped to ``[-T, T]`` during learning, and a class stops
        receiving feedback on a document once its sum reaches ``T``; more clauses need a
        larger ``T`` (see docs/tsetlin.md).
    specificity : float, default=10.0
        ``s >= 1``: forgetting happens at rate ``1/s``; larger ``s`` gives longer, more
        specific clauses.
    n_epochs : int, default=10
        Passes over the training data in :meth:`fit` (:meth:`partial_fit` makes one pass).
    weighted : bool, default=True
        Learn integer clause weights (Phoulady et al. 2020): a clause's weight grows when it
        fires on a document of the class it votes for and shrinks (to at least 1) otherwise.
    max_included_literals : int or None, default=None
        Literal budget: a clause never includes more literals than this (new includes
        beyond it are refused, a random subset being kept when several arrive at once).
    clause_drop_p, literal_drop_p : float, default=0.0
        Per epoch, each clause (literal) is left out of learning with this probability;
        a regularizer as in tmu. Prediction always uses every clause and literal.
    boost_true_positive_feedback : bool, default=True
        Strengthen the literals of a firing clause with probability 1 instead of (s-1)/s.
    feature_negation : bool, default=True
        Allow negated literals (``NOT word``); with False, rules mention present words only.
    n_state_bits : int, default=8
        Each automaton has ``2**n_state_bits`` states.
    binarize : float or None, default=None
        None: X must hold 0/1 values (anything else is an error). A number: features
        greater than it count as present (as in :class:`sklearn.naive_bayes.BernoulliNB`),
        e.g. ``binarize=0.0`` for counts or TF-IDF.
    backend : {"auto", "cpu", "gpu"}, default="auto"
        Where to compute; ``"auto"`` uses the CPU unless a GPU backend and device exist.
    n_jobs : int or None, default=None
        Threads for the CPU backend (None or -1: every available CPU; -2: all but one).
        Learning deals the
        classes to the threads (at most one thread per class); results do not depend on it.
    verbose : int, default=0
        Print the time of each epoch when > 0.
    random_state : int, RandomState or None, default=None
        Seed of the learning randomness; a fixed value gives identical models.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    clause_weights_ : ndarray of shape (n_classes, n_clauses)
        Signed integer weights (positive for clauses voting for their class).
    n_iter_ : int
        Epochs run so far (``fit`` resets it; each ``partial_fit`` adds one).
    backend_ : str
        The backend actually used.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1], [0, 0, 1]] * 10)
    >>> y = np.array(["a", "a", "b", "b"] * 10)
    >>> clf = TsetlinMachineClassifier(n_clauses=4, threshold=5, specificity=3.0, n_epochs=20,
    ...                                random_state=0).fit(X, y)
    >>> clf.predict([[1, 1, 0], [0, 1, 1]]).tolist()
    ['a', 'b']
    >>> print(clf.rules(feature_names=["fever", "cough", "rash"])[0])
    IF fever AND rash AND NOT cough THEN a  (for, weight 5)
    """

    def __init__(
        self,
        n_clauses: int = 100,
        threshold: int = 50,
        specificity: float = 10.0,
        n_epochs: int = 10,
        *,
        weighted: bool = True,
        max_included_literals: int | None = None,
        clause_drop_p: float = 0.0,
        literal_drop_p: float = 0.0,
        boost_true_positive_feedback: bool = True,
        feature_negation: bool = True,
        n_state_bits: int = 8,
        binarize: float | None = None,
        backend: str = "auto",
        n_jobs: int | None = None,
        verbose: int = 0,
        random_state: Any = None,
    ):
        self.n_clauses = n_clauses
        self.threshold = threshold
        self.specificity = specificity
        self.n_epochs = n_epochs
        self.weighted = weighted
        self.max_included_literals = max_included_literals
        self.clause_drop_p = clause_drop_p
        self.literal_drop_p = literal_drop_p
        self.boost_true_positive_feedback = boost_true_positive_feedback
        self.feature_negation = feature_negation
        self.n_state_bits = n_state_bits
        self.binarize = binarize
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        check_int("n_clauses", self.n_clauses, 2)
        if self.n_clauses % 2:
            raise StructNLPError(
                f"n_clauses must be even (half vote for the class, half against), got {self.n_clauses}"
            )
        check_int("threshold", self.threshold, 1)
        _check_float("specificity", self.specificity, 1.0)
        check_int("n_epochs", self.n_epochs, 1)
        check_bool("weighted", self.weighted)
        check_int("max_included_literals", self.max_included_literals, 1, allow_none=True)
        _check_float("clause_drop_p", self.clause_drop_p, 0.0, 1.0, high_open=True)
        _check_float("literal_drop_p", self.literal_drop_p, 0.0, 1.0, high_open=True)
        for name in ("threshold", "max_included_literals"):  # the kernels take them as 32-bit ints
            value = getattr(self, name)
            if value is not None and value > _INT32_MAX:
                raise StructNLPError(f"{name} must be <= {_INT32_MAX}, got {value}")
        check_bool("boost_true_positive_feedback", self.boost_true_positive_feedback)
        check_bool("feature_negation", self.feature_negation)
        check_int("n_state_bits", self.n_state_bits, 2)
        if self.n_state_bits > 16:
            raise StructNLPError(f"n_state_bits must be <= 16, got {self.n_state_bits}")
        if self.binarize is not None:
            _check_float("binarize", self.binarize, -np.inf)
        check_choice("backend", self.backend, BACKEND_CHOICES)
        if self.n_jobs is not None and (not isinstance(self.n_jobs, numbers.Integral) or self.n_jobs == 0):
            raise StructNLPError(f"n_jobs must be None or a non-zero int, got {self.n_jobs!r}")
        check_int("verbose", int(self.verbose) if isinstance(self.verbose, bool) else self.verbose, 0)

    def _validate_X(self, X: Any, reset: bool) -> sp.csr_matrix:
        """Check X (0/1 matrix, dense or sparse) and return it as CSR with sorted unique indices."""
        _reject_text(X)
        X = validate_data(self, X, accept_sparse="csr", dtype="numeric", reset=reset)
        return self._binary_csr(X)

    def _binary_csr(self, X: Any) -> sp.csr_matrix:
        if self.binarize is not None:
            if sp.issparse(X) and self.binarize < 0:
                raise StructNLPError("binarize < 0 would make every absent entry of a sparse X present")
            X = sp.csr_matrix(X > self.binarize) if sp.issparse(X) else X > self.binarize
        if sp.issparse(X):
            X = sp.csr_matrix(X, copy=True)
            X.sum_duplicates()
            values = X.data
        else:
            values = X
        if values.dtype.kind not in "biuf":
            raise StructNLPError(f"X must hold 0/1 numbers, got dtype {values.dtype}")
        bad = (values != 0) & (values != 1)
        if bad.any():
            where = np.argwhere(bad)[0]
            if sp.issparse(X):
                row = int(np.searchsorted(X.indptr, where[0], side="right") - 1)
                col = int(X.indices[where[0]])
                value = X.data[where[0]]
            else:
                row, col = int(where[0]), int(where[1])
                value = X[row, col]
            raise StructNLPError(
                f"X must hold only 0 and 1 (presence of a feature); found {plain_value(value)!r} at row"
                f" {row}, column {col}. Use structnlp.features.BooleanBagOfWords for text, or"
                " binarize=<threshold> for numbers"
            )
        X = sp.csr_matrix(X, dtype=np.uint8)
        X.eliminate_zeros()
        X.sort_indices()
        return X

    def _validate_y(self, X: Any, y: Any, reset: bool) -> tuple[Any, np.ndarray]:
        _reject_text(X)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype="numeric", reset=reset)
        _check_label_types(y)
        check_classification_targets(y)
        return X, y

    # ------------------------------------------------------------------ learning
    def fit(self, X: Any, y: Any) -> TsetlinMachineClassifier:
        """Learn ``n_epochs`` epochs from scratch on X (n_samples x n_features, 0/1) and labels y.

        All or nothing: when fit fails (bad X or y, an interrupt), a previously fitted model
        is left as it was, not with the feature count and names of the rejected data.
        """
        previous = dict(vars(self))
        try:
            return self._fit(X, y)
        except BaseException:
            vars(self).clear()
            vars(self).update(previous)
            raise

    def _fit(self, X: Any, y: Any) -> TsetlinMachineClassifier:
        self._check_params()
        X, y = self._validate_y(X, y, reset=True)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise StructNLPError(
                "TsetlinMachineClassifier needs at least 2 classes to learn;"
                f" y holds 1 class ({plain_value(classes[0])!r})"
            )
        Xc = self._binary_csr(X)
        self.classes_ = classes
        self._initialize(Xc.shape[1])
        self._run_epochs(Xc, y_idx.astype(np.int32), self.n_epochs)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Sequence[Any] | None = None) -> TsetlinMachineClassifier:
        """One more epoch on (X, y); ``classes`` (every label that will ever occur) is required first."""
        first = not hasattr(self, "classes_")
        self._check_params()  # on every call: set_params may have changed them since
        if first:
            if classes is None:
                raise StructNLPError(
                    "classes must be given on the first call to partial_fit (every label to learn)"
                )
            all_classes = np.unique(np.asarray(classes))
            if all_classes.size < 2:
                raise StructNLPError(f"classes must hold at least 2 classes, got {all_classes.tolist()}")
        else:
            self._check_structure()
            if classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
                raise StructNLPError(
                    f"classes={np.unique(np.asarray(classes)).tolist()} differs from the classes of the"
                    f" first call {self.classes_.tolist()}"
                )
        X, y = self._validate_y(X, y, reset=first)
        known = all_classes if first else self.classes_
        unseen = np.setdiff1d(np.unique(y), known)
        if unseen.size:
            raise StructNLPError(
                f"y holds labels {unseen.tolist()} that are not among the classes"
                f" {known.tolist()} given to partial_fit"
            )
        Xc = self._binary_csr(X)
        if first:
            self.classes_ = known
            self._initialize(Xc.shape[1])
        y_idx = np.searchsorted(self.classes_, y).astype(np.int32)
        self._run_epochs(Xc, y_idx, 1)
        return self

    def _fitted_clauses(self) -> int:
        """Clauses per class of the fitted model (``n_clauses`` may have been set since)."""
        return self.clause_weights_.shape[1]

    def _check_structure(self) -> None:
        """Learning goes on only with the automata fitted: their count and size cannot change."""
        fitted = {"n_clauses": self._fitted_clauses(), "n_state_bits": self._ta.shape[1]}
        for name, value in fitted.items():
            if getattr(self, name) != value:
                raise StructNLPError(
                    f"{name} is {getattr(self, name)} but the model was fitted with {value}; set it back, "
                    "or call fit to learn a new model"
                )

    def _initialize(self, n_features: int) -> None:
        from tsetlin import cpu

        self.backend_ = resolve_backend(self.backend)
        n_total = self.classes_.size * self.n_clauses
        self._seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        self._ta = cpu.initial_planes(n_total, self.n_state_bits, n_features)
        signs = np.where(np.arange(self.n_clauses) < self.n_clauses // 2, 1, -1).astype(np.int32)
        self.clause_weights_ = np.tile(signs, (self.classes_.size, 1))
        self._rng = cpu.init_clause_rng(self._seed, n_total)
        self.n_iter_ = 0

    def _epoch_plan(self, y_idx: np.ndarray, n_features: int) -> dict[str, np.ndarray]:
        """The per-epoch randomness drawn outside the kernels, from (seed, epoch number)."""
        from tsetlin import cpu

        gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([self._seed, self.n_iter_])))
        n, n_classes = y_idx.size, self.classes_.size
        order = gen.permutation(n).astype(np.int64)
        other = ((y_idx[order] + gen.integers(1, n_classes, size=n)) % n_classes).astype(np.int32)
        n_total = self.clause_weights_.size
        active = np.ones(n_total, dtype=np.uint8)
        if self.clause_drop_p > 0:
            active = (gen.random(n_total) >= self.clause_drop_p).astype(np.uint8)
        valid = cpu.valid_mask(n_features)
        W = valid.size // 2
        keep = np.ones((2, W * 64), dtype=bool)
        if self.literal_drop_p > 0:
            keep[:, :n_features] = gen.random((2, n_features)) >= self.literal_drop_p
        if not self.feature_negation:
            keep[1] = False
        literal_active = _pack_bits(keep).reshape(-1) & valid
        pool_words = max(4096, 8 * valid.size)
        pool = _pack_bits(gen.random(pool_words * 64) < 1.0 / self.specificity)
        return {
            "order": order,
            "other": other,
            "clause_active": active,
            "la": literal_active,
            "valid": valid,
            "pool": pool,
        }

    def _run_epochs(self, Xc: sp.csr_matrix, y_idx: np.ndarray, n_epochs: int) -> None:
        kernels = load_backend(self.backend_)
        budget = -1 if self.max_included_literals is None else int(self.max_included_literals)
        weights = self.clause_weights_.reshape(-1)
        indptr, indices = Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64)
        for _ in range(n_epochs):
            start = time.perf_counter()
            plan = self._epoch_plan(y_idx, Xc.shape[1])
            kernels.train_epoch(
                self._ta,
                weights,
                self._rng,
                indptr,
                indices,
                y_idx,
                plan["order"],
                plan["other"],
                plan["clause_active"],
                plan["la"],
                plan["valid"],
                plan["pool"],
                int(self.threshold),
                bool(self.boost_true_positive_feedback),
                bool(self.weighted),
                budget,
                self.classes_.size,
                _n_threads(self.n_jobs),
            )
            self.n_iter_ += 1
            if self.verbose:
                print(f"epoch {self.n_iter_}: {time.perf_counter() - start:.2f} s", flush=True)
        self._index = kernels.build_index(self._ta, self.n_features_in_)

    # ------------------------------------------------------------------ prediction
    def class_sums(self, X: Any) -> np.ndarray:
        """Class sums, shape (n_samples, n_classes): the weighted votes of the firing clauses.

        Not clipped to ``[-T, T]`` (clipping is a learning device), so ties are rare.
        """
        check_is_fitted(self)
        Xc = self._validate_X(X, reset=False)
        kernels = load_backend(self.backend_)
        votes = self.clause_weights_.reshape(-1).astype(np.int64)
        n_classes = self.classes_.size
        indptr, indices = Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64)
        pos_ptr, _, neg_ptr, _, _, _ = self._index
        # Work per document: posting lists of its words (index) vs one mask test per clause (dense).
        postings_per_feature = (pos_ptr[-1] + neg_ptr[-1]) / max(self.n_features_in_, 1)
        index_cost = Xc.nnz / max(Xc.shape[0], 1) * postings_per_feature
        threads = _n_threads(self.n_jobs)
        if index_cost <= votes.size and not getattr(kernels, "DENSE_PREDICTION", False):
            return kernels.class_sums_index(indptr, indices, self._index, votes, n_classes, threads)
        return kernels.class_sums_dense(self._ta, votes, indptr, indices, n_classes, threads)

    def decision_function(self, X: Any) -> np.ndarray:
        """Class sums, shape (n_samples, n_classes); for two classes, sum of class 1 minus class 0.

        The two-class form, shape (n_samples,), is scikit-learn's convention: positive means
        ``classes_[1]``. The values are whole numbers returned as float64, as scikit-learn's
        meta-estimators expect (``CalibratedClassifierCV`` fails on integer scores).
        """
        sums = self.class_sums(X).astype(np.float64)
        if sums.shape[1] == 2:
            return sums[:, 1] - sums[:, 0]
        return sums

    def predict(self, X: Any) -> np.ndarray:
        """The class with the largest class sum (the first such class on a tie)."""
        sums = self.class_sums(X)
        return self.classes_[np.argmax(sums, axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Softmax of the class sums divided by ``threshold``; ranks like the sums, not calibrated.

        Wrap in ``sklearn.calibration.CalibratedClassifierCV`` for calibrated probabilities.
        """
        z = self.class_sums(X) / float(self.threshold)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def clause_outputs(self, X: Any) -> np.ndarray:
        """Which clauses fire on each document: bool array (n_samples, n_classes, n_clauses)."""
        check_is_fitted(self)
        Xc = self._validate_X(X, reset=False)
        kernels = load_backend(self.backend_)
        indptr, indices = Xc.indptr.astype(np.int64), Xc.indices.astype(np.int64)
        out = kernels.clause_outputs(self._ta, indptr, indices, _n_threads(self.n_jobs))
        return out.reshape(Xc.shape[0], self.classes_.size, self._fitted_clauses()).astype(bool)

    # ------------------------------------------------------------------ interpretation
    def include_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Included literals: two bool arrays (n_classes, n_clauses, n_features), positive and negated."""
        check_is_fitted(self)
        return self._masks(None)

    def _masks(self, c: int | None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`include_masks` of every class (None) or of class ``c`` alone: unpacking is the cost."""
        F, J = self.n_features_in_, self._fitted_clauses()
        W = self._ta.shape[2] // 2
        rows = slice(None) if c is None else slice(c * J, (c + 1) * J)
        top = np.ascontiguousarray(self._ta[rows, -1, :], dtype="<u8")
        bits = np.unpackbits(top.view(np.uint8), axis=1, bitorder="little").astype(bool)
        shape = (-1, J, F)
        return bits[:, :F].reshape(shape), bits[:, W * 64 : W * 64 + F].reshape(shape)

    def literal_states(self) -> np.ndarray:
        """Automaton states (n_classes, n_clauses, 2 * n_features): features, then negations.

        A literal is included when its state is at least ``2 ** (n_state_bits - 1)``.
        """
        check_is_fitted(self)
        from tsetlin import cpu

        states = cpu.planes_to_states(self._ta, self.n_features_in_)
        return states.reshape(self.classes_.size, self._fitted_clauses(), 2 * self.n_features_in_)

    def rules(self, feature_names: Sequence[str] | None = None, *, include_empty: bool = False) -> list[Rule]:
        """Every learned clause as a :class:`~tsetlin.explain.Rule`, by class then clause index.

        ``feature_names`` default to the names seen in ``fit`` (a DataFrame) or ``x0, x1, ...``;
        through a pipeline pass ``pipe[:-1].get_feature_names_out()``. Empty clauses (which
        never fire at prediction) are left out unless ``include_empty``.
        """
        check_is_fitted(self)
        names = feature_names_or_default(
            feature_names, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        positive, negated = self.include_masks()
        out = []
        for c, label in enumerate(self._plain_classes()):
            for j in range(self._fitted_clauses()):
                out.append(self._rule(c, j, label, names, positive, negated))
        return [r for r in out if include_empty or r.n_literals]

    def _rule(
        self, c: int, j: int, label: Any, names: list[str], positive: np.ndarray, negated: np.ndarray
    ) -> Rule:
        weight = int(self.clause_weights_[c, j])
        return Rule(
            class_=label,
            polarity="for" if weight > 0 else "against",
            weight=abs(weight),
            positive=tuple(names[f] for f in np.flatnonzero(positive[c, j])),
            negated=tuple(names[f] for f in np.flatnonzero(negated[c, j])),
            clause=int(j),
        )

    def literal_importance(self) -> np.ndarray:
        """How much learnt vote rests on each literal: int array (n_classes, 2, n_features).

        Entry ``[c, 0, f]`` sums the signed weights (``+w`` for, ``-w`` against) of class
        ``c``'s clauses that require feature ``f`` present; ``[c, 1, f]`` of those that require
        it absent. A global summary of the model, as tmu's literal importance: a clause votes
        only when *all* its literals hold, so use :meth:`explain` for one document.
        """
        check_is_fitted(self)
        return self._importance(None)

    def _importance(self, c: int | None) -> np.ndarray:
        positive, negated = self._masks(c)
        weights = self.clause_weights_[slice(None) if c is None else slice(c, c + 1)].astype(np.int64)
        return np.stack(
            [np.einsum("cj,cjf->cf", weights, positive), np.einsum("cj,cjf->cf", weights, negated)], axis=1
        )

    def top_literals(
        self,
        class_: Any,
        top_n: int | None = 10,
        feature_names: Sequence[str] | None = None,
        polarity: str = "for",
    ) -> list[tuple[str, int]]:
        """The ``top_n`` literals (None: all) that weigh most for (or against) ``class_``, heaviest first.

        Each is ``(literal, importance)``, the literal written as in rules (``rash``,
        ``NOT fever``) and the importance from :meth:`literal_importance` (negative with
        ``polarity="against"``); literals with no weight that way are left out.
        """
        check_is_fitted(self)
        check_int("top_n", top_n, 1, allow_none=True)
        check_choice("polarity", polarity, ("for", "against"))
        labels = self._plain_classes()
        matches = [i for i, label in enumerate(labels) if label == plain_value(class_)]
        if not matches:
            raise StructNLPError(
                f"the model has no class {class_!r}; its classes: {', '.join(map(str, labels))}"
            )
        names = feature_names_or_default(
            feature_names, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        scores = self._importance(matches[0])[0].ravel()  # features, then negations
        sign = 1 if polarity == "for" else -1
        order = np.argsort(-sign * scores, kind="stable")[:top_n]
        literals = list(names) + [f"NOT {name}" for name in names]
        return [(literals[i], int(scores[i])) for i in order if sign * scores[i] > 0]

    def explain(self, X_row: Any, feature_names: Sequence[str] | None = None) -> Explanation:
        """The clauses that fired on one document, with their votes; they sum to the class sums.

        ``X_row`` is one document: a 1-D 0/1 vector or a 1-row matrix (dense or sparse).
        """
        check_is_fitted(self)
        if hasattr(X_row, "to_frame") and np.ndim(X_row) == 1:  # a DataFrame row keeps its column names
            X_row = X_row.to_frame().T
        if sp.issparse(X_row) or np.ndim(X_row) == 2:
            n_rows = X_row.shape[0] if sp.issparse(X_row) else np.shape(X_row)[0]
            if n_rows != 1:
                raise StructNLPError(f"explain takes one document (one row), got {n_rows} rows")
        elif np.ndim(X_row) == 1:
            X_row = np.asarray(X_row).reshape(1, -1)
        else:
            raise StructNLPError(
                f"explain takes one document as a 1-D vector or a 1-row matrix, got {X_row!r}"
            )
        names = feature_names_or_default(
            feature_names, self.n_features_in_, getattr(self, "feature_names_in_", None)
        )
        fired = self.clause_outputs(X_row)[0]
        sums = self.class_sums(X_row)[0]
        positive, negated = self.include_masks()
        labels = self._plain_classes()
        clauses = []
        for c, label in enumerate(labels):
            js = np.flatnonzero(fired[c])
            js = js[np.argsort(-np.abs(self.clause_weights_[c, js]), kind="stable")]
            for j in js:
                clauses.append(
                    FiredClause(
                        label,
                        int(self.clause_weights_[c, j]),
                        self._rule(c, j, label, names, positive, negated),
                    )
                )
        # Plain ints, not a numpy array: explanations compare with == and serialize as they are.
        decision = int(sums[1] - sums[0]) if sums.size == 2 else [int(s) for s in sums]
        return Explanation(
            predicted=labels[int(np.argmax(sums))],
            scores={label: int(s) for label, s in zip(labels, sums, strict=True)},
            clauses=clauses,
            decision=decision,
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_index")  # set once learning (or loading) is complete

    def _plain_classes(self) -> list[Any]:
        """The class labels as plain Python values (str, int, ...), for rules and explanations."""
        return [c.item() if isinstance(c, np.generic) else c for c in self.classes_]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted model to the directory ``path`` (JSON + safetensors, never a pickle).

        The hyper-parameters, classes, automaton states, weights and random streams are
        saved, so a loaded model predicts identically and continues learning identically;
        ``n_jobs``, ``verbose`` and ``random_state`` are run-time settings and are not saved.
        """
        from structnlp.modelio import save_model

        config, arrays = self._state()
        save_model(path, model_class=MODEL_CLASS, format_version=FORMAT_VERSION, config=config, arrays=arrays)

    @classmethod
    def load(cls, path: str | os.PathLike, backend: str | None = None) -> TsetlinMachineClassifier:
        """Load a model written by :meth:`save`; it predicts exactly as the saved one.

        ``backend`` overrides the saved ``backend`` parameter. Every backend computes the same
        results, so a model trained on a GPU is used on a CPU-only machine as it is: a saved
        ``"gpu"`` falls back to the CPU there, with a warning.
        """
        from structnlp.modelio import load_model, read_model_class
        from tsetlin.pipeline import PIPELINE_CLASS

        if read_model_class(path) == PIPELINE_CLASS:  # as written by save_pipeline and classify train
            raise ModelFileError(
                f"{path}: holds a text pipeline (featurizer and classifier); load it with "
                "tsetlin.load_pipeline, whose last step is the classifier"
            )
        model = load_model(path, expected_class=MODEL_CLASS, supported_versions={FORMAT_VERSION})
        config = dict(model.config)
        if backend is not None:
            check_choice("backend", backend, BACKEND_CHOICES)
            config["backend"] = backend
        return cls._from_state(config, model.arrays, str(model.path), strict_backend=backend is not None)

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The JSON config and the arrays that describe the fitted model (what :meth:`save` writes).

        Shared with :func:`tsetlin.pipeline.save_pipeline`, which stores them beside the
        featurizer's vocabulary in one model directory.
        """
        check_is_fitted(self)
        self._check_params()  # a file that load would refuse is never written
        self._check_structure()
        states = self.literal_states()
        states = states.astype(np.uint8) if self.n_state_bits <= 8 else states
        classes = self.classes_
        config = {name: getattr(self, name) for name in _SAVED_PARAMS}
        config.update(
            classes=[_json_label(c) for c in classes],
            classes_dtype=classes.dtype.str if classes.dtype.kind != "O" else "object",
            n_features_in=int(self.n_features_in_),
            feature_names_in=None
            if not hasattr(self, "feature_names_in_")
            else [str(n) for n in self.feature_names_in_],
            n_iter=int(self.n_iter_),
            seed=int(self._seed),
        )
        arrays = {"ta_states": states, "clause_weights": self.clause_weights_, "clause_rng": self._rng}
        return config, arrays

    @classmethod
    def _from_state(
        cls, cfg: Any, arrays: dict[str, np.ndarray], where: str, strict_backend: bool = False
    ) -> TsetlinMachineClassifier:
        """Rebuild a fitted model from :meth:`_state`'s config and arrays, checking both.

        ``where`` names the model directory in the :class:`ModelFileError` raised on damage.
        A saved backend that this machine lacks falls back to the CPU unless ``strict_backend``.
        """
        from tsetlin import cpu

        try:
            clf = cls(**{name: cfg[name] for name in _SAVED_PARAMS})
            clf._check_params()
            check_int("n_features_in", cfg["n_features_in"], 1)
            check_int("n_iter", cfg["n_iter"], 0)
            check_int("seed", cfg["seed"], 0)
            n_features, n_iter, seed = cfg["n_features_in"], cfg["n_iter"], cfg["seed"]
            classes = _saved_classes(cfg["classes"], cfg["classes_dtype"])
            n_classes = classes.size
            feature_names_in = cfg.get("feature_names_in")
            if feature_names_in is not None and (
                not isinstance(feature_names_in, list)
                or len(feature_names_in) != n_features
                or not all(isinstance(name, str) for name in feature_names_in)
            ):
                raise StructNLPError(f"feature_names_in is not a list of {n_features} str")
            states = arrays["ta_states"]
            weights = arrays["clause_weights"]
            rng = arrays["clause_rng"]
        except (KeyError, TypeError, AttributeError, StructNLPError) as exc:
            raise ModelFileError(
                f"{where}: incomplete or invalid TsetlinMachineClassifier config ({exc})"
            ) from None
        shape = (n_classes, clf.n_clauses, 2 * n_features)
        if states.shape != shape or weights.shape != shape[:2] or rng.shape != (n_classes * clf.n_clauses,):
            raise ModelFileError(f"{where}: array shapes do not match the config (expected states {shape})")
        if states.size and int(states.max()) >= 2**clf.n_state_bits:
            raise ModelFileError(f"{where}: automaton states exceed {2**clf.n_state_bits - 1}")
        if np.any((weights == 0) | ((weights > 0) != (np.arange(clf.n_clauses) < clf.n_clauses // 2))):
            raise ModelFileError(f"{where}: clause weights have the wrong signs")
        clf.classes_ = classes
        clf.n_features_in_ = n_features
        if feature_names_in is not None:
            clf.feature_names_in_ = np.array(feature_names_in, dtype=object)
        try:
            clf.backend_ = resolve_backend(clf.backend)
        except StructNLPError:
            if strict_backend:
                raise
            warnings.warn(
                f"{where}: saved with backend={clf.backend!r}, which this machine lacks; "
                "using the CPU backend (same results)",
                stacklevel=3,
            )
            clf.backend_ = "cpu"
        clf.n_iter_ = n_iter
        clf._seed = seed
        clf._ta = cpu.states_to_planes(
            states.reshape(n_classes * clf.n_clauses, -1).astype(np.uint16), clf.n_state_bits
        )
        clf.clause_weights_ = weights.astype(np.int32)
        clf._rng = rng.astype(np.uint64)
        clf._index = load_backend(clf.backend_).build_index(clf._ta, n_features)
        return clf

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _reject_text(X: Any) -> None:
    """Raw documents passed where features belong: say which featurizer to put first."""
    sample = X.iloc[:1].to_numpy() if hasattr(X, "iloc") else X  # pandas: its first row suffices
    for _ in range(3):  # X, its first row, its first entry
        if isinstance(sample, (str, bytes)):
            break
        if isinstance(sample, np.ndarray):
            if sample.dtype.kind in "US" or (
                sample.dtype.kind == "O" and sample.size and isinstance(sample.flat[0], (str, bytes))
            ):
                break
            return
        if not isinstance(sample, (list, tuple)) or not sample:
            return
        sample = sample[0]
    else:
        return
    raise StructNLPError(
        "TsetlinMachineClassifier expects a 0/1 document-feature matrix, got text; put a featurizer"
        " in front: make_pipeline(structnlp.features.BooleanBagOfWords(), TsetlinMachineClassifier())"
    )


def _saved_classes(labels: Any, dtype_name: Any) -> np.ndarray:
    """The saved class labels as ``classes_``: sorted and unique, as ``fit`` made them.

    A hand-edited list in another order would silently swap the predicted labels.
    """
    if not isinstance(labels, list) or len(labels) < 2:
        raise StructNLPError(f"classes is not a list of at least 2 labels: {labels!r}")
    if not all(isinstance(label, (str, int, float, bool)) for label in labels):
        raise StructNLPError(f"classes holds a label that is not a str or number: {labels!r}")
    if not isinstance(dtype_name, str):
        raise StructNLPError(f"classes_dtype is not a str: {dtype_name!r}")
    dtype = np.dtype(object) if dtype_name == "object" else np.dtype(dtype_name)
    try:
        classes = np.array(labels, dtype=dtype)
        ordered = np.array_equal(np.unique(classes), classes) and [plain_value(c) for c in classes] == labels
    except (ValueError, TypeError, OverflowError):
        ordered = False
    if not ordered:
        raise StructNLPError(f"classes {labels!r} are not distinct sorted labels of dtype {dtype_name}")
    return classes


def _check_label_types(y: np.ndarray) -> None:
    """Missing or mixed labels: scikit-learn calls them "unknown" and hints at regression targets."""
    if y.dtype != object:
        return
    for i, label in enumerate(y):  # NaN is refused earlier, by validate_data
        if label is None:
            raise StructNLPError(f"y holds a missing label (None) at index {i}; every sample needs one")
    is_str = [isinstance(label, str) for label in y]
    if any(is_str) and not all(is_str):
        text, other = y[is_str.index(True)], plain_value(y[is_str.index(False)])
        raise StructNLPError(
            f"y mixes str and {type(other).__name__} labels ({text!r} and {other!r}); use one type"
        )


def _json_label(label: Any) -> Any:
    value = plain_value(label)
    if not isinstance(value, (str, int, float, bool)):
        raise StructNLPError(
            f"cannot save class label {label!r} of type {type(label).__name__}; use str or int labels"
        )
    return value
