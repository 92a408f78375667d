"""Make the demo data bundled in ``structnlp/data/`` from the public data sets.

Deterministic: the same public data gives byte-identical files (fixed seed, gzip without
name or time). Only sets whose licence allows redistribution are used; their attribution is in
``structnlp/data/README.md`` and ``docs/data.md``.

Usage::

    python scripts/make_demo_data.py [--root ../shared/data] [--out structnlp/data]
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from pathlib import Path

from structnlp.corpus import (
    open_text_write,
    read_conllu,
    read_documents,
    read_jsonl,
    write_conllu,
    write_jsonl,
)
from structnlp.datasets import DATASETS, DEMO_DATASETS, data_root, run_script

SEED = 0
MEDICAL_PER_CLASS = 120
EWT_SENTENCES = 300
SCITLDR_PAIRS = 150


def medical_abstracts(root: Path, out: Path) -> int:
    """A stratified sample: MEDICAL_PER_CLASS abstracts of each class, kept in source order."""
    records = list(read_jsonl(root / DATASETS["medical_abstracts"].files[0], label_field="label"))
    by_label = defaultdict(list)
    for i, rec in enumerate(records):
        by_label[rec["label"]].append(i)
    rng = random.Random(SEED)
    chosen = sorted(i for label in sorted(by_label) for i in rng.sample(by_label[label], MEDICAL_PER_CLASS))
    return write_jsonl(out / DEMO_DATASETS["medical_abstracts_sample"].file, (records[i] for i in chosen))


def ewt(root: Path, out: Path) -> int:
    """The first EWT_SENTENCES sentences of UD English EWT dev, checked to re-serialise byte for byte."""
    source = root / DATASETS["ud_english_ewt"].files[1]
    sentences = []
    for sentence in read_conllu(source):
        sentences.append(sentence)
        if len(sentences) == EWT_SENTENCES:
            break
    original = source.read_text(encoding="utf-8")
    written = "".join(s.to_conllu() for s in sentences)
    if not original.startswith(written):
        raise SystemExit(f"{source}: CoNLL-U round trip differs from the source; not writing the sample")
    return write_conllu(out / DEMO_DATASETS["ewt_sample"].file, sentences)


def lee_background(root: Path, out: Path) -> int:
    """The Lee background corpus, one document a line, gzip'd."""
    docs = list(read_documents(root / DATASETS["lee_background"].files[0], one_per="line"))
    with open_text_write(out / DEMO_DATASETS["lee_background"].file) as fh:
        fh.writelines(doc + "\n" for doc in docs)
    return len(docs)


def scitldr(root: Path, out: Path) -> int:
    """SCITLDR_PAIRS random pairs of the SciTLDR-A test split, kept in source order."""
    records = [
        rec
        for rec in read_jsonl(
            root / DATASETS["scitldr_a"].files[0],
            text_field=None,
            fields=["split", "id", "source_sentences", "targets"],
        )
        if rec["split"] == "test"
    ]
    chosen = sorted(random.Random(SEED).sample(range(len(records)), SCITLDR_PAIRS))
    return write_jsonl(out / DEMO_DATASETS["scitldr_sample"].file, (records[i] for i in chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="public data root (default: structnlp's data_root())")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "structnlp" / "data"))
    args = parser.parse_args()
    root, out = data_root(args.root), Path(args.out)
    for make in (medical_abstracts, ewt, lee_background, scitldr):
        n = make(root, out)
        print(f"{make.__name__}: {n} records")
    for path in out.glob("*.gz"):
        path.chmod(0o644)  # package data must be readable by everyone (temporary files are 0600)
    total = sum(p.stat().st_size for p in out.glob("*.gz"))
    print(f"total {total / 1e6:.2f} MB in {out}")


if __name__ == "__main__":
    run_script(main)
