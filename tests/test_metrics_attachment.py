"""Directed / undirected attachment: structnlp.metrics.attachment."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import StructNLPError
from structnlp.metrics import attachment_score
from structnlp.trees import chain_heads, project_heads


def test_known_values_two_sentences():
    # sentence 1 "the dog barked loudly": gold the<-dog, dog<-barked, barked=root, loudly<-barked
    gold = [[2, 3, 0, 3], [0, 1]]
    pred = [[0, 1, 2, 3], [2, 0]]  # left chain; reversed pair
    scores = attachment_score(pred, gold)
    # s1 directed: loudly->barked only (1 of 4); undirected: {2,1} and {3,2} are gold edges, {4,3} too,
    #   {1,0} is not (the gold root is 3): 3 of 4. s2: directed 0 of 2; undirected {1,2} yes, {2,0} no: 1.
    assert scores["n_words"] == 6
    assert scores["directed"] == pytest.approx(1 / 6)
    assert scores["undirected"] == pytest.approx(4 / 6)


def test_ignore_mask_skips_words_and_their_gold_edges():
    gold = [[2, 0, 2]]  # "Dogs bark ." with the period on "bark"
    pred = [[0, 1, 2]]  # left chain: bark <- Dogs, . <- bark
    full = attachment_score(pred, gold)
    # {1,0}: no (the gold root is 2); {2,1}: yes; {3,2}: yes, and directed too
    assert (full["directed"], full["undirected"]) == pytest.approx((1 / 3, 2 / 3))
    scores = attachment_score(pred, gold, ignore=[[False, False, True]])
    assert scores["n_words"] == 2
    assert scores["directed"] == 0.0
    assert scores["undirected"] == pytest.approx(0.5)  # {2,1} is gold, {1,0} is not


def test_projected_gold_against_chains():
    # "Vinken , 61 years old ," (heads [0, 1, 4, 5, 1, 1]) without commas: [0, 3, 4, 1]
    gold = [project_heads([0, 1, 4, 5, 1, 1], [True, False, True, True, True, False])]
    left = attachment_score([chain_heads(4, "left")], gold)
    # left chain [0, 1, 2, 3]: word 1 root (right), 2->1 (gold 3), 3->2 (gold 4), 4->3 (gold 1)
    assert left["directed"] == pytest.approx(1 / 4)
    # undirected: {1,0} yes, {2,1} no, {3,2} yes (gold 2->3), {4,3} yes (gold 3->4)
    assert left["undirected"] == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("pred", "gold", "ignore", "problem"),
    [
        ([[0]], [[0], [0]], None, "1 predicted sentences but 2 gold"),
        ([[0, 1]], [[0]], None, "2 predicted heads but 1 gold"),
        ([[0, 7]], [[0, 1]], None, "outside 0..2"),
        ([[1]], [[0]], None, "own head"),
        ([["x"]], [[0]], None, "must be an integer"),
        ([[0]], [[0]], [[True]], "no words to score"),
        ([], [], None, "no words to score"),
        ([[0]], [[0]], [[True, False]], "ignore has 2 entries for 1 words"),
        ([[0]], [[0]], [], "ignore has 0 sentences"),
    ],
)
def test_bad_inputs(pred, gold, ignore, problem):
    with pytest.raises(StructNLPError, match=problem):
        attachment_score(pred, gold, ignore=ignore)


@st.composite
def head_lists(draw):
    n = draw(st.integers(1, 25))
    # a random tree: each word attaches to an earlier-placed word (in a random order) or the root
    order = draw(st.permutations(range(1, n + 1)))
    heads = [0] * n
    for k, word in enumerate(order[1:], start=1):
        heads[word - 1] = order[draw(st.integers(0, k - 1))]
    return heads


@settings(max_examples=60, deadline=None)
@given(head_lists(), st.sampled_from(["left", "right"]))
def test_properties(gold, side):
    assert attachment_score([gold], [gold]) == {"directed": 1.0, "undirected": 1.0, "n_words": len(gold)}
    pred = chain_heads(len(gold), side)
    scores = attachment_score([pred], [gold])
    assert 0.0 <= scores["directed"] <= scores["undirected"] <= 1.0


def test_a_cycle_does_not_match_one_gold_edge_twice():
    # gold "Dogs bark": Dogs <- bark, bark = root; predicted 1 -> 2 and 2 -> 1 (a cycle, no root)
    scores = attachment_score([[2, 1]], [[2, 0]])
    assert scores["directed"] == 0.5
    assert scores["undirected"] == 0.5  # was 1.0: both words were scored on the edge {1, 2}


@settings(max_examples=60, deadline=None)
@given(head_lists(), st.data())
def test_undirected_is_the_shared_edge_count(gold, data):
    # StructFormer's compare_undirected: the set of predicted edges intersected with the gold ones;
    # the predicted heads need not form a tree (a greedy decoder can output cycles)
    n = len(gold)
    pred = [data.draw(st.sampled_from([h for h in range(n + 1) if h != i])) for i in range(1, n + 1)]

    def edges(heads):
        return {frozenset((i, h)) for i, h in enumerate(heads, start=1)}

    scores = attachment_score([pred], [gold])
    assert scores["undirected"] == pytest.approx(len(edges(pred) & edges(gold)) / n)


def test_ignore_must_be_booleans():
    # bool("False") is True: every word was ignored, and the error said so
    with pytest.raises(StructNLPError, match=r"ignore of sentence 0: entry 0 is 'False'; expected True"):
        attachment_score([[0, 1]], [[0, 1]], ignore=[["False", "False"]])
    assert attachment_score([[0, 1]], [[0, 1]], ignore=[[0, 1]])["n_words"] == 1
