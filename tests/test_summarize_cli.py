"""``structnlp summarize [train|eval]`` through ``structnlp.cli.main``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from summarize_helpers import DOCS, SUMMARIES, tiny_model

pytest.importorskip("torch")

from structnlp.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return str(tiny_model().save(tmp_path_factory.mktemp("summarize-cli") / "model"))



def test_summarize_reads_standard_input_and_prints_highlights(model_dir, stdin_bytes, capsys):
    stdin_bytes(DOCS[0].encode("utf-8"))
    assert main(["summarize", "--model", model_dir, "--max-sentences", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == SUMMARIES[0]
    assert lines[2] == "highlights (sentence score):"
    assert lines[3].startswith("  [0] ") and lines[3].endswith("The storm hit the coast on Monday.")
    assert lines[4].startswith("  [2] ") and len(lines) == 5


def test_summarize_a_file_as_json_in_abstractive_mode(model_dir, tmp_path, capsys):
    path = tmp_path / "doc.txt"
    path.write_text(DOCS[1], encoding="utf-8")
    args = ["summarize", "--model", model_dir, "--input", str(path), "--mode", "abstractive", "--json"]
    assert main([*args, "--max-sentences", "1", "--beam", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == SUMMARIES[1] and out["mode"] == "abstractive"
    assert [h["sentence"] for h in out["highlights"]] == [0]  # the sentence the decoder copied from
    assert out["highlights"][0]["text"] == "The team won the cup final."


def test_non_utf8_and_empty_input_are_clear_errors(model_dir, tmp_path, stdin_bytes, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 prices rose.".encode("latin-1"))
    assert main(["summarize", "--model", model_dir, "--input", str(bad)]) == 1
    assert "latin1.txt, line 1: not valid UTF-8 (byte 3: b'\\xe9')" in capsys.readouterr().err
    stdin_bytes(b"\xff\xfe broken")
    assert main(["summarize", "--model", model_dir]) == 1
    assert "standard input, line 1: not valid UTF-8 (byte 0" in capsys.readouterr().err
    stdin_bytes(b"  \n\n ")
    assert main(["summarize", "--model", model_dir]) == 1
    assert "the input holds no text" in capsys.readouterr().err
    assert main(["summarize", "--model", str(tmp_path / "nothing"), "--input", str(bad)]) == 1
    assert "structnlp: error:" in capsys.readouterr().err


def test_train_and_eval_on_json_lines(tmp_path, capsys):
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        "".join(json.dumps({"text": d, "summary": s}) + "\n" for d, s in zip(DOCS, SUMMARIES, strict=True)),
        encoding="utf-8",
    )
    out_dir = tmp_path / "trained"
    train = ["summarize", "train", "--data", str(data), "-o", str(out_dir), "--tokenizer", "nltk",
             "--epochs", "1", "--word-dim", "8", "--lemma-dim", "4", "--pos-dim", "4", "--min-count", "1",
             "--device", "cpu"]  # fmt: skip
    assert main(train) == 0
    assert "trained on 3 pairs" in capsys.readouterr().out
    args = ["summarize", "eval", "--data", str(data), "--model", str(out_dir), "--max-sentences", "1"]
    assert main([*args, "--json", "--beam", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["documents"] == 3 and set(result["results"]) == {
        "lead-1", "textrank", "nse-extractive", "nse-abstractive"
    }  # fmt: skip
    for scores in result["results"].values():
        assert 0 <= scores["rouge1"] <= 1 and scores["rouge2"] <= scores["rouge1"] + 1e-9
    assert main([*args, "--mode", "extractive"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("3 documents, 1 sentences per summary") and len(table) == 5
    assert main(["summarize", "eval", "--data", str(data), "--dataset", "bbc_news_summary"]) == 1
    assert "either --data FILE" in capsys.readouterr().err
    assert main(["summarize", "eval", "--dataset", "bbc_news_summary", "--split", "dev"]) == 1
    assert "bbc_news_summary has the splits train, validation and test, not 'dev'" in capsys.readouterr().err


def test_training_never_sees_the_validation_records(tmp_path, capsys):
    """Without --split, `train --validation-split V` used to train on V's records too."""
    data = tmp_path / "pairs.jsonl"
    splits = ["train", "train", "validation"]
    records = [{"text": d, "summary": s, "split": k} for d, s, k in zip(DOCS, SUMMARIES, splits, strict=True)]
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    train = ["summarize", "train", "--data", str(data), "-o", str(tmp_path / "m"), "--tokenizer", "nltk",
             "--epochs", "1", "--word-dim", "8", "--lemma-dim", "4", "--pos-dim", "4", "--min-count", "1",
             "--device", "cpu", "--validation-split", "validation"]  # fmt: skip
    assert main(train) == 0
    assert "trained on 2 pairs" in capsys.readouterr().out
    assert main([*train, "--split", "validation"]) == 1
    assert "--validation-split 'validation' is the training split" in capsys.readouterr().err


GOOD = {"text": DOCS[0], "summary": "x"}


@pytest.mark.parametrize(
    ("records", "options", "message"),
    [
        ([{"text": DOCS[0], "summary": 5}], [], "record 1: field 'summary' should be a string or a list"),
        ([GOOD, {"text": DOCS[1], "summary": ["ok", None]}], [], "record 2: field 'summary' should be"),
        ([GOOD, {"text": DOCS[1]}], [], "record 2 has no 'summary' field"),
        ([GOOD, GOOD], ["--limit", "-1"], "--limit must be an int >= 1, got -1"),
        ([GOOD], ["--max-sentences", "0"], "--max-sentences must be an int >= 1"),
        ([GOOD], ["--beam", "0"], "--beam must be an int >= 1, got 0"),
        ([dict(GOOD, split="train")], ["--split", "test"], "no record of split 'test' (its splits: train)"),
    ],
)
def test_eval_refuses_bad_records_and_options(model_dir, tmp_path, capsys, records, options, message):
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main(["summarize", "eval", "--data", str(data), "--model", model_dir, *options]) == 1
    err = capsys.readouterr().err
    assert err.startswith("structnlp: error:") and message in err and len(err.splitlines()) == 1


def test_the_command_without_input_names_its_subcommands(capsys):
    with pytest.raises(SystemExit):
        main(["summarize", "--help"])
    out = capsys.readouterr().out
    assert "train" in out and "eval" in out and "--mode" in out


def test_a_terminal_on_standard_input_is_an_error_not_a_silent_wait(model_dir, monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    assert main(["summarize", "--model", model_dir]) == 1
    assert "no document given: pipe one into standard input or use --input FILE" in capsys.readouterr().err


def test_the_demo_shows_both_summaries_and_the_highlights(model_dir, monkeypatch, capsys):
    import summarize.summarizer
    from summarize import demo

    monkeypatch.setattr(summarize.summarizer, "DEFAULT_MODEL", Path(model_dir))
    demo.run(quiet=True)
    out = capsys.readouterr().out
    assert "Sentence scores of the extractive head" in out and "Extractive summary:" in out
    assert "Abstractive summary" in out and "Sentences the decoder attended to most" in out
    assert out.count("*[") == 3  # three highlighted sentences
    monkeypatch.setattr(summarize.summarizer, "DEFAULT_MODEL", Path(model_dir) / "none")
    demo.run(quiet=True)
    assert "no default summarizer in this installation" in capsys.readouterr().out


def test_a_file_given_as_a_command_gets_a_hint(tmp_path, capsys):
    """``structnlp summarize article.txt`` was argparse's bare "invalid choice: ... (choose from ...)"."""
    with pytest.raises(SystemExit) as exit_:
        main(["summarize", str(tmp_path / "article.txt")])
    assert exit_.value.code == 2
    assert f"to summarize a file, pass it as --input {tmp_path / 'article.txt'}" in capsys.readouterr().err
