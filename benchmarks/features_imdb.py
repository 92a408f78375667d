"""Bag-of-words featurizers vs scikit-learn's CountVectorizer on IMDb train (25,000 reviews).

Both sides run in the same process, interleaved, best of ``--repeats``; CPU seconds are
reported with the ratio ours / scikit-learn's (below 1 means faster).

    python benchmarks/features_imdb.py --repeats 2
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from structnlp.datasets import load_classification, run_script
from structnlp.features import BooleanBagOfWords
from structnlp.params import count_argument
from structnlp.tokenize import RegexTokenizer


def _cpu_seconds(transformer, docs):
    start = time.process_time()
    X = transformer.fit_transform(docs)
    return time.process_time() - start, X


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=count_argument(1), default=2)
    parser.add_argument("--root", default=None, help="data root (default: $STRUCTNLP_DATA, ../shared/data)")
    args = parser.parse_args()
    docs, _ = load_classification("imdb", split="train", root=args.root)
    tokenize = RegexTokenizer(lowercase=False).tokenize  # the same tokens on both sides
    cases = {
        "unigrams": ({}, {}),
        "1-2-grams, max_features=10000": (
            {"ngram_range": (1, 2), "max_features": 10000},
            {"ngram_range": (1, 2), "max_features": 10000},
        ),
    }
    print(f"IMDb train: {len(docs)} documents")
    for name, (ours_kw, theirs_kw) in cases.items():
        best = [float("inf"), float("inf")]
        for _ in range(args.repeats):
            t_ours, X_ours = _cpu_seconds(BooleanBagOfWords(**ours_kw), docs)
            vectorizer = CountVectorizer(
                tokenizer=tokenize, token_pattern=None, binary=True, dtype=np.uint8, **theirs_kw
            )
            t_theirs, X_theirs = _cpu_seconds(vectorizer, docs)
            best = [min(best[0], t_ours), min(best[1], t_theirs)]
        same = X_ours.shape == X_theirs.shape and X_ours.nnz == X_theirs.nnz
        print(
            f"{name:<32} BooleanBagOfWords {best[0]:6.2f} s   CountVectorizer {best[1]:6.2f} s   "
            f"ratio {best[0] / best[1]:.2f}   shape {X_ours.shape}, same nnz: {same}"
        )


if __name__ == "__main__":
    run_script(main)
