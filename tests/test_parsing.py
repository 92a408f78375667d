"""The parser estimator (shared base class, through StructFormer): input handling, results, files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from nltk import Tree
from sklearn.base import clone

from parsing import ParseResult, StructFormerParser, load_parser
from parsing.base import MASK_ID, NUM_ID, UNK_ID, _assemble, _join_windows, is_number, is_punctuation
from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.modelio import save_model
from structnlp.trees import from_brackets, to_brackets, tree_spans

REPO = Path(__file__).resolve().parent.parent
SUBJECTS = ["the cat", "a dog", "the old man", "my sister", "the small bird", "a child"]
VERBS = ["saw", "liked", "chased", "found", "heard"]
OBJECTS = ["the mat", "a ball", "the red car", "her friend", "the garden", "a tree"]
CORPUS = [f"{s} {v} {o} ." for s in SUBJECTS for v in VERBS for o in OBJECTS[:3]]
TINY = {
    "hidden_size": 16,
    "n_layers": 1,
    "n_heads": 2,
    "n_parser_layers": 1,
    "conv_size": 3,
    "min_count": 1,
    "max_length": 16,
    "max_train_length": 16,
    "batch_tokens": 256,
    "warmup_steps": 2,
    "lr": 3e-3,
    "device": "cpu",
    "random_state": 0,
}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def parser() -> StructFormerParser:
    torch.set_num_threads(1)
    return StructFormerParser(max_steps=15, **TINY).fit(CORPUS)


def _check_result(result: ParseResult, tokens: list[str]) -> None:
    assert result.tokens == tokens
    assert result.tree.leaves() == tokens
    n = len(tokens)
    if n > 1:
        assert all(len(node) == 2 for node in result.tree.subtrees())  # binary
    assert len(tree_spans(result.tree, include_trivial=True)) == max(2 * n - 1, 1)
    heads = result.heads
    assert len(heads) == n and heads.count(0) == 1
    for i in range(n):  # every word reaches the root without a cycle
        node, steps = i, 0
        while heads[node] != 0:
            node, steps = heads[node] - 1, steps + 1
            assert steps <= n


# --------------------------------------------------------------------------- parsing


def test_parse_keeps_the_tokens_and_gives_a_tree_and_heads(parser):
    result = parser.parse("The old man chased a ball.")
    _check_result(result, ["The", "old", "man", "chased", "a", "ball", "."])
    assert parser.parse(["the", "cat", "saw", "a", "dog"]).tokens == ["the", "cat", "saw", "a", "dog"]


@pytest.mark.parametrize("n", range(1, 21))
def test_valid_trees_and_heads_for_every_length(parser, n):
    rng = np.random.default_rng(n)
    words = ["the", "cat", "saw", "zebra", "ball", "quickly", "of", "1,000"]
    tokens = [words[i] for i in rng.integers(len(words), size=n)]
    _check_result(parser.parse(tokens), tokens)  # lengths above max_length=16 are parsed in windows


def test_parse_many_keeps_the_order_and_matches_parse(parser):
    sentences = [CORPUS[7], "a dog", ["x"], CORPUS[0].split(), "the small bird heard her friend near a tree"]
    results = parser.parse_many(sentences, batch_size=2)
    assert [r.tokens for r in results] == [parser.parse(s).tokens for s in sentences]
    assert [to_brackets(r.tree) for r in results] == [to_brackets(parser.parse(s).tree) for s in sentences]
    assert [r.heads for r in results] == [parser.parse(s).heads for s in sentences]


def test_unknown_words_and_numbers_are_normalised(parser):
    assert parser.vocabulary_.encode(["zebra"]) == [UNK_ID]
    assert list(parser.vocabulary_)[MASK_ID] == "<mask>" and list(parser.vocabulary_)[NUM_ID] == "<num>"
    info = parser.structure("The Zebra saw 1,000 cats !")
    assert info["words"] == ["the", "zebra", "saw", "<num>", "cats"]
    assert info["distances"].shape == (4,) and info["parent"].shape == (5, 5)
    _check_result(parser.parse("The Zebra saw 1,000 cats !"), ["The", "Zebra", "saw", "1,000", "cats", "!"])


def test_a_10000_token_sentence_is_parsed_in_windows(parser):
    tokens = ["the", "cat", "saw", "a", "dog", ","] * 1667
    result = parser.parse(tokens[:10_000])
    _check_result(result, tokens[:10_000])
    assert result.tree.height() < 60  # windows of 16 words joined by a balanced tree


def test_punctuation_only_sentence_is_parsed_as_words(parser):
    _check_result(parser.parse([".", "!", "?"]), [".", "!", "?"])


def test_punctuation_is_reattached_as_documented():
    # words a b c with the tree ((a b) c) and heads a <- b -> root, c <- b
    word_parse = ParseResult(["a", "b", "c"], from_brackets("((a b) c)"), [2, 0, 2])
    tokens = ['"', "a", ",", "b", "c", ".", '"']
    result = _assemble(tokens, [1, 3, 4], [word_parse])
    assert result.to_brackets() == '(" ((((a ,) b) c) (. ")))'
    assert result.heads == [4, 4, 2, 0, 4, 4, 4]


def test_windows_are_joined_by_a_balanced_tree_under_the_first_root():
    parts = [
        ParseResult(["a", "b"], from_brackets("(a b)"), [0, 1]),
        ParseResult(["c", "d", "e"], from_brackets("(c (d e))"), [3, 3, 0]),
    ]
    spans, heads, n = _join_windows(parts)
    assert n == 5 and heads == [0, 1, 5, 5, 1]
    assert spans >= {(0, 5), (0, 2), (2, 5), (3, 5)}


def test_keep_punctuation_feeds_it_to_the_network():
    p = StructFormerParser(punctuation="keep", max_steps=2, **TINY).fit(CORPUS[:10])
    assert "." in p.vocabulary_
    assert p.structure("a dog saw a ball .")["words"][-1] == "."


def test_token_classes():
    assert [is_punctuation(t) for t in ["''", "...", "-RRB-", "€", "&", "U.S."]] == [True] * 4 + [False] * 2
    assert [is_number(t) for t in ["1990", "12.5%", "2nd", "one"]] == [True, True, True, False]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("sentence", "message"),
    [
        ("", "sentence 0 is empty"),
        ([], "sentence 0 is empty"),
        (["a", ""], "token '' is empty or holds whitespace"),
        (["a b"], "holds whitespace"),
        (["a", 3], "token 3 is int, not a str"),
        (b"the cat", "decode bytes to str first"),
        (42, "sentence is int, expected a str or a list of str tokens"),
    ],
)
def test_bad_sentences_raise_clear_errors(parser, sentence, message):
    with pytest.raises(StructNLPError, match=message):
        parser.parse(sentence)


def test_a_sentence_the_tokenizer_empties_is_not_called_empty(parser):
    regex = clone(parser).set_params(tokenizer="regex")
    regex.module_, regex.vocabulary_ = parser.module_, parser.vocabulary_
    with pytest.raises(StructNLPError, match=r"sentence 1 \('\.\.\. !'\): the 'regex' tokenizer leaves no"):
        regex.parse_many(["a dog", "... !"])


def test_bad_corpora_raise_clear_errors():
    with pytest.raises(EmptyCorpusError, match="no non-empty sentences among the 3 given"):
        StructFormerParser(**TINY).fit(["", "  ", []])
    with pytest.raises(StructNLPError, match="got a single str"):
        StructFormerParser(**TINY).fit("the cat sat")
    with pytest.raises(StructNLPError, match="got a single str"):
        StructFormerParser(**TINY).fit(["a b"]).parse_many("the cat sat")
    with pytest.raises(StructNLPError, match="multiple of n_heads"):
        StructFormerParser(hidden_size=10, n_heads=3).fit(CORPUS)
    with pytest.raises(StructNLPError, match="punctuation must be one of"):
        StructFormerParser(punctuation="drop").fit(CORPUS)


# --------------------------------------------------------------------------- training


def test_training_reduces_the_masked_word_loss():
    held_out = CORPUS[1::7]
    start = StructFormerParser(max_steps=1, **TINY).fit(CORPUS).mlm_loss(held_out)
    trained = StructFormerParser(max_steps=60, max_epochs=100, **TINY).fit(CORPUS)
    assert trained.mlm_loss(held_out) < start - 0.5
    assert trained.n_steps_ == 60 and trained.train_tokens_ > 0
    losses = [h["train_loss"] for h in trained.history_ if "train_loss" in h]
    assert len(losses) == 1 and np.isfinite(losses[0])


def test_fit_is_deterministic_for_a_seed():
    a = StructFormerParser(max_steps=3, **TINY).fit(CORPUS)
    b = StructFormerParser(max_steps=3, **TINY).fit(CORPUS)
    for (name, x), (_, y) in zip(a.module_.state_dict().items(), b.module_.state_dict().items(), strict=True):
        assert torch.equal(x, y), name


def test_max_minutes_stops_training_and_snapshots_are_written(tmp_path):
    p = StructFormerParser(max_minutes=0.02, max_epochs=1000, **TINY)
    p.fit(CORPUS, snapshot_dir=tmp_path / "snap", snapshot_minutes=0.005)
    assert 1 <= p.n_steps_ < 1000 * 3 and p.train_seconds_ < 30
    snap = load_parser(tmp_path / "snap")
    assert snap.n_steps_ <= p.n_steps_


def test_a_time_limit_spent_before_the_first_step_still_trains_one():
    """Set-up (torch's first optimizer imports torch._dynamo: seconds) used to leave n_steps_ == 0."""
    p = StructFormerParser(max_minutes=1e-9, max_epochs=1000, **TINY).fit(CORPUS)
    assert p.n_steps_ == 1 and p.history_


def test_warm_start_continues_the_fitted_network(tmp_path):
    held_out = CORPUS[1::7]
    first = StructFormerParser(max_steps=20, max_epochs=100, **TINY).fit(CORPUS)
    before = {k: v.clone() for k, v in first.module_.state_dict().items()}
    loss_before = first.mlm_loss(held_out)
    resumed = load_parser(first.save(tmp_path / "first"), device="cpu")
    # other sentences, other training settings: the vocabulary and network are kept and trained on
    resumed.set_params(warm_start=True, max_steps=40, lr=1e-3, warmup_steps=0)
    resumed.fit(["the cat saw a zebra .", "a dog liked the garden ."] * 10)
    assert resumed.vocabulary_ == first.vocabulary_ and "zebra" not in resumed.vocabulary_
    assert resumed.n_steps_ == 60 and resumed.train_tokens_ > first.train_tokens_
    assert resumed.train_seconds_ > first.train_seconds_
    steps = [h["step"] for h in resumed.history_]
    assert steps == sorted(steps) and steps[-1] == 60
    assert resumed.history_[: len(first.history_)] == first.history_
    after = resumed.module_.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    resumed.set_params(max_steps=40, lr=3e-3).fit(CORPUS)
    assert resumed.n_steps_ == 100 and resumed.mlm_loss(held_out) < loss_before
    with pytest.raises(StructNLPError, match="another one .*hidden|warm_start=False"):
        resumed.set_params(hidden_size=32).fit(CORPUS)
    # without a fitted network, warm_start is an ordinary fit
    fresh = StructFormerParser(max_steps=3, warm_start=True, **TINY).fit(CORPUS)
    assert fresh.n_steps_ == 3


def test_the_training_script_trains_and_continues_a_parser(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(CORPUS) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    common = [
        sys.executable, "scripts/train_parser.py", "--corpus", str(corpus), "--out", str(out),
        "--device", "cpu", "--max-steps", "4", "--batch-tokens", "256", "--min-count", "1", "--threads", "1",
    ]  # fmt: skip
    sizes = ["--hidden-size", "16", "--layers", "1", "--heads", "2", "--parser-layers", "1"]
    run = subprocess.run([*common, *sizes], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert load_parser(out).n_steps_ == 4
    curve = next(line for line in run.stdout.splitlines() if line.startswith("loss by step: ")).split()[3:]
    assert curve and len(curve) == len(set(curve)) and curve[-1].startswith("4:")  # the last step, once
    run = subprocess.run([*common, "--init", str(out)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    continued = load_parser(out)
    assert continued.n_steps_ == 8 and continued.hidden_size == 16 and "continuing" in run.stdout
    run = subprocess.run(
        [*common, "--init", str(out), "--arch", "recat"], capture_output=True, text=True, cwd=REPO
    )
    assert run.returncode != 0 and "not a ReCATParser" in run.stderr


def test_the_averaging_script_saves_the_mean_of_two_runs(parser, tmp_path):
    first = parser.save(tmp_path / "a")
    branch = load_parser(first, device="cpu")
    branch.set_params(warm_start=True, max_steps=5, lr=1e-2, warmup_steps=0).fit(CORPUS)
    second = branch.save(tmp_path / "b", metadata={"training": {"command": "stage b"}})
    script = [sys.executable, "scripts/average_parsers.py", "--float32", "--out", str(tmp_path / "mean")]
    run = subprocess.run([*script, str(first), str(second)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    mean = load_parser(tmp_path / "mean")
    a, b = parser.module_.state_dict(), branch.module_.state_dict()
    for name, tensor in mean.module_.state_dict().items():
        torch.testing.assert_close(tensor, (a[name] + b[name]) / 2)
    assert mean.vocabulary_ == parser.vocabulary_ and mean.n_steps_ == parser.n_steps_
    training = json.loads((tmp_path / "mean" / "config.json").read_text())["metadata"]["training"]
    assert training["averaged"][1] == {"command": "stage b"} and "average_parsers.py" in training["command"]
    other = StructFormerParser(max_steps=1, **TINY).fit(["a zebra ran ."] * 5).save(tmp_path / "c")
    run = subprocess.run([*script, str(first), str(other)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode != 0 and "another vocabulary" in run.stderr
    run = subprocess.run([*script, str(first)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode != 0 and "at least two parsers" in run.stderr


def test_sklearn_parameters():
    p = StructFormerParser(hidden_size=32, lr=1e-3)
    assert clone(p).get_params() == p.get_params()
    assert p.set_params(n_layers=2).n_layers == 2


# --------------------------------------------------------------------------- files


def test_save_load_round_trip(parser, tmp_path):
    path = parser.save(tmp_path / "model")
    loaded = load_parser(path, device="cpu")
    assert isinstance(loaded, StructFormerParser) and loaded.get_params() == parser.get_params()
    assert loaded.vocabulary_ == parser.vocabulary_ and loaded.n_steps_ == parser.n_steps_
    sentences = ["the old man chased a ball .", "a child found her friend"]
    assert [r.to_dict() for r in loaded.parse_many(sentences)] == [
        r.to_dict() for r in parser.parse_many(sentences)
    ]
    half = load_parser(parser.save(tmp_path / "half", half=True, metadata={"note": "fp16"}))
    assert half.module_.embedding.weight.dtype == torch.float32
    assert half.parse("a dog saw the mat").tokens == ["a", "dog", "saw", "the", "mat"]


def test_loading_something_else_fails_clearly(parser, tmp_path):
    other = save_model(
        tmp_path / "other", model_class="topics.DocNADE", format_version=1, config={}, arrays={}
    )
    with pytest.raises(ModelFileError, match="not a parser"):
        load_parser(other)
    with pytest.raises(ModelFileError, match="no such model directory"):
        load_parser(tmp_path / "missing")
    future = parser.save(tmp_path / "future")
    config = (
        (future / "config.json")
        .read_text(encoding="utf-8")
        .replace('"format_version": 1', '"format_version": 9')
    )
    (future / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(ModelFileError, match="format version 9"):
        load_parser(future)
    with pytest.raises(StructNLPError, match="records its tokenizer by name"):
        StructFormerParser(tokenizer=str.split, **{k: v for k, v in TINY.items()}, max_steps=1).fit(
            CORPUS[:3]
        ).save(tmp_path / "callable")


# --------------------------------------------------------------------------- imports


def test_importing_parsing_does_not_import_torch():
    code = "import sys, parsing; parsing.ParseResult; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_training_needs_neither_nltk_nor_spacy(tmp_path):
    code = (
        "import sys; sys.modules['nltk'] = None; sys.modules['spacy'] = None\n"
        "from parsing.structformer import StructFormerParser\n"
        "p = StructFormerParser(hidden_size=8, n_layers=1, n_heads=2, n_parser_layers=1,"
        " tokenizer='whitespace', min_count=1, max_steps=2, device='cpu', random_state=0)\n"
        "p.fit(['a b c', 'b c a'])\n"
        f"p.save({str(tmp_path / 'm')!r}, half=True); print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "ok", out.stderr


def test_tree_type(parser):
    assert isinstance(parser.parse("a dog").tree, Tree)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"params": {"hidden_size": "16"}}, "hidden_size must be an int >= 1, got '16'"),
        ({"params": {"tokenizer": "nltkk"}}, "tokenizer must be one of"),
        ({"training": {"n_steps": "many"}}, "invalid literal for int"),
    ],
)
def test_hand_edited_settings_fail_when_loading(parser, tmp_path, edit, message):
    """A bad value in config.json must be named by load, not surface later as a torch TypeError."""
    path = parser.save(tmp_path / "edited")
    data = json.loads((path / "config.json").read_text(encoding="utf-8"))
    for section, values in edit.items():
        data["config"][section].update(values)
    (path / "config.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match=f"settings are damaged .*{message}"):
        load_parser(path)


def test_structure_of_a_long_sentence_is_its_first_window(parser):
    info = parser.structure(" ".join(["the cat"] * 10))  # 20 words, max_length 16
    assert len(info["words"]) == 16 and info["distances"].shape == (15,) and info["parent"].shape == (16, 16)
    with pytest.raises(StructNLPError, match="^sentence is empty"):
        parser.structure("  ")
