"""Benchmark the hierarchical NSE summarizer against Lead-3 and TextRank on BBC News Summary.

The held-out articles are the ``test`` split of :func:`summarize.data.bbc_split` (203 articles,
never seen in training or model selection), without their title line. Every system writes 3
sentences (``--max-sentences``):

* **Lead-3**: the first three sentences;
* **TextRank** (Mihalcea & Tarau 2004): PageRank over content-lemma overlap;
* **NSE extractive**: the three sentences with the largest probability x words (the default
  ``rank_by="coverage"``), in document order; **NSE extractive (by probability)**: the three
  most probable sentences;
* **NSE abstractive**: beam search (``--beam``, default 4) with copying, at most three
  sentences and the model's ``max_summary_tokens``;
* **oracle** (with ``--oracle``): the reference's own sentences as labelled by
  :func:`summarize.data.highlight_labels`, the first three in document order: an upper bound.

ROUGE-1/2/Lsum F1 come from :func:`structnlp.metrics.rouge` (Google's ``rouge-score``, Porter
stemmer), with 95% bootstrap intervals over documents; the reference is split into its
sentences by :func:`summarize.data.bbc_reference_sentences`. Speed is documents per second on
this machine after sentence analysis (all systems share it); the analysis itself (structnlp's
embedded spaCy pipeline) is timed separately. How abstractive each system is: **novel
bigrams**, the share of its bigrams (lower-cased word tokens, pooled over documents) that the
article does not contain, and **verbatim**, the share of its sentences that are an article
sentence word for word (both 0 and 100% for an extract).

Run from the repository root (the figures in docs/summarize.md come from this command)::

    python benchmarks/summarize_benchmark.py --model default --output results.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.datasets import (
    load_bbc_news_summary,  # noqa: E402
    run_script,  # noqa: E402
)
from structnlp.files import atomic_write  # noqa: E402
from structnlp.metrics import rouge  # noqa: E402
from structnlp.params import count_argument  # noqa: E402
from structnlp.tokenize import RegexTokenizer  # noqa: E402
from summarize import lead_n, load_summarizer, textrank  # noqa: E402
from summarize.data import (  # noqa: E402
    analyze_documents,
    bbc_reference_sentences,
    bbc_split,
    highlight_labels,
    sentence_words,
)

#: lower-cased word tokens, for comparing a summary's words with its article's
WORDS = RegexTokenizer(r"\w+", lowercase=True)


def _words(text: str) -> tuple[str, ...]:
    return tuple(WORDS.tokenize(text))


def copying(outputs: list[list[str]], sources: list[list[str]]) -> dict[str, float]:
    """Percentages of novel bigrams and of verbatim source sentences in ``outputs`` (module doc).

    >>> copying([["The cat sat.", "A dog ran home."]], [["The cat sat.", "A dog ran."]])
    {'novel_bigrams': 20.0, 'verbatim_sentences': 50.0}
    """
    novel = total = verbatim = n_sentences = 0
    for output, source in zip(outputs, sources, strict=True):
        source_sentences = {_words(s) for s in source}
        source_words = _words(" ".join(source))
        source_bigrams = set(zip(source_words, source_words[1:], strict=False))
        for sentence in output:
            words = _words(sentence)
            bigrams = list(zip(words, words[1:], strict=False))
            novel += sum(b not in source_bigrams for b in bigrams)
            total += len(bigrams)
            verbatim += words in source_sentences
            n_sentences += 1
    return {
        "novel_bigrams": round(100 * novel / max(total, 1), 2),
        "verbatim_sentences": round(100 * verbatim / max(n_sentences, 1), 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default", help="model directory or 'default'")
    p.add_argument("--split", default="test", choices=("train", "validation", "test"))
    p.add_argument("--max-sentences", type=count_argument(1), default=3)
    p.add_argument(
        "--beam", type=count_argument(1), help="beam size of the abstractive mode (default: the model's)"
    )
    p.add_argument("--limit", type=count_argument(1), help="first N articles only")
    p.add_argument("--oracle", action="store_true", help="also score the labelled reference sentences")
    p.add_argument("--threads", type=count_argument(1), default=1, help="torch CPU threads (default 1)")
    p.add_argument("--output", help="write the results as JSON here")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    model = load_summarizer(args.model)  # a bad model fails before the data is read
    data = load_bbc_news_summary()
    keep = [i for i, d in enumerate(data.documents) if bbc_split(d) == args.split][: args.limit]
    articles = [data.documents[i].split("\n", 1)[-1] for i in keep]  # without the title line
    references = [bbc_reference_sentences(data.summaries[i][0]) for i in keep]
    started = time.perf_counter()
    analysed = list(analyze_documents(articles, model.tokenizer, model.max_chars))
    analysis_seconds = time.perf_counter() - started
    k = args.max_sentences
    sources = [[s.text for s in d.sentences] for d in analysed]

    def oracle() -> list[list[str]]:
        out = []
        for doc, ref in zip(analysed, references, strict=True):
            words = [w for sentence in sentence_words("\n".join(ref), model.tokenizer) for w in sentence]
            labels = highlight_labels(doc, words)
            out.append([s.text for s, keep in zip(doc.sentences, labels, strict=True) if keep][:k])
        return out

    systems: dict[str, Any] = {
        f"Lead-{k}": lambda: [lead_n(d, k).summary_sentences for d in analysed],
        "TextRank": lambda: [textrank(d, k).summary_sentences for d in analysed],
        "NSE extractive": lambda: [
            s.summary_sentences for s in model.summarize_batch(analysed, "extractive", k, args.beam)
        ],
        "NSE extractive (by probability)": lambda: [
            s.summary_sentences
            for s in model.summarize_batch(analysed, "extractive", k, args.beam, rank_by="probability")
        ],
        "NSE abstractive": lambda: [
            s.summary_sentences for s in model.summarize_batch(analysed, "abstractive", k, args.beam)
        ],
    }
    if args.oracle:
        systems["oracle (reference sentences)"] = oracle
    results: dict[str, Any] = {}
    for name, run in systems.items():
        started = time.perf_counter()
        outputs = run()
        seconds = time.perf_counter() - started
        scores = rouge(outputs, references, bootstrap=1000, random_state=0)
        words = sum(len(" ".join(o).split()) for o in outputs) / len(outputs)
        results[name] = {
            **{key: round(100 * value, 2) for key, value in scores.items() if key != "n_documents"},
            "docs_per_second": round(len(outputs) / seconds, 2),
            "mean_words": round(words, 1),
            **copying(outputs, sources),
        }
        r = results[name]
        print(
            f"{name:<30} R-1 {r['rouge1']:6.2f} [{r['rouge1_low']:.1f}, {r['rouge1_high']:.1f}]"
            f"  R-2 {r['rouge2']:6.2f}  R-Lsum {r['rougeLsum']:6.2f}  {r['docs_per_second']:8.2f} docs/s"
            f"  {r['mean_words']:5.1f} words  {r['novel_bigrams']:5.1f}% novel bigrams"
            f"  {r['verbatim_sentences']:5.1f}% verbatim",
            flush=True,
        )
    report = {
        "split": args.split,
        "documents": len(articles),
        "max_sentences": k,
        "analysis_docs_per_second": round(len(articles) / analysis_seconds, 2),
        "model": str(args.model),
        "model_n_train": model.n_train_,
        "threads": args.threads,
        "results": results,
    }
    print(f"sentence analysis ({model.tokenizer}): {report['analysis_docs_per_second']} docs/s")
    if args.output:
        with atomic_write(args.output) as fh:
            json.dump(report, fh, indent=1)
    return 0


if __name__ == "__main__":
    run_script(main)
