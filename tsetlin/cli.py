"""``structnlp classify``: train, apply and explain Tsetlin Machine text classifiers from the shell.

``train`` fits a Boolean bag of words and a Tsetlin Machine on a JSON Lines or CSV/TSV file
and saves both in one model directory (:func:`tsetlin.save_pipeline`); ``predict`` prints
a label per document, ``explain`` why documents got their class (text, Markdown, JSON or
an HTML report), ``rules`` the learnt rules. This module imports only the standard
library; numpy, scikit-learn and the numba kernels load when a command runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Documents classified per batch by ``predict`` (bounds memory on large files).
BATCH = 4096
DATA_FORMATS = ("auto", "jsonl", "csv", "text")


def _records(path: str, data_format: str, text_field: str, label_field: str | None) -> Iterator[tuple]:
    """Stream ``(text, label)`` pairs (label None without ``label_field``) from a corpus file or folder."""
    from structnlp.corpus import guess_format, iter_corpus
    from structnlp.errors import STDIN, StructNLPError, source_name

    if data_format == "auto":  # a pipe has no file name to tell its format by: a document a line
        fmt = "text" if path == STDIN else guess_format(path)
    else:
        fmt = data_format
    name = source_name(path)
    if fmt == "text":
        if label_field is not None:
            raise StructNLPError(
                f"{name}: plain text (a document a line) has no labels; "
                f"use JSON Lines or CSV (--data-format) with a {label_field!r} field"
            )
        return ((doc, None) for doc in iter_corpus(path, format="text"))
    if fmt not in ("jsonl", "csv"):
        raise StructNLPError(
            f"{name}: a {fmt} file holds no documents to classify; use JSON Lines, CSV/TSV or plain text"
        )
    records = iter_corpus(path, format=fmt, text_field=text_field, label_field=label_field)
    return ((r[text_field], None if label_field is None else r[label_field]) for r in records)


def _check_labels(labels: list, field: str) -> None:
    """Labels must be all strings or all integers: anything else cannot be saved or compared."""
    from structnlp.errors import StructNLPError

    kinds = set()
    for i, label in enumerate(labels, 1):
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise StructNLPError(
                f"record {i}: the label field {field!r} holds {json.dumps(label)}; "
                "labels must be strings or integers"
            )
        if isinstance(label, str) and not label.strip():  # an empty CSV cell: a missing label, not a class
            raise StructNLPError(
                f"record {i}: the label field {field!r} is empty; every document needs a label"
            )
        kinds.add(type(label))
        if len(kinds) > 1:
            raise StructNLPError(
                f"record {i}: the label field {field!r} mixes strings and integers ({json.dumps(label)}); "
                "use one type"
            )


def _load(path: str) -> Any:
    from tsetlin.pipeline import load_pipeline

    return load_pipeline(path)


def _check_utf8(option: str, value: str) -> None:
    """Undecodable command-line bytes arrive as surrogates, which no output can encode."""
    from structnlp.errors import StructNLPError

    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StructNLPError(
            f"{option} is not valid UTF-8 (the terminal or script passed other bytes); re-encode it"
        ) from None


def _limit(value: int) -> int | None:
    """Command-line counts where 0 means no limit."""
    return None if value == 0 else value


def _write(text: str, out: str | None) -> None:
    """Write ``text`` to the file ``out``, or to standard output (None or ``-``, as for input)."""
    if out is None or out == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from structnlp.errors import StructNLPError
    from structnlp.files import atomic_write

    if Path(out).is_dir():
        raise StructNLPError(f"{out}: is a directory; give --out a file name")
    try:
        with atomic_write(out) as fh:
            fh.write(text)
    except OSError as exc:  # unwritable folder, full disk: one line, not a traceback
        raise StructNLPError(f"{out}: cannot write it ({exc.strerror or exc})") from None


# ----------------------------------------------------------------------------- train
def _cmd_train(args: argparse.Namespace) -> int:
    from sklearn.pipeline import make_pipeline

    from structnlp.errors import StructNLPError
    from structnlp.features import BooleanBagOfWords
    from structnlp.modelio import can_replace
    from tsetlin.estimator import TsetlinMachineClassifier
    from tsetlin.pipeline import save_pipeline

    if not can_replace(Path(args.out)):  # fail before training, not after
        raise StructNLPError(
            f"{args.out}: exists and is not a structnlp model directory; refusing to overwrite it"
        )
    featurizer = BooleanBagOfWords(
        ngram_range=(1, args.ngram_max),
        min_df=args.min_df,
        max_features=_limit(args.max_features),
        stop_words=None if args.stop_words == "none" else args.stop_words,
    )
    options = {
        "n_clauses": args.clauses,
        "threshold": args.threshold,
        "specificity": args.specificity,
        "n_epochs": args.epochs,
        "max_included_literals": args.max_literals,
        "feature_negation": not args.no_negation,
        "n_jobs": args.n_jobs,
        "random_state": args.random_state,
        "verbose": 0 if args.quiet else 1,
    }
    classifier = TsetlinMachineClassifier(**{k: v for k, v in options.items() if v is not None})
    featurizer.check_params()  # bad options fail now, not after reading a large corpus
    classifier._check_params()
    start = time.perf_counter()
    pairs = list(_records(args.data, args.data_format, args.text_field, args.label_field))
    texts = [text for text, _ in pairs]
    labels = [label for _, label in pairs]
    _check_labels(labels, args.label_field)
    if len(set(labels)) < 2:
        raise StructNLPError(
            f"{args.data}: every document has the label {labels[0]!r}; "
            "a classifier needs at least two classes"
        )
    pipe = make_pipeline(featurizer, classifier)
    X = featurizer.fit_transform(texts)
    if not args.quiet:
        print(
            f"{len(texts)} documents from {args.data}: {len(set(labels))} classes, {X.shape[1]} features; "
            f"{classifier.n_clauses} clauses per class, T={classifier.threshold}, s={classifier.specificity}"
        )
    classifier.fit(X, labels)
    accuracy = float(classifier.score(X, labels))
    seconds = time.perf_counter() - start
    metadata = {
        "trained_by": "structnlp classify train",
        "training_data": str(args.data),
        "text_field": args.text_field,
        "label_field": args.label_field,
        "n_documents": len(texts),
        "training_accuracy": accuracy,
    }
    try:
        path = save_pipeline(pipe, args.out, metadata=metadata)
    except OSError as exc:  # an unwritable place: one line, not a traceback
        raise StructNLPError(f"{args.out}: cannot write the model ({exc.strerror or exc})") from None
    if not args.quiet:
        print(f"accuracy on the training documents: {accuracy:.3f} ({seconds:.1f} s)")
        print(f"saved to {path}")
    return 0


# ----------------------------------------------------------------------------- predict
def _cmd_predict(args: argparse.Namespace) -> int:
    from structnlp.errors import STDIN
    from tsetlin.explain import plain_value

    pipe = _load(args.model)
    bow, clf = pipe[0], pipe[-1]
    data = STDIN if args.data is None else args.data
    pairs = _records(data, args.data_format, args.text_field, args.label_field)
    n = correct = 0
    classes = [plain_value(c) for c in clf.classes_]
    while batch := list(itertools.islice(pairs, BATCH)):
        X = bow.transform([text for text, _ in batch])
        sums = clf.class_sums(X)
        predicted = [classes[i] for i in sums.argmax(axis=1)]
        lines = []
        for label, row in zip(predicted, sums, strict=True):
            if args.json:
                scores = {str(c): int(s) for c, s in zip(classes, row, strict=True)}
                lines.append(json.dumps({"predicted": label, "scores": scores}, ensure_ascii=False))
            else:
                lines.append(str(label))
        sys.stdout.write("\n".join(lines) + "\n")
        n += len(batch)
        if args.label_field is not None:
            correct += sum(str(p) == str(t) for p, (_, t) in zip(predicted, batch, strict=True))
    if args.label_field is not None and n:
        print(f"accuracy: {correct / n:.4f} ({correct} of {n} documents)", file=sys.stderr)
    return 0


# ----------------------------------------------------------------------------- explain
def _documents_to_explain(args: argparse.Namespace) -> list[tuple[int, str]]:
    from structnlp.errors import StructNLPError

    if args.text is not None and args.data is not None:
        raise StructNLPError("give the document with --text or the documents with --data, not both")
    if args.text is not None:
        _check_utf8("--text", args.text)
        docs = [args.text]
    elif args.data is not None:
        docs = [text for text, _ in _records(args.data, args.data_format, args.text_field, None)]
    else:
        if args.data_format not in ("auto", "text"):
            raise StructNLPError(
                "standard input is read as one plain-text document; give --data FILE for JSON Lines or CSV"
            )
        from structnlp.files import STDIN, read_text

        docs = [read_text(STDIN)]
        if not docs[0].strip():
            raise StructNLPError("no document to explain: standard input is empty (or use --text / --data)")
    if args.index is None:
        return list(enumerate(docs))
    if not 0 <= args.index < len(docs):
        raise StructNLPError(
            f"--index {args.index} is out of range: there are {len(docs)} documents (0 to {len(docs) - 1})"
        )
    return [(args.index, docs[args.index])]


def _cmd_explain(args: argparse.Namespace) -> int:
    from structnlp.errors import StructNLPError
    from tsetlin.explain import explain_pipeline, markdown_text

    if args.title is not None:
        _check_utf8("--title", args.title)
    pipe = _load(args.model)
    docs = _documents_to_explain(args)
    max_literals = _limit(args.max_literals)
    if args.format == "html":
        if len(docs) != 1:
            raise StructNLPError(
                f"the HTML report shows one document and there are {len(docs)}; choose one with --index "
                f"(0 to {len(docs) - 1})"
            )
        index, text = docs[0]
        names = pipe[0].get_feature_names_out()
        page = explain_pipeline(pipe, text).to_html(
            text,
            featurizer=pipe[0],
            rules=pipe[-1].rules(names),
            top_rules=args.top_rules,
            max_literals=max_literals,
            title=args.title,
        )
        _write(page, args.out)
        return 0
    parts = []
    for index, text in docs:
        explanation = explain_pipeline(pipe, text)
        if args.format == "json":
            parts.append(json.dumps({"document": index, **explanation.to_dict()}, ensure_ascii=False))
            continue
        preview = " ".join(text.split())
        preview = preview if len(preview) <= 100 else preview[:99] + "…"
        if args.format == "markdown":
            heading = f"## Document {index}\n\n> {markdown_text(preview)}\n\n" if len(docs) > 1 else ""
            parts.append(heading + explanation.to_markdown(max_literals))
        else:
            heading = f"document {index}: {preview}\n" if len(docs) > 1 else ""
            parts.append(heading + explanation.to_text(max_literals))
    separator = "\n" if args.format == "json" else "\n\n"
    _write(separator.join(parts) + "\n", args.out)
    return 0


# ----------------------------------------------------------------------------- rules
def _classes(pipe: Any, wanted: str | None) -> list[Any]:
    """The model's classes, or the one named ``wanted`` (classes are named as printed)."""
    from structnlp.errors import StructNLPError
    from tsetlin.explain import plain_value

    classes = [plain_value(c) for c in pipe[-1].classes_]
    if wanted is None:
        return classes
    chosen = [c for c in classes if str(c) == wanted]
    if not chosen:
        listed = ", ".join(map(str, classes))
        raise StructNLPError(f"the model has no class {wanted!r}; its classes: {listed}")
    return chosen


def _cmd_rules(args: argparse.Namespace) -> int:
    from tsetlin.explain import markdown_text

    pipe = _load(args.model)
    classes = _classes(pipe, args.class_)
    rules = pipe[-1].rules(pipe[0].get_feature_names_out())
    if args.polarity != "all":
        rules = [r for r in rules if r.polarity == args.polarity]
    top = _limit(args.top)
    picked = {
        c: sorted((r for r in rules if r.class_ == c), key=lambda r: (-r.weight, r.n_literals))[:top]
        for c in classes
    }
    max_literals = _limit(args.max_literals)
    if args.format == "json":
        text = json.dumps([r.to_dict() for c in classes for r in picked[c]], indent=2, ensure_ascii=False)
    elif args.format == "markdown":
        out = []
        for c in classes:
            out += [f"### {markdown_text(c)}", ""]
            if not picked[c]:
                out += ["No rule.", ""]
                continue
            out += ["| weight | polarity | rule |", "|---:|---|---|"]
            for r in picked[c]:
                out.append(f"| {r.weight} | {r.polarity} | {markdown_text(r.to_text(max_literals))} |")
            out.append("")
        text = "\n".join(out)
    else:
        text = "\n".join(r.to_text(max_literals) for c in classes for r in picked[c])
    _write(text, args.out)
    return 0


def _cmd_importance(args: argparse.Namespace) -> int:
    from tsetlin.explain import markdown_text

    pipe = _load(args.model)
    names = pipe[0].get_feature_names_out()
    rows = [
        (c, literal, weight)
        for c in _classes(pipe, args.class_)
        for literal, weight in pipe[-1].top_literals(c, _limit(args.top), names, polarity=args.polarity)
    ]
    if args.format == "json":
        fields = ("class", "literal", "importance")
        text = json.dumps([dict(zip(fields, row, strict=True)) for row in rows], indent=2, ensure_ascii=False)
    elif args.format == "markdown":
        out = ["| class | literal | importance |", "|---|---|---:|"]
        out += [f"| {markdown_text(c)} | {markdown_text(literal)} | {w} |" for c, literal, w in rows]
        text = "\n".join(out)
    else:
        text = "\n".join(f"{c}\t{literal}\t{w}" for c, literal, w in rows)
    _write(text, args.out)
    return 0


# ----------------------------------------------------------------------------- parser
def _add_data(parser: argparse.ArgumentParser, required: bool, help_text: str) -> None:
    parser.add_argument("--data", required=required, metavar="FILE", help=help_text)
    parser.add_argument(
        "--data-format",
        choices=DATA_FORMATS,
        default="auto",
        help="format of --data (default: from its name: .jsonl, .csv, .tsv, .txt, each optionally .gz)",
    )
    parser.add_argument("--text-field", default="text", help="text field or column (default: text)")


def register(subparsers: Any) -> None:
    """Add ``structnlp classify`` and its subcommands to the ``structnlp`` command line."""
    from structnlp.params import count_argument

    count = count_argument(0)  # 0 means all (or none), a negative count is a usage error
    classify = subparsers.add_parser(
        "classify", help="Tsetlin Machine classifiers with readable rules (train, predict, explain, rules)"
    )
    sub = classify.add_subparsers(dest="classify_command", metavar="COMMAND", required=True)

    train = sub.add_parser("train", help="fit a bag of words + Tsetlin Machine on labelled documents")
    _add_data(train, True, "labelled documents: JSON Lines or CSV/TSV file (or folder)")
    train.add_argument("--label-field", default="label", help="label field or column (default: label)")
    train.add_argument("--out", required=True, metavar="MODEL_DIR", help="model directory to write")
    features = train.add_argument_group("features (Boolean bag of words)")
    features.add_argument("--ngram-max", type=int, default=1, help="longest word n-gram (default: 1)")
    features.add_argument("--min-df", type=int, default=1, help="drop words in fewer documents (default: 1)")
    features.add_argument(
        "--max-features",
        type=count,
        default=5000,
        help="keep the most frequent features (default: 5000; 0: all)",
    )
    features.add_argument("--stop-words", choices=("none", "english"), default="none", help="drop stop words")
    model = train.add_argument_group("Tsetlin Machine (defaults: TsetlinMachineClassifier's)")
    model.add_argument("--clauses", type=int, help="clauses per class")
    model.add_argument("--threshold", type=int, help="T, the class-sum margin learning aims for")
    model.add_argument("--specificity", type=float, help="s; larger gives longer, more specific rules")
    model.add_argument("--epochs", type=int, help="passes over the data")
    model.add_argument("--max-literals", type=int, help="literal budget: at most this many literals per rule")
    model.add_argument("--no-negation", action="store_true", help="rules of present words only (no NOT word)")
    model.add_argument("--n-jobs", type=int, help="threads (default: all CPUs; results do not depend on it)")
    model.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    train.add_argument("--quiet", action="store_true", help="print nothing")
    train.set_defaults(func=_cmd_train)

    predict = sub.add_parser("predict", help="print the predicted label of each document")
    predict.add_argument("--model", required=True, metavar="MODEL_DIR", help="directory written by train")
    _add_data(predict, False, "documents (default or '-': standard input, a document a line)")
    predict.add_argument(
        "--format",
        dest="data_format",
        choices=DATA_FORMATS,
        default=argparse.SUPPRESS,
        help="same as --data-format",
    )
    predict.add_argument(
        "--label-field", help="also report the accuracy against this field on standard error"
    )
    predict.add_argument("--json", action="store_true", help="JSON Lines: predicted label and class scores")
    predict.set_defaults(func=_cmd_predict)

    explain = sub.add_parser("explain", help="why documents got their class: the rules that fired")
    explain.add_argument("--model", required=True, metavar="MODEL_DIR", help="directory written by train")
    _add_data(
        explain,
        False,
        "documents ('-': standard input, a line each; default: --text, else all standard input)",
    )
    explain.add_argument("--text", help="the document to explain")
    explain.add_argument("--index", type=int, help="explain only document INDEX of --data (from 0)")
    explain.add_argument(
        "--format",
        choices=("text", "markdown", "json", "html"),
        default="text",
        help="output (default: text)",
    )
    explain.add_argument("--out", metavar="FILE", help="write to FILE (default or -: standard output)")
    explain.add_argument("--max-literals", type=count, default=12, help="shorten rules (default: 12; 0: all)")
    explain.add_argument(
        "--top-rules", type=count, default=5, help="HTML: strongest rules per class (default: 5; 0: none)"
    )
    explain.add_argument("--title", help="HTML: page title")
    explain.set_defaults(func=_cmd_explain)

    rules = sub.add_parser("rules", help="print the learnt rules, heaviest first")
    rules.add_argument("--model", required=True, metavar="MODEL_DIR", help="directory written by train")
    rules.add_argument("--class", dest="class_", metavar="CLASS", help="only this class")
    rules.add_argument("--top", type=count, default=10, help="rules per class (default: 10; 0: all)")
    rules.add_argument(
        "--polarity", choices=("for", "against", "all"), default="all", help="rules voting for / against"
    )
    rules.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", help="output (default: text)"
    )
    rules.add_argument("--max-literals", type=count, default=12, help="shorten rules (default: 12; 0: all)")
    rules.add_argument("--out", metavar="FILE", help="write to FILE (default or -: standard output)")
    rules.set_defaults(func=_cmd_rules)

    importance = sub.add_parser(
        "importance", help="the words (and absent words) that weigh most for each class, over all rules"
    )
    importance.add_argument("--model", required=True, metavar="MODEL_DIR", help="directory written by train")
    importance.add_argument("--class", dest="class_", metavar="CLASS", help="only this class")
    importance.add_argument("--top", type=count, default=10, help="literals per class (default: 10; 0: all)")
    importance.add_argument(
        "--polarity", choices=("for", "against"), default="for", help="weight for / against the class"
    )
    importance.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output (default: text, tab-separated class, literal, importance)",
    )
    importance.add_argument("--out", metavar="FILE", help="write to FILE (default or -: standard output)")
    importance.set_defaults(func=_cmd_importance)
