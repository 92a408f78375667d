"""The data and training scripts; training must run where spaCy, nltk and rouge-score are missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from summarize_helpers import DOCS, SUMMARIES

pytest.importorskip("torch")

from summarize import load_summarizer  # noqa: E402
from summarize.data import analyze_document, highlight_labels, read_analyzed, write_analyzed  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
#: run a script with spacy, nltk and rouge_score made unimportable (as on the GPU machine)
BLOCKED = (
    "import runpy, sys\n"
    "for name in ('spacy', 'nltk', 'rouge_score'): sys.modules[name] = None\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def analysed_records(n: int, validation: tuple[int, ...] = ()) -> list[dict]:
    """The first ``n`` example pairs as make_summarizer_data.py writes them; ``validation``: their split."""
    records = []
    for i, (doc, summary) in enumerate(zip((DOCS * 2)[:n], (SUMMARIES * 2)[:n], strict=True)):
        analysed = analyze_document(doc, "nltk")
        words = [w for s in analyze_document(summary, "nltk").sentences for w in s.words]
        split = "validation" if i in validation else "train"
        records.append({"id": str(i), "split": split, "document": analysed.to_json(),
                        "labels": highlight_labels(analysed, words), "summary": summary})  # fmt: skip
    return records


def test_training_script_needs_no_spacy_nltk_or_rouge_score(tmp_path):
    data = tmp_path / "corpus.jsonl.gz"
    write_analyzed(data, analysed_records(6, validation=(5,)))
    out = tmp_path / "model"
    script = str(REPO / "scripts" / "train_summarizer.py")
    options = "--device cpu --threads 1 --max-epochs 2 --rl-epochs 1 --word-dim 8 --lemma-dim 4 --pos-dim 4"
    options += " --max-vocab 60 --quiet"
    command = [
        sys.executable,
        "-c",
        BLOCKED,
        script,
        "--data",
        str(data),
        "--out",
        str(out),
        *options.split(),
    ]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "5 training and 1 validation articles" in result.stdout and f"saved {out}" in result.stdout
    model = load_summarizer(out)
    assert model.n_train_ == 5 and {h["phase"] for h in model.history_} == {"ml", "rl"}
    assert model.network_.word_embedding.weight.dtype.is_floating_point
    assert (out / "arrays.safetensors").stat().st_size < 100_000  # float16 weights

    more = tmp_path / "more"
    command[command.index(str(out))] = str(more)
    command += ["--init", str(out)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    longer = load_summarizer(more)
    assert longer.word_vocab_.to_dict() == model.word_vocab_.to_dict()
    assert len(longer.history_) > len(model.history_)


@pytest.mark.data
def test_data_script_analyses_bbc(shared_data, tmp_path):
    out = tmp_path / "bbc.jsonl.gz"
    script = str(REPO / "scripts" / "make_summarizer_data.py")
    command = [sys.executable, script, "--out", str(out), "--limit", "3", "--tokenizer", "nltk"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600,
                            env={"STRUCTNLP_DATA": str(shared_data), "PATH": ""})  # fmt: skip
    assert result.returncode == 0, result.stderr
    records = read_analyzed(out)
    assert [r["id"] for r in records] == ["business/001", "business/002", "business/003"]
    first = records[0]
    assert first["split"] in ("train", "validation", "test") and first["category"] == "business"
    assert first["document"].sentences[0].text.startswith("Quarterly profits at US media giant TimeWarner")
    assert len(first["labels"]) == len(first["document"].sentences) and 0 < sum(first["labels"])



@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--data {tmp}/missing.jsonl.gz", "error: {tmp}/missing.jsonl.gz: no such file"),
        ("--data {tmp}/corpus.jsonl.gz --max-epochs 0", "--max-epochs: expected a whole number >= 1"),
        ("--data {tmp}/corpus.jsonl.gz --threads 0", "--threads: expected a whole number >= 1"),
    ],
)
def test_training_script_names_a_bad_input_in_one_line(tmp_path, options, message):
    """A missing corpus or a count below 1 was a traceback (FileNotFoundError, StructNLPError)."""
    write_analyzed(tmp_path / "corpus.jsonl.gz", [])
    script = str(REPO / "scripts" / "train_summarizer.py")
    args = [sys.executable, script, *options.format(tmp=tmp_path).split(), "--out", str(tmp_path / "m")]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert message.format(tmp=tmp_path) in run.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "m").exists()


def test_training_without_validation_articles(tmp_path):
    """A few articles of make_summarizer_data.py (--limit 3) may all fall in the training split:
    that stopped training with 'no usable validation pair'."""
    data = tmp_path / "corpus.jsonl.gz"
    write_analyzed(data, analysed_records(3))
    script = str(REPO / "scripts" / "train_summarizer.py")
    base = [sys.executable, script, "--data", str(data), "--device", "cpu", "--threads", "1", "--quiet"]
    base += "--max-epochs 1 --word-dim 8 --lemma-dim 4 --pos-dim 4 --max-vocab 60".split()
    run = subprocess.run([*base, "--out", str(tmp_path / "m")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "3 training and 0 validation articles" in run.stdout and "training without them" in run.stdout
    assert load_summarizer(tmp_path / "m").n_train_ == 3

    run = subprocess.run([*base, "--out", str(tmp_path / "p"), "--patience", "2"], capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "--patience needs validation articles" in run.stderr.strip().splitlines()[-1]
