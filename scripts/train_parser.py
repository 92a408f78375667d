"""Train an unsupervised parser (StructFormer or ReCAT) on a pre-tokenized corpus, on a GPU or the CPU.

The corpus is a text file (gzip'd or not) with one sentence a line and its tokens separated
by spaces, as written by ``scripts/make_parser_corpus.py``; so training needs neither nltk
nor spaCy, only numpy, torch, safetensors, tqdm and scikit-learn (run from the repository
root with ``PYTHONPATH=.``). Training stops after ``--max-minutes`` (the clock starts when
training starts), ``--epochs`` or ``--max-steps``, whichever comes first. With
``--schedule linear`` (the default) a short probe run first measures the speed, so that the
learning rate decays to zero exactly when the time is up.

Every ``--checkpoint-minutes`` the parser is saved to ``OUT-checkpoint`` (float16 weights),
so a killed run still leaves a model (removed once the final model is saved). At the end
the parser is saved to ``OUT`` (float16 unless ``--float32``; tokenizer ``nltk`` and device
``auto`` for parsing) with the training summary in its metadata and in
``OUT/training_log.json``, and a summary is printed. ``--init DIR`` (a saved parser, or
``default`` / ``default-recat``) continues training that parser instead of a new one
(``warm_start``): its sizes and vocabulary are kept and the corresponding options are ignored;
the training options apply, and its history and step counts go on. Example (the shipped
default model)::

    PYTHONPATH=. python scripts/train_parser.py --arch structformer \\
        --corpus .devdata/parser_corpus.txt.gz --out parsing/models/structformer-default \\
        --device cuda --max-minutes 4 --hidden-size 256 --layers 4 --heads 8
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.params import count_argument  # noqa: E402

ARCHITECTURES = {
    "structformer": ("parsing.structformer", "StructFormerParser"),
    "recat": ("parsing.recat", "ReCATParser"),
}


def read_corpus(path: str, limit: int | None) -> list[list[str]]:
    """Sentences of a pre-tokenized corpus file (one a line, tokens separated by spaces)."""
    from structnlp.files import iter_lines

    sentences = []
    for _, line in iter_lines(path):
        tokens = line.split()
        if tokens:
            sentences.append(tokens)
            if limit is not None and len(sentences) >= limit:
                break
    return sentences


#: the settings --init takes from the command line (the rest stay the loaded parser's)
TRAINING_SETTINGS = frozenset({
    "tokenizer", "lr", "warmup_steps", "lr_schedule", "max_epochs", "max_steps", "max_minutes",
    "batch_tokens", "amp", "device", "random_state", "verbose", "warm_start",
})  # fmt: skip


def build_parser(args: argparse.Namespace, init=None, **overrides):
    """The parser class named by ``--arch`` with the command-line settings it accepts; with
    ``init`` (a parser of that class), ``init`` itself with the command line's training settings."""
    import importlib

    module, name = ARCHITECTURES[args.arch]
    cls = getattr(importlib.import_module(module), name)
    wanted = {
        "hidden_size": args.hidden_size,
        "n_layers": args.layers,
        "n_heads": args.heads,
        "n_parser_layers": args.parser_layers,
        "conv_size": args.conv_size,
        "dropout": args.dropout,
        "objective": args.objective,
        "tokenizer": "whitespace",
        "min_count": args.min_count,
        "max_vocab": args.max_vocab,
        "max_train_length": args.max_train_length,
        "lr": args.lr,
        "warmup_steps": args.warmup_steps,
        "lr_schedule": args.schedule,
        "max_epochs": args.epochs,
        "max_steps": args.max_steps,
        "max_minutes": args.max_minutes,
        "batch_tokens": args.batch_tokens,
        "amp": args.amp,
        "device": args.device,
        "random_state": args.seed,
        "verbose": args.verbose,
        **overrides,
    }
    accepted = cls().get_params()
    nullable = ("max_steps", "max_minutes")
    settings = {k: v for k, v in wanted.items() if k in accepted and (v is not None or k in nullable)}
    if init is None:
        return cls(**settings)
    if not isinstance(init, cls):
        raise SystemExit(
            f"--init {args.init} holds a {type(init).__name__}, not a {name} (--arch {args.arch})"
        )
    return init.set_params(**{k: v for k, v in settings.items() if k in TRAINING_SETTINGS})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    positive, non_negative = count_argument(1), count_argument(0)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="structformer")
    parser.add_argument("--corpus", required=True, help="pre-tokenized sentences, one a line (.gz or text)")
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop training after this time")
    parser.add_argument("--epochs", type=positive, default=50)
    parser.add_argument("--max-steps", type=positive, default=None)
    parser.add_argument(
        "--max-sentences", type=positive, default=None, help="read at most this many sentences"
    )
    parser.add_argument("--hidden-size", type=positive, default=256)
    parser.add_argument("--layers", type=positive, default=4, help="transformer layers")
    parser.add_argument("--heads", type=positive, default=8, help="attention heads")
    parser.add_argument("--parser-layers", type=positive, default=3, help="StructFormer parser convolutions")
    parser.add_argument("--conv-size", type=positive, default=9)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument(
        "--objective",
        choices=("bilm", "mlm"),
        default=None,
        help="ReCAT's training objective (default: the parser's, bilm)",
    )
    parser.add_argument("--max-vocab", type=positive, default=10_000)
    parser.add_argument("--min-count", type=positive, default=2)
    parser.add_argument(
        "--max-train-length", type=count_argument(2), default=64, help="longer sentences are cut"
    )
    parser.add_argument(
        "--batch-tokens", type=positive, default=4096, help="tokens per batch (x length bound)"
    )
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--warmup-steps", type=non_negative, default=200)
    parser.add_argument("--schedule", choices=("constant", "linear", "cosine"), default="linear")
    parser.add_argument(
        "--probe-steps", type=non_negative, default=30, help="speed probe before a timed decay"
    )
    parser.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                        help="mixed precision (default: on for CUDA)")  # fmt: skip
    parser.add_argument("--checkpoint-minutes", type=float, default=1.0)
    parser.add_argument("--float32", action="store_true", help="save float32 weights (default float16)")
    parser.add_argument("--parse-tokenizer", default="nltk", help="tokenizer saved for parsing raw text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=positive, default=None, help="torch CPU threads")
    parser.add_argument("--verbose", action="store_true", help="progress bars and per-epoch losses")
    parser.add_argument(
        "--init", help="continue training this saved parser (a directory, or default / default-recat)"
    )
    args = parser.parse_args(argv)

    import torch

    from structnlp.files import atomic_write
    from structnlp.training import select_device

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = select_device(args.device)
    if args.amp is None:
        args.amp = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    started = time.perf_counter()
    sentences = read_corpus(args.corpus, args.max_sentences)
    n_tokens = sum(len(s) for s in sentences)
    print(f"corpus: {len(sentences)} sentences, {n_tokens} tokens ({time.perf_counter() - started:.1f} s)")
    out = Path(args.out)
    checkpoint = out.with_name(out.name + "-checkpoint")
    from structnlp.modelio import can_replace

    if not can_replace(checkpoint):  # it is replaced while training and removed at the end
        raise SystemExit(f"error: {checkpoint}: exists and is not a parser checkpoint; move it away")
    init = None
    if args.init:
        from parsing import load_parser
        from structnlp.errors import StructNLPError

        try:
            init = load_parser(args.init, device=args.device)
        except StructNLPError as exc:
            raise SystemExit(f"--init: {exc}") from None
        print(f"continuing {args.init}: {init.n_steps_} steps, {init.train_tokens_} tokens so far")

    planned = args.max_steps
    if args.max_minutes is not None and args.schedule != "constant" and args.max_steps is None:
        from sklearn.base import clone

        probe = build_parser(  # a fresh network of the same size measures the speed
            args, None if init is None else clone(init), max_steps=args.probe_steps, max_minutes=None,
            lr_schedule="constant", warm_start=False,
        )  # fmt: skip
        probe.fit(sentences[: min(len(sentences), 50_000)])
        per_step = probe.train_tokens_ / max(probe.n_steps_, 1)
        planned = max(1, int(0.93 * 60 * args.max_minutes * probe.train_tokens_per_second_ / per_step))
        print(
            f"probe: {probe.n_steps_} steps, {probe.train_tokens_per_second_:,.0f} tokens/s, "
            f"{per_step:,.0f} tokens/step -> {planned} steps in {args.max_minutes} min"
        )
        del probe
        if device.type == "cuda":
            torch.cuda.empty_cache()
    model = build_parser(args, init, max_steps=planned, warm_start=init is not None)
    print(f"training {type(model).__name__} on {device} with {model.get_params()}")
    fit_start = time.perf_counter()
    model.fit(sentences, snapshot_dir=checkpoint, snapshot_minutes=args.checkpoint_minutes)
    seconds = time.perf_counter() - fit_start
    losses = [h["train_loss"] for h in model.history_ if "train_loss" in h]
    summary = {
        "arch": args.arch,
        "command": " ".join(
            ["python", "scripts/train_parser.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "corpus": Path(args.corpus).name,
        "continued_from": args.init,
        "corpus_sentences": len(sentences),
        "corpus_tokens": n_tokens,
        "vocabulary": len(model.vocabulary_),
        "parameters": sum(p.numel() for p in model.module_.parameters()),
        "steps": model.n_steps_,
        "planned_steps": planned,
        "train_seconds": round(seconds, 1),
        "train_tokens": model.train_tokens_,
        "tokens_per_second": round(model.train_tokens_per_second_),
        "epochs_seen": round(model.train_tokens_ / max(n_tokens, 1), 3),
        "first_loss": round(losses[0], 4) if losses else None,
        "last_loss": round(losses[-1], 4) if losses else None,
    }
    if device.type == "cuda":
        summary["peak_gpu_memory_gb"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    # the corpus was tokenized by make_parser_corpus.py with NLTK's Treebank tokenizer: raw text
    # given to the saved parser is cut the same way
    model.set_params(tokenizer=args.parse_tokenizer, device="auto")  # a GPU-trained parser loads anywhere
    path = model.save(out, half=not args.float32, metadata={"training": summary})
    with atomic_write(out / "training_log.json") as fh:
        json.dump({**summary, "history": model.history_}, fh, indent=1)
        fh.write("\n")
    if checkpoint.is_dir():
        shutil.rmtree(checkpoint)
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file()) / 1e6
    print(f"done: {summary['steps']} steps in {seconds:.0f} s, {summary['tokens_per_second']:,} tokens/s, "
          f"{summary['epochs_seen']} epochs over the corpus")  # fmt: skip
    curve = [f"{h['step']}:{h['train_loss']:.3f}" for h in model.history_ if "train_loss" in h]
    shown = curve[:: max(1, len(curve) // 12)]
    if shown and shown[-1] != curve[-1]:  # the last point, unless the stride took it
        shown.append(curve[-1])
    print("loss by step: " + " ".join(shown))
    print(
        f"saved {path} ({size:.1f} MB, {summary['parameters']:,} parameters, {summary['vocabulary']} words)"
    )
    if "peak_gpu_memory_gb" in summary:
        print(f"peak GPU memory: {summary['peak_gpu_memory_gb']} GB")
    return 0 if losses and math.isfinite(losses[-1]) else 1


if __name__ == "__main__":
    from structnlp.datasets import run_script

    run_script(main, also=(FileNotFoundError,))  # a missing corpus: one line
