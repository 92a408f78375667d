"""Bracket F1 (Kim et al. 2019 protocol): structnlp.metrics.trees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk import Tree

from structnlp.errors import StructNLPError
from structnlp.metrics import bracket_f1
from structnlp.trees import (
    clean_ptb_tree,
    from_brackets,
    random_binary_tree,
    right_branching_tree,
)


def test_known_values_four_sentences():
    gold = [from_brackets(s) for s in ("((a b) (c (d e)))", "((a b) c)", "(a b)", "(a)")]
    pred = [right_branching_tree(t.leaves()) for t in gold]
    scores = bracket_f1(pred, gold)
    # sentence 1: pred {(1,5),(2,5),(3,5)} gold {(0,2),(2,5),(3,5)} -> P = R = F = 2/3
    # sentence 2: pred {(1,3)} gold {(0,2)} -> 0; sentences 3 and 4 have no gold spans: left out
    assert scores["n_sentences"] == 4
    assert scores["n_scored"] == 2
    assert scores["sentence_f1"] == pytest.approx((2 / 3 + 0) / 2)
    assert scores["sentence_precision"] == pytest.approx(1 / 3)
    # corpus: tp = 2, fp = 2, fn = 2
    assert scores["corpus_precision"] == pytest.approx(0.5)
    assert scores["corpus_recall"] == pytest.approx(0.5)
    assert scores["corpus_f1"] == pytest.approx(0.5)


def test_flat_prediction_scores_zero_and_empty_gold_counts_in_corpus():
    gold = [from_brackets("((a b) (c d))"), from_brackets("(a b c)")]
    pred = [from_brackets("(a b c d)"), right_branching_tree(list("abc"))]
    scores = bracket_f1(pred, gold)
    assert scores["n_scored"] == 1  # the flat gold tree has no spans
    assert scores["sentence_f1"] == 0.0
    # corpus: tp = 0, fp = 1 (pred (1,3) of sentence 2), fn = 2
    assert scores["corpus_precision"] == 0.0
    assert scores["corpus_recall"] == 0.0
    assert scores["corpus_f1"] == 0.0


def test_unary_chains_and_labels_do_not_matter():
    gold = clean_ptb_tree(
        Tree.fromstring(
            "(S (NP (NP (DT the) (NN cat))) (VP (VBD sat) (PP (IN on) (NP (DT the) (NN mat)))) (. .))"
        )
    )
    pred = from_brackets("((the cat) (sat (on (the mat))))")
    assert bracket_f1([pred], [gold])["sentence_f1"] == 1.0


def test_span_set_inputs():
    tree = from_brackets("(a (b c))")
    # the whole-sentence span is dropped from a span set when the length is known from the other side
    assert bracket_f1([{(0, 3), (1, 3)}], [tree])["sentence_f1"] == 1.0
    # two span sets: single-word spans dropped, the rest taken as given
    scores = bracket_f1([{(1, 3), (2, 3)}], [{(1, 3), (0, 2)}])
    assert scores["sentence_precision"] == 1.0
    assert scores["sentence_recall"] == 0.5
    assert bracket_f1([{(0, 3), (1, 3)}], [{(1, 3)}], lengths=[3])["sentence_f1"] == 1.0


def test_length_mismatch_is_a_clear_error():
    gold = [from_brackets("((a b) (c d))")]
    with pytest.raises(StructNLPError, match="predicted tree has 3 words but the gold tree has 4"):
        bracket_f1([right_branching_tree(list("abc"))], gold)
    with pytest.raises(StructNLPError, match="lengths gives 5"):
        bracket_f1(gold, gold, lengths=[5])
    with pytest.raises(StructNLPError, match="inside a sentence of 4 words"):
        bracket_f1([{(0, 7)}], gold)


@pytest.mark.parametrize(
    ("pred", "gold", "problem"),
    [
        ([], [], "no sentences"),
        ([from_brackets("(a b)")], [], "1 predicted sentences but 0 gold"),
        (["(a b)"], [from_brackets("(a b)")], "got a string"),
        ([42], [from_brackets("(a b)")], "got int"),
        ([{(1,)}], [from_brackets("(a b)")], "pair"),
        (from_brackets("(a b)"), [from_brackets("(a b)")], "sequences of sentences"),
    ],
)
def test_bad_inputs(pred, gold, problem):
    with pytest.raises(StructNLPError, match=problem):
        bracket_f1(pred, gold)


tokens = st.integers(3, 40).map(lambda n: [f"w{i}" for i in range(n)])


@settings(max_examples=50, deadline=None)
@given(tokens, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_properties(words, seed_a, seed_b):
    a = random_binary_tree(words, random_state=seed_a)
    b = random_binary_tree(words, random_state=seed_b)
    same = bracket_f1([a], [a])
    assert same["sentence_f1"] == same["corpus_f1"] == 1.0
    ab, ba = bracket_f1([a], [b]), bracket_f1([b], [a])
    # swapping prediction and gold swaps precision and recall; F1 is unchanged
    assert ab["sentence_precision"] == ba["sentence_recall"]
    assert ab["corpus_precision"] == ba["corpus_recall"]
    assert ab["sentence_f1"] == pytest.approx(ba["sentence_f1"])
    assert 0.0 <= ab["sentence_f1"] <= 1.0
    # binary trees over the same words have equally many spans, so P = R = F1
    assert ab["sentence_precision"] == pytest.approx(ab["sentence_f1"])


@pytest.mark.data
def test_right_branching_on_ptb_sample(shared_data):
    from structnlp.datasets import load_ptb_sample

    gold = [clean_ptb_tree(t) for t in load_ptb_sample(root=shared_data)]
    assert len(gold) > 3000
    scores = bracket_f1([right_branching_tree(t.leaves()) for t in gold], gold)
    assert 0.35 <= scores["sentence_f1"] <= 0.45  # 39.4 measured; Kim et al. report 39.5 on WSJ test
    assert scores["corpus_f1"] < scores["sentence_f1"]
