"""Pre-analyse BBC News Summary for the summarizer's training script (which needs no spaCy or nltk).

    python scripts/make_summarizer_data.py [--out .devdata/summarizer_bbc.jsonl.gz] [--tokenizer spacy]

Reads the corpus through ``structnlp.datasets.load_bbc_news_summary`` and writes one JSON line
per article (gzip'd):

* ``id``, ``category``, ``split`` (:func:`summarize.data.bbc_split`: a hash of the text, about
  80/10/10 train/validation/test, duplicates kept together);
* ``document``: the article without its title line (the first line; the reference summaries
  never use it), as analysed sentences (text, words, lemmas, universal POS) from
  :func:`summarize.data.analyze_documents` with structnlp's embedded spaCy pipeline;
* ``labels``: 1 for each sentence the reference summary uses (:func:`summarize.data.highlight_labels`);
* ``summary``: the reference summary as distributed (its sentences run together without spaces).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.datasets import (
    load_bbc_news_summary,  # noqa: E402
    run_script,  # noqa: E402
)
from structnlp.params import count_argument  # noqa: E402
from summarize.data import analyze_documents, bbc_split, highlight_labels, write_analyzed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=".devdata/summarizer_bbc.jsonl.gz", help="output file (.jsonl.gz)")
    parser.add_argument("--tokenizer", default="spacy", choices=("spacy", "nltk"))
    parser.add_argument("--limit", type=count_argument(1), help="first N articles only (for a quick try)")
    args = parser.parse_args(argv)

    data = load_bbc_news_summary()
    n = len(data) if args.limit is None else min(args.limit, len(data))
    started = time.perf_counter()
    docs = analyze_documents(data.documents[:n], args.tokenizer, skip_first_line=True)
    summaries = analyze_documents((s[0] for s in data.summaries[:n]), args.tokenizer)

    def records():
        for i, (doc, summary) in enumerate(zip(docs, summaries, strict=True)):
            reference = [w for s in summary.sentences for w in s.words]
            yield {
                "id": data.ids[i],
                "category": data.categories[i],
                "split": bbc_split(data.documents[i]),
                "document": doc.to_json(),
                "labels": highlight_labels(doc, reference),
                "summary": data.summaries[i][0],
            }
            if (i + 1) % 200 == 0:
                print(f"{i + 1}/{n} articles, {time.perf_counter() - started:.0f} s", file=sys.stderr)

    count = write_analyzed(args.out, records())
    size = Path(args.out).stat().st_size / 1e6
    seconds = time.perf_counter() - started
    print(f"wrote {count} analysed articles to {args.out} ({size:.1f} MB) in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    run_script(main)
