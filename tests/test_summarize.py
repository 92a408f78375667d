"""HierarchicalNSESummarizer: fitting, both modes, files, awkward documents and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from summarize_helpers import DOCS, SUMMARIES, TINY, USED, one_thread, tiny_model  # noqa: F401

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_thread")

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError  # noqa: E402
from structnlp.modelio import save_model  # noqa: E402
from summarize import HierarchicalNSESummarizer, Summary, lead_n, load_summarizer, textrank  # noqa: E402
from summarize.data import analyze_document  # noqa: E402


def test_a_tiny_model_memorises_a_handful_of_pairs():
    model = tiny_model()
    for doc, summary, used in zip(DOCS, SUMMARIES, USED, strict=True):
        extractive = model.summarize(doc, mode="extractive", max_sentences=len(used))
        assert [i for i, _ in extractive.highlights] == used
        assert extractive.text == summary
        abstractive = model.summarize(doc, mode="abstractive", max_sentences=3, beam_size=1)
        assert abstractive.text == summary
        assert abstractive.mode == "abstractive" and abstractive.summary_sentences == [
            s if s.endswith(".") else s + "." for s in summary.split(". ")
        ]
    losses = [h["train_loss"] for h in model.history_ if h.get("train_loss") is not None]
    assert losses[-1] < 0.2 * losses[0]


def test_summary_fields_are_consistent():
    model = tiny_model()
    out = model.summarize(DOCS[0], max_sentences=2)
    assert isinstance(out, Summary) and str(out) == out.text
    assert out.sentences == [s.text for s in analyze_document(DOCS[0], "nltk").sentences]
    assert len(out.scores) == len(out.sentences) == 3
    # the highlights are the top-scored sentences, in document order, with their scores
    top = sorted(np.argsort(out.scores)[::-1][:2].tolist())
    assert [i for i, _ in out.highlights] == top
    assert all(out.scores[i] == pytest.approx(score) for i, score in out.highlights)
    assert all(0 <= s <= 1 for s in out.scores)
    abstract = model.summarize(DOCS[0], mode="abstractive")
    assert sum(abstract.scores) == pytest.approx(1.0, abs=1e-5)  # shares of the decoder's attention


def test_save_and_load_round_trip(tmp_path):
    model = tiny_model()
    path = model.save(tmp_path / "model")
    loaded = load_summarizer(path)
    assert loaded.get_params() == model.get_params()
    assert list(loaded.word_vocab_) == list(model.word_vocab_)
    for key, value in model.network_.state_dict().items():
        assert torch.equal(loaded.network_.state_dict()[key], value)
    for mode in ("extractive", "abstractive"):
        a, b = model.summarize(DOCS[1], mode=mode), loaded.summarize(DOCS[1], mode=mode)
        assert a.text == b.text and a.scores == pytest.approx(b.scores)
    half = load_summarizer(model.save(tmp_path / "half", float16=True))
    assert half.summarize(DOCS[2], max_sentences=1).text == SUMMARIES[2]
    assert sum(f.stat().st_size for f in (tmp_path / "half").iterdir()) < sum(
        f.stat().st_size for f in (tmp_path / "model").iterdir()
    )


def test_save_refuses_sizes_changed_after_fit(tmp_path):
    """The file would hold word_dim=16 beside 24-wide weights, which no load can read."""
    model = tiny_model()
    try:
        model.set_params(word_dim=16)
        with pytest.raises(StructNLPError, match=r"weights were fitted with .*word_dim=16 \(fitted"):
            model.save(tmp_path / "model")
    finally:
        model.set_params(word_dim=TINY["word_dim"])
    assert not (tmp_path / "model").exists()


def test_a_tokenizer_object_is_not_saved_as_another_tokenizer(tmp_path):
    from structnlp.tokenize import get_tokenizer

    model = tiny_model()
    try:
        model.set_params(tokenizer=get_tokenizer("nltk"))  # what it was trained with, as an object
        with pytest.raises(StructNLPError, match="tokenizer is a NLTKTokenizer, but a saved model records"):
            model.save(tmp_path / "model")
    finally:
        model.set_params(tokenizer="nltk")
    assert load_summarizer(model.save(tmp_path / "model")).tokenizer == "nltk"


def test_loading_refuses_other_files(tmp_path):
    other = save_model(
        tmp_path / "other", model_class="topics.DocNADE", format_version=1, config={}, arrays={}
    )
    with pytest.raises(ModelFileError, match="expected 'summarize.HierarchicalNSESummarizer'"):
        load_summarizer(other)
    with pytest.raises(ModelFileError, match="not found|no such|does not exist"):
        load_summarizer(tmp_path / "missing")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda c: c["config"]["params"].update(word_dim="24"), "word_dim must be an int"),
        (lambda c: c["config"]["params"].update(beam_size=0), "beam_size must be an int >= 1"),
        (lambda c: c["config"].update(n_train="many"), "invalid literal"),
        (lambda c: c["metadata"].update(history=5), "not iterable"),
    ],
)
def test_damaged_setting_values_are_a_model_file_error(tmp_path, edit, problem):
    """Bad values used to reach torch or int() unchecked and fail there (TypeError, ValueError)."""
    path = tiny_model().save(tmp_path / "model")
    header = json.loads((path / "config.json").read_text(encoding="utf-8"))
    edit(header)
    (path / "config.json").write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match=f"settings are damaged .*{problem}"):
        load_summarizer(path)


def test_the_same_seed_gives_the_same_model():
    settings = dict(TINY, max_epochs=2)
    a = HierarchicalNSESummarizer(**settings).fit(DOCS, SUMMARIES)
    b = HierarchicalNSESummarizer(**settings).fit(DOCS, SUMMARIES)
    c = HierarchicalNSESummarizer(**dict(settings, random_state=1)).fit(DOCS, SUMMARIES)
    weights = [m.network_.word_embedding.weight for m in (a, b, c)]
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])


def test_warm_start_continues_training_from_the_fitted_weights():
    model = HierarchicalNSESummarizer(**dict(TINY, max_epochs=2)).fit(DOCS, SUMMARIES)
    vocabulary, size, steps = model.word_vocab_.to_dict(), len(model.word_vocab_), len(model.history_)
    before = model.network_.word_embedding.weight.detach().clone()
    cold = HierarchicalNSESummarizer(**dict(TINY, max_epochs=2)).fit(DOCS[:1], SUMMARIES[:1])

    model.set_params(warm_start=True, max_epochs=1).fit(DOCS[:1], SUMMARIES[:1])
    after = model.network_.word_embedding.weight
    assert model.word_vocab_.to_dict() == vocabulary  # the first fit's vocabulary is kept
    assert len(model.history_) > steps  # earlier records kept, new ones appended
    assert not torch.equal(before, after) and after.shape == before.shape
    assert len(cold.word_vocab_) < size  # a cold fit on one pair starts afresh

    with pytest.raises(StructNLPError, match=r"warm_start.*word_dim=16 \(fitted with 24\)"):
        model.set_params(word_dim=16).fit(DOCS, SUMMARIES)


def test_empty_and_one_sentence_documents():
    model = tiny_model()
    for mode in ("extractive", "abstractive"):
        empty = model.summarize("", mode=mode)
        assert (empty.text, empty.highlights, empty.sentences) == ("", [], [])
        blank = model.summarize(" \n\n  ", mode=mode)
        assert blank.text == "" and blank.highlights == []
        one = model.summarize("Trees fell across roads.", mode=mode, max_sentences=3)
        assert one.sentences == ["Trees fell across roads."] and [i for i, _ in one.highlights] == [0]
        assert one.text
    assert model.summarize("Trees fell across roads.").text == "Trees fell across roads."


def test_a_100000_word_document_is_truncated_not_an_error():
    model = tiny_model()
    sentence = "The storm hit the coast on Monday and trees fell across roads near the town of Dover. "
    document = sentence * (100_000 // len(sentence.split()) + 1)
    assert len(document.split()) >= 100_000
    out = model.summarize(document, mode="extractive")
    assert len(out.highlights) == 3 and out.sentences[0] == sentence.strip()
    # only max_chars of text are analysed and max_doc_sentences sentences scored
    assert len(out.sentences) < 400 and all(s == 0 for s in out.scores[model.max_doc_sentences :])
    assert model.summarize(document, mode="abstractive").text
    # one endless "sentence" without punctuation: cut to max_sentence_tokens for the encoder
    endless = model.summarize("word " * 100_000, mode="abstractive", max_sentences=1)
    assert len(endless.sentences) == 1 and endless.highlights[0][0] == 0


def test_documents_may_come_analysed_and_in_batches():
    model = tiny_model()
    analysed = analyze_document(DOCS[1], "nltk")
    batch = model.summarize_batch([DOCS[0], analysed, ""], mode="extractive", max_sentences=1)
    assert [s.text for s in batch] == [model.summarize(DOCS[0], max_sentences=1).text, SUMMARIES[1], ""]


def test_bad_input_is_reported_clearly():
    model = tiny_model()
    with pytest.raises(StructNLPError, match="mode must be one of"):
        model.summarize(DOCS[0], mode="abstract")
    with pytest.raises(StructNLPError, match="bytes"):
        model.summarize(b"some text")
    with pytest.raises(StructNLPError, match="max_sentences must be an int >= 1"):
        model.summarize(DOCS[0], max_sentences=0)
    with pytest.raises(StructNLPError, match="summarize_batch takes a list"):
        model.summarize_batch(DOCS[0])
    bad_settings = (("follow_scale", -1.0), ("follow_scale", float("inf")), ("highlight_sharpness", 0.0),
                    ("highlight_sharpness", float("nan")), ("highlight_sharpness", True), ("beam_size", 0))
    for key, bad in bad_settings:
        good = model.get_params()[key]
        model.set_params(**{key: bad})  # decoding settings changed after fitting are checked too
        try:
            with pytest.raises(StructNLPError, match=key):
                model.summarize(DOCS[0], mode="abstractive")
        finally:
            model.set_params(**{key: good})
    fresh = HierarchicalNSESummarizer(**TINY)
    with pytest.raises(StructNLPError, match="3 documents but 2 summaries"):
        fresh.fit(DOCS, SUMMARIES[:2])
    with pytest.raises(StructNLPError, match="documents must be a list of strings"):
        fresh.fit(DOCS[0], SUMMARIES[0])
    with pytest.raises(StructNLPError, match="summary 1 is int"):
        fresh.fit(DOCS[:2], ["fine", 3])
    with pytest.raises(StructNLPError, match="summary 1 is a list holding int, expected str sentences"):
        fresh.fit(DOCS[:2], ["fine", ["a sentence.", 3]])
    with pytest.raises(EmptyCorpusError, match="no pair has both"):
        fresh.fit(["", "  "], ["a summary", ""])
    with pytest.raises(StructNLPError, match="word_dim must be an int >= 1"):
        HierarchicalNSESummarizer(**dict(TINY, word_dim=0)).fit(DOCS, SUMMARIES)
    with pytest.raises(StructNLPError, match="patience .* needs validation"):
        HierarchicalNSESummarizer(**dict(TINY, patience=2)).fit(DOCS, SUMMARIES)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        fresh.summarize(DOCS[0])


def test_an_abstract_cut_by_the_length_limit_ends_with_a_whole_sentence():
    model = tiny_model()
    free = model.summarize(DOCS[0], mode="abstractive", max_sentences=3)
    assert len(free.summary_sentences) >= 2
    limit = len(free.summary_sentences[0].split()) + 3  # room for one sentence and part of the next
    before = model.max_summary_tokens
    model.set_params(max_summary_tokens=limit)
    try:
        cut = model.summarize(DOCS[0], mode="abstractive", max_sentences=3)
    finally:
        model.set_params(max_summary_tokens=before)
    assert cut.summary_sentences == free.summary_sentences[:1]


def test_validation_and_the_self_critical_phase():
    settings = dict(TINY, max_epochs=2, rl_epochs=1, max_target_tokens=12, max_summary_tokens=12)
    model = HierarchicalNSESummarizer(**settings).fit(DOCS, SUMMARIES, validation=(DOCS[:2], SUMMARIES[:2]))
    phases = [h["phase"] for h in model.history_]
    assert phases.count("ml") >= 2 and "rl" in phases
    assert all(h["metric"] is not None for h in model.history_ if "metric" in h and h["phase"] == "ml")


def test_baselines():
    doc = analyze_document(DOCS[0], "nltk")
    lead = lead_n(doc, 2)
    assert lead.highlights == [(0, 1.0), (1, 1.0)] and lead.text == " ".join(
        s.text for s in doc.sentences[:2]
    )
    assert lead_n(doc, 10).summary_sentences == [s.text for s in doc.sentences]
    ranked = textrank(
        "Cats chase mice in the barn. Mice fear cats. Dogs chase cats and mice. The weather was mild.", 2,
        tokenizer="nltk",
    )  # fmt: skip
    # the weather sentence shares no word with the others: it has the smallest TextRank
    assert 3 not in [i for i, _ in ranked.highlights]
    assert ranked.scores[3] == pytest.approx(min(ranked.scores)) and sum(ranked.scores) == pytest.approx(1.0)
    assert lead_n("", 3, tokenizer="nltk").text == "" and textrank("", 3, tokenizer="nltk").highlights == []
