"""GPU checks of the Tsetlin Machine in one run: the GPU tests, then GPU vs CPU at IMDb size.

Run on a machine with CuPy and a CUDA device, from the repository root::

    python benchmarks/tsetlin_vs_peers.py --datasets imdb synthetic --methods tm --cache-dir DIR  # once
    python benchmarks/tsetlin_gpu.py --data DIR --out gpu.json

``--data`` is the folder of prepared features that ``tsetlin_vs_peers.py --cache-dir`` writes (one
sub-folder per data set); without it a synthetic IMDb-sized problem is generated. ``--runs``
picks the models of :data:`RUNS` (IMDb and the synthetic set by default; ``imdb-paper-size``
and ``20newsgroups`` too on request). For each data
set the script trains the same model on both backends from the same ``random_state``, epoch by
epoch, checks that the automata are identical after every epoch, and reports seconds per epoch,
prediction time and accuracy, with the GPU/CPU speed-up. ``--train-blocks 256 512 1024`` times
the GPU training kernel with each thread-block size in the same run (the package uses
``tsetlin.gpu._TRAIN_BLOCK``). It takes 2-4 minutes on an H100/H200.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tsetlin.gpu as tsetlin_gpu  # noqa: E402
from structnlp.files import atomic_write  # noqa: E402
from tsetlin import TsetlinMachineClassifier  # noqa: E402

#: Each run: the prepared-features folder it reads and the model's settings. All but
#: ``imdb-paper-size`` are the quick preset of tsetlin_vs_peers.py; that one is the size of
#: pyTsetlinMachine's published IMDb model (10,000 clauses per class, T=8,000, s=5).
RUNS = {
    "imdb": ("imdb-k5000-mindf5", dict(n_clauses=2000, threshold=4000, specificity=2.0)),
    "imdb-paper-size": ("imdb-k5000-mindf5", dict(n_clauses=10000, threshold=8000, specificity=5.0)),
    "20newsgroups": ("20newsgroups-k5000-mindf3", dict(n_clauses=400, threshold=800, specificity=2.0)),
    "synthetic": ("synthetic-16000x5000-w150", dict(n_clauses=2000, threshold=100, specificity=15.0)),
}


def run_gpu_tests() -> dict[str, Any]:
    """The GPU tests (and the CPU mirror of the kernels), as pytest reports them."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_tsetlin_gpu.py"],
        capture_output=True,
        text=True,
    )
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]
    print(proc.stdout[-4000:], proc.stderr[-2000:], sep="\n", flush=True)
    return {"returncode": proc.returncode, "summary": tail, "seconds": round(time.perf_counter() - start, 1)}


def load(folder: Path) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    return (
        sp.load_npz(folder / "X_train.npz").tocsr(),
        np.load(folder / "y_train.npy", allow_pickle=False),
        sp.load_npz(folder / "X_test.npz").tocsr(),
        np.load(folder / "y_test.npy", allow_pickle=False),
    )


def synthetic(n_docs: int = 27000, n_features: int = 5000, words: int = 150, seed: int = 0):
    """IMDb-sized sparse documents: a few class words per document among common noise words."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n_docs)
    rows = np.repeat(np.arange(n_docs), words)
    cols = rng.zipf(1.3, size=n_docs * words) % n_features
    signal = rng.random(n_docs * words) < 0.05
    cols[signal] = (cols[signal] // 2) * 2 + np.repeat(y, words)[signal]
    X = sp.csr_matrix((np.ones(rows.size, dtype=np.uint8), (rows, cols)), shape=(n_docs, n_features))
    X.data[:] = 1
    return X[:25000], y[:25000], X[25000:], y[25000:]


def timed_epochs(params: dict[str, Any], backend: str, X, y, Xt, yt, n_epochs: int) -> tuple[list, Any]:
    """Per-epoch seconds and the model after each epoch (its automata states)."""
    clf = TsetlinMachineClassifier(n_epochs=1, backend=backend, random_state=42, **params)
    seconds, states = [], []
    for epoch in range(n_epochs):
        start = time.perf_counter()
        if epoch == 0:
            clf.fit(X, y)
        else:
            clf.partial_fit(X, y)
        seconds.append(time.perf_counter() - start)
        states.append(clf.literal_states())
    start = time.perf_counter()
    accuracy = float((clf.predict(Xt) == yt).mean())
    predict = time.perf_counter() - start
    return {
        "epoch_seconds": [round(s, 3) for s in seconds],
        "accuracy": accuracy,
        "predict_seconds": round(predict, 3),
    }, states


def steady(run: dict[str, Any]) -> float:
    """Mean seconds of the epochs after the first (which includes compiling)."""
    return float(np.mean(run["epoch_seconds"][1:] or run["epoch_seconds"]))


def compare(
    name: str, X, y, Xt, yt, params: dict[str, Any], n_epochs: int, blocks: list[int]
) -> dict[str, Any]:
    print(
        f"\n== {name}: {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.0f} words/doc, {params}", flush=True
    )
    gpu_runs = {}
    shipped = tsetlin_gpu._TRAIN_BLOCK
    try:
        for block in blocks:
            tsetlin_gpu._TRAIN_BLOCK = block
            gpu_runs[block] = timed_epochs(params, "gpu", X, y, Xt, yt, n_epochs)
            print(f"gpu, {block}-thread blocks", gpu_runs[block][0], flush=True)
    finally:
        tsetlin_gpu._TRAIN_BLOCK = shipped
    cpu, cpu_states = timed_epochs(params, "cpu", X, y, Xt, yt, n_epochs)
    print("cpu", cpu, flush=True)
    gpu, gpu_states = gpu_runs[blocks[0]]
    result = {
        "data": name,
        "shape": list(X.shape),
        "params": params,
        "gpu": gpu,
        "cpu": cpu,
        "identical_states_per_epoch": [
            bool(np.array_equal(a, b)) for a, b in zip(gpu_states, cpu_states, strict=True)
        ],
        "epoch_speedup": round(steady(cpu) / steady(gpu), 1),
        "predict_speedup": round(cpu["predict_seconds"] / max(gpu["predict_seconds"], 1e-9), 1),
        "train_blocks": {
            str(block): {
                "epoch_seconds": run["epoch_seconds"],
                "epoch_speedup": round(steady(cpu) / steady(run), 1),
                "identical_states": all(
                    np.array_equal(a, b) for a, b in zip(states, cpu_states, strict=True)
                ),
            }
            for block, (run, states) in gpu_runs.items()
        },
    }
    summary = ("identical_states_per_epoch", "epoch_speedup", "predict_speedup", "train_blocks")
    print(json.dumps({k: result[k] for k in summary}), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, help="folder of prepared features (tsetlin_vs_peers.py --cache-dir)"
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument(
        "--train-blocks",
        type=int,
        nargs="+",
        default=[tsetlin_gpu._TRAIN_BLOCK],
        help="thread-block sizes of the training kernel to time (the first is compared in full)",
    )
    parser.add_argument(
        "--runs",
        nargs="+",
        choices=sorted(RUNS),
        default=["imdb", "synthetic"],
        help="which models to train (those whose features are missing from --data are skipped)",
    )
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    report: dict[str, Any] = {"cpus": os.cpu_count()}
    try:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        report["device"] = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    except Exception as exc:  # no CuPy or no device: say so and stop
        raise SystemExit(f"needs CuPy and a CUDA device: {exc}") from None
    if not args.skip_tests:
        report["tests"] = run_gpu_tests()
    report["runs"] = []
    names = [n for n in args.runs if args.data and (args.data / RUNS[n][0]).is_dir()]
    for name in names:
        folder, params = RUNS[name]
        report["runs"].append(
            compare(name, *load(args.data / folder), params, args.epochs, args.train_blocks)
        )
    if not names:
        report["runs"].append(
            compare("synthetic-imdb-size", *synthetic(), RUNS["imdb"][1], args.epochs, args.train_blocks)
        )
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with atomic_write(args.out) as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
