"""ROUGE: structnlp.metrics.rouge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import StructNLPError
from structnlp.metrics import rouge, split_sentences_simple


def test_known_values_single_sentence():
    s = rouge(["the cat sat on the mat"], ["the cat was on the mat"])
    # unigrams: 5 of 6 match both ways; bigrams: the-cat, on-the, the-mat = 3 of 5; LCS = 5 words
    assert s["rouge1"] == pytest.approx(5 / 6)
    assert s["rouge1_precision"] == pytest.approx(5 / 6)
    assert s["rouge2"] == pytest.approx(3 / 5)
    assert s["rougeLsum"] == pytest.approx(5 / 6)
    assert s["n_documents"] == 1


def test_stemming_is_on():
    assert rouge(["cats running"], ["cat runs"])["rouge1"] == pytest.approx(1.0)


def test_rouge_lsum_uses_sentence_lines():
    # union LCS of the reference sentence with each predicted sentence covers all three words
    as_list = rouge([["alpha gamma", "beta"]], ["alpha beta gamma"])
    assert as_list["rougeLsum"] == pytest.approx(1.0)
    assert as_list["rouge2"] == 0.0
    # one line "alpha gamma beta": LCS with "alpha beta gamma" is 2 words
    one_line = rouge(["alpha gamma beta"], ["alpha beta gamma"])
    assert one_line["rougeLsum"] == pytest.approx(2 / 3)
    # a string without newlines is split into sentences; one with newlines is taken as it is
    assert rouge(["Alpha gamma. Beta."], ["alpha beta gamma"])["rougeLsum"] == pytest.approx(1.0)
    assert rouge(["alpha gamma\nbeta"], ["alpha beta gamma"])["rougeLsum"] == pytest.approx(1.0)
    custom = rouge(["Alpha gamma. Beta."], ["alpha beta gamma"], sentence_splitter=lambda text: [text])
    assert custom["rougeLsum"] == pytest.approx(2 / 3)


def test_mean_over_documents_and_bootstrap():
    s = rouge(["red green blue", "one two"], ["red green blue", "three four"], bootstrap=200, random_state=1)
    assert s["rouge1"] == pytest.approx(0.5)
    assert s["rouge1_low"] == 0.0
    assert s["rouge1_high"] == 1.0
    again = rouge(
        ["red green blue", "one two"], ["red green blue", "three four"], bootstrap=200, random_state=1
    )
    assert again == s


def test_split_sentences_simple():
    assert split_sentences_simple("One. Two!  Three? four") == ["One.", "Two!", "Three?", "four"]
    assert split_sentences_simple("") == []
    assert split_sentences_simple("3.5 percent rose.") == ["3.5 percent rose."]


word_lists = st.lists(
    st.sampled_from("alpha beta gamma delta epsilon zeta eta theta".split()), min_size=1, max_size=30
)


@settings(max_examples=30, deadline=None)
@given(st.lists(word_lists, min_size=1, max_size=4))
def test_identical_text_scores_one(sentences):
    summary = [" ".join(words) for words in sentences]
    s = rouge([summary], [summary])
    assert s["rouge1"] == pytest.approx(1.0)
    assert s["rougeLsum"] == pytest.approx(1.0)
    if any(len(words) > 1 for words in sentences):
        assert s["rouge2"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("pred", "ref", "problem"),
    [
        (["a"], ["a", "b"], "1 predictions but 2 references"),
        ([], [], "no summaries"),
        ("abc", "abc", "not one string"),
        ([b"abc"], ["abc"], "bytes"),
        ([["ok", 3]], ["abc"], "sentences must be strings"),
        ([3], ["abc"], "got int"),
    ],
)
def test_bad_inputs(pred, ref, problem):
    with pytest.raises(StructNLPError, match=problem):
        rouge(pred, ref)


def test_negative_bootstrap():
    with pytest.raises(StructNLPError, match="bootstrap"):
        rouge(["a"], ["a"], bootstrap=-1)


def test_reference_without_ascii_words_is_an_error_not_zero():
    # rouge-score keeps only [a-z0-9]: identical Cyrillic or Chinese summaries scored 0
    with pytest.raises(StructNLPError, match=r"reference 1 has no ASCII letter or digit.*pass tokenizer="):
        rouge(["the cat", "привет мир"], ["the cat", "привет мир"])
    with pytest.raises(StructNLPError, match=r"reference 0 has no ASCII letter"):
        rouge(["我爱你"], ["我爱你"])
    # punctuation only or empty: nothing to score, but nothing lost either
    assert rouge(["..."], ["…"])["rouge1"] == 0.0
    assert rouge([""], [""])["rouge1"] == 0.0


def test_custom_tokenizer_scores_any_script():
    scores = rouge(["привет мир"], ["привет мир"], tokenizer=str.split)
    assert scores["rouge1"] == scores["rouge2"] == scores["rougeLsum"] == pytest.approx(1.0)
    half = rouge(["привет друг"], ["привет мир"], tokenizer=str.split)
    assert half["rouge1"] == pytest.approx(0.5) and half["rouge2"] == 0.0
    from structnlp.tokenize import get_tokenizer

    assert rouge(["Café au lait"], ["café"], tokenizer=get_tokenizer("regex"))["rouge1_recall"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"tokenizer": 3}, "tokenizer must be a callable"),
        ({"tokenizer": lambda text: text}, "must return a list of str"),
        ({"bootstrap": 2.5}, r"bootstrap must be an int >= 0 \(resamples\), got 2.5"),
        ({"bootstrap": True}, "bootstrap must be an int"),
    ],
)
def test_bad_options(kwargs, problem):
    with pytest.raises(StructNLPError, match=problem):
        rouge(["a b"], ["a b"], **kwargs)
