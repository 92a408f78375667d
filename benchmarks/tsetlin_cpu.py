"""Seconds per epoch of the Tsetlin Machine's CPU backend on a synthetic sparse bag of words.

The data mimic text: ``--docs`` documents over ``--features`` words whose frequencies follow
Zipf's law (``--words`` draws per document: about 104 distinct words for 150), two classes, each with a few
hundred indicative words that are 3x more frequent in its documents. The issue's peer
figures use 16,000 x 5,000, 2,000 clauses, T=100, s=15 (green-tsetlin: a shared pool of
2,000 clauses; pyTsetlinMachine and tmu: 2,000 clauses per class).

Run from the repository root; the first run compiles the numba kernels (cached after)::

    python benchmarks/tsetlin_cpu.py --clauses 2000 --epochs 2 --threads 1 2
    python benchmarks/tsetlin_cpu.py --imdb --clauses 2000 --T 1600 --s 5 --epochs 6 --threads 2

``--imdb`` needs ../shared/data (IMDb) and prints the test accuracy after each epoch.
Otherwise it prints one line per thread count: seconds per epoch (wall clock, and CPU time
of the process, which is the better figure on a machine shared with other jobs; compilation
excluded), training accuracy, accuracy on 2,000 held-out documents and prediction time per
document.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from structnlp.datasets import run_script
from structnlp.params import count_argument
from tsetlin import TsetlinMachineClassifier


def synthetic_bow(
    n_docs: int, n_features: int, words: int, seed: int = 0
) -> tuple[sp.csr_matrix, np.ndarray]:
    """A 0/1 CSR document-word matrix with Zipfian word frequencies and two planted classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_docs)
    base = 1.0 / np.arange(1, n_features + 1)
    weights = np.vstack([base, base])
    cues = rng.choice(np.arange(50, n_features), size=(2, 300), replace=False)
    weights[0, cues[0]] *= 3
    weights[1, cues[1]] *= 3
    weights /= weights.sum(axis=1, keepdims=True)
    rows = []
    for label in y:
        rows.append(np.unique(rng.choice(n_features, size=words, p=weights[label])))
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    X = sp.csr_matrix(
        (np.ones(indptr[-1], np.uint8), np.concatenate(rows), indptr), shape=(n_docs, n_features)
    )
    return X, y


def time_epochs(X, y, X_test, y_test, args, threads: int) -> None:
    clf = TsetlinMachineClassifier(
        n_clauses=args.clauses,
        threshold=args.T,
        specificity=args.s,
        n_epochs=1,
        random_state=0,
        n_jobs=threads,
    )
    clf.partial_fit(X[:200], y[:200], classes=[0, 1])  # compile the kernels outside the timing
    times, cpu_times = [], []
    for _ in range(args.epochs):
        start, cpu_start = time.perf_counter(), time.process_time()
        clf.partial_fit(X, y)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    train_acc = (clf.predict(X) == y).mean()
    start = time.perf_counter()
    test_acc = (clf.predict(X_test) == y_test).mean()
    predict_us = (time.perf_counter() - start) / X_test.shape[0] * 1e6
    print(
        f"threads={threads} clauses/class={args.clauses} T={args.T} s={args.s}: "
        f"{np.mean(times):.2f} s/epoch wall, {np.mean(cpu_times):.2f} s CPU "
        f"(epochs: {', '.join(f'{t:.2f}' for t in times)}), "
        f"train acc {train_acc:.3f}, test acc {test_acc:.3f}, predict {predict_us:.1f} us/doc",
        flush=True,
    )


def imdb(args) -> None:
    """IMDb with the paper's recipe: 1-2-gram Boolean features, chi2 selection, weighted TM."""
    from sklearn.feature_selection import SelectKBest, chi2

    from structnlp.datasets import load_classification
    from structnlp.features import BooleanBagOfWords

    train, test = load_classification("imdb", "train"), load_classification("imdb", "test")
    bow = BooleanBagOfWords(ngram_range=(1, 2), min_df=5)
    X_train = bow.fit_transform(train.texts)
    X_test = bow.transform(test.texts)
    select = SelectKBest(chi2, k=args.imdb_features).fit(X_train, train.labels)
    X_train, X_test = select.transform(X_train), select.transform(X_test)
    clf = TsetlinMachineClassifier(
        n_clauses=args.clauses,
        threshold=args.T,
        specificity=args.s,
        n_epochs=1,
        random_state=0,
        n_jobs=args.threads[0],
    )
    for epoch in range(args.epochs):
        start = time.perf_counter()
        clf.partial_fit(X_train, train.labels, classes=sorted(set(train.labels)))
        seconds = time.perf_counter() - start
        acc = (clf.predict(X_test) == np.asarray(test.labels)).mean()
        print(f"IMDb epoch {epoch + 1}: {seconds:.1f} s, test accuracy {acc:.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=count_argument(1), default=16000)
    parser.add_argument("--features", type=count_argument(1), default=5000)
    parser.add_argument("--words", type=count_argument(1), default=150, help="word draws per document")
    parser.add_argument("--clauses", type=count_argument(1), default=2000, help="clauses per class")
    parser.add_argument("--T", type=count_argument(1), default=100)
    parser.add_argument("--s", type=float, default=15.0)
    parser.add_argument("--epochs", type=count_argument(1), default=3)
    parser.add_argument("--threads", type=count_argument(1), nargs="+", default=[1, 2])
    parser.add_argument("--imdb", action="store_true", help="IMDb accuracy instead of the synthetic timing")
    parser.add_argument("--imdb-features", type=count_argument(1), default=5000)
    args = parser.parse_args()
    if args.imdb:
        imdb(args)
        return
    X, y = synthetic_bow(args.docs + 2000, args.features, args.words)
    X, y, X_test, y_test = X[: args.docs], y[: args.docs], X[args.docs :], y[args.docs :]
    print(f"data: {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.0f} words per document", flush=True)
    for threads in args.threads:
        time_epochs(X, y, X_test, y_test, args, threads)


if __name__ == "__main__":
    run_script(main)
