"""Tsetlin Machine vs green-tsetlin, tmu and the paper's baselines: same features, same settings.

One run prepares each data set's features once (the Tsetlin Machine papers' recipe: a
1-2-gram Boolean bag of words, ``structnlp.features.BooleanBagOfWords``, then the ``k``
features with the highest chi2 score, ``SelectKBest(chi2, k)``) and trains every method on
exactly those matrices:

* ``tm``: this package's ``TsetlinMachineClassifier`` (CPU backend, ``n_clauses`` per class);
* ``green-tsetlin``: ``green_tsetlin.TsetlinMachine`` + ``Trainer`` (C++). It is a *coalesced*
  machine: one pool of clauses shared by all classes, each clause with one weight per class.
  ``--gt-pool total`` gives it ``n_clauses x n_classes`` clauses (as many clauses, automata
  and clause evaluations as ours: like for like); ``--gt-pool per-class`` gives it
  ``n_clauses`` (the issue's figure: half our work on two classes);
* ``tmu``: ``tmu``'s ``TMClassifier`` (C, one thread, dense ``uint32`` input), ``n_clauses``
  per class, when it is installed;
* ``nb``, ``svm``, ``logreg``, ``rf``: multinomial naive Bayes, linear SVM (``LinearSVC``),
  logistic regression and a random forest from scikit-learn.

The three Tsetlin Machines get the same T, s, clause counts, epochs, weighted clauses,
true-positive boosting and literal budget. Every method runs in a fresh subprocess, so its
peak resident memory (``VmHWM``, reset after imports, data loading and numba compilation,
then read at the end) is its own; ``+MiB`` is that peak minus the resident size when the
run started, i.e. the model plus any copy of the data the method needs (green-tsetlin and
tmu take dense matrices). Seconds per epoch are given as wall-clock time and as CPU time
of the process (all threads), the steadier figure on a machine shared with other jobs.
Accuracies are on the test split after the last epoch (no picking of the best epoch).

Data sets: ``medical_sample`` (the bundled 600 abstracts, 75/25 stratified split),
``medical`` (the 2,888 medical abstracts of ../shared/data, 75/25 stratified split),
``20newsgroups`` and ``imdb`` (their standard train/test splits), and ``synthetic`` (the
issue's timing case: a 16,000 x 5,000 sparse Boolean bag of words from
``benchmarks/tsetlin_cpu.py``, 2,000 clauses, T=100, s=15; the report adds the ratio of
our seconds per epoch to green-tsetlin's).

Run from the repository root::

    python benchmarks/tsetlin_vs_peers.py --preset quick --out bench-quick.json
    python benchmarks/tsetlin_vs_peers.py --preset full --datasets imdb 20newsgroups
    python benchmarks/tsetlin_vs_peers.py --datasets imdb --methods tm green-tsetlin --epochs 5

``--clauses``, ``--T``, ``--s``, ``--epochs`` and ``--features`` override the preset for
every data set selected. ``--cache-dir`` keeps the prepared features between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from structnlp.params import count_argument

DATASETS = ("medical_sample", "medical", "20newsgroups", "imdb", "synthetic")
TSETLIN_METHODS = ("tm", "green-tsetlin", "tmu")
BASELINES = ("nb", "svm", "logreg", "rf")
METHODS = TSETLIN_METHODS + BASELINES
#: One seed for every method. Not 0: green-tsetlin 1.1.0 refuses seed 0 ("All ClauseBlocks must
#: be init() before constructing an Executor()") and tmu 0.8.3 hangs in its first epoch with
#: seed 0 (its xorshift generator is then stuck at zero).
SEED = 42

#: Per data set: chi2 features kept (``features``), ``min_df`` of the bag of words, clauses
#: per class, T, s and epochs of the Tsetlin Machines (``tmu_epochs`` for tmu, which is
#: slow). ``quick`` takes about 20 minutes on 2 busy cores without tmu, 40 with it; T and
#: s are the best of a small search on this machine (see docs/benchmarks.md), except the
#: synthetic case's, which are the issue's.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "quick": {
        "medical_sample": dict(features=1000, min_df=2, clauses=200, T=400, s=2.0, epochs=15),
        "medical": dict(features=5000, min_df=2, clauses=400, T=800, s=2.0, epochs=10),
        "20newsgroups": dict(features=5000, min_df=3, clauses=400, T=800, s=2.0, epochs=3, tmu_epochs=1),
        "imdb": dict(features=5000, min_df=5, clauses=2000, T=4000, s=2.0, epochs=2, tmu_epochs=1),
        "synthetic": dict(
            docs=16000, features=5000, words=150, clauses=2000, T=100, s=15.0, epochs=2, tmu_epochs=1
        ),
    },
    "full": {
        "medical_sample": dict(features=1000, min_df=2, clauses=200, T=400, s=2.0, epochs=40),
        "medical": dict(features=5000, min_df=2, clauses=400, T=800, s=2.0, epochs=30),
        "20newsgroups": dict(features=10000, min_df=3, clauses=1000, T=2000, s=2.0, epochs=20, tmu_epochs=3),
        "imdb": dict(features=5000, min_df=5, clauses=2000, T=4000, s=2.0, epochs=10, tmu_epochs=3),
        "synthetic": dict(
            docs=16000, features=5000, words=150, clauses=2000, T=100, s=15.0, epochs=3, tmu_epochs=2
        ),
    },
}


# ---------------------------------------------------------------------------- memory and time
def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux >= 4.0): the peak of what follows."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mib() -> float:
    """Peak resident memory of this process: VmHWM, else getrusage's ru_maxrss."""
    kib = _status_kib("VmHWM")
    if kib is None:
        import resource

        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":  # bytes there
            kib //= 1024
    return kib / 1024


def _rss_mib() -> float:
    kib = _status_kib("VmRSS")
    return (kib or 0) / 1024


class _Clock:
    """Wall-clock and process-CPU seconds of one stretch of work."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


# ---------------------------------------------------------------------------- features
def _split_stratified(texts: list[str], labels: list[str]) -> tuple[list, list, list, list]:
    from sklearn.model_selection import train_test_split

    return train_test_split(texts, labels, test_size=0.25, random_state=0, stratify=labels)


def _load_texts(name: str, root: str | None) -> tuple[list[str], list[str], list[str], list[str]]:
    from structnlp.datasets import load_classification, load_demo

    if name == "medical_sample":
        texts, labels = load_demo("medical_abstracts_sample")
        return _split_stratified(texts, labels)
    if name == "medical":
        texts, labels = load_classification("medical_abstracts", root=root)
        return _split_stratified(texts, labels)
    train = load_classification(name, split="train", root=root)
    test = load_classification(name, split="test", root=root)
    return train.texts, test.texts, train.labels, test.labels


def _featurize(name: str, cfg: dict[str, Any], root: str | None) -> dict[str, Any]:
    """Boolean 1-2-gram bag of words, then the ``features`` best chi2 features (fit on train)."""
    from sklearn.feature_selection import SelectKBest, chi2

    from structnlp.features import BooleanBagOfWords

    train_x, test_x, train_y, test_y = _load_texts(name, root)
    classes = sorted(set(train_y) | set(test_y))
    index = {c: i for i, c in enumerate(classes)}
    y_train = np.array([index[c] for c in train_y], dtype=np.int32)
    y_test = np.array([index[c] for c in test_y], dtype=np.int32)
    bow = BooleanBagOfWords(ngram_range=(1, 2), min_df=cfg["min_df"])
    X_train = bow.fit_transform(train_x)
    X_test = bow.transform(test_x)
    k = min(cfg["features"], X_train.shape[1])
    select = SelectKBest(chi2, k=k).fit(X_train, y_train)
    return {
        "X_train": sp.csr_matrix(select.transform(X_train), dtype=np.uint8),
        "X_test": sp.csr_matrix(select.transform(X_test), dtype=np.uint8),
        "y_train": y_train,
        "y_test": y_test,
        "classes": classes,
        "vocabulary": X_train.shape[1],
    }


def _synthetic(cfg: dict[str, Any]) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tsetlin_cpu import synthetic_bow

    X, y = synthetic_bow(cfg["docs"] + 2000, cfg["features"], cfg["words"])
    n = cfg["docs"]
    return {
        "X_train": sp.csr_matrix(X[:n], dtype=np.uint8),
        "X_test": sp.csr_matrix(X[n:], dtype=np.uint8),
        "y_train": y[:n].astype(np.int32),
        "y_test": y[n:].astype(np.int32),
        "classes": ["0", "1"],
        "vocabulary": cfg["features"],
    }


def _data_key(name: str, cfg: dict[str, Any]) -> str:
    if name == "synthetic":
        return f"synthetic-{cfg['docs']}x{cfg['features']}-w{cfg['words']}"
    return f"{name}-k{cfg['features']}-mindf{cfg['min_df']}"


def prepare(name: str, cfg: dict[str, Any], folder: Path, root: str | None) -> dict[str, Any]:
    """Write the data set's features to ``folder/<key>/`` (reused when already there)."""
    from structnlp.files import atomic_write

    out = folder / _data_key(name, cfg)
    meta_path = out / "meta.json"
    if meta_path.exists():
        with open(meta_path, encoding="utf-8") as fh:
            return json.load(fh) | {"dir": str(out), "cached": True}
    with _Clock() as clock:
        data = _synthetic(cfg) if name == "synthetic" else _featurize(name, cfg, root)
    out.mkdir(parents=True, exist_ok=True)
    for part in ("X_train", "X_test"):
        with atomic_write(out / f"{part}.npz", "wb") as fh:
            sp.save_npz(fh, data[part])
    for part in ("y_train", "y_test"):
        with atomic_write(out / f"{part}.npy", "wb") as fh:
            np.save(fh, data[part], allow_pickle=False)
    X = data["X_train"]
    meta = {
        "dataset": name,
        "n_train": X.shape[0],
        "n_test": data["X_test"].shape[0],
        "n_features": X.shape[1],
        "vocabulary": int(data["vocabulary"]),
        "n_classes": len(data["classes"]),
        "classes": [str(c) for c in data["classes"]],
        "words_per_doc": round(X.nnz / max(X.shape[0], 1), 1),
        "prepare_seconds": round(clock.wall, 1),
    }
    with atomic_write(meta_path) as fh:
        json.dump(meta, fh, indent=1)
    return meta | {"dir": str(out), "cached": False}


def _load_data(folder: str) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    d = Path(folder)
    return (
        sp.load_npz(d / "X_train.npz").tocsr(),
        np.load(d / "y_train.npy", allow_pickle=False),
        sp.load_npz(d / "X_test.npz").tocsr(),
        np.load(d / "y_test.npy", allow_pickle=False),
    )


# ---------------------------------------------------------------------------- workers
def _run_tm(spec: dict[str, Any], X, y, Xt, yt) -> dict[str, Any]:
    from tsetlin import TsetlinMachineClassifier

    p = spec["params"]
    classes = np.arange(spec["n_classes"])

    def make(n_clauses: int) -> TsetlinMachineClassifier:
        return TsetlinMachineClassifier(
            n_clauses=n_clauses,
            threshold=p["T"],
            specificity=p["s"],
            n_epochs=1,
            weighted=True,
            boost_true_positive_feedback=p["boost"],
            max_included_literals=p["budget"],
            n_jobs=spec["threads"],
            random_state=SEED,
        )

    # Compile (or load from numba's cache) outside the timings and the memory peak.
    make(4).partial_fit(X[:64], y[:64], classes=classes).predict(Xt[:16])
    start = _begin()
    clf = make(p["clauses"])
    epochs = []
    for _ in range(p["epochs"]):
        with _Clock() as fit:
            clf.partial_fit(X, y, classes=classes)
        with _Clock() as pred:
            acc = float((clf.predict(Xt) == yt).mean())
        epochs.append(_epoch(fit, acc, pred, Xt.shape[0]))
    return start | {"epochs": epochs, "clauses_total": p["clauses"] * spec["n_classes"]}


class _TimedExecutor:
    """Wraps a green-tsetlin executor to time each ``train_epoch`` (wall and process CPU)."""

    def __init__(self, inner: Any, log: list) -> None:
        self._inner, self._log = inner, log

    def train_epoch(self) -> float:
        with _Clock() as clock:
            result = self._inner.train_epoch()
        self._log.append((clock, time.perf_counter()))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _run_green_tsetlin(spec: dict[str, Any], X, y, Xt, yt) -> dict[str, Any]:
    import green_tsetlin as gt

    p = spec["params"]
    n_classes = spec["n_classes"]
    pool = p["clauses"] * (n_classes if spec["gt_pool"] == "total" else 1)
    start = _begin()
    if spec["gt_input"] == "dense":  # its documented input; the conversion is part of its cost
        X, Xt = X.toarray(), Xt.toarray()
    tm = gt.TsetlinMachine(
        n_literals=X.shape[1],
        n_clauses=pool,
        n_classes=n_classes,
        s=float(p["s"]),
        threshold=int(p["T"]),
        literal_budget=p["budget"],
        boost_true_positives=p["boost"],
    )
    log: list = []
    evals: list = []
    trainer = gt.Trainer(
        tm,
        feedback_type=spec["gt_feedback"],
        n_jobs=spec["threads"],
        n_epochs=p["epochs"],
        seed=SEED,
        load_best_state=False,
        progress_bar=False,
        fn_epoch_callback=lambda epoch, train_acc, score: evals.append((time.perf_counter(), score)),
    )
    for attr in ("_cls_exec_singlethread", "_cls_exec_multithread"):
        inner_cls = getattr(trainer, attr)
        setattr(trainer, attr, lambda *a, _c=inner_cls: _TimedExecutor(_c(*a), log))
    trainer.set_train_data(X, y.astype(np.uint32))
    trainer.set_eval_data(Xt, yt.astype(np.uint32))
    trainer.train()
    epochs = []
    for (fit, fit_end), (eval_end, score) in zip(log, evals, strict=True):
        pred = _Clock()
        pred.wall, pred.cpu = eval_end - fit_end, float("nan")  # its test prediction + accuracy
        epochs.append(_epoch(fit, float(score), pred, Xt.shape[0]))
    return start | {"epochs": epochs, "clauses_total": pool}


def _tmu_numpy2_fix() -> None:
    """Let tmu 0.8.3's dense CPU clause bank start under NumPy 2.

    Its ``initialize_clauses`` writes ``np.uint32(~0)``, an OverflowError since NumPy 2.0;
    this replacement fills the same arrays with 0xFFFFFFFF, and is used only when the
    original fails that way.
    """
    from tmu.clause_bank.clause_bank import ClauseBank

    original = ClauseBank.initialize_clauses

    def initialize_clauses(self: Any) -> None:
        try:
            original(self)
        except OverflowError:
            ones = np.uint32(0xFFFFFFFF)
            shape = (self.number_of_clauses, self.number_of_ta_chunks)
            bank = np.full((*shape, self.number_of_state_bits_ta), ones, dtype=np.uint32)
            bank[:, :, -1] = 0  # the top bit plane (the include action) starts at 0: exclude
            self.clause_bank = np.ascontiguousarray(bank.reshape(-1))
            self.actions = np.zeros(self.number_of_ta_chunks, dtype=np.uint32)
            ind = np.full((*shape, self.number_of_state_bits_ind), ones, dtype=np.uint32)
            self.clause_bank_ind = np.ascontiguousarray(ind.reshape(-1))
            self.incremental_clause_evaluation_initialized = False

    ClauseBank.initialize_clauses = initialize_clauses


def _run_tmu(spec: dict[str, Any], X, y, Xt, yt) -> dict[str, Any]:
    from tmu.models.classification.vanilla_classifier import TMClassifier

    if spec["tmu_platform"] == "CPU":
        _tmu_numpy2_fix()
    p = spec["params"]
    start = _begin()
    Xd, Xtd = X.toarray().astype(np.uint32), Xt.toarray().astype(np.uint32)  # tmu asserts dense uint32
    yd = y.astype(np.uint32)
    tm = TMClassifier(
        p["clauses"],
        p["T"],
        p["s"],
        platform=spec["tmu_platform"],
        weighted_clauses=True,
        boost_true_positive_feedback=int(p["boost"]),
        max_included_literals=p["budget"],
        seed=SEED,
    )
    epochs = []
    for _ in range(spec["tmu_epochs"]):
        with _Clock() as fit:
            tm.fit(Xd, yd)
        with _Clock() as pred:
            acc = float((tm.predict(Xtd) == yt).mean())
        epochs.append(_epoch(fit, acc, pred, Xt.shape[0]))
    return start | {"epochs": epochs, "clauses_total": p["clauses"] * spec["n_classes"]}


def _baseline(name: str, threads: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    return {
        "nb": lambda: MultinomialNB(alpha=1.0),
        "svm": lambda: LinearSVC(C=1.0, random_state=SEED),
        "logreg": lambda: LogisticRegression(C=1.0, max_iter=2000),
        "rf": lambda: RandomForestClassifier(n_estimators=100, n_jobs=threads, random_state=SEED),
    }[name]()


def _run_baseline(spec: dict[str, Any], X, y, Xt, yt) -> dict[str, Any]:
    model = _baseline(spec["method"], spec["threads"])
    start = _begin()
    with _Clock() as fit:
        model.fit(X, y)
    with _Clock() as pred:
        acc = float((model.predict(Xt) == yt).mean())
    return start | {"epochs": [_epoch(fit, acc, pred, Xt.shape[0])]}


def _begin() -> dict[str, Any]:
    return {"rss_start_mib": round(_rss_mib(), 1), "peak_reset": _reset_peak()}


def _epoch(fit: _Clock, acc: float, pred: _Clock, n_test: int) -> dict[str, Any]:
    return {
        "wall_s": round(fit.wall, 3),
        "cpu_s": round(fit.cpu, 3),
        "accuracy": round(acc, 4),
        "predict_us_per_doc": round(pred.wall / max(n_test, 1) * 1e6, 2),
    }


RUNNERS = {"tm": _run_tm, "green-tsetlin": _run_green_tsetlin, "tmu": _run_tmu}


def worker(spec_path: str) -> None:
    """Run one method on one prepared data set; print its result as the last line (JSON)."""
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    X, y, Xt, yt = _load_data(spec["dir"])
    result = RUNNERS.get(spec["method"], _run_baseline)(spec, X, y, Xt, yt)
    result["peak_mib"] = round(_peak_mib(), 1)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------- driver
def _launch(spec: dict[str, Any], folder: Path, timeout: float | None) -> dict[str, Any]:
    """Run ``spec`` in a fresh interpreter; a failure becomes an ``error`` entry, not an abort."""
    spec_path = folder / f"spec-{os.getpid()}-{time.monotonic_ns()}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(spec["threads"])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(spec_path)]
    with _Clock() as clock:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout} s"}
        finally:
            spec_path.unlink(missing_ok=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["process_wall_s"] = round(clock.wall, 1)
    return result


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """Mean seconds per epoch (wall, CPU), final accuracy and memory of one run."""
    epochs = result["epochs"]
    return {
        "epochs_run": len(epochs),
        "wall_s": float(np.mean([e["wall_s"] for e in epochs])),
        "cpu_s": float(np.mean([e["cpu_s"] for e in epochs])),
        "accuracy": epochs[-1]["accuracy"],
        "accuracy_curve": [e["accuracy"] for e in epochs],
        "predict_us_per_doc": epochs[-1]["predict_us_per_doc"],
        "peak_mib": result["peak_mib"],
        "added_mib": round(result["peak_mib"] - result["rss_start_mib"], 1),
    }


def _method_runs(method: str, name: str, args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """(label, extra spec) for each run of ``method``: green-tsetlin may run once per pool size."""
    if method != "green-tsetlin":
        return [(method, {})]
    pools = args.gt_pool or (["per-class", "total"] if name == "synthetic" else ["total"])
    return [(f"green-tsetlin ({pool})", {"gt_pool": pool}) for pool in pools]


def _config(name: str, args: argparse.Namespace) -> dict[str, Any]:
    cfg = dict(PRESETS[args.preset][name])
    for key in ("clauses", "T", "s", "epochs", "features"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    return cfg


def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or x != x else f"{x:.{digits}f}"


def markdown(report: dict[str, Any]) -> str:
    """The results as Markdown tables (one row per method and data set) and the speed ratios."""
    lines = [
        "| data set | method | clauses (total) | epochs | s/epoch wall | s/epoch CPU | accuracy "
        "| peak MiB | +MiB | predict us/doc |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for ds in report["datasets"]:
        for run in ds["runs"]:
            if "error" in run:
                lines.append(
                    f"| {ds['name']} | {run['label']} | | | | | failed: {run['error'][:120]} | | | |"
                )
                continue
            s = run["summary"]
            per_epoch = run["label"] in TSETLIN_METHODS or run["label"].startswith("green-tsetlin")
            clauses = f"{run.get('clauses_total', ''):,}" if "clauses_total" in run else "-"
            lines.append(
                f"| {ds['name']} | {run['label']} | {clauses} | {s['epochs_run'] if per_epoch else '-'} "
                f"| {_fmt(s['wall_s'])} | {_fmt(s['cpu_s'])} | {s['accuracy']:.4f} | {s['peak_mib']:.0f} "
                f"| {s['added_mib']:.0f} | {_fmt(s['predict_us_per_doc'], 1)} |"
            )
    ratios = [
        f"* {ds['name']}: ours / {r['against']}: {r['cpu_ratio']:.2f} (CPU), {r['wall_ratio']:.2f} (wall)"
        for ds in report["datasets"]
        for r in ds.get("ratios", [])
    ]
    if ratios:
        lines += ["", "Seconds per epoch, this TM / peer (below 1: ours is faster):", *ratios]
    return "\n".join(lines)


def _ratios(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ours = next((r for r in runs if r["label"] == "tm" and "summary" in r), None)
    if ours is None:
        return []
    out = []
    for run in runs:
        if run["label"] != "tm" and run["label"] not in BASELINES and "summary" in run:
            out.append(
                {
                    "against": run["label"],
                    "cpu_ratio": ours["summary"]["cpu_s"] / run["summary"]["cpu_s"],
                    "wall_ratio": ours["summary"]["wall_s"] / run["summary"]["wall_s"],
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    count = count_argument(1)  # a count below 1 is a usage error, not a failed run
    parser.add_argument("--clauses", type=count, help="clauses per class (all data sets)")
    parser.add_argument("--T", type=count, help="threshold T (all data sets)")
    parser.add_argument("--s", type=float, help="specificity s (all data sets)")
    parser.add_argument("--epochs", type=count, help="epochs of the Tsetlin Machines (all data sets)")
    parser.add_argument("--features", type=count, help="chi2 features kept (all data sets)")
    parser.add_argument("--budget", type=count, default=None, help="literal budget (max included literals)")
    parser.add_argument("--no-boost", action="store_true", help="no true-positive feedback boosting")
    parser.add_argument("--threads", type=count, default=2)
    parser.add_argument(
        "--tmu-epochs", type=count, default=None, help="epochs for tmu (default: the preset's; it is slow)"
    )
    parser.add_argument(
        "--gt-pool",
        nargs="+",
        choices=["total", "per-class"],
        help="green-tsetlin's shared pool: n_clauses x n_classes (total) or n_clauses (per-class);"
        " default: total, and both on the synthetic case",
    )
    parser.add_argument("--tmu-platform", choices=["CPU", "CPU_sparse"], default="CPU")
    parser.add_argument("--gt-input", choices=["sparse", "dense"], default="sparse")
    parser.add_argument(
        "--gt-feedback", choices=["focused_negative_sampling", "uniform"], default="focused_negative_sampling"
    )
    parser.add_argument("--root", default=None, help="data root (default: $STRUCTNLP_DATA, ../shared/data)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        help="keep prepared features here (default: a temp folder); clear it after changing the featurizer",
    )
    parser.add_argument("--run-timeout", type=float, default=None, help="seconds allowed per method run")
    parser.add_argument("--out", type=Path, help="write every figure (per epoch) to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return

    with tempfile.TemporaryDirectory(prefix="tm-bench-") as tmp:
        folder = args.cache_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {
            "preset": args.preset,
            "threads": args.threads,
            "cpus": os.cpu_count(),
            "load_average_start": list(os.getloadavg()),
            "datasets": [],
        }
        for name in args.datasets:
            cfg = _config(name, args)
            try:
                meta = prepare(name, cfg, folder, args.root)
            except Exception as exc:  # a missing data set must not stop the other ones
                print(f"== {name}: cannot prepare the data: {exc}", flush=True)
                report["datasets"].append({"name": name, "config": cfg, "error": str(exc), "runs": []})
                continue
            print(
                f"== {name}: {meta['n_train']} train / {meta['n_test']} test, {meta['n_classes']} classes, "
                f"{meta['n_features']} features of {meta['vocabulary']}, {meta['words_per_doc']} per doc; "
                f"clauses/class {cfg['clauses']}, T={cfg['T']}, s={cfg['s']}, {cfg['epochs']} epochs",
                flush=True,
            )
            params = {
                "clauses": cfg["clauses"],
                "T": cfg["T"],
                "s": cfg["s"],
                "epochs": cfg["epochs"],
                "budget": args.budget,
                "boost": not args.no_boost,
            }
            runs = []
            for method in args.methods:
                if name == "synthetic" and method in BASELINES:
                    continue
                for label, extra in _method_runs(method, name, args):
                    spec = {
                        "method": method,
                        "dir": meta["dir"],
                        "params": params,
                        "n_classes": meta["n_classes"],
                        "threads": args.threads,
                        "tmu_epochs": args.tmu_epochs or cfg.get("tmu_epochs", cfg["epochs"]),
                        "tmu_platform": args.tmu_platform,
                        "gt_input": args.gt_input,
                        "gt_feedback": args.gt_feedback,
                        **extra,
                    }
                    result = _launch(spec, folder, args.run_timeout)
                    result["label"] = label
                    if "error" not in result:
                        result["summary"] = _summary(result)
                        s = result["summary"]
                        print(
                            f"   {label:<28} {s['wall_s']:8.2f} s wall {s['cpu_s']:8.2f} s CPU"
                            f"  acc {s['accuracy']:.4f} {s['accuracy_curve']}  peak {s['peak_mib']:.0f} MiB"
                            f" (+{s['added_mib']:.0f})",
                            flush=True,
                        )
                    else:
                        print(f"   {label:<28} FAILED: {result['error']}", flush=True)
                    runs.append(result)
            report["datasets"].append(
                {"name": name, "config": cfg, "meta": meta, "runs": runs, "ratios": _ratios(runs)}
            )
        report["load_average_end"] = list(os.getloadavg())
        print()
        print(markdown(report))
        if args.out:
            from structnlp.files import atomic_write

            with atomic_write(args.out) as fh:
                json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
