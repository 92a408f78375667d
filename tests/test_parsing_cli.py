"""``structnlp parse``, ``parse train`` and ``parse eval`` through ``structnlp.cli.main``; the demo."""

from __future__ import annotations

import json

import pytest

from parsing import load_parser
from structnlp.cli import main

SENTENCES = ["the cat saw a dog .", "a dog chased the cat", "my sister found the red ball ."] * 6
FAST = ["--hidden-size", "16", "--layers", "1", "--heads", "2", "--max-steps", "4", "--min-count", "1"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parse-cli")
    corpus = folder / "raw.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    out = folder / "model"
    code = main(["parse", "train", "--corpus", str(corpus), "--out", str(out), "--device", "cpu", *FAST])
    assert code == 0
    return out


def test_train_writes_a_parser(model, capsys):
    parser = load_parser(model)
    assert type(parser).__name__ == "StructFormerParser" and parser.hidden_size == 16 and parser.n_steps_ == 4


def test_parse_formats(model, stdin_bytes, capsys):
    parser = load_parser(model)
    stdin_bytes(b"the cat saw a dog.\n\nmy sister found it\n")
    assert main(["parse", "--model", str(model)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        parser.parse("the cat saw a dog.").to_brackets(),
        parser.parse("my sister found it").to_brackets(),
    ]
    stdin_bytes(b"the cat saw a dog .\n")
    assert main(["parse", "--model", str(model), "--format", "json", "--tokenized"]) == 0
    assert json.loads(capsys.readouterr().out) == parser.parse("the cat saw a dog .".split()).to_dict()
    stdin_bytes(b"a dog\n")
    assert main(["parse", "--model", str(model), "--format", "conllu"]) == 0
    assert capsys.readouterr().out.startswith("# sent_id = 1\n# text = a dog\n# tree = (a dog)\n1\ta\t")


def test_parse_reads_files_and_refuses_non_utf8(model, tmp_path, stdin_bytes, capsys):
    good = tmp_path / "in.txt"
    good.write_text("a dog\n", encoding="utf-8")
    assert main(["parse", "--model", str(model), "--input", str(good)]) == 0
    assert capsys.readouterr().out == "(a dog)\n"
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    assert main(["parse", "--model", str(model), "--input", str(bad)]) == 1
    assert "latin1.txt, line 1: not valid UTF-8" in capsys.readouterr().err
    stdin_bytes("caf\xe9\n".encode("latin-1"))
    assert main(["parse", "--model", str(model)]) == 1
    assert "standard input, line 1: not valid UTF-8" in capsys.readouterr().err


def test_parse_streams_its_output_chunk_by_chunk(model, stdin_bytes, capsys, monkeypatch):
    """Long inputs are parsed as they are read: the lines before a bad one are already written."""
    monkeypatch.setattr("parsing.cli.CHUNK", 2)
    stdin_bytes(b"a dog\nthe cat\na dog\ncaf\xe9\n")
    assert main(["parse", "--model", str(model)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "(a dog)\n(the cat)\n"
    assert "standard input, line 4: not valid UTF-8" in captured.err


def test_a_line_the_tokenizer_empties_is_named(model, tmp_path, capsys):
    """The regex tokenizer keeps no token of '...': the error names the line, not 'sentence 1' of a chunk."""
    regex = load_parser(model).set_params(tokenizer="regex").save(tmp_path / "regex")
    text = tmp_path / "in.txt"
    text.write_text("a dog\n\n...\n", encoding="utf-8")
    assert main(["parse", "--model", str(regex), "--input", str(text)]) == 1
    err = capsys.readouterr().err
    assert "in.txt, line 3: the parser's 'regex' tokenizer leaves no token of '...' to parse" in err


def test_bad_counts_and_empty_corpora_are_named(model, tmp_path, capsys):
    mrg = tmp_path / "gold.mrg"
    mrg.write_text("( (S (NP (DT The) (NN cat)) (VP (VBD sat))) )\n", encoding="utf-8")
    for option in (["parse", "eval", "--gold", str(mrg), "--limit", "0"], ["parse", "--batch-size", "-1"]):
        with pytest.raises(SystemExit) as exit_:
            main(option)
        assert exit_.value.code == 2
        assert "expected a whole number >= 1" in capsys.readouterr().err
    punctuation = tmp_path / "punct.mrg"
    punctuation.write_text("( (S (. .)) )\n", encoding="utf-8")
    assert main(["parse", "eval", "--model", str(model), "--gold", str(punctuation)]) == 1
    assert "punct.mrg: no sentence has words left once punctuation is removed" in capsys.readouterr().err
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n", encoding="utf-8")
    assert main(["parse", "train", "--corpus", str(blank), "--out", str(tmp_path / "m"), *FAST]) == 1
    assert "blank.txt: no sentences to train on" in capsys.readouterr().err
    no_tree = tmp_path / "tagged.conllu"  # HEAD '_': a tagger's output, legal CoNLL-U without a tree
    no_tree.write_text("1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_\n2\tcat\t_\tNOUN\t_\t_\t_\t_\t_\t_\n\n")
    assert main(["parse", "eval", "--model", str(model), "--gold", str(no_tree)]) == 1
    assert "tagged.conllu: sentence 1 has no dependency tree (HEAD '_')" in capsys.readouterr().err


def test_eval_on_bracketed_and_dependency_trees(model, tmp_path, capsys):
    mrg = tmp_path / "gold.mrg"
    mrg.write_text(
        "( (S (NP (DT The) (NN cat)) (VP (VBD saw) (NP (DT a) (NN dog))) (. .)) )\n", encoding="utf-8"
    )
    assert main(["parse", "eval", "--model", str(model), "--gold", str(mrg), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["n_sentences"] == 1 and 0.0 <= scores["sentence_f1"] <= 1.0
    conllu = tmp_path / "gold.conllu"
    conllu.write_text(
        "1\tThe\tthe\tDET\t_\t_\t2\tdet\t_\t_\n2\tcat\tcat\tNOUN\t_\t_\t3\tnsubj\t_\t_\n"
        "3\tsat\tsit\tVERB\t_\t_\t0\troot\t_\t_\n4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_\n\n",
        encoding="utf-8",
    )
    assert main(["parse", "eval", "--model", str(model), "--gold", str(conllu)]) == 0
    out = capsys.readouterr().out
    assert "1 sentences, punctuation removed" in out and "(3 words)" in out


def test_parse_default_model(stdin_bytes, capsys):
    stdin_bytes(b"The cat sat on the mat.\n")
    assert main(["parse"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("(") and out.count("(") == 6  # 7 tokens, binary: 6 brackets


def test_demo_section(capsys):
    from parsing.demo import SENTENCE, run

    run(quiet=True)
    out = capsys.readouterr().out
    assert "Shipped parser: StructFormer" in out and SENTENCE in out
    assert "`-- ." in out and "<- ROOT" in out


def test_a_file_given_as_a_command_gets_a_hint(tmp_path, capsys):
    """``structnlp parse notes.txt`` was argparse's bare "invalid choice: ... (choose from ...)"."""
    with pytest.raises(SystemExit) as exit_:
        main(["parse", str(tmp_path / "notes.txt")])
    assert exit_.value.code == 2
    assert f"to parse a file, pass it as --input {tmp_path / 'notes.txt'}" in capsys.readouterr().err


@pytest.mark.parametrize("objective", ["bilm", "mlm"])
def test_train_a_recat_parser_with_either_objective(tmp_path, objective):
    corpus = tmp_path / "raw.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    out = tmp_path / "recat"
    args = ["parse", "train", "--corpus", str(corpus), "--out", str(out), "--device", "cpu", *FAST]
    assert main([*args, "--arch", "recat", "--objective", objective]) == 0
    parser = load_parser(out)
    assert type(parser).__name__ == "ReCATParser" and parser.objective == objective
    assert len(parser.parse("the red dog saw my sister").tree.leaves()) == 6
