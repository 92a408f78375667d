"""Unsupervised parsers on the Penn Treebank sample and UD English EWT dev, beside trivial baselines.

For every ``--model`` (a model directory or a shipped name: ``default``, ``default-recat``;
StructFormer and ReCAT alike), computed in the same run as the baselines:

* **PTB sample, constituency** — the gold trees of ``treebank/ptb_sample/mrg`` lose
  punctuation, currency symbols and ``-NONE-`` traces (Kim et al. 2019); each parser parses
  the remaining words and is scored with :func:`structnlp.metrics.bracket_f1` (sentence-level
  F1, the papers' number, and corpus F1), beside right-branching, left-branching and random
  binary trees (mean of 3 seeds); ``F1 <=10`` is the sentence F1 over sentences of at most 10
  words.
* **PTB sample, dependencies** — the ``.dp`` trees lose their punctuation tokens (heads
  re-attached to the nearest kept ancestor, :func:`structnlp.trees.project_heads`); directed
  and undirected attachment (:func:`structnlp.metrics.attachment_score`) beside the
  left- and right-attaching chains.
* **UD English EWT dev, dependencies** — the same with the tokens tagged ``PUNCT`` removed.

``--speed`` also measures training throughput (tokens per second) of each model's
configuration, trained afresh for ``--speed-steps`` steps on UD EWT train sentences.

Run from the repository root (``--root`` or ``$STRUCTNLP_DATA`` select the data folder)::

    python benchmarks/parsing_benchmark.py --model default [--model path/to/recat] [--speed]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from structnlp.datasets import load_ptb_sample, load_ptb_sample_dp, load_ud_ewt, run_script
from structnlp.metrics import attachment_score, bracket_f1
from structnlp.params import count_argument
from structnlp.trees import (
    PTB_DROP_TAGS,
    chain_heads,
    clean_ptb_tree,
    left_branching_tree,
    project_heads,
    random_binary_tree,
    right_branching_tree,
)

SEEDS = (0, 1, 2)
SHORT = 10


def ptb_trees(root: str | None, limit: int | None) -> list:
    trees = []
    for tree in load_ptb_sample(root=root):
        if any(tag not in PTB_DROP_TAGS for _, tag in tree.pos()):
            trees.append(clean_ptb_tree(tree))
        if limit is not None and len(trees) >= limit:
            break
    return trees


def dependency_gold(sentences, punctuation) -> list[tuple[list[str], list[int]]]:
    """(words, heads) of each sentence with its punctuation tokens removed."""
    gold = []
    for words, heads, is_punct in sentences:
        keep = [not p for p in is_punct]
        if any(keep):
            gold.append(([w for w, k in zip(words, keep, strict=True) if k], project_heads(heads, keep)))
    return gold


def ptb_dependencies(root: str | None, limit: int | None):
    punct = PTB_DROP_TAGS - {"-NONE-"}
    rows = ((s.words, s.heads, [t in punct for t in s.tags]) for s in load_ptb_sample_dp(root=root))
    gold = dependency_gold(rows, punct)
    return gold[:limit] if limit is not None else gold


def ewt_dependencies(root: str | None, limit: int | None):
    rows = ((s.words, s.heads, [u == "PUNCT" for u in s.upos]) for s in load_ud_ewt("dev", root=root))
    gold = dependency_gold(rows, None)
    return gold[:limit] if limit is not None else gold


def f1_scores(predicted: list, gold: list) -> dict[str, float]:
    scores = bracket_f1(predicted, gold)
    short = [(p, g) for p, g in zip(predicted, gold, strict=True) if len(g.leaves()) <= SHORT]
    # None when no sentence is short (a small --limit): bracket_f1 refuses an empty set
    scores["sentence_f1_short"] = (
        bracket_f1([p for p, _ in short], [g for _, g in short])["sentence_f1"] if short else None
    )
    return scores


def constituency_baselines(gold: list) -> dict[str, dict[str, float]]:
    words = [tree.leaves() for tree in gold]
    results = {
        "right-branching": f1_scores([right_branching_tree(w) for w in words], gold),
        "left-branching": f1_scores([left_branching_tree(w) for w in words], gold),
    }
    runs = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        runs.append(f1_scores([random_binary_tree(w, random_state=rng) for w in words], gold))
    results[f"random (mean of {len(SEEDS)})"] = {
        key: None if runs[0][key] is None else statistics.mean(r[key] for r in runs) for key in runs[0]
    }
    return results


def dependency_baselines(gold) -> dict[str, dict[str, float]]:
    heads = [h for _, h in gold]
    return {
        f"chain, head = {side} word": attachment_score([chain_heads(len(h), side) for h in heads], heads)
        for side in ("left", "right")
    }


def evaluate_model(parser: Any, ptb: list, ptb_dep, ewt_dep, batch_size: int) -> dict[str, Any]:
    start = time.perf_counter()
    parsed = parser.parse_many([t.leaves() for t in ptb], batch_size=batch_size)
    result: dict[str, Any] = {"ptb": f1_scores([p.tree for p in parsed], ptb)}
    result["sentences_per_second"] = len(ptb) / (time.perf_counter() - start)
    for name, gold in (("ptb_dep", ptb_dep), ("ewt_dep", ewt_dep)):
        predicted = parser.parse_many([w for w, _ in gold], batch_size=batch_size)
        if all(p.heads is not None for p in predicted):
            result[name] = attachment_score([p.heads for p in predicted], [h for _, h in gold])
    return result


def training_speed(parser: Any, steps: int, device: str, root: str | None, batch_tokens: int | None) -> float:
    """Tokens per second of training a fresh network with ``parser``'s settings for ``steps`` steps.

    ``batch_tokens`` replaces the model's batch size (e.g. a smaller one on a CPU).
    """
    from sklearn.base import clone

    sentences = [[w.lower() for w in s.words] for s in load_ud_ewt("train", root=root)]
    fresh = clone(parser).set_params(
        tokenizer="whitespace", max_steps=steps, max_minutes=None, device=device, verbose=False
    )
    if batch_tokens is not None:
        fresh.set_params(batch_tokens=batch_tokens)
    fresh.fit(sentences)
    return fresh.train_tokens_per_second_


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", action="append", help="model directory or shipped name (repeatable)")
    parser.add_argument("--root", default=None, help="data root (default: $STRUCTNLP_DATA, ../shared/data)")
    parser.add_argument("--limit", type=count_argument(1), help="first N sentences of each set only")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=count_argument(1), default=64)
    parser.add_argument("--speed", action="store_true", help="also measure training tokens/s")
    parser.add_argument("--speed-steps", type=count_argument(1), default=30)
    parser.add_argument("--speed-device", default="auto")
    parser.add_argument("--speed-batch-tokens", type=int, default=None, help="default: the model's")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    models = args.model or ["default"]

    from parsing import load_parser

    loaded = {name: load_parser(name, device=args.device) for name in models}  # a bad model fails first
    start = time.perf_counter()
    ptb, ptb_dep, ewt_dep = (
        ptb_trees(args.root, args.limit),
        ptb_dependencies(args.root, args.limit),
        ewt_dependencies(args.root, args.limit),
    )
    constituency = constituency_baselines(ptb)
    dependencies = {"ptb_dep": dependency_baselines(ptb_dep), "ewt_dep": dependency_baselines(ewt_dep)}
    results: dict[str, Any] = {}
    for name, model in loaded.items():
        results[name] = evaluate_model(model, ptb, ptb_dep, ewt_dep, args.batch_size)
        results[name]["class"] = type(model).__name__
        if args.speed:
            results[name]["train_tokens_per_second"] = training_speed(
                model, args.speed_steps, args.speed_device, args.root, args.speed_batch_tokens
            )

    n_scored = next(iter(constituency.values()))["n_scored"]
    print(f"PTB sample: {len(ptb)} sentences ({n_scored} with non-trivial spans), punctuation removed")
    print(f"{'constituency':<34} {'sentence F1':>11} {'corpus F1':>10} {'F1 <=10':>8}")
    rows = [(k, v) for k, v in constituency.items()] + [
        (f"{k} ({v['class']})", v["ptb"]) for k, v in results.items()
    ]
    for label, r in rows:
        short = "-" if r["sentence_f1_short"] is None else f"{100 * r['sentence_f1_short']:.1f}"
        print(f"{label:<34} {100 * r['sentence_f1']:>11.1f} {100 * r['corpus_f1']:>10.1f} {short:>8}")
    for key, title, gold in (("ptb_dep", "PTB sample", ptb_dep), ("ewt_dep", "UD EWT dev", ewt_dep)):
        words = sum(len(w) for w, _ in gold)
        print(f"\n{title} dependencies: {len(gold)} sentences, {words} words, punctuation removed")
        print(f"{'attachment':<34} {'directed':>11} {'undirected':>10}")
        rows = list(dependencies[key].items()) + [
            (f"{k} ({v['class']})", v[key]) for k, v in results.items() if key in v
        ]
        for label, r in rows:
            print(f"{label:<34} {100 * r['directed']:>11.1f} {100 * r['undirected']:>10.1f}")
    print()
    for name, r in results.items():
        speed = (
            f", training {r['train_tokens_per_second']:,.0f} tokens/s"
            if "train_tokens_per_second" in r
            else ""
        )
        print(f"{name}: parsing {r['sentences_per_second']:.0f} sentences/s on {args.device}{speed}")
    print(f"({time.perf_counter() - start:.1f} s)")
    if args.json:
        from structnlp.files import atomic_write

        with atomic_write(args.json) as fh:
            json.dump({"baselines": {"ptb": constituency, **dependencies}, "models": results}, fh, indent=1)


if __name__ == "__main__":
    run_script(main)
