"""Tests of structnlp.tokenize: the regex, spaCy and NLTK backends behind one interface."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.tokenize import (
    EMBEDDED_NLTK_MODEL,
    EMBEDDED_SPACY_MODEL,
    NLTKTokenizer,
    RegexTokenizer,
    SpacyTokenizer,
    Token,
    Tokenizer,
    _chunks,
    get_tokenizer,
    rule_lemma,
)

REPO = Path(__file__).resolve().parent.parent

# Dev-set UPOS accuracy of the shipped models on gold tokens, as measured by
# `python scripts/train_tagger.py evaluate-spacy|evaluate-nltk` (see docs/tokenization.md):
# spaCy 0.9415 (the issue asks for >= 0.93), NLTK 0.9378. The floors sit just below, so that a
# retrained model that got worse fails.
SPACY_UPOS_FLOOR = 0.935
NLTK_UPOS_FLOOR = 0.935


@pytest.fixture(scope="module", params=["spacy", "nltk"])
def analyzer(request) -> Tokenizer:
    options = {"model": "embedded"} if request.param == "spacy" else {}
    return get_tokenizer(request.param, **options)


@pytest.fixture(scope="module")
def spacy_tok() -> SpacyTokenizer:
    return SpacyTokenizer(model="embedded")


@pytest.fixture(scope="module")
def nltk_tok() -> NLTKTokenizer:
    return NLTKTokenizer()


# ----------------------------------------------------------------------------- factory


@pytest.mark.parametrize("name", ["regex", "spacy", "nltk"])
def test_get_tokenizer_gives_a_conforming_backend(name):
    tok = get_tokenizer(name)
    assert isinstance(tok, Tokenizer)
    assert tok.name == name
    assert tok.tokenize("Two words") in (["two", "words"], ["Two", "words"])


def test_get_tokenizer_is_case_insensitive_and_passes_options():
    tok = get_tokenizer("REGEX", lowercase=False)
    assert isinstance(tok, RegexTokenizer)
    assert tok.tokenize("Hello World") == ["Hello", "World"]


def test_get_tokenizer_returns_a_ready_instance_unchanged():
    tok = RegexTokenizer()
    assert get_tokenizer(tok) is tok
    with pytest.raises(StructNLPError, match="ready tokenizer instance"):
        get_tokenizer(tok, lowercase=False)


def test_unknown_tokenizer_lists_the_valid_names():
    with pytest.raises(
        StructNLPError, match="unknown tokenizer 'stanza'; valid names: 'regex', 'spacy', 'nltk'"
    ):
        get_tokenizer("stanza")


def test_token_pattern_with_groups():
    # findall returned tuples for two groups: the bag of words then failed on non-str tokens
    with pytest.raises(StructNLPError, match=r"has 2 capturing groups; use at most one"):
        get_tokenizer("regex", pattern=r"(\w)(\w*)")
    assert get_tokenizer("regex", pattern=r"#(\w+)").tokenize("#Rash and #fever") == ["rash", "fever"]
    assert get_tokenizer("regex", pattern=r"(?:\w)(?:\w*)").tokenize("ab cd") == ["ab", "cd"]
    with pytest.raises(StructNLPError, match=r"token pattern must be a str, got NoneType"):
        get_tokenizer("regex", pattern=None)


def test_bad_tokenizer_arguments_are_clear_errors():
    with pytest.raises(StructNLPError, match="must be a name"):
        get_tokenizer(42)
    with pytest.raises(StructNLPError, match="bad options for the 'regex' tokenizer"):
        get_tokenizer("regex", lowercas=True)
    with pytest.raises(StructNLPError, match="invalid token pattern"):
        get_tokenizer("regex", pattern="(")
    with pytest.raises(StructNLPError, match="batch_size"):
        get_tokenizer("spacy", model="embedded", batch_size=0)


# ----------------------------------------------------------------------------- regex


def test_regex_tokenizer_keeps_its_documented_behaviour():
    assert RegexTokenizer().tokenize("Don't stop-gap it, 3 times!") == [
        "don't",
        "stop-gap",
        "it",
        "3",
        "times",
    ]
    assert RegexTokenizer().tokenize("") == []
    with pytest.raises(StructNLPError, match="does not split sentences"):
        RegexTokenizer().split_sentences("One. Two.")
    with pytest.raises(StructNLPError, match="no lemmas or POS"):
        RegexTokenizer().analyze("One. Two.")


# ----------------------------------------------------------------------------- shared behaviour

TRICKY = (
    "She said \"hi\" to Dr. Brown's cat.\n\nIt wasn't -- really -- there; was it?  "
    "Prices rose 3.5% in 2019 (see www.example.com).\tCafé déjà vu…"
)


def test_offsets_point_at_the_token_text(analyzer):
    sentences = analyzer.analyze(TRICKY)
    tokens = [t for s in sentences for t in s]
    assert len(tokens) > 30
    for t in tokens:
        assert isinstance(t, Token)
        assert TRICKY[t.idx : t.idx + len(t.text)] == t.text
    offsets = [t.idx for t in tokens]
    assert offsets == sorted(offsets)
    assert [t.text for t in tokens] == analyzer.tokenize(TRICKY)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_offsets_hold_on_any_text(analyzer, text):
    tokens = [t for s in analyzer.analyze(text) for t in s]
    for t in tokens:
        assert text[t.idx : t.idx + len(t.text)] == t.text
        assert t.text.strip() == t.text and t.text
    for sentence in analyzer.split_sentences(text):
        assert sentence.strip() == sentence and sentence in text


def test_sentences_are_split(analyzer):
    text = "Mr. Smith went to Washington. He arrived on Monday! Did he stay? Nobody knows."
    assert analyzer.split_sentences(text) == [
        "Mr. Smith went to Washington.",
        "He arrived on Monday!",
        "Did he stay?",
        "Nobody knows.",
    ]
    assert [[t.text for t in s][-1] for s in analyzer.analyze(text)] == [".", "!", "?", "."]


def test_lemmas_and_pos_of_a_known_sentence(analyzer):
    (sentence,) = analyzer.analyze("The cats were running .")
    assert [t.text for t in sentence] == ["The", "cats", "were", "running", "."]
    assert [t.lemma for t in sentence] == ["the", "cat", "be", "run", "."]
    assert [t.pos for t in sentence] == ["DET", "NOUN", "AUX", "VERB", "PUNCT"]
    assert [t.tag for t in sentence] == ["DT", "NNS", "VBD", "VBG", "."]
    assert [t.idx for t in sentence] == [0, 4, 9, 14, 22]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t  \n"])
def test_empty_and_whitespace_text(analyzer, text):
    assert analyzer.tokenize(text) == []
    assert analyzer.split_sentences(text) == []
    assert analyzer.analyze(text) == []


@pytest.mark.parametrize("name", ["regex", "spacy", "nltk"])
@pytest.mark.parametrize("bad", [None, 3, ["a list"], b"bytes"])
def test_non_text_input_is_a_clear_error(name, bad):
    tok = get_tokenizer(name, model="embedded") if name == "spacy" else get_tokenizer(name)
    expected = (
        "decode it first" if isinstance(bad, bytes) else f"expected text as str, got {type(bad).__name__}"
    )
    with pytest.raises(StructNLPError, match=expected):
        tok.tokenize(bad)
    if name != "regex":
        with pytest.raises(StructNLPError, match=expected):
            tok.split_sentences(bad)
        with pytest.raises(StructNLPError, match=expected):
            tok.analyze(bad)


def test_pipe_equals_analyze(analyzer):
    texts = ["One cat sat. Two dogs ran.", "", "No full stop here", TRICKY]
    assert list(analyzer.pipe(texts, batch_size=2)) == [analyzer.analyze(t) for t in texts]


def test_pipe_rejects_bad_input(analyzer):
    with pytest.raises(StructNLPError, match="iterable of texts, got one str"):
        list(analyzer.pipe("One text"))
    with pytest.raises(StructNLPError, match="expected text as str, got int"):
        list(analyzer.pipe(["fine", 3]))


def test_analyze_pretokenized_keeps_the_given_words(analyzer):
    sentences = [["The", "cats", "were", "running", "."], [], ["Dogs", "bark"]]
    out = analyzer.analyze_pretokenized(sentences)
    assert [[t.text for t in s] for s in out] == sentences
    assert [t.idx for t in out[0]] == [0, 4, 9, 14, 22]
    assert [t.lemma for t in out[0]] == ["the", "cat", "be", "run", "."]
    with pytest.raises(StructNLPError, match="non-empty str without spaces"):
        analyzer.analyze_pretokenized([["two words"]])
    with pytest.raises(StructNLPError, match="list of sentences"):
        analyzer.analyze_pretokenized("The cats")


# ----------------------------------------------------------------------------- spaCy specifics


def test_spacy_is_not_imported_by_the_module():
    code = (
        "import sys, structnlp, structnlp.tokenize as t; t.get_tokenizer('regex');"
        "print(sorted(m for m in ('spacy', 'nltk', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_auto_model_prefers_en_core_web_sm_only_when_installed():
    import spacy.util

    expected = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else str(EMBEDDED_SPACY_MODEL)
    assert SpacyTokenizer().model_path == expected
    assert SpacyTokenizer(model="embedded").model_path == str(EMBEDDED_SPACY_MODEL)


def test_missing_spacy_package_says_how_to_install_it():
    with pytest.raises(
        StructNLPError, match=r"not installed; install it with `python -m spacy download en_xx_nope`"
    ):
        get_tokenizer("spacy", model="en_xx_nope")


def test_spacy_model_folder_is_checked(tmp_path):
    with pytest.raises(ModelFileError, match="not a spaCy pipeline folder"):
        SpacyTokenizer(model=tmp_path)
    (tmp_path / "config.cfg").write_text("[nlp]\nlang = 'xx-broken'\n", encoding="utf-8")
    with pytest.raises(ModelFileError, match="cannot load spaCy pipeline"):
        SpacyTokenizer(model=tmp_path).tokenize("text")


def test_embedded_spacy_pipeline_is_small_and_attributed():
    size = sum(p.stat().st_size for p in EMBEDDED_SPACY_MODEL.rglob("*") if p.is_file())
    assert size < 6_000_000
    meta = json.loads((EMBEDDED_SPACY_MODEL / "meta.json").read_text(encoding="utf-8"))
    assert meta["license"] == "CC BY-SA 4.0"
    assert meta["structnlp_scores_ewt_dev"]["upos_acc"] >= SPACY_UPOS_FLOOR
    assert set(meta["pipeline"]) == {"tok2vec", "tagger", "morphologizer", "trainable_lemmatizer", "senter"}


def test_spacy_chunking_keeps_offsets_and_tokens(spacy_tok):
    text = " ".join(
        f"Sentence number {i} talks about cats.\nAnother line {i} follows here." for i in range(60)
    )
    small = SpacyTokenizer(model="embedded", chunk_chars=1000)
    whole, chunked = spacy_tok.analyze(text), small.analyze(text)
    assert [t for s in chunked for t in s] == [t for s in whole for t in s]
    assert small.tokenize(text) == spacy_tok.tokenize(text)
    assert len(small.split_sentences(text)) == 120


def test_spacy_chunks_never_exceed_the_pipeline_max_length(spacy_tok, monkeypatch):
    # chunk_chars above nlp.max_length gave spaCy's E088 ValueError, after the document was read
    monkeypatch.setattr(spacy_tok.nlp, "max_length", 1500)
    big = SpacyTokenizer(model="embedded", chunk_chars=100_000)
    text = "cats sleep all day. " * 200  # 4,000 characters
    assert big.tokenize(text) == ["cats", "sleep", "all", "day", "."] * 200
    assert " ".join(big.split_sentences(text)) == text.strip()
    assert sum(len(s) for s in big.analyze(text)) == 1000


@pytest.mark.parametrize("option", [{"batch_size": True}, {"chunk_chars": 2000.0}])
def test_spacy_int_options_refuse_bools_and_floats(option):
    with pytest.raises(StructNLPError, match="must be"):
        SpacyTokenizer(model="embedded", **option)
    with pytest.raises(StructNLPError, match="batch_size must be a positive int, got True"):
        list(SpacyTokenizer(model="embedded").pipe(["a"], batch_size=True))


@given(text=st.text(alphabet="ab \n", max_size=400), size=st.integers(min_value=1, max_value=50))
def test_chunks_cover_the_text_exactly(text, size):
    pieces = list(_chunks(text, size))
    assert "".join(p for _, p in pieces) == text
    assert all(text[offset : offset + len(p)] == p and len(p) <= size for offset, p in pieces)


def _long_document(n_words: int) -> str:
    words = "the quick brown fox jumps over a lazy dog near the river bank".split()
    sentences, count, i = [], 0, 0
    while count < n_words:
        sentence = [w.capitalize() if j == 0 else w for j, w in enumerate(words[i % 5 :])] + [f"{i}."]
        sentences.append(" ".join(sentence))
        count += len(sentence)
        i += 1
    return "\n".join(" ".join(sentences[k : k + 8]) for k in range(0, len(sentences), 8))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["spacy", "nltk"])
def test_a_100000_word_document(name):
    text = _long_document(100_000)
    tok = get_tokenizer(name, model="embedded") if name == "spacy" else get_tokenizer(name)
    started = time.perf_counter()
    sentences = tok.analyze(text)
    elapsed = time.perf_counter() - started
    tokens = [t for s in sentences for t in s]
    assert len(text.split()) >= 100_000
    # every number token ends with its full stop split off: words + one "." per sentence
    assert len(tokens) == len(text.split()) + text.count(".")
    assert all(text[t.idx : t.idx + len(t.text)] == t.text for t in tokens[-1000:])
    assert tokens[-1].idx + 1 == len(text)
    assert elapsed < 120


def test_regex_handles_a_100000_word_document():
    text = _long_document(100_000)
    assert len(RegexTokenizer().tokenize(text)) == len(text.split())


# ----------------------------------------------------------------------------- NLTK specifics


def test_rule_lemma_known_values():
    pairs = [
        ("Cats", "NOUN", "cat"),
        ("babies", "NOUN", "baby"),
        ("churches", "NOUN", "church"),
        ("glass", "NOUN", "glass"),
        ("stopped", "VERB", "stop"),
        ("tried", "VERB", "try"),
        ("walking", "VERB", "walk"),
        ("falling", "VERB", "fall"),
        ("Paris", "PROPN", "Paris"),
        ("Bigger", "ADJ", "bigger"),
        ("3.5", "NUM", "3.5"),
    ]
    assert [rule_lemma(w, p) for w, p, _ in pairs] == [lemma for _, _, lemma in pairs]


def test_nltk_lemma_table_overrides_the_rules(nltk_tok):
    (sentence,) = nltk_tok.analyze_pretokenized([["I", "went", "and", "saw", "mice", "better"]])
    assert [t.lemma for t in sentence] == ["I", "go", "and", "see", "mouse", "good"]


def test_nltk_model_file_is_small_and_checked(tmp_path):
    assert EMBEDDED_NLTK_MODEL.stat().st_size < 3_000_000
    with pytest.raises(ModelFileError, match="model file not found"):
        NLTKTokenizer(model_path=tmp_path / "none.json.gz")
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(ModelFileError, match="not a readable gzip'd JSON model file"):
        NLTKTokenizer(model_path=bad)
    tiny = {
        "format": "structnlp.nltk_ewt",
        "format_version": 1,
        "punkt": {"abbrev_types": [], "collocations": [], "sent_starters": [], "ortho_context": {}},
        "tagger": {"weights": {"bias": {"X|XX": 1.0}}, "tagdict": {}, "classes": ["X|XX"], "separator": "|"},
        "lemmas": {},
    }
    path = tmp_path / "tiny.json.gz"
    path.write_bytes(gzip.compress(json.dumps(tiny).encode()))
    assert NLTKTokenizer(model_path=path).analyze("Anything goes") == [
        [Token("Anything", "anything", "X", "XX", 0), Token("goes", "goes", "X", "XX", 9)]
    ]
    for change, message in [
        ({"format": "other"}, "not a structnlp NLTK model"),
        ({"format_version": 99}, "format version 99"),
        ({"tagger": {"weights": {}}}, "malformed NLTK model"),
        ({"punkt": None}, "malformed NLTK model"),
        ({"lemmas": {"NOUN": ["cats"]}}, "malformed NLTK model.*lemmas must map"),
    ]:
        path = tmp_path / "changed.json.gz"
        path.write_bytes(gzip.compress(json.dumps({**tiny, **change}).encode()))
        with pytest.raises(ModelFileError, match=message):
            NLTKTokenizer(model_path=path)
    del tiny["lemmas"]
    path.write_bytes(gzip.compress(json.dumps(tiny).encode()))
    with pytest.raises(ModelFileError, match=r"lacks \['lemmas'\]"):
        NLTKTokenizer(model_path=path)


# ----------------------------------------------------------------------------- accuracy on EWT dev


@pytest.fixture(scope="module")
def ewt_dev(shared_data):
    from structnlp.datasets import load_ud_ewt

    return list(load_ud_ewt("dev", root=shared_data))


@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize(("name", "floor"), [("spacy", SPACY_UPOS_FLOOR), ("nltk", NLTK_UPOS_FLOOR)])
def test_upos_accuracy_on_ewt_dev(ewt_dev, name, floor):
    tok = get_tokenizer(name, model="embedded") if name == "spacy" else get_tokenizer(name)
    predicted = tok.analyze_pretokenized(s.words for s in ewt_dev)
    pairs = [
        (t.pos, gold)
        for s, tokens in zip(ewt_dev, predicted, strict=True)
        for t, gold in zip(tokens, s.upos, strict=True)
    ]
    assert len(pairs) == 25_147
    assert sum(p == g for p, g in pairs) / len(pairs) >= floor


def test_nltk_quotes_written_as_apostrophe_pairs_align():
    # the Treebank tokenizer rewrites '' and " into `` / '': offsets must still point at the source
    text = "x ''quoted'' y and \"q\" and ``z'' end."
    tokens = [t for sentence in get_tokenizer("nltk").analyze(text) for t in sentence]
    assert [t.text for t in tokens] == [
        "x",
        "''",
        "quoted",
        "''",
        "y",
        "and",
        '"',
        "q",
        '"',
        "and",
        "``",
        "z",
        "''",
        "end",
        ".",
    ]
    assert all(text[t.idx : t.idx + len(t.text)] == t.text for t in tokens)
