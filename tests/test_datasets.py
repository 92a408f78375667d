"""Tests of structnlp.datasets: data root, split checks, loaders on a miniature data root, bundled
demo data (always run) and the public data sets (row counts of shared/data/README.md; skipped without it)."""

from __future__ import annotations

import gzip
import importlib.util
import itertools
from collections import Counter
from pathlib import Path

import pytest

from structnlp import datasets
from structnlp.corpus import write_jsonl
from structnlp.datasets import (
    DATASETS,
    DEMO_DATASETS,
    SummarizationDataset,
    TextDataset,
    data_info,
    data_root,
    demo_path,
    load,
    load_bbc_news_summary,
    load_classification,
    load_demo,
    load_gutenberg,
    load_lee,
    load_ptb_lm,
    load_ptb_sample,
    load_ptb_sample_dp,
    load_reuters21578,
    load_scitldr,
    load_trec_qc,
    load_ud_ewt,
    load_wikipedia,
)
from structnlp.errors import DataNotFoundError, StructNLPError

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- data root


def test_data_root_argument_then_environment(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.setenv("STRUCTNLP_DATA", str(b))
    assert data_root(a) == a
    assert data_root() == b
    monkeypatch.setenv("STRUCTNLP_DATA", str(tmp_path / "gone"))
    with pytest.raises(DataNotFoundError, match=r"gone \(from \$STRUCTNLP_DATA\) is not a folder"):
        data_root()
    with pytest.raises(DataNotFoundError, match=r"^data root \S+ is not a folder$"):
        data_root(tmp_path / "missing")


def test_data_root_defaults_and_the_message_listing_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv("STRUCTNLP_DATA", raising=False)
    monkeypatch.setattr(datasets, "_REPO", tmp_path / "checkout")
    work = tmp_path / "project" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with pytest.raises(DataNotFoundError) as info:
        data_root()
    message = str(info.value)
    assert str(tmp_path / "shared" / "data") in message
    assert str(tmp_path / "project" / "shared" / "data") in message
    assert "STRUCTNLP_DATA" in message
    (tmp_path / "project" / "shared" / "data").mkdir(parents=True)
    assert data_root() == tmp_path / "project" / "shared" / "data"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert data_root() == tmp_path / "shared" / "data"  # the checkout's sibling comes first


def test_data_info_without_any_root_reports_everything_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("STRUCTNLP_DATA", raising=False)
    monkeypatch.setattr(datasets, "_REPO", tmp_path / "checkout")
    monkeypatch.chdir(tmp_path)
    rows = data_info()
    assert [r["name"] for r in rows] == list(DATASETS)
    assert not any(r["found"] for r in rows)
    assert rows[0]["path"] == "classification/20newsgroups.jsonl.gz"
    with pytest.raises(DataNotFoundError):
        data_info(tmp_path / "missing")


def test_registry_covers_every_file_of_the_shared_readme():
    files = {f for info in DATASETS.values() for f in info.files}
    assert len(DATASETS) == 19
    assert {
        "classification/20newsgroups.jsonl.gz",
        "classification/imdb.jsonl.gz",
        "classification/reuters21578.jsonl.gz",
        "classification/movie_reviews.jsonl.gz",
        "classification/trec_qc.jsonl.gz",
        "classification/medical_abstracts.jsonl.gz",
        "treebank/ptb_sample/mrg",
        "treebank/ptb_sample/dp",
        "treebank/ud_english_ewt/en_ewt-ud-train.conllu",
        "treebank/ud_english_ewt/en_ewt-ud-dev.conllu",
        "summarization/bbc_news_summary.jsonl.gz",
        "summarization/scitldr_a.jsonl.gz",
        "raw_text/ptb_lm_train.txt.gz",
        "raw_text/ptb_lm_valid.txt.gz",
        "raw_text/ptb_lm_test.txt.gz",
        "raw_text/wikipedia_sample.jsonl.gz",
        "raw_text/gutenberg.jsonl.gz",
        "topics/20NSshort.jsonl.gz",
        "topics/TMN.jsonl.gz",
        "topics/TREC6.jsonl.gz",
        "topics/lee_background.cor",
        "topics/lee.cor",
    } == files
    assert all(info.licence and info.description for info in DATASETS.values())


# --------------------------------------------------------------------------- a miniature data root


@pytest.fixture
def mini_root(tmp_path) -> Path:
    """A data root with a few tiny files in the layout of shared/data."""
    write_jsonl(
        tmp_path / "classification/imdb.jsonl.gz",
        [
            {"id": "train/pos/0", "split": "train", "label": "pos", "rating": 9, "text": "great"},
            {"id": "test/neg/0", "split": "test", "label": "neg", "rating": 2, "text": "dull"},
            {"id": "train/neg/1", "split": "train", "label": "neg", "rating": 1, "text": "awful"},
        ],
    )
    write_jsonl(
        tmp_path / "classification/reuters21578.jsonl.gz",
        [
            {"id": "1", "split": "train", "topics": ["cocoa"], "title": "COCOA", "text": "Showers."},
            {"id": "2", "split": "unused", "topics": [], "title": "OIL", "text": "Venture."},
            {"id": "3", "split": "train", "topics": ["grain", "wheat"], "title": "WHEAT", "text": "Crop."},
        ],
    )
    write_jsonl(
        tmp_path / "classification/trec_qc.jsonl.gz",
        [{"split": "test", "label": "HUM", "fine_label": "HUM:ind", "text": "Who ?"}],
    )
    write_jsonl(
        tmp_path / "classification/movie_reviews.jsonl.gz", [{"id": "neg/1", "label": "neg", "text": "bad"}]
    )
    write_jsonl(
        tmp_path / "topics/TREC6.jsonl.gz",
        [{"split": "validation", "label": "desc", "text": "how did serfdom develop"}],
    )
    write_jsonl(
        tmp_path / "summarization/scitldr_a.jsonl.gz",
        [{"split": "dev", "id": "x1", "source_sentences": ["A b.", "C d."], "targets": ["T1.", "T2."]}],
    )
    write_jsonl(
        tmp_path / "summarization/bbc_news_summary.jsonl.gz",
        [{"id": "tech/001", "category": "tech", "article": "Title\n\nBody.", "summary": "Body."}],
    )
    (tmp_path / "raw_text").mkdir()
    for split, text in [("train", " a b \n c d \n"), ("valid", "e\n"), ("test", "f g\n")]:
        (tmp_path / f"raw_text/ptb_lm_{split}.txt.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "topics/lee.cor").write_bytes(b"first doc\nworth \xa33,000\n")
    return tmp_path


def test_load_classification_splits_on_a_mini_root(mini_root):
    train = load_classification("imdb", split="train", root=mini_root)
    assert isinstance(train, TextDataset)
    assert (train.texts, train.labels) == (["great", "awful"], ["pos", "neg"])
    assert train.ids == ["train/pos/0", "train/neg/1"]
    assert (train.name, train.split, len(train), train.label_names, train.multi_label) == (
        "imdb",
        "train",
        2,
        ["neg", "pos"],
        False,
    )
    X, y = load_classification("imdb", root=mini_root)
    assert (X, y) == (["great", "dull", "awful"], ["pos", "neg", "neg"])
    assert load_classification("movie_reviews", root=mini_root).labels == ["neg"]
    topics = load_classification("TREC6", split="validation", root=mini_root)
    assert (topics.texts, topics.labels, topics.ids) == (["how did serfdom develop"], ["desc"], None)


def test_split_names_are_checked(mini_root):
    with pytest.raises(StructNLPError, match="unknown split 'dev' of 'imdb'; valid: train, test or None"):
        load_classification("imdb", split="dev", root=mini_root)
    with pytest.raises(StructNLPError, match="'movie_reviews' has no splits; use split=None"):
        load_classification("movie_reviews", split="train", root=mini_root)
    with pytest.raises(StructNLPError, match="valid: train, valid, test"):
        load_ptb_lm("validation", root=mini_root)
    with pytest.raises(StructNLPError, match="unknown data set 'imbd'; known: 20newsgroups, imdb"):
        load("imbd")
    with pytest.raises(StructNLPError, match="'gutenberg' is not a labelled text set"):
        load_classification("gutenberg", root=mini_root)


def test_reuters_multi_label_and_title(mini_root):
    ds = load_reuters21578("train", root=mini_root)
    assert ds.texts == ["COCOA\nShowers.", "WHEAT\nCrop."]
    assert ds.labels == [["cocoa"], ["grain", "wheat"]]
    assert (ds.multi_label, ds.label_names, ds.ids) == (True, ["cocoa", "grain", "wheat"], ["1", "3"])
    assert load_reuters21578("unused", include_title=False, root=mini_root).texts == ["Venture."]
    assert load_classification("reuters21578", "unused", root=mini_root).labels == [[]]


def test_trec_fine_labels(mini_root):
    assert load_trec_qc("test", root=mini_root).labels == ["HUM"]
    assert load_trec_qc("test", fine=True, root=mini_root).labels == ["HUM:ind"]


def test_summarization_loaders(mini_root):
    sci = load_scitldr("dev", root=mini_root)
    assert isinstance(sci, SummarizationDataset)
    docs, sums = sci
    assert (docs, sums) == (["A b. C d."], [["T1.", "T2."]])
    assert (sci.sentences, sci.ids) == ([["A b.", "C d."]], ["x1"])
    assert len(load_scitldr("test", root=mini_root)) == 0
    bbc = load_bbc_news_summary(root=mini_root)
    assert (bbc.documents, bbc.summaries, bbc.categories, bbc.ids) == (
        ["Title\n\nBody."],
        [["Body."]],
        ["tech"],
        ["tech/001"],
    )


def test_ptb_lm_streams_lines(mini_root):
    lines = load_ptb_lm("train", root=mini_root)
    assert next(lines) == "a b"
    assert list(load_ptb_lm(root=mini_root)) == ["a b", "c d", "e", "f g"]


def test_lee_decodes_its_latin1_byte(mini_root):
    assert load_lee("test", root=mini_root) == ["first doc", "worth £3,000"]
    with pytest.raises(StructNLPError, match="which must be 'background' or 'test'"):
        load_lee("train", root=mini_root)


def test_missing_set_under_a_root(mini_root):
    with pytest.raises(DataNotFoundError, match="'gutenberg' not found: .*gutenberg.jsonl.gz does not exist"):
        load_gutenberg(root=mini_root)
    with pytest.raises(DataNotFoundError, match="'ud_english_ewt' not found"):
        load_ud_ewt("dev", root=mini_root)


def test_load_by_name_and_data_info(mini_root):
    assert load("imdb", "test", root=mini_root).texts == ["dull"]
    assert load("lee", root=mini_root)[1] == "worth £3,000"
    assert list(load("ptb_lm", "valid", root=mini_root)) == ["e"]
    rows = {r["name"]: r for r in data_info(mini_root)}
    assert rows["imdb"]["found"] and rows["imdb"]["path"] == str(mini_root / "classification/imdb.jsonl.gz")
    assert rows["ptb_lm"]["found"] and rows["ptb_lm"]["missing"] == []
    assert not rows["ud_english_ewt"]["found"]
    assert rows["ud_english_ewt"]["missing"] == [
        "treebank/ud_english_ewt/en_ewt-ud-train.conllu",
        "treebank/ud_english_ewt/en_ewt-ud-dev.conllu",
    ]
    assert set(rows["imdb"]) == {
        "name",
        "found",
        "path",
        "missing",
        "kind",
        "splits",
        "description",
        "licence",
    }


# --------------------------------------------------------------------------- bundled demo data (always run)


def test_demo_files_are_small_and_documented():
    total = sum(demo_path(name).stat().st_size for name in DEMO_DATASETS)
    assert total < 1_500_000
    readme = (REPO / "structnlp" / "data" / "README.md").read_text(encoding="utf-8")
    docs = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    for info in DEMO_DATASETS.values():
        assert info.file in readme and info.file in docs
        assert info.licence in readme and info.licence in docs
    with pytest.raises(StructNLPError, match="unknown demo data 'imdb'"):
        load_demo("imdb")


def test_demo_medical_abstracts_is_stratified():
    ds = load_demo("medical_abstracts_sample")
    assert len(ds) == 600 and len(set(ds.ids)) == 600
    assert Counter(ds.labels) == {
        label: 120
        for label in (
            "cardiovascular diseases",
            "digestive system diseases",
            "general pathological conditions",
            "neoplasms",
            "nervous system diseases",
        )
    }
    assert all(len(t) > 100 for t in ds.texts)
    assert ds.ids == sorted(ds.ids)  # source order


def test_demo_ewt_sample():
    sentences = load_demo("ewt_sample")
    assert len(sentences) == 300
    assert sum(len(s) for s in sentences) == 5708
    assert sentences[0].sent_id == "weblog-blogspot.com_nominations_20041117172713_ENG_20041117_172713-0001"
    assert sentences[0].heads == [3, 3, 4, 0, 6, 4, 4]
    assert sum(e.is_multiword for s in sentences for e in s.extras) == 83
    assert all(s.heads.count(0) == 1 for s in sentences)


def test_demo_lee_and_scitldr():
    lee = load_demo("lee_background")
    assert len(lee) == 300 and lee[0].startswith("Hundreds of people have been forced to vacate their homes")
    sci = load_demo("scitldr_sample")
    assert len(sci) == 150 and sci.name == "scitldr_sample"
    assert all(len(t) >= 1 for t in sci.summaries)
    assert all(doc == " ".join(sents) for doc, sents in zip(sci.documents, sci.sentences, strict=True))


@pytest.mark.data
def test_demo_data_is_remade_byte_for_byte(shared_data, tmp_path):
    spec = importlib.util.spec_from_file_location("make_demo_data", REPO / "scripts" / "make_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for make in (module.medical_abstracts, module.ewt, module.lee_background, module.scitldr):
        make(shared_data, tmp_path)
    for info in DEMO_DATASETS.values():
        assert (tmp_path / info.file).read_bytes() == demo_path(info.name).read_bytes(), info.file


# --------------------------------------------------------------------------- public data (README row counts)


@pytest.mark.data
def test_data_info_finds_every_set(shared_data):
    rows = data_info(shared_data)
    assert [r["name"] for r in rows if not r["found"]] == []


@pytest.mark.data
@pytest.mark.parametrize(
    ("name", "counts", "n_labels"),
    [
        ("20newsgroups", {"train": 11314, "test": 7532}, 20),
        ("imdb", {"train": 25000, "test": 25000}, 2),
        ("movie_reviews", {None: 2000}, 2),
        ("trec_qc", {"train": 5452, "test": 500}, 6),
        ("medical_abstracts", {None: 2888}, 5),
        ("20NSshort", {"train": 1255, "validation": 100, "test": 439}, 20),
        ("TMN", {"train": 22817, "validation": 2000, "test": 7780}, 7),
        ("TREC6", {"train": 5452, "validation": 500, "test": 500}, 6),
    ],
)
def test_classification_row_counts(shared_data, name, counts, n_labels):
    parts = [load_classification(name, split, root=shared_data) for split in counts]
    assert [len(ds) for ds in parts] == list(counts.values())
    assert [ds.split for ds in parts] == list(counts)
    assert len({label for ds in parts for label in ds.labels}) == n_labels
    assert all(isinstance(t, str) and t for ds in parts for t in ds.texts)


@pytest.mark.data
def test_reuters_and_trec_fine(shared_data):
    counts = {s: len(load_reuters21578(s, root=shared_data)) for s in ("train", "test", "unused")}
    assert counts == {"train": 9603, "test": 3299, "unused": 8676}
    assert len(load_trec_qc("train", fine=True, root=shared_data).label_names) == 50


@pytest.mark.data
def test_treebanks(shared_data):
    trees = list(load_ptb_sample(root=shared_data))
    deps = list(load_ptb_sample_dp(root=shared_data))
    assert len(trees) == len(deps) == 3396
    assert trees[0].label() == "S" and trees[0].leaves()[:2] == ["Pierre", "Vinken"]
    assert deps[0].heads == [2, 8, 2, 5, 6, 2, 2, 0, 8, 11, 9, 9, 15, 15, 12, 9, 16, 8]
    # the same sentences: the tree leaves without traces are the dependency words
    for tree, dep in zip(trees, deps, strict=True):
        assert [w for w, t in tree.pos() if t != "-NONE-"] == dep.words
    assert sum(1 for _ in load_ud_ewt("train", root=shared_data)) == 12544
    dev = list(load_ud_ewt("dev", root=shared_data))
    assert len(dev) == 2001 and dev[0].words == load_demo("ewt_sample")[0].words


@pytest.mark.data
def test_summarization_sets(shared_data):
    bbc = load_bbc_news_summary(root=shared_data)
    assert len(bbc) == 2225 and Counter(bbc.categories)["sport"] == 511
    assert [len(load_scitldr(s, root=shared_data)) for s in ("train", "dev", "test")] == [1992, 619, 618]


@pytest.mark.data
def test_raw_text_streams(shared_data):
    assert [sum(1 for _ in load_ptb_lm(s, root=shared_data)) for s in ("train", "valid", "test")] == [
        38118,
        3370,
        3761,
    ]
    first = list(itertools.islice(load_wikipedia(root=shared_data), 3))
    titles = ["Jarred Shaw", "Harrow International School Shanghai", "Lorenz Bäumer"]
    assert [a["title"] for a in first] == titles
    book = next(load_gutenberg(root=shared_data))
    assert (book["id"], book["title"]) == ("105", "Persuasion") and len(book["text"]) > 100_000
    assert len(load_lee("background", root=shared_data)) == 300
    assert len(load_lee("test", root=shared_data)) == 50
