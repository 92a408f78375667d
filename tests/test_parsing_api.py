"""ParseResult, evaluate_trees and load_parser's dispatch (no training here)."""

from __future__ import annotations

import json

import pytest
from nltk import Tree

from parsing import ParseResult, evaluate_trees, load_parser
from parsing.api import PARSER_CLASSES, SHIPPED_MODELS, model_path
from structnlp.corpus import ConlluToken, DependencySentence, Sentence
from structnlp.errors import ModelFileError, StructNLPError
from structnlp.trees import from_brackets


def _result() -> ParseResult:
    return ParseResult(["the", "cat", "sat", "."], from_brackets("(((the cat) sat) .)"), [2, 3, 0, 3])


def test_outputs():
    r = _result()
    assert r.to_brackets() == "(((the cat) sat) .)"
    assert r.to_dict() == {
        "tokens": ["the", "cat", "sat", "."],
        "tree": "(((the cat) sat) .)",
        "heads": [2, 3, 0, 3],
    }
    assert json.loads(r.to_json()) == r.to_dict()
    lines = r.to_conllu(sent_id="s1").splitlines()
    assert lines[:3] == ["# sent_id = s1", "# text = the cat sat .", "# tree = (((the cat) sat) .)"]
    assert lines[5] == "3\tsat\t_\t_\t_\t_\t0\troot\t_\t_" and lines[-1] == ""
    assert ParseResult.from_dict(r.to_dict()) == r and len(r) == 4


def test_results_without_heads_and_with_brackets_in_tokens():
    r = ParseResult(["(", "a", ")"], Tree("X", [Tree("X", ["(", "a"]), ")"]))
    assert r.to_brackets() == "((-LRB- a) -RRB-)"
    assert r.to_conllu().splitlines()[2] == "1\t(\t_\t_\t_\t_\t_\t_\t_\t_"
    assert ParseResult.from_dict(r.to_dict()).tokens == ["(", "a", ")"]


def test_brackets_inside_tokens_are_escaped_in_every_output():
    """Pre-tokenized text holds tokens such as ``f(x)`` or ``:)``: every format must still be written."""
    r = ParseResult(["f(x)", ":)", "ok"], Tree("X", [Tree("X", ["f(x)", ":)"]), "ok"]), [3, 3, 0])
    assert r.to_brackets() == "((f-LRB-x-RRB- :-RRB-) ok)"
    assert r.to_conllu().splitlines()[1:4] == [
        "# tree = ((f-LRB-x-RRB- :-RRB-) ok)",
        "1\tf(x)\t_\t_\t_\t_\t3\t_\t_\t_",
        "2\t:)\t_\t_\t_\t_\t3\t_\t_\t_",
    ]
    assert ParseResult.from_dict(json.loads(r.to_json())) == r


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tokens": ["a", "b"], "tree": from_brackets("(b a)")}, "leaves must be exactly the tokens"),
        ({"tokens": ["a", "b"], "tree": "(a b)"}, "must be an nltk.Tree"),
        ({"tokens": ["a", "b"], "tree": from_brackets("(a b)"), "heads": [0, 0]}, "exactly one root"),
        ({"tokens": ["a", "b"], "tree": from_brackets("(a b)"), "heads": [1, 0]}, "not itself"),
        ({"tokens": ["a", ""], "tree": from_brackets("(a b)")}, "non-empty str"),
        (
            {"tokens": list("abcd"), "tree": from_brackets("((a b) (c d))"), "heads": [2, 3, 2, 0]},
            r"cycle \(tokens \[2, 3\]\)",
        ),
        ({"tokens": ["a", "b"], "tree": from_brackets("(a b)"), "heads": [2.7, 0]}, "must be ints"),
        ({"tokens": ["a", "b"], "tree": from_brackets("(a b)"), "heads": ["2", 0]}, "must be ints"),
    ],
)
def test_invalid_results_are_refused(kwargs, message):
    with pytest.raises(StructNLPError, match=message):
        ParseResult(**kwargs)


def test_malformed_dicts_and_sent_ids_are_refused():
    with pytest.raises(
        StructNLPError, match="tokens as a list and tree as a bracket string, got str and str"
    ):
        ParseResult.from_dict({"tokens": "ab", "tree": "(a b)", "heads": None})  # not split into letters
    with pytest.raises(StructNLPError, match="got list and int"):
        ParseResult.from_dict({"tokens": ["a", "b"], "tree": 5})
    with pytest.raises(StructNLPError, match="holds a line break"):
        _result().to_conllu(sent_id="s1\n1\tinjected")


def test_heads_may_be_numpy_ints_and_long_chains_are_checked_quickly():
    import numpy as np

    n = 20_000
    heads = np.arange(2, n + 2)
    heads[-1] = 0
    tree = Tree("X", [str(i) for i in range(n)])
    assert ParseResult([str(i) for i in range(n)], tree, heads).heads[:2] == [2, 3]


def test_evaluate_trees_follows_the_kim_protocol():
    gold = Tree.fromstring(
        "(S (NP (DT The) (NN cat)) (VP (VBD sat) (PP (IN on) (NP (DT the) (NN mat)))) (. .))"
    )  # cleaned: ((the cat) (sat (on (the mat)))) -> spans (0,2) (2,6) (3,6) (4,6)
    words = ["The", "cat", "sat", "on", "the", "mat"]
    right = ParseResult(words, from_brackets("(The (cat (sat (on (the mat)))))"))
    scores = evaluate_trees([right], [gold])
    # predicted spans (1,6) (2,6) (3,6) (4,6): 3 of 4 right, recall 3/4
    assert scores["sentence_f1"] == pytest.approx(0.75) and scores["n_sentences"] == 1
    with pytest.raises(StructNLPError, match="predicted tree has 7 words but the gold tree has 6"):
        evaluate_trees(
            [ParseResult([*words, "."], from_brackets("((The (cat (sat (on (the mat))))) .)"))], [gold]
        )


def test_evaluate_trees_scores_heads_from_dependency_sentences():
    pred = [ParseResult(["dogs", "bark", "loudly"], from_brackets("(dogs (bark loudly))"), [2, 0, 2])]
    dp = DependencySentence(["dogs", "bark", "loudly"], ["NNS", "VBP", "RB"], [2, 0, 2])
    conllu = Sentence(
        [ConlluToken(1, "dogs", head=2), ConlluToken(2, "bark", head=0), ConlluToken(3, "loudly", head=1)]
    )
    assert evaluate_trees(pred, [dp]) == {"directed": 1.0, "undirected": 1.0, "n_words": 3}
    scores = evaluate_trees(pred, [conllu])
    assert scores["directed"] == pytest.approx(2 / 3) and scores["undirected"] == pytest.approx(2 / 3)
    both = evaluate_trees(pred, [from_brackets("(dogs (bark loudly))")], gold_heads=[[2, 0, 2]])
    assert both["sentence_f1"] == 1.0 and both["n_scored"] == 1 and both["directed"] == 1.0


def test_evaluate_trees_refuses_predictions_over_other_words():
    """Misaligned inputs of equal lengths were scored silently (F1 1.0 for 'the cat' against 'a dog')."""
    pred = [ParseResult(["the", "cat"], from_brackets("(the cat)"), [2, 0])]
    with pytest.raises(StructNLPError, match="word 1 is 'the', gold 'a'"):
        evaluate_trees(pred, [Tree.fromstring("(S (NP (DT a) (NN dog)) (. .))")])
    with pytest.raises(StructNLPError, match="word 2 is 'cat', gold 'dog'"):
        evaluate_trees(pred, [DependencySentence(["the", "dog"], ["DT", "NN"], [2, 0])])
    assert evaluate_trees(pred, gold_heads=[[2, 0]])["directed"] == 1.0  # bare heads: no words to check


def test_evaluate_trees_errors():
    pred = [ParseResult(["a", "b"], from_brackets("(a b)"))]
    with pytest.raises(StructNLPError, match="has no heads"):
        evaluate_trees(pred, gold_heads=[[2, 0]])
    with pytest.raises(StructNLPError, match="needs gold trees or gold_heads"):
        evaluate_trees(pred)
    with pytest.raises(StructNLPError, match="sequence of parses"):
        evaluate_trees(pred[0], [from_brackets("(a b)")])


def test_load_parser_names():
    assert set(SHIPPED_MODELS) == {"default", "default-recat"}
    assert set(PARSER_CLASSES) == {"StructFormerParser", "ReCATParser"}
    assert model_path("default").name == "structformer-default"
    assert type(load_parser("default", device="cpu")).__name__ == "StructFormerParser"
    with pytest.raises(StructNLPError, match="expected a model directory"):
        model_path(3)


def test_bad_names_and_devices_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="Default: no such model directory .*'default', 'default-recat'"):
        load_parser("Default")
    with pytest.raises(StructNLPError, match="expected a model directory or one of .*, got ''"):
        load_parser("")  # was read as the current directory
    with pytest.raises(StructNLPError, match="device must be None or a string .*, got 0") as error:
        load_parser("default", device=0)
    assert not isinstance(error.value, ModelFileError)  # the argument is wrong, not the shipped file


def test_missing_shipped_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr("parsing.api.MODELS_DIR", tmp_path)
    with pytest.raises(ModelFileError, match="the shipped parser 'default-recat' is not installed"):
        load_parser("default-recat")
