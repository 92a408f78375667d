"""Rescore the topics saved by ``topics_benchmark.py`` on an external reference corpus.

``topics_benchmark.py`` measures NPMI on each data set's own training documents, which are
short (20NSshort and TMN: a sentence or two; TREC6: one question), so two topic words that
belong together but never meet in those few documents score -1. The usual remedy (Lau et al.
2014; Röder et al. 2015) is a large external reference corpus, classically Wikipedia. This
script reads the JSON written by ``topics_benchmark.py --output`` and scores every saved model's
top 10 words per topic with NPMI (window 10, :func:`structnlp.metrics.npmi_coherence`) on the
Wikipedia sample under ``$STRUCTNLP_DATA/raw_text`` (36,183 articles, about 9.3M words,
lower-cased and split into runs of letters and digits). Topic words missing from the reference
are dropped from their topic (``on_missing="drop"``); the table says how many.

Run from the repository root (the figures in docs/topics.md come from this command)::

    python benchmarks/topics_external_npmi.py results_20ns_trec6.json results_tmn.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.datasets import (
    load_wikipedia,  # noqa: E402
    run_script,  # noqa: E402
)
from structnlp.metrics import npmi_coherence  # noqa: E402
from structnlp.tokenize import RegexTokenizer  # noqa: E402

#: the form of the topic sets' words (scripts/make_word_vectors.py reads Wikipedia the same way)
WORDS = RegexTokenizer(r"[a-z0-9]+", lowercase=True)


def tokenize(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, the form of the topic sets' words.

    >>> tokenize("The U.S. Senate voted 52-48.")
    ['the', 'u', 's', 'senate', 'voted', '52', '48']
    """
    return WORDS.tokenize(text)


def rescore(report: dict[str, Any], texts: list[list[str]]) -> dict[str, dict[str, dict[str, Any]]]:
    """NPMI on ``texts`` of every model's saved topics in a ``topics_benchmark.py`` report.

    Returns ``{data set: {model: {"npmi": ..., "npmi_own": ..., "missing": ...}}}``, where
    ``npmi_own`` is the report's NPMI on the data set's training documents and ``missing`` the
    number of topic words the reference lacks.

    >>> report = {"datasets": {"toy": {"models": {"m": {"npmi": -0.5, "topics": [["cat", "dog", "zebu"]]}}}}}
    >>> rescore(report, [["cat", "dog"], ["cat", "dog"], ["car"]])["toy"]["m"]
    {'npmi': 1.0, 'npmi_own': -0.5, 'missing': 1}
    """
    known = {w for text in texts for w in text}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, block in report["datasets"].items():
        for model, row in block["models"].items():
            topics = [list(t[:10]) for t in row.get("topics") or []]
            if not topics:
                continue
            score = npmi_coherence(topics, texts, top_n=10, window_size=10, on_missing="drop")
            missing = sum(w not in known for t in topics for w in t)
            out.setdefault(name, {})[model] = {
                "npmi": round(score["coherence"], 3),
                "npmi_own": round(row["npmi"], 3),
                "missing": missing,
            }
    return out


def wikipedia_texts(root: str | None = None) -> list[list[str]]:
    return [tokenize(article["text"]) for article in load_wikipedia(root=root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", help="JSON files written by topics_benchmark.py --output")
    parser.add_argument("--root", help="data root (default: $STRUCTNLP_DATA, then ../shared/data)")
    parser.add_argument("--output", help="write the scores as JSON here")
    args = parser.parse_args(argv)
    missing = [path for path in args.reports if not os.path.isfile(path)]
    if missing:  # before minutes of reading Wikipedia
        parser.error(f"no such report: {', '.join(missing)}")
    texts = list(wikipedia_texts(args.root))
    print(f"reference: Wikipedia sample, {len(texts)} articles, {sum(map(len, texts))} tokens")
    print("| data set | model | NPMI, own training documents | NPMI, Wikipedia | topic words missing |")
    print("|---|---|---|---|---|")
    results: dict[str, Any] = {}
    for path in args.reports:
        with open(path, encoding="utf-8") as fh:
            scores = rescore(json.load(fh), texts)
        for name, models in scores.items():
            for model, row in models.items():
                print(f"| {name} | {model} | {row['npmi_own']:.3f} | {row['npmi']:.3f} | {row['missing']} |")
            results.setdefault(name, {}).update(models)
    if args.output:
        from structnlp.files import atomic_write

        with atomic_write(args.output) as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    run_script(main)
