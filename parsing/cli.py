"""``structnlp parse``: parse sentences, train a parser, evaluate one, from the shell.

* ``structnlp parse [--model PATH|default] [--format brackets|conllu|json] < sentences.txt``
  parses one sentence a line (standard input, or ``--input FILE``); blank lines are skipped.
  Lines are tokenized by the parser's tokenizer unless ``--tokenized`` says they already are
  (tokens separated by spaces).
* ``structnlp parse train --corpus raw.txt --out DIR [--arch structformer|recat]`` trains a
  parser on raw sentences (one a line) and saves it.
* ``structnlp parse eval --model ... --gold PTB_DIR|CONLLU|DP`` scores a parser on a treebank:
  bracket F1 by the Kim et al. (2019) protocol on bracketed trees (``.mrg``), directed and
  undirected attachment on dependency trees (``.conllu``, ``.dp``), punctuation removed first.

Input files must be UTF-8 (gzip is read transparently); anything else is a clear error. This
module imports only the standard library; the commands import torch when they run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

ARCHITECTURES = {"structformer": "StructFormerParser", "recat": "ReCATParser"}
FORMATS = ("brackets", "conllu", "json")


def _numbered_lines(path: str | None) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of the non-blank lines of ``path`` or of standard input (strict UTF-8)."""
    from structnlp.files import STDIN, iter_lines

    for number, line in iter_lines(STDIN if path is None else path):
        if line.strip():
            yield number, line.strip()


def _sentences(path: str | None, tokenized: bool) -> list[Any]:
    return [line.split() if tokenized else line for _, line in _numbered_lines(path)]


def _format(result: Any, fmt: str, index: int) -> str:
    if fmt == "brackets":
        return result.to_brackets() + "\n"
    if fmt == "json":
        return result.to_json() + "\n"
    return result.to_conllu(sent_id=str(index + 1))


#: Sentences read, parsed and written at a time by ``structnlp parse``: memory stays bounded
#: and output starts before the end of a long input.
CHUNK = 1024


def _cmd_parse(args: argparse.Namespace) -> int:
    from parsing.api import load_parser
    from structnlp.errors import CorpusFormatError
    from structnlp.files import STDIN

    parser = load_parser(args.model, device=args.device)
    tokenize = str.split if args.tokenized else parser._tokenize_function()
    source = STDIN if args.input is None else args.input  # CorpusFormatError names "-" standard input
    out = sys.stdout
    lines = _numbered_lines(args.input)
    index = 0
    while chunk := list(itertools.islice(lines, CHUNK)):
        sentences = []
        for number, line in chunk:  # tokenized here, so that a line the tokenizer empties is named
            tokens = tokenize(line)
            if not tokens:
                problem = f"the parser's {parser.tokenizer!r} tokenizer leaves no token of {line!r} to parse"
                raise CorpusFormatError(source, number, problem)
            sentences.append(tokens)
        for result in parser.parse_many(sentences, batch_size=args.batch_size):
            out.write(_format(result, args.format, index))
            index += 1
        out.flush()
    return 0


def _model_params(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    wanted = {
        "hidden_size": args.hidden_size,
        "n_layers": args.layers,
        "n_heads": args.heads,
        "objective": args.objective,
        "min_count": args.min_count,
        "max_vocab": args.max_vocab,
        "lr": args.lr,
        "max_epochs": args.epochs,
        "max_steps": args.max_steps,
        "max_minutes": args.max_minutes,
        "batch_tokens": args.batch_tokens,
        "device": args.device,
        "random_state": args.seed,
        "verbose": args.progress,
        "tokenizer": "whitespace" if args.tokenized else args.tokenizer,
    }
    accepted = cls().get_params()
    return {k: v for k, v in wanted.items() if k in accepted and v is not None}


def _cmd_train(args: argparse.Namespace) -> int:
    import parsing

    cls = getattr(parsing, ARCHITECTURES[args.arch])
    params = _model_params(cls, args)
    sentences = _sentences(args.corpus, args.tokenized)
    if not sentences:
        from structnlp.errors import EmptyCorpusError

        raise EmptyCorpusError(f"{args.corpus}: no sentences to train on (the file is empty or blank)")
    model = cls(**params)
    start = time.perf_counter()
    model.fit(sentences)
    seconds = time.perf_counter() - start
    path = model.save(
        args.out, half=args.half, metadata={"training": {"corpus": args.corpus, "seconds": seconds}}
    )
    losses = [h["train_loss"] for h in model.history_ if "train_loss" in h]
    loss = f", final loss {losses[-1]:.3f}" if losses else ""
    print(
        f"trained {cls.__name__} on {len(sentences)} sentences: {len(model.vocabulary_)} words, "
        f"{model.n_steps_} steps in {seconds:.1f} s{loss}"
    )
    print(f"saved to {path}")
    return 0


def gold_sentences(path: str, limit: int | None = None) -> tuple[str, list[Any]]:
    """Read a treebank for evaluation: ``("trees", cleaned trees)`` or ``("heads", [(words, heads)])``.

    Punctuation is removed as in unsupervised-parsing evaluation: PTB punctuation and trace
    tags from bracketed trees (:func:`structnlp.trees.clean_ptb_tree`), tokens tagged
    ``PUNCT`` (CoNLL-U) or with PTB punctuation tags (``.dp``) from dependency trees, whose
    other words are re-attached to their nearest kept ancestor
    (:func:`structnlp.trees.project_heads`). Sentences left empty are skipped.
    """
    from structnlp.corpus import guess_format, iter_corpus
    from structnlp.errors import StructNLPError
    from structnlp.trees import PTB_DROP_TAGS, clean_ptb_tree, project_heads

    fmt = guess_format(path)
    if fmt not in ("ptb", "conllu", "dp"):
        raise StructNLPError(f"{path}: gold must be bracketed trees (.mrg), CoNLL-U or .dp files, not {fmt}")
    items: list[Any] = []
    punct_tags = PTB_DROP_TAGS - {"-NONE-"}
    for record in iter_corpus(path, fmt):
        if limit is not None and len(items) >= limit:
            break
        if fmt == "ptb":
            words = [w for w, tag in record.pos() if tag not in PTB_DROP_TAGS]
            if words:
                items.append(clean_ptb_tree(record))
            continue
        keep = (
            [u != "PUNCT" for u in record.upos]
            if fmt == "conllu"
            else [t not in punct_tags for t in record.tags]
        )
        if fmt == "conllu" and None in record.heads:
            raise StructNLPError(
                f"{path}: sentence {len(items) + 1} has no dependency tree (HEAD '_'); "
                "attachment scores need gold heads"
            )
        if any(keep):
            words = [w for w, k in zip(record.words, keep, strict=True) if k]
            items.append((words, project_heads(record.heads, keep)))
    return ("trees" if fmt == "ptb" else "heads"), items


def evaluate_parser(parser: Any, kind: str, items: list[Any], batch_size: int = 64) -> dict[str, float]:
    """Scores of ``parser`` on gold items read by :func:`gold_sentences`."""
    from parsing.api import evaluate_trees

    if kind == "trees":
        predicted = parser.parse_many([tree.leaves() for tree in items], batch_size=batch_size)
        return evaluate_trees(predicted, items)
    predicted = parser.parse_many([words for words, _ in items], batch_size=batch_size)
    if any(p.heads is None for p in predicted):
        from structnlp.errors import StructNLPError

        raise StructNLPError(
            f"{type(parser).__name__} induces no dependency heads; evaluate it on bracketed trees"
        )
    return evaluate_trees(predicted, gold_heads=[heads for _, heads in items])


def _cmd_eval(args: argparse.Namespace) -> int:
    from parsing.api import load_parser

    parser = load_parser(args.model, device=args.device)
    kind, items = gold_sentences(args.gold, args.limit)
    if not items:
        from structnlp.errors import EmptyCorpusError

        raise EmptyCorpusError(f"{args.gold}: no sentence has words left once punctuation is removed")
    start = time.perf_counter()
    scores = evaluate_parser(parser, kind, items, args.batch_size)
    scores["seconds"] = time.perf_counter() - start
    if args.json:
        print(json.dumps(scores))
        return 0
    print(f"{type(parser).__name__} on {args.gold}: {len(items)} sentences, punctuation removed")
    if kind == "trees":
        print(
            f"sentence F1 {100 * scores['sentence_f1']:.1f}   corpus F1 {100 * scores['corpus_f1']:.1f}"
            "   (Kim et al. 2019)"
        )
    else:
        print(
            f"directed attachment {100 * scores['directed']:.1f}"
            f"   undirected {100 * scores['undirected']:.1f}   ({scores['n_words']} words)"
        )
    return 0


MODEL_HELP = "parser directory, 'default' (StructFormer) or 'default-recat' (ReCAT), both shipped"


def register(subparsers: Any) -> None:
    """Add ``structnlp parse [train|eval]`` to the ``structnlp`` command."""
    from structnlp.cli import hint_input_option
    from structnlp.params import count_argument

    positive = count_argument(1)
    parse = subparsers.add_parser(
        "parse",
        help="unsupervised parsing: parse sentences (one a line), or train / eval a parser",
        description="Parse sentences, one a line, from standard input or --input (see also: train, eval).",
    )
    parse.add_argument("--model", default="default", help=MODEL_HELP)
    parse.add_argument("--format", choices=FORMATS, default="brackets", help="output format")
    parse.add_argument("--input", "-i", help="file of sentences, one a line (default: standard input)")
    parse.add_argument("--tokenized", action="store_true", help="input tokens are separated by spaces")
    parse.add_argument("--batch-size", type=positive, default=64)
    parse.add_argument("--device", default="cpu", help="cpu, cuda, auto")
    parse.set_defaults(func=_cmd_parse)
    commands = parse.add_subparsers(dest="parse_command", metavar="COMMAND")
    hint_input_option(parse, "parse")

    train = commands.add_parser("train", help="train a parser on raw sentences and save it")
    train.add_argument("--corpus", required=True, help="sentences, one a line (text or .gz)")
    train.add_argument("--out", "-o", required=True, help="model directory to write")
    train.add_argument("--arch", choices=sorted(ARCHITECTURES), default="structformer")
    train.add_argument("--tokenized", action="store_true", help="corpus tokens are separated by spaces")
    train.add_argument("--tokenizer", default="nltk", choices=("nltk", "spacy", "regex", "whitespace"))
    train.add_argument("--hidden-size", type=int, default=None, help="network width (model default if unset)")
    train.add_argument("--layers", type=int, default=None, help="transformer layers")
    train.add_argument("--heads", type=int, default=None, help="attention heads")
    train.add_argument(
        "--objective", choices=("bilm", "mlm"), default=None, help="ReCAT's training objective (default bilm)"
    )
    train.add_argument("--min-count", type=int, default=None)
    train.add_argument("--max-vocab", type=int, default=None)
    train.add_argument("--lr", type=float, default=None)
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--max-steps", type=int, default=None)
    train.add_argument("--max-minutes", type=float, default=None)
    train.add_argument("--batch-tokens", type=int, default=None)
    train.add_argument("--half", action="store_true", help="save float16 weights")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto")
    train.add_argument("--progress", action="store_true", help="show progress")
    train.set_defaults(func=_cmd_train)

    evaluate = commands.add_parser("eval", help="score a parser on gold trees (punctuation removed)")
    evaluate.add_argument("--model", default="default", help=MODEL_HELP)
    evaluate.add_argument("--gold", required=True, help="PTB .mrg folder/file, CoNLL-U or .dp file")
    evaluate.add_argument("--limit", type=positive, help="evaluate the first N sentences only")
    evaluate.add_argument("--batch-size", type=positive, default=64)
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.add_argument("--device", default="cpu")
    evaluate.set_defaults(func=_cmd_eval)
