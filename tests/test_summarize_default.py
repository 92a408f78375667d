"""The summarizer shipped in ``summarize/models/default`` loads with this code and summarizes."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from summarize import load_summarizer  # noqa: E402
from summarize.data import analyze_documents  # noqa: E402
from summarize.demo import STORY  # noqa: E402
from summarize.summarizer import DEFAULT_MODEL  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (DEFAULT_MODEL / "config.json").is_file(), reason="no default summarizer in this checkout"
)


@pytest.fixture(scope="module")
def model():
    return load_summarizer("default")


def test_the_default_model_highlights_three_sentences_in_document_order(model):
    out = model.summarize(STORY, mode="extractive", max_sentences=3)
    indices = [i for i, _ in out.highlights]
    assert len(indices) == 3 and indices == sorted(indices)
    assert out.summary_sentences == [out.sentences[i] for i in indices]
    assert all(0.0 <= s <= 1.0 for s in out.scores) and len(out.scores) == len(out.sentences) == 8
    # the highlights are the three sentences expected to supply the most words: score x words
    (analysed,) = analyze_documents([STORY], model.tokenizer, model.max_chars)
    words = [s.n_words for s in analysed.sentences]
    coverage = [score * n for score, n in zip(out.scores, words, strict=True)]
    best = sorted(range(len(coverage)), key=lambda i: -coverage[i])[:3]
    assert sorted(best) == indices


def test_the_default_model_writes_an_abstract_from_the_story(model):
    out = model.summarize(STORY, mode="abstractive", max_sentences=2)
    assert out.text.strip()
    story_words = {w.lower().strip(".,") for w in STORY.split()}
    words = [w.lower().strip(".,") for w in out.text.split()]
    assert sum(w in story_words for w in words) / len(words) > 0.5  # it copies from its input
    assert model.fill_sentences and len(out.summary_sentences) == 2  # as many sentences as asked for
    assert all(0 <= i < 8 for i, _ in out.highlights)


def test_the_default_model_was_trained_on_the_bbc_training_split(model):
    assert model.n_train_ == 1767
