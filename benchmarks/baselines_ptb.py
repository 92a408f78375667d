"""Trivial-tree baselines on the Penn Treebank sample: the floor every induced parser must beat.

Constituency: the gold trees of ``treebank/ptb_sample/mrg`` are cleaned as in Kim et al. (2019)
(punctuation, currency symbols and ``-NONE-`` traces removed) and scored against right-branching,
left-branching and random binary trees over the same words with :func:`structnlp.metrics.bracket_f1`
(random: mean and standard deviation over 3 seeds).

Dependency: the gold trees of ``treebank/ptb_sample/dp`` lose their punctuation tokens (the same
tags, minus ``-NONE-`` which the ``.dp`` files do not have) with :func:`structnlp.trees.project_heads`,
then every word is scored against the left-attaching chain (each word headed by the previous one,
first word the root) and the right-attaching chain (each word headed by the next one, last word
the root) with :func:`structnlp.metrics.attachment_score`.

Run from the repository root (``--root`` or ``$STRUCTNLP_DATA`` select the data folder)::

    python benchmarks/baselines_ptb.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from structnlp.datasets import load_ptb_sample, load_ptb_sample_dp, run_script
from structnlp.metrics import attachment_score, bracket_f1
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


def constituency_baselines(root: str | None = None) -> dict[str, dict[str, float]]:
    """Sentence and corpus F1 (fractions) of the trivial trees on the cleaned PTB sample."""
    gold = [clean_ptb_tree(tree) for tree in load_ptb_sample(root=root)]
    words = [tree.leaves() for tree in gold]
    results = {
        "right-branching": bracket_f1([right_branching_tree(w) for w in words], gold),
        "left-branching": bracket_f1([left_branching_tree(w) for w in words], gold),
    }
    runs = []
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        runs.append(bracket_f1([random_binary_tree(w, random_state=rng) for w in words], gold))
    random_result = {key: statistics.mean(run[key] for run in runs) for key in runs[0]}
    random_result["sentence_f1_std"] = statistics.stdev(run["sentence_f1"] for run in runs)
    random_result["corpus_f1_std"] = statistics.stdev(run["corpus_f1"] for run in runs)
    results[f"random (mean of {len(SEEDS)} seeds)"] = random_result
    return results


def dependency_baselines(root: str | None = None) -> dict[str, dict[str, float]]:
    """Directed and undirected attachment (fractions) of the chain baselines, punctuation removed."""
    punctuation = PTB_DROP_TAGS - {"-NONE-"}
    gold = []
    for sentence in load_ptb_sample_dp(root=root):
        keep = [tag not in punctuation for tag in sentence.tags]
        if any(keep):
            gold.append(project_heads(sentence.heads, keep))
    return {
        f"chain, head = {side} neighbour": attachment_score([chain_heads(len(h), side) for h in gold], gold)
        for side in ("left", "right")
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--root", default=None, help="data root (default: $STRUCTNLP_DATA, then ../shared/data)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    trees = constituency_baselines(args.root)
    deps = dependency_baselines(args.root)
    n = next(iter(trees.values()))
    print(f"PTB sample: {n['n_sentences']} sentences, {n['n_scored']} with non-trivial gold spans")
    print(f"{'constituency baseline':<28} {'sentence F1':>12} {'corpus F1':>12}")
    for name, r in trees.items():
        cells = [f"{100 * r[key]:.1f}" for key in ("sentence_f1", "corpus_f1")]
        if "sentence_f1_std" in r:
            cells = [
                f"{c} ± {100 * r[key + '_std']:.1f}"
                for c, key in zip(cells, ("sentence_f1", "corpus_f1"), strict=True)
            ]
        print(f"{name:<28} {cells[0]:>12} {cells[1]:>12}")
    words = next(iter(deps.values()))["n_words"]
    print(
        f"\n{'dependency baseline':<28} {'directed':>12} {'undirected':>12}   ({words} words, no punctuation)"
    )
    for name, r in deps.items():
        print(f"{name:<28} {100 * r['directed']:>12.1f} {100 * r['undirected']:>12.1f}")
    print(f"\n({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    run_script(main)
