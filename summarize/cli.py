"""``structnlp summarize``: summarize a document, train a summarizer, evaluate against baselines.

* ``structnlp summarize [--model default|DIR] [--mode extractive|abstractive] < doc.txt``
  (or ``--input FILE``) prints the summary, then its highlights (``--json`` for both as JSON);
* ``structnlp summarize train --data pairs.jsonl -o DIR`` (or ``--dataset bbc_news_summary``)
  fits a :class:`~summarize.HierarchicalNSESummarizer`;
* ``structnlp summarize eval --data pairs.jsonl`` (or ``--dataset bbc_news_summary --split
  test``) prints ROUGE-1/2/Lsum of the model and of the Lead-3 and TextRank baselines.

JSON Lines pairs have a text field (``--text-field``, default ``text``) and a summary field
(``--summary-field``, default ``summary``; a string or a list of sentences); with ``--split``
only records whose ``split`` field matches are used. This module imports only the standard
library; torch is imported by the commands when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

BBC = "bbc_news_summary"


def _pairs(
    args: argparse.Namespace, split: str | None, exclude: str | None = None
) -> tuple[list[str], list[Any], bool]:
    """(documents, summaries, is_bbc) named by --data or --dataset: those of ``split`` (None: all),
    less those of split ``exclude`` (the validation records, which training must not see)."""
    from structnlp.errors import EmptyCorpusError, StructNLPError

    if (args.data is None) == (args.dataset is None):
        raise StructNLPError("give either --data FILE (JSON Lines pairs) or --dataset bbc_news_summary")
    if args.dataset is not None:
        if args.dataset != BBC:
            raise StructNLPError(f"--dataset must be {BBC!r} (the summarization set with a defined split)")
        if split not in (None, "train", "validation", "test"):  # it would select no article
            raise StructNLPError(f"{BBC} has the splits train, validation and test, not {split!r}")
        from structnlp.datasets import load_bbc_news_summary
        from summarize.data import bbc_reference_sentences, bbc_split

        data = load_bbc_news_summary()
        keep = [i for i, d in enumerate(data.documents) if split is None or bbc_split(d) == split]
        # the first line of a BBC article is its title, which the references never use
        docs = [data.documents[i].split("\n", 1)[-1] for i in keep]
        return docs, [bbc_reference_sentences(data.summaries[i][0]) for i in keep], True
    from structnlp.corpus import read_jsonl

    docs, sums = [], []
    splits = set()
    for number, record in enumerate(read_jsonl(args.data, text_field=args.text_field), start=1):
        found = record.get("split")
        splits.add(str(found))
        if (split is not None and found != split) or (exclude is not None and found == exclude):
            continue
        if args.summary_field not in record:
            raise StructNLPError(f"{args.data}: record {number} has no {args.summary_field!r} field")
        summary = record[args.summary_field]
        sentences = summary if isinstance(summary, list) else [summary]
        if not all(isinstance(s, str) for s in sentences):
            raise StructNLPError(
                f"{args.data}: record {number}: field {args.summary_field!r} should be a string or a list of "
                f"strings, found {type(summary).__name__} {json.dumps(summary)[:40]}"
            )
        docs.append(record[args.text_field])
        sums.append(summary)
    if not docs:  # only a split can leave none: read_jsonl refuses empty files
        held = ", ".join(sorted(splits))
        wanted = f"split {split!r}" if split is not None else f"a split other than {exclude!r}"
        raise EmptyCorpusError(f"{args.data}: no record of {wanted} (its splits: {held})")
    return docs, sums, False


def _threads(count: int) -> None:
    """Set torch's CPU threads: the model runs many small sequential operations, fastest on one thread."""
    import torch

    from structnlp.params import check_int

    check_int("--threads", count, 1)
    torch.set_num_threads(count)


def _cmd_summarize(args: argparse.Namespace) -> int:
    from structnlp.errors import StructNLPError
    from structnlp.files import STDIN, read_text
    from summarize import load_summarizer

    if args.input is None and sys.stdin.isatty():  # reading would wait, silently, for typed text
        raise StructNLPError("no document given: pipe one into standard input or use --input FILE")
    text = read_text(STDIN if args.input is None else args.input)
    if not text.strip():
        raise StructNLPError("the input holds no text; nothing to summarize")
    _threads(args.threads)
    model = load_summarizer(args.model, device=args.device)
    out = model.summarize(
        text, mode=args.mode, max_sentences=args.max_sentences, beam_size=args.beam, rank_by=args.rank_by
    )
    if args.json:
        print(json.dumps({"summary": out.text, "sentences": out.summary_sentences, "mode": out.mode,
                          "highlights": [{"sentence": i, "score": round(s, 4), "text": out.sentences[i]}
                                         for i, s in out.highlights]}, ensure_ascii=False))  # fmt: skip
        return 0
    print(out.text)
    if not args.no_highlights:
        print(f"\nhighlights ({'sentence score' if out.mode == 'extractive' else 'share of attention'}):")
        for i, score in out.highlights:
            snippet = out.sentences[i] if len(out.sentences[i]) <= 100 else out.sentences[i][:97] + "..."
            print(f"  [{i}] {score:.3f}  {snippet}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from structnlp.errors import StructNLPError
    from summarize import HierarchicalNSESummarizer

    split = args.split if args.split is not None else "train" if args.dataset else None
    if split is not None and args.validation_split == split:
        raise StructNLPError(f"--validation-split {split!r} is the training split; validate on other records")
    docs, sums, _ = _pairs(args, split, exclude=args.validation_split)
    validation = None if args.validation_split is None else _pairs(args, args.validation_split)[:2]
    model = HierarchicalNSESummarizer(
        word_dim=args.word_dim, lemma_dim=args.lemma_dim, pos_dim=args.pos_dim, max_vocab=args.max_vocab,
        min_count=args.min_count, tokenizer=args.tokenizer, lr=args.lr, batch_tokens=args.batch_tokens,
        max_epochs=args.epochs, max_minutes=args.max_minutes, patience=args.patience,
        rl_epochs=args.rl_epochs, random_state=args.seed, device=args.device, progress=args.progress,
    )  # fmt: skip
    started = time.perf_counter()
    model.fit(docs, sums, validation=validation)
    path = model.save(args.output, float16=args.float16)
    print(
        f"trained on {model.n_train_} pairs: {len(model.word_vocab_)} words, "
        f"{len(model.lemma_vocab_)} lemmas, "
        f"{time.perf_counter() - started:.1f} s; saved to {path}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from structnlp.errors import EmptyCorpusError
    from structnlp.metrics import rouge
    from structnlp.params import check_int
    from summarize import load_summarizer
    from summarize.baselines import lead_n, textrank
    from summarize.data import analyze_documents

    # checked before the baselines run; a negative --limit used to slice documents off the end
    options = {"--max-sentences": args.max_sentences, "--beam": args.beam, "--limit": args.limit}
    for option, value in options.items():
        if value is not None:
            check_int(option, value, 1)
    split = args.split if args.split is not None else "test" if args.dataset else None
    docs, sums, _ = _pairs(args, split)
    if args.limit is not None:
        docs, sums = docs[: args.limit], sums[: args.limit]
    if not docs:
        raise EmptyCorpusError("no document to evaluate")
    _threads(args.threads)
    model = load_summarizer(args.model, device=args.device)
    analysed = list(analyze_documents(docs, model.tokenizer, model.max_chars))
    k = args.max_sentences
    refs = [s if isinstance(s, str) else "\n".join(s) for s in sums]
    systems: dict[str, Any] = {
        "lead-3" if k == 3 else f"lead-{k}": lambda: [lead_n(d, k).summary_sentences for d in analysed],
        "textrank": lambda: [textrank(d, k).summary_sentences for d in analysed],
    }
    modes = ("extractive", "abstractive") if args.mode == "both" else (args.mode,)
    for mode in modes:
        systems[f"nse-{mode}"] = lambda mode=mode: [
            s.summary_sentences for s in model.summarize_batch(analysed, mode, k, args.beam, args.rank_by)
        ]
    results = {}
    for name, run in systems.items():
        started = time.perf_counter()
        outputs = run()
        seconds = time.perf_counter() - started
        scores = rouge(outputs, refs)
        results[name] = {
            "rouge1": scores["rouge1"], "rouge2": scores["rouge2"], "rougeLsum": scores["rougeLsum"],
            "docs_per_second": len(docs) / seconds if seconds > 0 else None,
        }  # fmt: skip
    if args.json:
        print(json.dumps({"documents": len(docs), "max_sentences": k, "results": results}))
        return 0
    print(f"{len(docs)} documents, {k} sentences per summary; ROUGE F1 x 100 (rouge-score, stemmed)")
    print(f"{'system':<18}{'R-1':>7}{'R-2':>7}{'R-Lsum':>8}{'docs/s':>9}")
    for name, r in results.items():
        print(f"{name:<18}{100 * r['rouge1']:>7.2f}{100 * r['rouge2']:>7.2f}{100 * r['rougeLsum']:>8.2f}"
              f"{r['docs_per_second']:>9.1f}")  # fmt: skip
    return 0


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", help="JSON Lines file of document/summary pairs (.jsonl or .jsonl.gz)")
    parser.add_argument(
        "--dataset", help=f"the public data set {BBC!r} instead (its first line, the title, dropped)"
    )
    parser.add_argument("--split", help="only records of this split (train, validation, test)")
    parser.add_argument("--text-field", default="text", help="document field of --data (default: text)")
    parser.add_argument(
        "--summary-field", default="summary", help="summary field of --data (default: summary)"
    )


def register(subparsers: Any) -> None:
    """Add ``structnlp summarize [train|eval]`` to the ``structnlp`` command."""
    from structnlp.cli import hint_input_option

    parser = subparsers.add_parser(
        "summarize", help="hierarchical NSE summarizer: summarize a document (stdin), train, eval",
        description="Summarize the document read from standard input (or --input), or train / eval.",
    )  # fmt: skip
    parser.add_argument("--input", "-i", help="document file (default: standard input)")
    parser.add_argument(
        "--model", default="default", help="model directory, or 'default' (the shipped model)"
    )
    parser.add_argument("--mode", choices=("extractive", "abstractive"), default="extractive")
    parser.add_argument("--max-sentences", type=int, default=3, help="sentences in the summary (default 3)")
    parser.add_argument(
        "--rank-by", choices=("coverage", "probability"), default="coverage",
        help="extractive mode: rank sentences by probability x words (coverage, default) or probability",
    )  # fmt: skip
    parser.add_argument("--beam", type=int, help="beam size of abstractive mode (default: the model's)")
    parser.add_argument("--json", action="store_true", help="summary and highlights as one JSON object")
    parser.add_argument("--no-highlights", action="store_true", help="print the summary only")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, the fastest)")
    parser.set_defaults(func=_cmd_summarize)
    commands = parser.add_subparsers(dest="summarize_command", metavar="COMMAND")
    hint_input_option(parser, "summarize")

    train = commands.add_parser("train", help="fit a summarizer on document/summary pairs")
    _add_data(train)
    train.add_argument("--output", "-o", required=True, help="model directory to write")
    train.add_argument("--validation-split", help="split of the same data that selects the best weights")
    train.add_argument("--word-dim", type=int, default=128)
    train.add_argument("--lemma-dim", type=int, default=64)
    train.add_argument("--pos-dim", type=int, default=16)
    train.add_argument("--max-vocab", type=int, default=10000)
    train.add_argument("--min-count", type=int, default=2)
    train.add_argument("--tokenizer", choices=("spacy", "nltk"), default="spacy")
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--batch-tokens", type=int, default=8192)
    train.add_argument("--epochs", type=int, default=10, help="epochs of maximum likelihood")
    train.add_argument("--max-minutes", type=float, help="wall-clock limit of the likelihood phase")
    train.add_argument("--patience", type=int, help="early stopping (needs --validation-split)")
    train.add_argument("--rl-epochs", type=int, default=0, help="epochs of self-critical RL afterwards")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto")
    train.add_argument("--float16", action="store_true", help="store float16 weights (half the size)")
    train.add_argument("--progress", action="store_true", help="show progress bars")
    train.set_defaults(func=_cmd_train)

    evaluate = commands.add_parser("eval", help="ROUGE of the model beside Lead-3 and TextRank")
    _add_data(evaluate)
    evaluate.add_argument("--model", default="default", help="model directory, or 'default'")
    evaluate.add_argument("--mode", choices=("extractive", "abstractive", "both"), default="both")
    evaluate.add_argument("--max-sentences", type=int, default=3)
    evaluate.add_argument(
        "--rank-by", choices=("coverage", "probability"), default="coverage",
        help="extractive mode: rank sentences by probability x words (coverage, default) or probability",
    )  # fmt: skip
    evaluate.add_argument("--beam", type=int, help="beam size of abstractive mode (default: the model's)")
    evaluate.add_argument("--limit", type=int, help="first N documents only")
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.add_argument("--device", default="cpu")
    evaluate.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    evaluate.set_defaults(func=_cmd_eval)
