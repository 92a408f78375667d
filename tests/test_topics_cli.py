"""``structnlp topics train | show | transform | eval`` through ``structnlp.cli.main``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from topics_helpers import HELD_OUT, TRAIN, one_thread  # noqa: F401

import topics
from structnlp.cli import main
from structnlp.metrics import topic_diversity

FAST = ["--n-topics", "4", "--epochs", "3", "--lr", "0.05", "--batch-tokens", "128", "--device", "cpu"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("topics-cli")
    train, held_out = folder / "train.txt", folder / "held_out.txt"
    train.write_text("\n".join(TRAIN) + "\n", encoding="utf-8")
    held_out.write_text("\n".join(HELD_OUT) + "\n", encoding="utf-8")
    model = folder / "model"
    assert main(["topics", "train", str(train), "-o", str(model), "--validation", str(held_out), *FAST]) == 0
    return {"folder": folder, "train": train, "held_out": held_out, "model": model}


def test_train_writes_a_model_directory(corpus, capsys):
    out = capsys.readouterr().out  # the fixture's output is printed once, here or in an earlier test
    model = topics.load_model(corpus["model"])
    assert isinstance(model, topics.DocNADE) and model.n_topics == 4 and model.n_iter_ == 3
    assert len(model.vocabulary_) == 10
    assert out == "" or "saved to" in out


@pytest.mark.parametrize(
    ("kind", "cls", "extra"),
    [
        ("idocnade", "DocNADE", {"bidirectional": True}),
        ("docnade --word-order shuffle", "DocNADE", {"word_order": "shuffle"}),
        ("idocnadee", "DocNADE", {"bidirectional": True, "embeddings": "train"}),
        ("docnade --embeddings train --lambda-embeddings 0.5", "DocNADE", {"lambda_embeddings": 0.5}),
        ("ctx", "CtxDocNADE", {"embeddings": None}),
        ("ctxe", "CtxDocNADE", {"embeddings": "train"}),
    ],
)
def test_every_model_kind_trains(corpus, tmp_path, capsys, kind, cls, extra):
    kind, *options = kind.split()
    path = tmp_path / kind
    argv = ["topics", "train", str(corpus["train"]), "-o", str(path), "--model", kind, *options, *FAST]
    assert main(argv) == 0
    assert f"trained {kind} ({cls}) on 60 documents: 10 words, 4 topics, 3 epochs" in capsys.readouterr().out
    model = topics.load_model(path)
    assert type(model).__name__ == cls
    assert all(getattr(model, k) == v for k, v in extra.items())


def test_show_prints_the_topics(corpus, capsys):
    model = topics.load_model(corpus["model"])
    assert main(["topics", "show", str(corpus["model"]), "--top-n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"topic {i}: {' '.join(words)}" for i, words in enumerate(model.topics(3))]
    assert main(["topics", "show", str(corpus["model"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == model.topics(10)


def test_transform_writes_document_vectors(corpus, capsys):
    model = topics.load_model(corpus["model"])
    expected = model.transform(HELD_OUT)
    assert main(["topics", "transform", str(corpus["model"]), str(corpus["held_out"])]) == 0
    rows = [[float(x) for x in line.split("\t")] for line in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose(rows, expected, rtol=1e-5)
    target = corpus["folder"] / "vectors.npy"
    assert (
        main(["topics", "transform", str(corpus["model"]), str(corpus["held_out"]), "-o", str(target)]) == 0
    )
    assert "wrote 20 x 4 document vectors" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(target, allow_pickle=False), expected)


def test_eval_reports_perplexity_and_coherence(corpus, capsys):
    model = topics.load_model(corpus["model"])
    assert main(["topics", "eval", str(corpus["model"]), str(corpus["held_out"]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["documents"] == 20
    assert result["perplexity"] == pytest.approx(model.perplexity(HELD_OUT))
    assert result["npmi"] == pytest.approx(model.coherence(HELD_OUT, on_missing="drop")["coherence"])
    assert result["topics_scored"] == 4
    assert result["diversity"] == topic_diversity(model.topics(10), top_n=10)
    assert main(["topics", "eval", str(corpus["model"]), str(corpus["held_out"])]) == 0
    out = capsys.readouterr().out
    assert "perplexity:" in out and f"diversity:  {result['diversity']:.4f}" in out


def test_eval_json_stays_json_for_a_diverged_model(corpus, capsys, monkeypatch):
    """An infinite perplexity was printed as Infinity, which JSON readers refuse."""
    monkeypatch.setattr(topics.DocNADE, "perplexity", lambda self, docs: math.inf)
    assert main(["topics", "eval", str(corpus["model"]), str(corpus["held_out"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["perplexity"] is None


def test_json_lines_input(corpus, tmp_path, capsys):
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"body": doc}) + "\n" for doc in HELD_OUT), encoding="utf-8")
    assert main(["topics", "transform", str(corpus["model"]), str(source), "--text-field", "body"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 20


def test_a_dash_reads_the_documents_from_standard_input(corpus, stdin_bytes, capsys):
    model = topics.load_model(corpus["model"])
    stdin_bytes(("\n".join(HELD_OUT) + "\n\n").encode())
    assert main(["topics", "transform", str(corpus["model"]), "-"]) == 0
    rows = [[float(x) for x in line.split("\t")] for line in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose(rows, model.transform(HELD_OUT), rtol=1e-5)
    stdin_bytes(("\n".join(HELD_OUT) + "\n").encode())  # "-o -" is standard output, not a file named "-"
    assert main(["topics", "transform", str(corpus["model"]), "-", "-o", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(HELD_OUT) and not Path("-").exists()
    stdin_bytes("\n".join(HELD_OUT).encode())
    assert main(["topics", "eval", str(corpus["model"]), "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == 20
    for data, message in ((b" \n\n", "standard input: no documents found"), (b"\xff\n", "not valid UTF-8")):
        stdin_bytes(data)
        assert main(["topics", "eval", str(corpus["model"]), "-"]) == 1
        assert message in capsys.readouterr().err


def test_a_summarization_data_set_gives_its_documents(corpus, monkeypatch, capsys):
    """Iterating one yields two columns (documents, summaries), which were taken for two documents."""
    import structnlp.datasets
    from structnlp.datasets import SummarizationDataset

    data = SummarizationDataset(HELD_OUT, [["a summary"]] * len(HELD_OUT), name="toy")
    monkeypatch.setattr(structnlp.datasets, "load", lambda name, split=None: data)
    assert main(["topics", "eval", str(corpus["model"]), "--dataset", "toy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == len(HELD_OUT)


def test_public_data_sets_as_input(corpus, shared_data, capsys):
    assert (
        main(["topics", "eval", str(corpus["model"]), "--dataset", "TREC6", "--split", "test", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["documents"] == 500


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["topics", "show", "{folder}"], "not a structnlp model directory"),
        (["topics", "eval", "{model}"], "give either an input file or folder, or --dataset"),
        (["topics", "eval", "{model}", "{held_out}", "--dataset", "TREC6"], "not both"),
        (["topics", "transform", "{model}", "{folder}/missing.txt"], "no such file"),
        (["topics", "transform", "{model}", "{train}", "-o", "{folder}"], "is a folder; --output takes"),
        (
            ["topics", "train", "{train}", "-o", "{folder}/m2", "--validation-split", "test"],
            "needs --dataset",
        ),
        (
            ["topics", "train", "{train}", "-o", "{folder}/m3", "--patience", "2", *FAST],
            "needs validation_docs",
        ),
        (
            ["topics", "train", "{train}", "-o", "{folder}/m4", "--lambda-ctx", "0.5", *FAST],
            "--lambda-ctx: only for --model ctx or ctxe, not docnade",
        ),
        (
            ["topics", "train", "{train}", "-o", "{folder}/m5", "--model", "ctx", "--lambda-embeddings", "2"],
            "--lambda-embeddings: only for --model docnade, idocnade, docnadee or idocnadee, not ctx",
        ),
        (
            ["topics", "train", "{train}", "-o", "{folder}/m6", "--model", "ctx", "--word-order", "shuffle"],
            "--word-order: only for --model docnade, idocnade, docnadee or idocnadee, not ctx",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr(corpus, capsys, argv, message):
    argv = [a.format(**{k: str(v) for k, v in corpus.items()}) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("structnlp: error:") and message in err


def test_the_demo_prints_topics_with_their_npmi_and_the_perplexity(monkeypatch, capsys):
    from topics import demo

    monkeypatch.setitem(demo.DEMO_PARAMS, "max_epochs", 1)  # the real demo trains 15 epochs
    monkeypatch.setitem(demo.DEMO_PARAMS, "n_topics", 8)
    demo.run(quiet=True)
    lines = capsys.readouterr().out.splitlines()
    assert "Lee news corpus, 300 documents" in lines[0] and "training on 270, 30 held out" in lines[0]
    assert "8 topics over 655 words" in lines[1] and "1 epochs" in lines[1]
    shown = lines[lines.index("The 8 most coherent topics (NPMI of the top 8 words, window 10):") + 1 :][:8]
    npmi = [float(line.split()[0]) for line in shown]
    assert npmi == sorted(npmi, reverse=True) and all(len(line.split()) == 9 for line in shown)
    assert lines[-1].startswith("Held-out perplexity: ") and "a uniform model would have 655" in lines[-1]


def test_the_cli_module_and_the_package_import_without_torch():
    code = "import sys, topics, topics.cli; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
