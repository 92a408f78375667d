"""ReCAT speed: the pruned chart against O(n³) CKY charts, and training tokens per second.

Two measurements, both on the device given by ``--device`` (same machine, same run):

* **chart**: one CIO layer (:class:`parsing.recat.CIOLayer`, ``--dim`` units) over a batch of
  ``--batch`` random sentences of each length in ``--lengths``, forward pass without
  gradients, median of ``--repeats`` runs after one warm-up:

  - ``pruned``: the pruned chart of window ``--window`` (what ReCAT trains on), inside
    pass and inside + outside;
  - ``cky_batched``: the full CKY chart (window = length - 1) with the same batched level
    operations: O(n³) splits, computed level by level;
  - ``cky_naive``: the textbook CKY loop, one cell at a time
    (:func:`parsing.chart.cky_inside_reference`), inside pass only, first sentence of the
    batch times the batch size (it is linear in the number of sentences).

* **training**: :class:`parsing.ReCATParser` trained for ``--train-steps`` steps on the first
  ``--train-sentences`` lines of ``--corpus`` (one pre-tokenized sentence per line, gzip
  allowed; default: the PTB language-model training text), reporting its measured
  ``train_tokens_per_second_`` (the first step, with its warm-up, left out).

Run from the repository root; the chart figures in docs/recat.md come from the first command
(the second measures a GPU, after checking its results against the CPU's)::

    python benchmarks/recat_chart_benchmark.py --device cpu --lengths 20 40 60 --batch 4 --dim 64 \
        --train-steps 0 --output recat_speed.json
    python benchmarks/recat_chart_benchmark.py --device cuda --lengths 20 40 80 --batch 32 \
        --dim 256 --train-steps 30 --batch-tokens 16384 --corpus .devdata/parser_corpus.txt.gz
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from typing import Any

import numpy as np
import torch

from parsing.chart import build_schedule, cky_inside_reference, inside
from parsing.recat import CIOLayer, ReCATParser
from structnlp.datasets import run_script
from structnlp.files import atomic_write, iter_lines
from structnlp.params import count_argument
from structnlp.training import select_device


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_seconds(run: Any, device: torch.device, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        run()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _time_length(
    layer: CIOLayer,
    n: int,
    batch: int,
    window: int,
    device: torch.device,
    repeats: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    sizes = [n] * batch
    orders = [rng.permutation(n - 1) for _ in sizes]
    words = torch.randn((n * batch, layer.inside_out.out_features), device=device)
    record: dict[str, Any] = {"length": n, "batch": batch, "window": window}
    for name, w in (("pruned", window), ("cky_batched", n - 1)):
        schedule = build_schedule(sizes, w, orders, device)
        record[f"{name}_splits"] = schedule.n_splits
        with torch.no_grad():
            record[f"{name}_inside_ms"] = 1e3 * _median_seconds(
                lambda s=schedule: inside(s, words, layer.compose, None, layer.project, layer.finish_inside),
                device,
                repeats,
            )
            record[f"{name}_inside_outside_ms"] = 1e3 * _median_seconds(
                lambda s=schedule: layer(s, words, None), device, repeats
            )
        record[f"{name}_build_ms"] = 1e3 * _median_seconds(
            lambda w=w: build_schedule(sizes, w, orders, device), device, repeats
        )

    def naive_compose(left: torch.Tensor, right: torch.Tensor, ctx: torch.Tensor | None) -> Any:
        scores, hidden = layer.compose(layer.project(left)[0], layer.project(right)[1], ctx)
        return scores, layer.finish_inside(hidden)  # everything once per split

    with torch.no_grad():
        one = _median_seconds(lambda: cky_inside_reference(words[:n], naive_compose), device, 1)
    record["cky_naive_inside_ms"] = 1e3 * one * batch
    record["speedup_vs_naive"] = record["cky_naive_inside_ms"] / record["pruned_inside_ms"]
    record["speedup_vs_cky_batched"] = record["cky_batched_inside_ms"] / record["pruned_inside_ms"]
    return record


def chart_timings(
    lengths: list[int], batch: int, window: int, dim: int, device: torch.device, repeats: int, seed: int = 0
) -> list[dict[str, Any]]:
    """Milliseconds per batch of the pruned, batched-CKY and naive-CKY charts, per sentence length."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layer = CIOLayer(dim, 2 * dim, dim // 2, contextual=False).to(device).eval()
    return [_time_length(layer, n, batch, window, device, repeats, rng) for n in lengths]


def device_check(device: torch.device, dim: int = 32, seed: int = 0) -> dict[str, float]:
    """Largest difference between the CPU's and ``device``'s inside/outside results (float32)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layer = CIOLayer(dim, 2 * dim, dim // 2, contextual=False).eval()
    sizes = [int(n) for n in rng.integers(1, 50, size=16)]
    orders = [rng.permutation(n - 1) for n in sizes]
    words = torch.randn((sum(sizes), dim))
    outputs = []
    for where in (torch.device("cpu"), device):
        schedule = build_schedule(sizes, 4, orders, where)
        with torch.no_grad():
            ins, out = layer.to(where)(schedule, words.to(where), None)
        outputs.append((ins.scores.cpu(), out.reprs.cpu(), ins.best_split.cpu()))
    (s0, o0, b0), (s1, o1, b1) = outputs
    return {
        "inside_score_max_diff": float((s0 - s1).abs().max()),
        "outside_repr_max_diff": float((o0 - o1).abs().max()),
        "best_split_disagreements": int((b0 != b1).sum()),
    }


def read_corpus(path: str | None, limit: int) -> list[list[str]]:
    """The first ``limit`` non-empty lines of a pre-tokenized corpus (default: PTB LM train text)."""
    if path is None:
        from structnlp.datasets import load_ptb_lm

        lines = load_ptb_lm("train")
    else:
        lines = (line for _, line in iter_lines(path))
    return [line.split() for line in itertools.islice((x for x in lines if x.strip()), limit)]


def training_speed(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Train ReCAT for a few steps and report its tokens per second."""
    sentences = read_corpus(args.corpus, args.train_sentences)
    parser = ReCATParser(
        hidden_size=args.dim,
        compose_size=2 * args.dim,
        score_size=args.dim // 2,
        parser_size=args.dim,
        window=args.window,
        tokenizer="whitespace",
        max_steps=args.train_steps,
        batch_tokens=args.batch_tokens,
        amp=device.type == "cuda",
        device=str(device),
        random_state=0,
    )
    start = time.perf_counter()
    parser.fit(sentences)
    return {
        "sentences": len(sentences),
        "steps": parser.n_steps_,
        "batch_tokens": args.batch_tokens,
        "dim": args.dim,
        "tokens_per_second": round(parser.train_tokens_per_second_, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "final_loss": parser.history_[-1]["train_loss"] if parser.history_ else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    positive, non_negative = count_argument(1), count_argument(0)
    ap.add_argument("--device", default="cpu", help="auto, cpu, cuda or cuda:N")
    ap.add_argument("--lengths", type=count_argument(2), nargs="+", default=[20, 40, 60, 80])
    ap.add_argument("--batch", type=positive, default=8)
    ap.add_argument("--window", type=positive, default=4)
    ap.add_argument("--dim", type=positive, default=64)
    ap.add_argument("--repeats", type=positive, default=3)
    ap.add_argument("--threads", type=positive, default=1, help="torch CPU threads")
    ap.add_argument("--corpus", default=None, help="pre-tokenized sentences, one a line (gzip allowed)")
    ap.add_argument("--train-sentences", type=positive, default=3000)
    ap.add_argument("--train-steps", type=non_negative, default=5, help="0 skips the training measurement")
    ap.add_argument("--batch-tokens", type=positive, default=1024)
    ap.add_argument("--output", default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    results: dict[str, Any] = {"device": name, "torch": torch.__version__, "threads": args.threads}
    if device.type != "cpu":
        results["check"] = device_check(device)
        print(f"{name} against the CPU: {results['check']}")
    results["chart"] = chart_timings(args.lengths, args.batch, args.window, args.dim, device, args.repeats)
    print(f"device: {name}")
    header = ("length", "pruned ms", "+outside", "CKY batched", "CKY naive", "speed-up")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (6, 10, 9, 12, 10, 8), strict=True)))
    for r in results["chart"]:
        print(
            f"{r['length']:>6} {r['pruned_inside_ms']:>10.1f} {r['pruned_inside_outside_ms']:>9.1f}"
            f" {r['cky_batched_inside_ms']:>12.1f} {r['cky_naive_inside_ms']:>10.1f}"
            f" {r['speedup_vs_naive']:>7.1f}x"
        )
    if args.train_steps > 0:
        results["training"] = training_speed(args, device)
        print(f"training: {results['training']}")
    if args.output:
        with atomic_write(args.output) as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    run_script(main)
