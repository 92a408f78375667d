"""Offline loaders for the public data sets and for the small demo data bundled with structnlp.

Like scikit-learn's ``fetch_*`` functions or gensim's downloader, but nothing is downloaded:
the data sets live under a *data root* (see :func:`data_root`) laid out as described in
``shared/data/README.md``, and every set has a loader:

* text classification (:func:`load_classification`, also for the topic-model sets) returns a
  :class:`TextDataset` (``texts``, ``labels``; unpacks as ``X, y``);
* summarization returns a :class:`SummarizationDataset` (``documents``, ``summaries``);
* treebanks and raw text are **streamed** (iterators of trees, sentences, lines or articles),
  since Wikipedia, Gutenberg and the PTB language-model text are large.

``split=None`` means every row; otherwise the name is checked against the set's splits.
:data:`DATASETS` describes every set (files, splits, licence); :func:`load` loads any by name.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from structnlp.corpus import (
    DependencySentence,
    Sentence,
    read_conllu,
    read_dependency_dp,
    read_documents,
    read_jsonl,
    read_ptb,
)
from structnlp.errors import DataNotFoundError, StructNLPError
from structnlp.files import open_binary

if TYPE_CHECKING:
    from nltk.tree import Tree

ENV_VAR = "STRUCTNLP_DATA"
_REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class DatasetInfo:
    """Where a public data set lives under the data root, and what it is.

    ``files`` are paths relative to the data root (a folder for the PTB sample); ``splits``
    the values accepted by the loader's ``split=`` (empty when the set has none).
    """

    name: str
    files: tuple[str, ...]
    kind: str
    description: str
    licence: str
    splits: tuple[str, ...] = ()


def _info(name, files, kind, description, licence, splits=()) -> tuple[str, DatasetInfo]:
    files = (files,) if isinstance(files, str) else tuple(files)
    return name, DatasetInfo(name, files, kind, description, licence, tuple(splits))


#: Every public data set of ``shared/data/README.md``, by name.
DATASETS: dict[str, DatasetInfo] = dict(
    [
        _info("20newsgroups", "classification/20newsgroups.jsonl.gz", "classification",
              "20 Newsgroups 'bydate', raw posts with headers, 20 labels", "none stated (J. Rennie)",
              ("train", "test")),
        _info("imdb", "classification/imdb.jsonl.gz", "classification",
              "IMDb Large Movie Review (Maas et al. 2011), pos/neg", "cite Maas et al. 2011",
              ("train", "test")),
        _info("reuters21578", "classification/reuters21578.jsonl.gz", "classification",
              "Reuters-21578 ModApte, multi-label topics", "research use only", ("train", "test", "unused")),
        _info("movie_reviews", "classification/movie_reviews.jsonl.gz", "classification",
              "Pang & Lee polarity v2.0, pos/neg", "CC BY 4.0"),
        _info("trec_qc", "classification/trec_qc.jsonl.gz", "classification",
              "TREC question classification (Li & Roth), 6 coarse / 50 fine labels", "none stated",
              ("train", "test")),
        _info("medical_abstracts", "classification/medical_abstracts.jsonl.gz", "classification",
              "Medical Abstracts TC corpus (Schopf et al. 2022), test split, 5 classes", "CC BY-SA 3.0"),
        _info("ptb_sample", "treebank/ptb_sample/mrg", "treebank",
              "Penn Treebank WSJ sample (NLTK), bracketed trees", "LDC sample, non-commercial fair use"),
        _info("ptb_sample_dp", "treebank/ptb_sample/dp", "treebank",
              "the PTB sample as dependency trees (word, tag, head)", "LDC sample, non-commercial fair use"),
        _info("ud_english_ewt",
              [f"treebank/ud_english_ewt/en_ewt-ud-{s}.conllu" for s in ("train", "dev")],
              "treebank", "Universal Dependencies English EWT, CoNLL-U", "CC BY-SA 4.0", ("train", "dev")),
        _info("bbc_news_summary", "summarization/bbc_news_summary.jsonl.gz", "summarization",
              "BBC News Summary, articles with extractive summaries, 5 categories",
              "CC0 card; article text (c) BBC"),
        _info("scitldr_a", "summarization/scitldr_a.jsonl.gz", "summarization",
              "SciTLDR-A (Cachola et al. 2020), abstract -> one-sentence TLDRs", "Apache-2.0",
              ("train", "dev", "test")),
        _info("ptb_lm", [f"raw_text/ptb_lm_{s}.txt.gz" for s in ("train", "valid", "test")], "raw_text",
              "Mikolov's PTB language-model text, one sentence a line", "WSJ text (LDC origin); research use",
              ("train", "valid", "test")),
        _info("wikipedia_sample", "raw_text/wikipedia_sample.jsonl.gz", "raw_text",
              "English Wikipedia articles (2018-era slice), ~9.4M words", "CC BY-SA"),
        _info("gutenberg", "raw_text/gutenberg.jsonl.gz", "raw_text",
              "64 English novels from Project Gutenberg, ~11M words", "public domain (US)"),
        *(
            _info(name, f"topics/{name}.jsonl.gz", "topics",
                  f"{name}, the DocNADE authors' preprocessed topic-model set", "none stated",
                  ("train", "validation", "test"))
            for name in ("20NSshort", "TMN", "TREC6")
        ),
        _info("lee_background", "topics/lee_background.cor", "topics",
              "Lee news corpus, 300 background documents, one a line", "gensim test data (LGPL-2.1)"),
        _info("lee", "topics/lee.cor", "topics",
              "Lee news corpus, the 50 test documents, one a line", "gensim test data (LGPL-2.1)"),
    ]
)  # fmt: skip


# --------------------------------------------------------------------------- data root


def _default_roots() -> list[tuple[str, Path]]:
    return [
        ("../shared/data next to the structnlp checkout", _REPO.parent / "shared" / "data"),
        ("shared/data in the parent of the working directory", Path.cwd().parent / "shared" / "data"),
    ]


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the public data sets.

    Looked for in order: the ``root`` argument, the ``STRUCTNLP_DATA`` environment variable,
    ``../shared/data`` next to the structnlp checkout, ``../shared/data`` relative to the
    working directory. A root given explicitly (argument or variable) must exist; otherwise
    :class:`~structnlp.errors.DataNotFoundError` lists every place looked at.
    """
    if root is not None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"data root {path} is not a folder")
        return path
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(f"data root {path} (from ${ENV_VAR}) is not a folder")
        return path
    candidates = _default_roots()
    for _, path in candidates:
        if path.is_dir():
            return path
    looked = "; ".join(f"{where}: {path}" for where, path in candidates)
    raise DataNotFoundError(
        f"public data not found (looked at {looked}); pass root=, or set ${ENV_VAR} to the folder "
        "holding classification/, treebank/, summarization/, raw_text/ and topics/"
    )


def _info_of(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise StructNLPError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name]


def _check_split(info: DatasetInfo, split: str | None) -> None:
    if split is None or split in info.splits:
        return
    if not info.splits:
        raise StructNLPError(f"data set {info.name!r} has no splits; use split=None")
    raise StructNLPError(
        f"unknown split {split!r} of {info.name!r}; valid: {', '.join(info.splits)} or None (all)"
    )


def _path(info: DatasetInfo, root: str | os.PathLike | None, index: int = 0) -> Path:
    base = data_root(root)
    path = base / info.files[index]
    if not path.exists():
        raise DataNotFoundError(f"data set {info.name!r} not found: {path} does not exist (data root {base})")
    return path


def data_info(root: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """For every data set of :data:`DATASETS`: whether it was found, and where.

    Each dict has ``name``, ``found``, ``path`` (the first file, absolute when a data root was
    found), ``missing`` (relative paths not found), ``kind``, ``splits``, ``description`` and
    ``licence``. A root given explicitly (argument or ``$STRUCTNLP_DATA``) must exist; when no
    default root is found, every set is reported missing (``path`` then relative).

    >>> import tempfile
    >>> rows = data_info(tempfile.mkdtemp())
    >>> rows[0]["name"], rows[0]["found"], rows[0]["missing"]
    ('20newsgroups', False, ['classification/20newsgroups.jsonl.gz'])
    """
    try:
        base: Path | None = data_root(root)
    except DataNotFoundError:
        if root is not None or os.environ.get(ENV_VAR):
            raise
        base = None
    rows = []
    for info in DATASETS.values():
        missing = [f for f in info.files if base is None or not (base / f).exists()]
        rows.append(
            {
                "name": info.name,
                "found": not missing,
                "path": str(base / info.files[0]) if base is not None else info.files[0],
                "missing": missing,
                "kind": info.kind,
                "splits": list(info.splits),
                "description": info.description,
                "licence": info.licence,
            }
        )
    return rows


# --------------------------------------------------------------------------- result types


@dataclass
class TextDataset:
    """Labelled texts of one data set and split; unpacks as ``texts, labels``.

    ``labels`` holds one label per text, or a list of labels per text for a multi-label set
    (Reuters). ``ids`` are the source's document ids (None when it has none).

    >>> ds = TextDataset(["good", "bad", "fine"], ["pos", "neg", "pos"], name="toy")
    >>> X, y = ds
    >>> len(ds), ds.label_names, ds.multi_label
    (3, ['neg', 'pos'], False)
    """

    texts: list[str]
    labels: list[Any]
    name: str = ""
    split: str | None = None
    ids: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def __iter__(self) -> Iterator[list]:
        return iter((self.texts, self.labels))

    @property
    def multi_label(self) -> bool:
        """True when each text has a list of labels."""
        return bool(self.labels) and isinstance(self.labels[0], list)

    @property
    def label_names(self) -> list[str]:
        """The distinct labels, sorted."""
        if self.multi_label:
            return sorted({label for labels in self.labels for label in labels})
        return sorted(set(self.labels))


@dataclass
class SummarizationDataset:
    """Documents with reference summaries; unpacks as ``documents, summaries``.

    ``summaries[i]`` is the list of reference summaries of ``documents[i]`` (one for BBC News,
    one or more TLDRs for SciTLDR). ``sentences[i]`` is the document split into sentences
    where the source gives that split (SciTLDR), else None. ``categories`` is BBC's topic.
    """

    documents: list[str]
    summaries: list[list[str]]
    name: str = ""
    split: str | None = None
    ids: list[str] | None = None
    sentences: list[list[str]] | None = None
    categories: list[str] | None = None

    def __len__(self) -> int:
        return len(self.documents)

    def __iter__(self) -> Iterator[list]:
        return iter((self.documents, self.summaries))


# --------------------------------------------------------------------------- classification

#: the single-label sets whose records have "text" and "label" (and "split" when the set has splits)
_LABELLED = (
    "20newsgroups",
    "imdb",
    "movie_reviews",
    "trec_qc",
    "medical_abstracts",
    "20NSshort",
    "TMN",
    "TREC6",
)
#: the sets (and demo files) whose records carry a document "id"
_WITH_IDS = ("20newsgroups", "imdb", "movie_reviews", "medical_abstracts", "medical_abstracts_sample")


def _labelled(path: Path, name: str, split: str | None, label_field: str, has_splits: bool) -> TextDataset:
    texts, labels, ids = [], [], []
    fields = [f for f, wanted in (("split", has_splits), ("id", name in _WITH_IDS)) if wanted]
    for rec in read_jsonl(path, text_field="text", label_field=label_field, fields=fields):
        if split is not None and rec["split"] != split:
            continue
        texts.append(rec["text"])
        labels.append(rec[label_field])
        ids.append(rec.get("id"))
    return TextDataset(texts, labels, name, split, ids if name in _WITH_IDS else None)


def load_classification(
    name: str, split: str | None = None, *, root: str | os.PathLike | None = None
) -> TextDataset:
    """Load a labelled text set: a classification set or a topic-model set with labels.

    Names: ``20newsgroups``, ``imdb``, ``reuters21578`` (multi-label), ``movie_reviews``,
    ``trec_qc`` (coarse labels; :func:`load_trec_qc` for fine ones), ``medical_abstracts``,
    ``20NSshort``, ``TMN``, ``TREC6``. ``split=None`` loads every row.
    """
    info = _info_of(name)
    if name == "reuters21578":
        return load_reuters21578(split, root=root)
    if name not in _LABELLED:
        labelled = ", ".join([*_LABELLED, "reuters21578"])
        raise StructNLPError(f"{name!r} is not a labelled text set; use one of {labelled}")
    _check_split(info, split)
    return _labelled(_path(info, root), name, split, "label", bool(info.splits))


def load_trec_qc(
    split: str | None = None, *, fine: bool = False, root: str | os.PathLike | None = None
) -> TextDataset:
    """TREC questions with their 6 coarse labels (``DESC``) or, with ``fine=True``, 50 fine ones.

    Fine labels carry their coarse label as prefix, e.g. ``DESC:manner``.
    """
    info = _info_of("trec_qc")
    _check_split(info, split)
    return _labelled(_path(info, root), "trec_qc", split, "fine_label" if fine else "label", True)


def load_reuters21578(
    split: str | None = None, *, include_title: bool = True, root: str | os.PathLike | None = None
) -> TextDataset:
    """Reuters-21578 (ModApte) with a list of topics per document, possibly empty.

    With ``include_title`` each text is the title, a newline and the body.
    """
    info = _info_of("reuters21578")
    _check_split(info, split)
    texts, labels, ids = [], [], []
    for rec in read_jsonl(_path(info, root), label_field="topics", fields=["id", "split", "title"]):
        if split is None or rec["split"] == split:
            texts.append(f"{rec['title']}\n{rec['text']}" if include_title else rec["text"])
            labels.append(list(rec["topics"]))
            ids.append(rec["id"])
    return TextDataset(texts, labels, "reuters21578", split, ids)


def load_lee(which: str = "background", *, root: str | os.PathLike | None = None) -> list[str]:
    """The Lee news corpus of gensim's tests: ``"background"`` (300 documents) or ``"test"`` (50).

    One document a line. ``lee.cor`` holds one Latin-1 byte (a pound sign): a line that is not
    UTF-8 is decoded as Latin-1.
    """
    if which not in ("background", "test"):
        raise StructNLPError(f"which must be 'background' or 'test', got {which!r}")
    path = _path(_info_of("lee_background" if which == "background" else "lee"), root)
    docs = []
    with open_binary(path) as fh:
        for raw in fh:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("latin-1")
            if line.strip():
                docs.append(line.strip())
    return docs


# --------------------------------------------------------------------------- summarization


def load_bbc_news_summary(*, root: str | os.PathLike | None = None) -> SummarizationDataset:
    """BBC News Summary: 2,225 articles (title on the first line) with one extractive summary each.

    The summaries are the source's: sentences concatenated without spaces between them.
    """
    info = _info_of("bbc_news_summary")
    docs, sums, ids, cats = [], [], [], []
    for rec in read_jsonl(_path(info, root), text_field="article", fields=["id", "category", "summary"]):
        docs.append(rec["article"])
        sums.append([rec["summary"]])
        ids.append(rec["id"])
        cats.append(rec["category"])
    return SummarizationDataset(docs, sums, "bbc_news_summary", None, ids, categories=cats)


def _scitldr(path: Path, name: str, split: str | None) -> SummarizationDataset:
    docs, sums, ids, sents = [], [], [], []
    for rec in read_jsonl(path, text_field=None, fields=["split", "id", "source_sentences", "targets"]):
        if split is None or rec["split"] == split:
            sents.append(list(rec["source_sentences"]))
            docs.append(" ".join(rec["source_sentences"]))
            sums.append(list(rec["targets"]))
            ids.append(rec["id"])
    return SummarizationDataset(docs, sums, name, split, ids, sentences=sents)


def load_scitldr(split: str | None = None, *, root: str | os.PathLike | None = None) -> SummarizationDataset:
    """SciTLDR-A: paper abstracts (also given as sentence lists) with one or more one-sentence TLDRs."""
    info = _info_of("scitldr_a")
    _check_split(info, split)
    return _scitldr(_path(info, root), "scitldr_a", split)


# --------------------------------------------------------------------------- treebanks


def load_ptb_sample(*, root: str | os.PathLike | None = None) -> Iterator[Tree]:
    """Stream the ~3,400 PTB WSJ sample trees (outer wrapper removed; traces and punctuation kept)."""
    return read_ptb(_path(_info_of("ptb_sample"), root))


def load_ptb_sample_dp(*, root: str | os.PathLike | None = None) -> Iterator[DependencySentence]:
    """Stream the PTB sample as dependency trees (words, tags, heads).

    The sentences are those of :func:`load_ptb_sample`, in the same order.
    """
    return read_dependency_dp(_path(_info_of("ptb_sample_dp"), root))


def load_ud_ewt(split: str | None = None, *, root: str | os.PathLike | None = None) -> Iterator[Sentence]:
    """Stream UD English EWT sentences: ``"train"`` (12,544), ``"dev"`` (2,001) or both (train first)."""
    info = _info_of("ud_english_ewt")
    _check_split(info, split)
    indices = [info.splits.index(split)] if split is not None else range(len(info.files))
    paths = [_path(info, root, i) for i in indices]
    return (sentence for path in paths for sentence in read_conllu(path))


# --------------------------------------------------------------------------- raw text


def load_ptb_lm(split: str | None = None, *, root: str | os.PathLike | None = None) -> Iterator[str]:
    """Stream Mikolov's PTB language-model sentences (one per line, stripped): train, valid, test or all."""
    info = _info_of("ptb_lm")
    _check_split(info, split)
    indices = [info.splits.index(split)] if split is not None else range(len(info.files))
    paths = [_path(info, root, i) for i in indices]
    return (line for path in paths for line in read_documents(path, one_per="line"))


def load_wikipedia(*, root: str | os.PathLike | None = None) -> Iterator[dict]:
    """Stream Wikipedia articles as dicts with ``id``, ``title`` and ``text`` (36,183 articles)."""
    return read_jsonl(_path(_info_of("wikipedia_sample"), root), fields=["id", "title"])


def load_gutenberg(*, root: str | os.PathLike | None = None) -> Iterator[dict]:
    """Stream the 64 Gutenberg novels as dicts with ``id``, ``title`` and ``text``."""
    return read_jsonl(_path(_info_of("gutenberg"), root), fields=["id", "title"])


# --------------------------------------------------------------------------- any set by name

_LOADERS: dict[str, Callable[[str | None, Any], Any]] = {
    **{
        name: (lambda split, root, name=name: load_classification(name, split, root=root))
        for name in _LABELLED
    },
    "reuters21578": lambda split, root: load_reuters21578(split, root=root),
    "ptb_sample": lambda split, root: load_ptb_sample(root=root),
    "ptb_sample_dp": lambda split, root: load_ptb_sample_dp(root=root),
    "ud_english_ewt": lambda split, root: load_ud_ewt(split, root=root),
    "bbc_news_summary": lambda split, root: load_bbc_news_summary(root=root),
    "scitldr_a": lambda split, root: load_scitldr(split, root=root),
    "ptb_lm": lambda split, root: load_ptb_lm(split, root=root),
    "wikipedia_sample": lambda split, root: load_wikipedia(root=root),
    "gutenberg": lambda split, root: load_gutenberg(root=root),
    "lee_background": lambda split, root: load_lee("background", root=root),
    "lee": lambda split, root: load_lee("test", root=root),
}


def load(name: str, split: str | None = None, *, root: str | os.PathLike | None = None) -> Any:
    """Load any data set of :data:`DATASETS` by name with its default options.

    Returns what the set's own loader returns (a :class:`TextDataset`, a
    :class:`SummarizationDataset`, a list of documents or an iterator of trees, sentences,
    lines or articles).
    """
    info = _info_of(name)
    _check_split(info, split)
    return _LOADERS[name](split, root)


# --------------------------------------------------------------------------- bundled demo data


@dataclass(frozen=True)
class DemoInfo:
    """A demo file shipped in ``structnlp/data``: its source and licence."""

    name: str
    file: str
    description: str
    source: str
    licence: str


#: The demo data bundled with the package (see ``structnlp/data/README.md``).
DEMO_DATASETS: dict[str, DemoInfo] = {
    d.name: d
    for d in (
        DemoInfo("medical_abstracts_sample", "medical_abstracts_sample.jsonl.gz",
                 "600 medical abstracts, 120 for each of 5 disease classes (stratified, seed 0)",
                 "Schopf, Braun & Matthes 2022, Medical Abstracts TC corpus", "CC BY-SA 3.0"),
        DemoInfo("ewt_sample", "ewt_sample.conllu.gz",
                 "the first 300 sentences of UD English EWT dev",
                 "Universal Dependencies English EWT (Silveira et al. 2014)", "CC BY-SA 4.0"),
        DemoInfo("lee_background", "lee_background.cor.gz",
                 "Lee news corpus, 300 background documents, one a line",
                 "gensim test data (Lee, Pincombe & Welsh 2005)", "LGPL-2.1"),
        DemoInfo("scitldr_sample", "scitldr_sample.jsonl.gz",
                 "150 SciTLDR-A abstract/TLDR pairs of the test split (seed 0)",
                 "Cachola et al. 2020, SciTLDR", "Apache-2.0"),
    )
}  # fmt: skip


def demo_path(name: str) -> Path:
    """Path of a bundled demo file (see :data:`DEMO_DATASETS`).

    >>> demo_path("ewt_sample").name
    'ewt_sample.conllu.gz'
    """
    if name not in DEMO_DATASETS:
        raise StructNLPError(f"unknown demo data {name!r}; known: {', '.join(DEMO_DATASETS)}")
    path = DEMO_DIR / DEMO_DATASETS[name].file
    if not path.exists():
        raise DataNotFoundError(
            f"bundled demo file {path} is missing: the structnlp installation is incomplete"
        )
    return path


def load_demo(name: str) -> TextDataset | SummarizationDataset | list[Sentence] | list[str]:
    """Load bundled demo data; works offline, without the public data root.

    ``"medical_abstracts_sample"`` gives a :class:`TextDataset`, ``"ewt_sample"`` a list of
    CoNLL-U :class:`~structnlp.corpus.Sentence`, ``"lee_background"`` a list of documents and
    ``"scitldr_sample"`` a :class:`SummarizationDataset`.

    >>> X, y = load_demo("medical_abstracts_sample")
    >>> len(X), sorted(set(y))[:2]
    (600, ['cardiovascular diseases', 'digestive system diseases'])
    >>> load_demo("ewt_sample")[0].words
    ['From', 'the', 'AP', 'comes', 'this', 'story', ':']
    """
    path = demo_path(name)
    if name == "medical_abstracts_sample":
        return _labelled(path, name, None, "label", False)
    if name == "ewt_sample":
        return list(read_conllu(path))
    if name == "lee_background":
        return list(read_documents(path, one_per="line"))
    return _scitldr(path, name, None)


def run_script(main: Callable[[], int | None], *, also: tuple[type[Exception], ...] = ()) -> NoReturn:
    """Run the ``main`` of a benchmark or data script and exit with its status; missing public
    data ends it with one line saying what is missing and where it comes from, not a traceback,
    and so does any other :class:`StructNLPError` (a bad model file or setting: the message is
    the explanation) and the exceptions in ``also`` (a training script's missing corpus).

    >>> run_script(lambda: load("imdb", root="/nonexistent"))
    Traceback (most recent call last):
    SystemExit: error: data root /nonexistent is not a folder; point $STRUCTNLP_DATA at the ...
    >>> run_script(lambda: open("/nonexistent/corpus.txt"), also=(FileNotFoundError,))
    Traceback (most recent call last):
    SystemExit: error: [Errno 2] No such file or directory: '/nonexistent/corpus.txt'
    """
    try:
        sys.exit(main())
    except DataNotFoundError as exc:
        sys.exit(f"error: {exc}; point ${ENV_VAR} at the public data sets (see docs/data.md)")
    except (StructNLPError, *also) as exc:
        sys.exit(f"error: {exc}")
