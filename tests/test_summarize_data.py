"""Document analysis, highlight labels, decoder targets, the BBC split and the fast ROUGE."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import CorpusFormatError, StructNLPError
from summarize.data import (
    AnalyzedDocument,
    AnalyzedSentence,
    analyze_document,
    bbc_reference_sentences,
    bbc_split,
    decoder_target,
    greedy_oracle,
    highlight_labels,
    read_analyzed,
    write_analyzed,
)
from summarize.scoring import lcs_length, rouge_l, rouge_n


def _lcs_table(a, b) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=70), st.lists(st.integers(0, 4), max_size=70))
def test_bit_parallel_lcs_equals_the_dynamic_programme(a, b):
    assert lcs_length(a, b) == _lcs_table(a, b)
    assert lcs_length(a, b) == lcs_length(b, a)


def test_ignored_tokens_never_match():
    assert lcs_length([1, 9, 2], [1, 9, 2], ignore=9) == 2
    assert rouge_n([9, 9], [9, 9], 1, ignore=9)["f"] == 0.0


def test_rouge_agrees_with_rouge_score_on_plain_tokens():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False)
    pairs = [
        ("the cat sat on the mat", "the cat was on the mat"),
        ("police arrested two men on friday", "two men were arrested by police"),
        ("a b c d e f", "f e d c b a"),
        ("same same same", "same"),
    ]
    for pred, ref in pairs:
        expected = scorer.score(ref, pred)
        p, r = pred.split(), ref.split()
        assert rouge_n(p, r, 1)["f"] == pytest.approx(expected["rouge1"].fmeasure)
        assert rouge_n(p, r, 2)["f"] == pytest.approx(expected["rouge2"].fmeasure)
        assert rouge_l(p, r)["f"] == pytest.approx(expected["rougeL"].fmeasure)
        assert rouge_l(p, r)["p"] == pytest.approx(expected["rougeL"].precision)


def test_analysis_keeps_lines_apart_and_stops_at_max_chars():
    doc = analyze_document("Title without a stop\nFirst line here. Second one.\n\nLast", "nltk")
    assert [s.text for s in doc.sentences] == [
        "Title without a stop",
        "First line here.",
        "Second one.",
        "Last",
    ]
    assert doc.sentences[1].words == ["First", "line", "here", "."] and not doc.truncated
    long = analyze_document("Short sentence here. " * 1000, "nltk", max_chars=200)
    assert long.truncated and len(long.sentences) == 10 and long.n_tokens == 9 * 4 + 1  # cut at a space
    with pytest.raises(StructNLPError, match="document 0: expected text as str, got bytes"):
        analyze_document(b"bytes", "nltk")
    with pytest.raises(StructNLPError, match="tokenizer must be"):
        analyze_document("text", tokenizer=42)


def test_analysed_documents_round_trip_through_a_file(tmp_path):
    doc = analyze_document("One two. Three.", "nltk")
    path = tmp_path / "docs.jsonl.gz"
    assert write_analyzed(path, [{"id": "a", "split": "train", "document": doc.to_json()},
                                 {"id": "b", "split": "test", "document": doc.to_json()}]) == 2  # fmt: skip
    records = read_analyzed(path)
    assert [r["id"] for r in records] == ["a", "b"] and records[0]["document"] == doc
    assert [r["id"] for r in read_analyzed(path, split="test")] == ["b"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(CorpusFormatError, match="bad.jsonl, line 1"):
        read_analyzed(bad)
    with pytest.raises(StructNLPError, match="not an analysed document"):
        AnalyzedDocument.from_json({"text": ["a"], "words": [["a"]], "lemmas": [], "pos": []})
    with pytest.raises(StructNLPError, match="must be aligned"):
        AnalyzedSentence("a b", ["a", "b"], ["a"], ["X", "X"])


def test_highlight_labels_find_copied_sentences_even_when_split_differently():
    doc = analyze_document(
        "The firm posted a profit of $3bn. Sales grew by 6% in the year. The boss said it was a good year. "
        "Shares fell.",
        "nltk",
    )  # fmt: skip
    # the reference glues two copied sentences together, as BBC News Summary does
    reference = analyze_document("Sales grew by 6% in the year.The boss said it was a good year.", "nltk")
    words = [w for s in reference.sentences for w in s.words]
    assert highlight_labels(doc, words) == [0, 1, 1, 0]
    # an abstractive reference copies nothing: the greedy ROUGE oracle labels instead
    assert highlight_labels(doc, "profit rose and shares fell .".split()) == [0, 0, 0, 1]


def test_greedy_oracle_stops_when_nothing_improves():
    sentences = [["a", "b", "c"], ["x", "y"], ["a", "b"], ["d"]]
    assert greedy_oracle(sentences, ["a", "b", "c", "d"]) == [0, 3]
    assert greedy_oracle(sentences, ["q"]) == []
    assert greedy_oracle(sentences, ["a", "b", "c", "d", "x", "y"], max_sentences=1) == [0]


def test_decoder_targets_follow_the_document_for_extractive_references():
    doc = analyze_document("Rain fell. Then it snowed hard. Sun came out.", "nltk")
    reference = [["sun", "came", "out", "."], ["rain", "fell", "."]]  # scrambled order, as in BBC
    assert decoder_target(doc, [1, 0, 1], reference, 100) == ["rain", "fell", ".", "sun", "came", "out", "."]
    assert decoder_target(doc, [1, 0, 1], reference, 5) == ["rain", "fell", "."]  # whole sentences only
    assert decoder_target(doc, [1, 0, 1], reference, 2) == ["rain", "fell"]  # a first sentence is cut
    abstractive = [["weather", "changed", "."]]
    assert decoder_target(doc, [1, 0, 0], abstractive, 100) == ["weather", "changed", "."]


def test_bbc_split_is_deterministic_and_balanced():
    texts = [f"Article number {i}\n\nSome text." for i in range(2000)]
    splits = [bbc_split(t) for t in texts]
    assert splits == [bbc_split(t) for t in texts]
    counts = {s: splits.count(s) for s in ("train", "validation", "test")}
    assert 1500 < counts["train"] < 1700 and 150 < counts["validation"] < 250 and 150 < counts["test"] < 250
    assert bbc_split("Same  text\nhere") == bbc_split("Same text here")  # whitespace does not matter


def test_bbc_reference_sentences():
    assert bbc_reference_sentences("A rose 2.5% in 2004.B fell.") == ["A rose 2.5% in 2004.", "B fell."]
    assert bbc_reference_sentences('He said: "We won."They cheered.') == [
        'He said: "We won."',
        "They cheered.",
    ]
    assert bbc_reference_sentences("") == []


@pytest.mark.data
def test_bbc_labels_cover_the_reference(shared_data):
    from structnlp.datasets import load_bbc_news_summary

    data = load_bbc_news_summary(root=shared_data)
    for article, (summary,) in itertools.islice(zip(data.documents, data.summaries, strict=True), 5):
        doc = analyze_document(article.split("\n", 1)[1], "nltk")
        reference = [w for s in analyze_document(summary, "nltk").sentences for w in s.words]
        labels = highlight_labels(doc, reference)
        chosen = {w.lower() for s, keep in zip(doc.sentences, labels, strict=True) if keep for w in s.words}
        assert 0 < sum(labels) < len(labels)
        assert len(chosen & {w.lower() for w in reference}) / len(set(reference)) > 0.9
