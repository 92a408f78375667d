"""``structnlp topics``: train, show, apply and evaluate DocNADE-family topic models from the shell.

Documents come from a file or folder (one document a line; JSON Lines files, ``.jsonl`` or
``.jsonl.gz``, by their ``text`` field) or from a public data set (``--dataset 20NSshort
--split train``). This module imports only the standard library; torch is imported by the
commands when they run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from typing import Any

MODELS = {
    "docnade": ("DocNADE", {}),
    "idocnade": ("DocNADE", {"bidirectional": True}),
    "docnadee": ("DocNADE", {"embeddings": "train"}),
    "idocnadee": ("DocNADE", {"bidirectional": True, "embeddings": "train"}),
    "ctx": ("CtxDocNADE", {}),
    "ctxe": ("CtxDocNADE", {"embeddings": "train"}),
}


def _read_documents(path: str | None, dataset: str | None, split: str | None, text_field: str) -> list:
    """The documents named on the command line (a file/folder, ``-`` for standard input, or a data set)."""
    from structnlp.errors import StructNLPError

    if (path is None) == (dataset is None):
        raise StructNLPError("give either an input file or folder, or --dataset (not both)")
    if dataset is not None:
        from structnlp.datasets import load

        data = load(dataset, split=split)
        for texts in ("texts", "documents"):  # labelled texts, summarization pairs
            if hasattr(data, texts):  # iterating either gives its two columns, not its documents
                return list(getattr(data, texts))
        return list(data)
    from structnlp.corpus import read_documents, read_jsonl

    if path.endswith((".jsonl", ".jsonl.gz")):
        return [record[text_field] for record in read_jsonl(path, text_field=text_field)]
    return list(read_documents(path))


def _add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        nargs="?",
        help="documents: a text file or folder (a document a line), a .jsonl[.gz] file, or - (stdin)",
    )
    parser.add_argument("--dataset", help="read a public data set instead (e.g. 20NSshort, lee_background)")
    parser.add_argument("--split", help="split of --dataset (train, validation, test)")
    parser.add_argument("--text-field", default="text", help="text field of JSON Lines input (default: text)")


def _cmd_train(args: argparse.Namespace) -> int:
    import topics
    from structnlp.errors import StructNLPError

    class_name, preset = MODELS[args.model]
    params: dict[str, Any] = {
        "n_topics": args.n_topics,
        "activation": args.activation,
        "lr": args.lr,
        "max_epochs": args.epochs,
        "batch_tokens": args.batch_tokens,
        "patience": args.patience,
        "min_count": args.min_count,
        "max_size": args.max_size,
        "stop_words": args.stop_words,
        "random_state": args.seed,
        "device": args.device,
        "progress": args.progress,
        "coherence_weight": args.coherence_weight,
        "coherence_vectors": args.coherence_vectors,
        **preset,
    }
    if args.embeddings is not None:
        params["embeddings"] = args.embeddings
    only_for = {
        "CtxDocNADE": ({"lambda_ctx": args.lambda_ctx}, "ctx or ctxe"),
        "DocNADE": (
            {"word_order": args.word_order, "lambda_embeddings": args.lambda_embeddings},
            "docnade, idocnade, docnadee or idocnadee",
        ),
    }
    for owner, (options, models) in only_for.items():
        given = {key: value for key, value in options.items() if value is not None}
        if given and class_name != owner:
            names = " and ".join("--" + key.replace("_", "-") for key in given)
            raise StructNLPError(f"{names}: only for --model {models}, not {args.model}")
        params.update(given)
    docs = _read_documents(args.input, args.dataset, args.split, args.text_field)
    validation = None
    if args.validation is not None:
        validation = _read_documents(args.validation, None, None, args.text_field)
    elif args.validation_split is not None:
        if args.dataset is None:
            raise StructNLPError("--validation-split needs --dataset (or give --validation FILE)")
        validation = _read_documents(None, args.dataset, args.validation_split, args.text_field)
    model = getattr(topics, class_name)(**params)
    start = time.perf_counter()
    model.fit(docs, validation_docs=validation)
    seconds = time.perf_counter() - start
    path = model.save(args.output)
    print(
        f"trained {args.model} ({class_name}) on {len(docs)} documents: {len(model.vocabulary_)} words, "
        f"{model.n_topics} topics, {model.n_iter_} epochs, {seconds:.1f} s"
    )
    if validation is not None:
        print(f"validation perplexity: {model.perplexity(validation):.2f}")
    print(f"saved to {path}")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    import topics

    model = topics.load_model(args.model_dir, device=args.device)
    found = model.topics(top_n=args.top_n)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    width = len(str(len(found) - 1))
    for index, words in enumerate(found):
        print(f"topic {index:>{width}}: {' '.join(words)}")
    return 0


def _cmd_transform(args: argparse.Namespace) -> int:
    import numpy as np

    import topics
    from structnlp.errors import StructNLPError
    from structnlp.files import atomic_write

    if args.output == "-":  # standard output, as "-" is standard input
        args.output = None
    if args.output is not None and os.path.isdir(args.output):  # checked before the work, not after
        raise StructNLPError(f"{args.output}: is a folder; --output takes a .npy or text file name")
    model = topics.load_model(args.model_dir, device=args.device)
    vectors = model.transform(_read_documents(args.input, args.dataset, args.split, args.text_field))
    if args.output is None:
        for row in vectors:
            print("\t".join(f"{x:.6g}" for x in row))
    elif args.output.endswith(".npy"):
        with atomic_write(args.output, "wb") as fh:
            np.save(fh, vectors, allow_pickle=False)
    else:
        with atomic_write(args.output) as fh:
            np.savetxt(fh, vectors, delimiter="\t", fmt="%.6g")
    if args.output is not None:
        print(f"wrote {vectors.shape[0]} x {vectors.shape[1]} document vectors to {args.output}")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    import topics
    from structnlp.metrics import topic_diversity

    model = topics.load_model(args.model_dir, device=args.device)
    docs = _read_documents(args.input, args.dataset, args.split, args.text_field)
    result: dict[str, Any] = {"documents": len(docs), "perplexity": model.perplexity(docs)}
    for measure in ("npmi", "c_v"):
        # Topic words absent from these documents are left out, and so are topics left with one word.
        scores = model.coherence(docs, measure=measure, top_n=args.top_n, on_missing="drop")
        result[measure] = scores["coherence"]
        result["topics_scored"] = sum(not math.isnan(x) for x in scores["per_topic"])
    result["diversity"] = topic_diversity(model.topics(args.top_n), top_n=args.top_n)
    if args.json:  # a diverged model's infinite perplexity is null: JSON has no Infinity
        print(json.dumps({k: v if math.isfinite(v) else None for k, v in result.items()}))
        return 0
    scored = f"{result['topics_scored']} of {model.module_.n_hidden} topics"
    print(f"documents:  {result['documents']}")
    print(f"perplexity: {result['perplexity']:.2f}   (per word, averaged over documents)")
    print(f"NPMI:       {result['npmi']:.4f}   (top {args.top_n} words, window 10; {scored})")
    print(f"C_v:        {result['c_v']:.4f}   (top {args.top_n} words, window 110; {scored})")
    print(f"diversity:  {result['diversity']:.4f}   (distinct words among all top-{args.top_n} lists)")
    return 0


def register(subparsers: Any) -> None:
    """Add ``structnlp topics train|show|transform|eval`` to the ``structnlp`` command."""
    topics_parser = subparsers.add_parser("topics", help="DocNADE-family neural topic models")
    commands = topics_parser.add_subparsers(dest="topics_command", metavar="COMMAND", required=True)

    train = commands.add_parser("train", help="train a topic model and save it to a directory")
    _add_input(train)
    train.add_argument("--output", "-o", required=True, help="model directory to write")
    train.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="docnade",
        help="docnade, idocnade (bidirectional), docnadee / idocnadee (with word embeddings), "
        "ctx (ctx-DocNADE), ctxe (ctx-DocNADEe)",
    )
    train.add_argument("--n-topics", type=int, default=50)
    train.add_argument("--activation", choices=("sigmoid", "tanh", "relu"), default="sigmoid")
    train.add_argument("--lr", type=float, default=0.01)
    train.add_argument("--epochs", type=int, default=50, help="maximum number of epochs")
    train.add_argument("--batch-tokens", type=int, default=2048)
    train.add_argument("--patience", type=int, help="early stopping on the validation perplexity")
    train.add_argument("--validation", help="validation documents (file or folder)")
    train.add_argument("--validation-split", help="validation split of --dataset (e.g. validation)")
    train.add_argument("--min-count", type=int, default=1)
    train.add_argument("--max-size", type=int, help="keep the most frequent words only")
    train.add_argument("--stop-words", choices=("english",), help="drop English stop words")
    train.add_argument("--lambda-ctx", type=float, help="weight of the LSTM (ctx models; default 0.1)")
    train.add_argument(
        "--embeddings", help="word embeddings of the *e models: 'train' (their default) or a word2vec file"
    )
    train.add_argument(
        "--lambda-embeddings", type=float, help="docnade models: weight of the embeddings (default 1.0)"
    )
    train.add_argument(
        "--coherence-weight",
        type=float,
        default=0.0,
        help="weight of the coherence prior on the topics (default 0: the paper's model; try 1)",
    )
    train.add_argument(
        "--coherence-vectors",
        default="train",
        help="word vectors of the coherence prior: 'train' (default) or a word2vec text file",
    )
    train.add_argument(
        "--word-order",
        choices=("document", "shuffle"),
        help="docnade/idocnade: read the words as written (default) or in a new random order every epoch",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto")
    train.add_argument("--progress", action="store_true", help="show a progress bar")
    train.set_defaults(func=_cmd_train)  # fmt: skip

    show = commands.add_parser("show", help="print the top words of each topic")
    show.add_argument("model_dir", help="model directory written by 'structnlp topics train'")
    show.add_argument("--top-n", type=int, default=10)
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--device", default="cpu")
    show.set_defaults(func=_cmd_show)

    transform = commands.add_parser("transform", help="document vectors (one row of numbers per document)")
    transform.add_argument("model_dir")
    _add_input(transform)
    transform.add_argument(
        "--output", "-o", help=".npy or tab-separated text file (default or '-': standard output)"
    )
    transform.add_argument("--device", default="auto")
    transform.set_defaults(func=_cmd_transform)

    evaluate = commands.add_parser(
        "eval",
        help="perplexity and topic coherence (NPMI, C_v; topic words absent from the input are skipped)",
    )
    evaluate.add_argument("model_dir")
    _add_input(evaluate)
    evaluate.add_argument("--top-n", type=int, default=10)
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.add_argument("--device", default="auto")
    evaluate.set_defaults(func=_cmd_eval)
