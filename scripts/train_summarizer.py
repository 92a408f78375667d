"""Train the hierarchical NSE summarizer from a pre-analysed corpus (no spaCy, nltk or rouge-score needed).

    PYTHONPATH=. python scripts/train_summarizer.py --data .devdata/summarizer_bbc.jsonl.gz \\
        --out summarize/models/default --device auto --max-minutes 3 --rl-minutes 1 --seed 0

The corpus is the file written by ``scripts/make_summarizer_data.py``: its ``train`` split is
trained on, its ``validation`` split selects the best weights (mean ROUGE-1 F, on word ids, of
the extractive top-3 and the greedy abstract), the ``test`` split is left alone for
``benchmarks/summarize_benchmark.py``. Training is maximum likelihood for ``--max-minutes``
(or ``--max-epochs``), then self-critical RL for ``--rl-minutes`` (kept only if it improves
the validation metric). The model is saved with float16 weights unless ``--float32``, also
after every validation that improves on the previous best, so that an interrupted run leaves
its best model so far.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.datasets import run_script  # noqa: E402
from structnlp.errors import StructNLPError  # noqa: E402
from structnlp.params import count_argument  # noqa: E402
from summarize.data import decoder_target, read_analyzed  # noqa: E402
from summarize.summarizer import HierarchicalNSESummarizer, load_summarizer  # noqa: E402


def _split(records: list[dict], name: str, max_target: int) -> tuple[list, list, list]:
    docs, labels, targets = [], [], []
    for r in records:
        if r.get("split") != name:
            continue
        doc, lab = r["document"], r["labels"]
        used = [s.words for s, keep in zip(doc.sentences, lab, strict=True) if keep]
        docs.append(doc)
        labels.append(lab)
        targets.append(decoder_target(doc, lab, used, max_target))
    return docs, labels, targets


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--data", required=True, help="pre-analysed corpus (.jsonl.gz from make_summarizer_data.py)"
    )
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument(
        "--init",
        help="continue training this saved model (its sizes, vocabularies and input limits are kept; "
        "the training options given here apply)",
    )
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--max-minutes", type=float, help="wall-clock limit of the likelihood phase")
    p.add_argument(
        "--rl-minutes", type=float, help="wall-clock limit of the self-critical phase (none if omitted)"
    )
    p.add_argument("--max-epochs", type=count_argument(1), default=100)
    p.add_argument(
        "--rl-epochs",
        type=count_argument(0),
        default=0,
        help="epochs of the self-critical phase (without --rl-minutes)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--word-dim", type=count_argument(1), default=128)
    p.add_argument("--lemma-dim", type=count_argument(1), default=64)
    p.add_argument("--pos-dim", type=count_argument(1), default=16)
    p.add_argument("--max-vocab", type=count_argument(1), default=10000)
    p.add_argument("--max-lemmas", type=count_argument(1), default=5000)
    p.add_argument("--max-doc-sentences", type=count_argument(1), default=50)
    p.add_argument("--max-sentence-tokens", type=count_argument(1), default=60)
    p.add_argument("--max-target-tokens", type=count_argument(1), default=100)
    p.add_argument("--batch-tokens", type=count_argument(1), default=8192)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--rl-lr", type=float, default=1e-4)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument(
        "--follow-copy", action="store_true", help="pull the copy attention towards the next source token"
    )
    p.add_argument("--patience", type=count_argument(1))
    p.add_argument("--threads", type=count_argument(1), help="torch CPU threads")
    p.add_argument("--limit", type=count_argument(1), help="first N training articles only (for a quick try)")
    p.add_argument(
        "--valid-limit",
        type=count_argument(1),
        help="first N validation articles only (validation is slow on a CPU)",
    )
    p.add_argument("--float32", action="store_true", help="store float32 weights (default float16)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    records = read_analyzed(args.data)
    if args.init:
        model = load_summarizer(args.init)
        args.max_target_tokens = model.max_target_tokens
    train = tuple(part[: args.limit] for part in _split(records, "train", args.max_target_tokens))
    valid = tuple(part[: args.valid_limit] for part in _split(records, "validation", args.max_target_tokens))
    print(f"{len(train[0])} training and {len(valid[0])} validation articles from {args.data}", flush=True)
    validation = valid if valid[0] else None
    if validation is None:  # e.g. a small --limit of make_summarizer_data.py, whose split is a hash
        if args.patience is not None:
            raise StructNLPError(f"--patience needs validation articles, and {args.data} has none")
        print("no validation articles: training without them (the last epoch's model is saved)", flush=True)

    best = {"metric": float("-inf")}

    def log(entry: dict) -> None:
        record = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in entry.items()}
        print(json.dumps(record), flush=True)
        # keep a usable model on disk from the first validation on: a killed run still leaves one
        if entry.get("metric") is not None and entry["metric"] > best["metric"]:
            best["metric"] = entry["metric"]
            model.save(args.out, float16=not args.float32)

    training = dict(
        lr=args.lr, batch_tokens=args.batch_tokens, max_epochs=args.max_epochs, max_minutes=args.max_minutes,
        patience=args.patience, dropout=args.dropout, rl_epochs=args.rl_epochs, rl_minutes=args.rl_minutes,
        rl_lr=args.rl_lr, random_state=args.seed, device=args.device, progress=not args.quiet,
    )  # fmt: skip
    if args.init:
        if args.follow_copy:  # a model trained without it cannot gain it: fit() then says so
            training["follow_copy"] = True
        model.set_params(warm_start=True, **training)
    else:
        model = HierarchicalNSESummarizer(
            word_dim=args.word_dim, lemma_dim=args.lemma_dim, pos_dim=args.pos_dim, max_vocab=args.max_vocab,
            max_lemmas=args.max_lemmas, max_doc_sentences=args.max_doc_sentences,
            max_sentence_tokens=args.max_sentence_tokens, max_target_tokens=args.max_target_tokens,
            follow_copy=args.follow_copy, **training,
        )  # fmt: skip
    model.fit_analyzed(*train, validation=validation, log=log)
    path = model.save(args.out, float16=not args.float32)
    size = sum(f.stat().st_size for f in Path(path).iterdir()) / 1e6
    best = [h for h in model.history_ if h.get("metric") is not None]
    last = f", best validation metric {max(h['metric'] for h in best):.4f}" if best else ""
    print(f"saved {path} ({size:.1f} MB) after {(time.perf_counter() - started) / 60:.1f} min{last}")
    return 0


if __name__ == "__main__":
    run_script(main, also=(FileNotFoundError,))  # missing data: one line
