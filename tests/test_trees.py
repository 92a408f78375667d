"""Trees, spans and heads: structnlp.trees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk import Tree

from structnlp.errors import StructNLPError
from structnlp.trees import (
    PTB_DROP_TAGS,
    chain_heads,
    clean_ptb_tree,
    from_brackets,
    left_branching_tree,
    project_heads,
    random_binary_tree,
    right_branching_tree,
    spans_to_tree,
    to_brackets,
    tree_from_distances,
    tree_spans,
)

# wsj_0001 sentence 1 as in the .mrg file (outer wrapper included)
VINKEN = """( (S
    (NP-SBJ (NP (NNP Pierre) (NNP Vinken) ) (, ,) (ADJP (NP (CD 61) (NNS years) ) (JJ old) ) (, ,) )
    (VP (MD will) (VP (VB join) (NP (DT the) (NN board) )
        (PP-CLR (IN as) (NP (DT a) (JJ nonexecutive) (NN director) ))
        (NP-TMP (NNP Nov.) (CD 29) )))
    (. .) ))"""

words = st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=1, max_size=30)


def test_clean_ptb_tree_vinken():
    tree = clean_ptb_tree(Tree.fromstring(VINKEN))
    assert tree.label() == "S"
    assert (
        tree.leaves()
        == "Pierre Vinken 61 years old will join the board as a nonexecutive director Nov. 29".split()
    )
    # spans by hand: NP-SBJ (0,5), NP (0,2), ADJP (2,5), NP (2,4), VP (5,15), VP (6,15), NP (7,9),
    # PP (9,13), NP (10,13), NP-TMP (13,15); the S span (0,15) is the whole sentence
    assert tree_spans(tree) == {
        (0, 5), (0, 2), (2, 5), (2, 4), (5, 15), (6, 15), (7, 9), (9, 13), (10, 13), (13, 15)
    }  # fmt: skip


def test_clean_ptb_tree_removes_traces_and_empty_constituents():
    t = Tree.fromstring(
        "(S (NP-SBJ (-NONE- *-1)) (VP (VBD said) (SBAR (-NONE- 0) (S (-NONE- *T*-2)))) (. .))"
    )
    assert to_brackets(clean_ptb_tree(t), labels=True) == "(S (VP (VBD said)))"


def test_clean_ptb_tree_drops_every_listed_tag_and_keeps_input():
    leaves = " ".join(f"({tag} x{i})" for i, tag in enumerate(sorted(PTB_DROP_TAGS)))
    t = Tree.fromstring(f"(S (NN word) {leaves})")
    before = t.copy(deep=True)
    assert clean_ptb_tree(t).leaves() == ["word"]
    assert t == before


def test_clean_ptb_tree_all_punctuation_is_an_error():
    with pytest.raises(StructNLPError, match="no words left"):
        clean_ptb_tree(Tree.fromstring("(S (. .) (, ,))"))


def test_clean_ptb_tree_needs_a_tree_and_a_tag_collection():
    with pytest.raises(StructNLPError, match="nltk.Tree"):
        clean_ptb_tree("(S (NN a))")
    with pytest.raises(StructNLPError, match="not one string"):
        clean_ptb_tree(Tree.fromstring("(S (NN a))"), drop_tags="-NONE-")


def test_tree_spans_unary_chain_counts_once():
    t = Tree.fromstring("(S (NP (NP (DT the) (NN cat))) (VP (VBD sat)))")
    assert tree_spans(t) == {(0, 2)}
    assert tree_spans(t, include_trivial=True) == {(0, 3), (0, 2), (0, 1), (1, 2), (2, 3)}


def test_branching_trees_by_hand():
    assert to_brackets(right_branching_tree(list("abcde"))) == "(a (b (c (d e))))"
    assert tree_spans(right_branching_tree(list("abcde"))) == {(1, 5), (2, 5), (3, 5)}
    assert tree_spans(left_branching_tree(list("abcde"))) == {(0, 2), (0, 3), (0, 4)}
    assert to_brackets(right_branching_tree(["a"])) == "(a)"
    assert to_brackets(left_branching_tree(["a", "b"])) == "(a b)"


def test_tree_from_distances_by_hand():
    # split after "b" (5), then after "a" (2) on the left, after "d" (4) on the right
    t = tree_from_distances(list("abcdef"), [2, 5, 1, 4, 3])
    assert to_brackets(t) == "((a b) ((c d) (e f)))"
    # gap: distances within 1.5 of the maximum split together
    assert to_brackets(tree_from_distances(list("abcd"), [3.0, 1.0, 2.0], gap=1.5)) == "(a (b c) d)"


def test_tree_from_distances_bad_input():
    with pytest.raises(StructNLPError, match="3 tokens need 2 distances"):
        tree_from_distances(list("abc"), [1.0])
    with pytest.raises(StructNLPError, match="finite"):
        tree_from_distances(list("abc"), [1.0, float("nan")])
    with pytest.raises(StructNLPError, match="zero tokens"):
        tree_from_distances([], [])
    with pytest.raises(StructNLPError, match="single string"):
        right_branching_tree("abc")
    with pytest.raises(StructNLPError, match="distances must be a sequence of numbers"):
        tree_from_distances(list("abc"), ["x", 1.0])


@pytest.mark.parametrize("gap", [float("nan"), -1.0, "1", None, True])
def test_tree_from_distances_bad_gap(gap):
    # a NaN gap chose no split point: the decoding recursed until RecursionError
    with pytest.raises(StructNLPError, match="gap must be a number >= 0"):
        tree_from_distances(list("abc"), [1.0, 2.0], gap=gap)


def test_infinite_gap_splits_everywhere():
    assert to_brackets(tree_from_distances(list("abc"), [1.0, 2.0], gap=float("inf"))) == "(a b c)"


def test_random_binary_tree_is_seeded():
    tokens = list("abcdefghij")
    assert random_binary_tree(tokens, random_state=3) == random_binary_tree(tokens, random_state=3)
    shapes = {to_brackets(random_binary_tree(tokens, random_state=s)) for s in range(20)}
    assert len(shapes) > 10


def test_spans_to_tree_rejects_crossing_and_out_of_range():
    with pytest.raises(StructNLPError, match="cross"):
        spans_to_tree({(0, 2), (1, 3)}, list("abcd"))
    with pytest.raises(StructNLPError, match="inside a sentence of 3 words"):
        spans_to_tree({(0, 4)}, list("abc"))
    with pytest.raises(StructNLPError, match="pair"):
        spans_to_tree({(0, 1, 2)}, list("abc"))


def test_brackets_round_trip_and_errors():
    text = "((the cat) (sat (on (the mat))))"
    assert to_brackets(from_brackets(text)) == text
    for bad, problem in [("(a b", "unbalanced"), ("(a b))", "after the closing"), ("a b", "start with"),
                         ("(a () b)", "empty")]:  # fmt: skip
        with pytest.raises(StructNLPError, match=problem):
            from_brackets(bad)
    with pytest.raises(StructNLPError, match="bracket format"):
        to_brackets(Tree("X", ["a b", "c"]))


@settings(max_examples=60, deadline=None)
@given(words, st.integers(0, 2**32 - 1))
def test_spans_round_trip_property(tokens, seed):
    tree = random_binary_tree(tokens, random_state=seed)
    assert tree.leaves() == tokens
    spans = tree_spans(tree)
    n = len(tokens)
    assert len(spans) == max(n - 2, 0)  # a binary tree has n - 1 internal nodes, minus the root
    rebuilt = spans_to_tree(spans, tokens)
    assert tree_spans(rebuilt) == spans
    assert to_brackets(rebuilt) == to_brackets(tree)
    assert tree_spans(from_brackets(to_brackets(tree))) == spans


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=25, unique=True))
def test_distinct_distances_give_binary_trees(distances):
    tokens = [f"w{i}" for i in range(len(distances) + 1)]
    tree = tree_from_distances(tokens, distances)
    assert all(len(node) == 2 for node in tree.subtrees())
    # the largest distance is the root split
    top = max(range(len(distances)), key=distances.__getitem__)
    assert len(tree[0].leaves() if isinstance(tree[0], Tree) else [tree[0]]) == top + 1


def test_chain_heads():
    assert chain_heads(1, "left") == [0] == chain_heads(1, "right")
    assert chain_heads(3, "right") == [2, 3, 0]
    with pytest.raises(StructNLPError, match="'left' or 'right'"):
        chain_heads(3, "up")
    with pytest.raises(StructNLPError, match="positive"):
        chain_heads(0)


def test_project_heads_vinken():
    # wsj_0001.dp sentence 1 (tags: , at positions 3 and 7, . at 18)
    heads = [2, 8, 2, 5, 6, 2, 2, 0, 8, 11, 9, 9, 15, 15, 12, 9, 16, 8]
    keep = [True, True, False, True, True, True, False, True, True, True, True, True, True, True, True, True,
            True, False]  # fmt: skip
    assert project_heads(heads, keep) == [2, 6, 4, 5, 2, 0, 6, 9, 7, 7, 13, 13, 10, 7, 14]


def test_project_heads_reattaches_through_dropped_chain_and_errors():
    # 1 <- 2(dropped) <- 3(dropped) <- 4 : word 4 climbs to word 1
    assert project_heads([0, 1, 2, 3], [True, False, False, True]) == [0, 1]
    with pytest.raises(StructNLPError, match="cycle"):
        project_heads([0, 3, 2, 2], [True, False, False, True])
    with pytest.raises(StructNLPError, match="own head"):
        project_heads([1], [True])
    with pytest.raises(StructNLPError, match="outside 0..2"):
        project_heads([0, 5], [True, True])
    with pytest.raises(StructNLPError, match="keep has 1 entries"):
        project_heads([0, 1], [True])


@pytest.mark.parametrize("keep", [["False", "True"], [None, True], [2, 1], "10"])
def test_project_heads_keep_must_be_booleans(keep):
    # bool("False") is True: the word was silently kept
    with pytest.raises(StructNLPError, match="keep"):
        project_heads([0, 1], keep)
    assert project_heads([0, 1], [0, 1]) == project_heads([0, 1], [False, True]) == [0]
