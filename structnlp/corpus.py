"""Streaming corpus readers: plain text, JSON Lines, CSV, CoNLL-U, PTB brackets and ``.dp`` trees.

Every reader here follows the same rules, so that code written for one format works for all:

* it takes a **file or a folder**. A folder is walked recursively, lazily (one folder listed at
  a time), in sorted name order, reading only the files whose name ends with one of the
  format's suffixes, optionally followed by ``.gz`` (e.g. ``*.conllu`` and ``*.conllu.gz``);
  hidden files and folders (name starting with ``.``) are skipped, and a folder reached twice
  through symbolic links is read once;
* it is a **generator**: records are parsed one at a time, so a 1 GB file is never loaded whole
  (the exception is one document in ``one_per="file"`` mode, which is held as one string);
* it reads **gzip transparently**, recognised by its magic bytes whatever the file name;
* malformed input or a byte that is not UTF-8 raises
  :class:`~structnlp.errors.CorpusFormatError` naming the **file and line**;
* input holding no record at all (an empty file, a folder without matching files) raises
  :class:`~structnlp.errors.EmptyCorpusError` instead of silently yielding nothing.
  A missing path raises :class:`FileNotFoundError` when the reader is called.

Records are plain ``dict`` objects (JSON Lines, CSV), ``str`` (plain text), :class:`nltk.tree.Tree`
(PTB) or the small dataclasses :class:`Sentence` (CoNLL-U) and :class:`DependencySentence`
(``.dp``). nltk is imported only by :func:`read_ptb`.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from structnlp.errors import STDIN, CorpusFormatError, EmptyCorpusError, StructNLPError, source_name
from structnlp.files import atomic_write, iter_lines

if TYPE_CHECKING:
    from nltk.tree import Tree

PathLike = str | os.PathLike

#: File-name suffixes each reader picks up in a folder (each may also carry a trailing ``.gz``).
TEXT_SUFFIXES: tuple[str, ...] = (".txt", ".text", ".cor")
JSONL_SUFFIXES: tuple[str, ...] = (".jsonl", ".ndjson")
CSV_SUFFIXES: tuple[str, ...] = (".csv", ".tsv")
CONLLU_SUFFIXES: tuple[str, ...] = (".conllu",)
PTB_SUFFIXES: tuple[str, ...] = (".mrg",)
DP_SUFFIXES: tuple[str, ...] = (".dp",)

CONLLU_COLUMNS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")


# --------------------------------------------------------------------------- files and folders


def _matches(name: str, suffixes: Sequence[str]) -> bool:
    name = name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return any(name.endswith(s) for s in suffixes)


def _walk(folder: Path, suffixes: Sequence[str], seen: set[tuple[int, int]] | None = None) -> Iterator[Path]:
    # a folder is entered once: a symbolic link back up the tree yielded its files again and
    # again, until the operating system refused the path ("Too many levels of symbolic links")
    seen = set() if seen is None else seen
    info = folder.stat()
    if (info.st_dev, info.st_ino) in seen:
        return
    seen.add((info.st_dev, info.st_ino))
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(Path(entry.path), suffixes, seen)
        elif _matches(entry.name, suffixes):
            yield Path(entry.path)


def iter_files(path: PathLike, suffixes: Sequence[str]) -> Iterator[Path]:
    """The files a reader reads: ``path`` itself, or the matching files under a folder.

    A folder is walked recursively in sorted order (lazily, one folder at a time); a file name
    matches when it ends with one of ``suffixes``, optionally followed by ``.gz``
    (``suffixes=("",)`` matches every file). Hidden entries are skipped. A file given
    directly is returned whatever its name, and ``"-"`` stands for standard input (so every
    reader built on this one reads it; write ``./-`` for a file of that name).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["b.txt", "a.txt.gz", "notes.md", "sub/c.txt", ".hidden.txt"]:
    ...     (d / name).parent.mkdir(exist_ok=True)
    ...     _ = (d / name).write_text("x")
    >>> [p.relative_to(d).as_posix() for p in iter_files(d, (".txt",))]
    ['a.txt.gz', 'b.txt', 'sub/c.txt']
    """
    if isinstance(suffixes, str) or not all(isinstance(x, str) for x in suffixes):
        # a str would be read as its characters: suffixes=".md" picked every name ending in "d"
        raise StructNLPError(f"suffixes must be a list of name endings such as ['.txt'], got {suffixes!r}")
    if str(path) == STDIN:
        return iter([Path(STDIN)])
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return _walk(path, suffixes) if path.is_dir() else iter([path])


def _records(
    path: PathLike, suffixes: Sequence[str], parse: Callable[[Path], Iterator[Any]], what: str
) -> Iterator[Any]:
    """Check ``path`` now, then stream ``parse(file)`` over its files; empty input is an error."""
    files = iter_files(path, suffixes)
    name = source_name(path)

    def generate() -> Iterator[Any]:
        n_files = n_records = 0
        for file in files:
            n_files += 1
            for record in parse(file):
                n_records += 1
                yield record
        if n_files == 0:
            wanted = ", ".join(f"*{s}" for s in suffixes)
            raise EmptyCorpusError(f"{path}: no files named {wanted} (or the same with .gz) in this folder")
        if n_records == 0:
            raise EmptyCorpusError(f"{name}: no {what} found (empty input)")

    return generate()


@contextlib.contextmanager
def open_text_write(path: PathLike) -> Iterator[IO[str]]:
    """Open ``path`` for writing UTF-8 text atomically, gzip-compressed when it ends with ``.gz``.

    The gzip stream records no file name or time, so the same text gives the same bytes.
    ``"-"`` is standard output, as it is standard input for the readers (write ``./-`` for a
    file of that name); a stream cannot be replaced atomically, so it is written as it goes.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "notes.txt.gz"
    >>> with open_text_write(p) as fh:
    ...     _ = fh.write("written whole or not at all\\n")
    >>> list(read_documents(p))
    ['written whole or not at all']
    """
    if str(path) == STDIN:
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(path)
    if path.name.endswith(".gz"):
        with atomic_write(path, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as fh:
                    yield fh
    else:
        with atomic_write(path, "w") as fh:
            yield fh


# --------------------------------------------------------------------------- plain text


def read_documents(
    path: PathLike,
    *,
    one_per: Literal["line", "file"] | None = None,
    skip_empty: bool = True,
    suffixes: Sequence[str] = TEXT_SUFFIXES,
) -> Iterator[str]:
    """Stream documents from plain-text files.

    ``one_per="line"`` (the default for a file): every line is a document, stripped of
    surrounding white space. ``one_per="file"`` (the default for a folder): every file is one
    document, its lines joined with ``"\\n"``. A folder is read file by file (see
    :func:`iter_files`; by default ``*.txt``, ``*.text`` and ``*.cor``, each optionally
    ``.gz``). ``skip_empty`` drops documents that are empty or only white space.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "docs.txt"
    >>> _ = p.write_text("first document\\n\\n  second one \\n", encoding="utf-8")
    >>> list(read_documents(p))
    ['first document', 'second one']
    >>> list(read_documents(p.parent))
    ['first document\\n\\n  second one ']
    """
    path = Path(path)
    if one_per is None:
        one_per = "file" if path.is_dir() else "line"
    if one_per not in ("line", "file"):
        raise StructNLPError(f"one_per must be 'line' or 'file', got {one_per!r}")

    def parse(file: Path) -> Iterator[str]:
        if one_per == "line":
            for _, line in iter_lines(file):
                doc = line.strip()
                if doc or not skip_empty:
                    yield doc
        else:
            doc = "\n".join(line for _, line in iter_lines(file))
            if doc.strip() or not skip_empty:
                yield doc

    return _records(path, suffixes, parse, "documents")


# --------------------------------------------------------------------------- JSON Lines and CSV

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _check_field_names(text_field: object, label_field: object, fields: object) -> None:
    """Field names are checked once, before reading: ``fields="id"`` would ask for 'i' and 'd'."""
    for name, value in (("text_field", text_field), ("label_field", label_field)):
        if value is not None and not isinstance(value, str):
            raise StructNLPError(f"{name} must be a field name (str) or None, got {value!r}")
    if fields is not None and (isinstance(fields, str) or not all(isinstance(f, str) for f in fields)):
        raise StructNLPError(f"fields must be a list of field names, got {fields!r}")


def _select(
    record: dict,
    file: Path,
    lineno: int,
    text_field: str | None,
    label_field: str | None,
    fields: Sequence[str] | None,
) -> dict:
    """Check the required fields of one record and keep the wanted ones."""
    wanted = [f for f in (text_field, label_field) if f is not None]
    wanted += [f for f in (fields or ()) if f not in wanted]
    for name in wanted:
        if name not in record:
            present = ", ".join(map(str, record)) or "none"
            raise CorpusFormatError(file, lineno, f"missing field {name!r} (fields present: {present})")
    if text_field is not None and not isinstance(record[text_field], str):
        found = _JSON_TYPES.get(type(record[text_field]), type(record[text_field]).__name__)
        raise CorpusFormatError(file, lineno, f"field {text_field!r} should be a string, found {found}")
    if fields is None:
        return record
    return {name: record[name] for name in wanted}


def read_jsonl(
    path: PathLike,
    text_field: str | None = "text",
    label_field: str | None = None,
    fields: Sequence[str] | None = None,
) -> Iterator[dict]:
    """Stream the objects of JSON Lines files (one JSON object per line; blank lines skipped).

    Each record is the JSON object as a ``dict`` with its own field names. ``text_field``
    (a string) and ``label_field`` (any JSON value) must be present in every record; pass
    ``text_field=None`` when there is no text field. With ``fields`` given, only the text,
    label and listed fields are kept (all must be present). A malformed line, a line that is
    not an object or a missing field raises :class:`CorpusFormatError` with file and line.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.jsonl"
    >>> _ = p.write_text('{"id": 1, "text": "good film", "label": "pos"}\\n', encoding="utf-8")
    >>> list(read_jsonl(p, label_field="label"))
    [{'id': 1, 'text': 'good film', 'label': 'pos'}]
    >>> list(read_jsonl(p, fields=["label"]))
    [{'text': 'good film', 'label': 'pos'}]
    """
    _check_field_names(text_field, label_field, fields)

    def parse(file: Path) -> Iterator[dict]:
        for lineno, line in iter_lines(file):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusFormatError(
                    file, lineno, f"malformed JSON: {exc.msg} (column {exc.colno})"
                ) from None
            if not isinstance(record, dict):
                found = _JSON_TYPES.get(type(record), type(record).__name__)
                raise CorpusFormatError(file, lineno, f"expected a JSON object on each line, found {found}")
            yield _select(record, file, lineno, text_field, label_field, fields)

    return _records(path, JSONL_SUFFIXES, parse, "JSON Lines records")


def write_jsonl(path: PathLike, records: Iterable[dict]) -> int:
    """Write ``records`` as JSON Lines (UTF-8, gzip when ``path`` ends with ``.gz``), atomically.

    Returns the number of records written; :func:`read_jsonl` reads them back unchanged.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl.gz"
    >>> write_jsonl(p, [{"text": "é", "label": 1}])
    1
    >>> list(read_jsonl(p))
    [{'text': 'é', 'label': 1}]
    """
    n = 0
    with open_text_write(path) as fh:
        for record in records:
            if not isinstance(record, dict):
                raise StructNLPError(
                    f"write_jsonl: record {n + 1} is a {type(record).__name__}, expected a dict"
                )
            try:
                line = json.dumps(record, ensure_ascii=False, allow_nan=False)
            except (TypeError, ValueError) as exc:  # NaN would be written, but is not JSON
                raise StructNLPError(f"write_jsonl: record {n + 1} is not JSON: {exc}") from None
            fh.write(line + "\n")
            n += 1
    return n


def read_csv(
    path: PathLike,
    text_field: str | None = "text",
    label_field: str | None = None,
    *,
    delimiter: str | None = None,
    fields: Sequence[str] | None = None,
) -> Iterator[dict]:
    """Stream the rows of CSV files with a header row, as ``dict`` of column name to string.

    Quoted fields may span lines; errors name the *physical* line where the bad row starts.
    ``text_field`` and ``label_field`` must be columns of the header; with ``fields`` given,
    only the text, label and listed columns are kept. Blank lines are skipped. A row with a
    different number of columns than the header, a duplicated column name or an unclosed
    quote raises :class:`CorpusFormatError`. By default a ``*.tsv`` (or ``*.tsv.gz``) file is
    read with a tab and any other with a comma, file by file; ``delimiter`` sets one for all.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = p.write_text('label,text\\npos,"good,\\nfun"\\nneg,dull\\n', encoding="utf-8")
    >>> list(read_csv(p, label_field="label"))
    [{'label': 'pos', 'text': 'good,\\nfun'}, {'label': 'neg', 'text': 'dull'}]
    """

    _check_field_names(text_field, label_field, fields)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise StructNLPError(f"delimiter must be one character or None, got {delimiter!r}")

    def parse(file: Path) -> Iterator[dict]:
        position = [0]  # physical line number of the last line handed to the csv module
        sep = delimiter or ("\t" if _matches(file.name, (".tsv",)) else ",")

        def feed() -> Iterator[str]:
            for lineno, line in iter_lines(file):
                position[0] = lineno
                yield line + "\n"

        reader = csv.reader(feed(), delimiter=sep, strict=True)
        header: list[str] | None = None
        while True:
            start = position[0] + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                if str(exc) == "unexpected end of data":
                    raise CorpusFormatError(
                        file, start, "quoted field is never closed (missing '\"')"
                    ) from None
                if "field larger than field limit" in str(exc):
                    raise CorpusFormatError(
                        file, start, f"{exc}; raise the limit with csv.field_size_limit() for longer texts"
                    ) from None
                raise CorpusFormatError(file, position[0], f"malformed CSV: {exc}") from None
            if not row:
                continue
            if header is None:
                header = row
                duplicated = sorted({c for c in header if header.count(c) > 1})
                if duplicated:
                    raise CorpusFormatError(
                        file, start, f"duplicated column name(s) in the header: {duplicated}"
                    )
                for name in [f for f in (text_field, label_field, *(fields or ())) if f is not None]:
                    if name not in header:
                        raise CorpusFormatError(
                            file, start, f"no column {name!r} in the header (columns: {', '.join(header)})"
                        )
                continue
            if len(row) != len(header):
                raise CorpusFormatError(
                    file,
                    start,
                    f"row has {len(row)} columns, the header has {len(header)} (delimiter {sep!r})",
                )
            yield _select(dict(zip(header, row, strict=True)), file, start, text_field, label_field, fields)

    return _records(path, CSV_SUFFIXES, parse, "CSV rows")


# --------------------------------------------------------------------------- CoNLL-U


def _check_cell(value: object, what: str) -> None:
    """Refuse a CoNLL-U value that would break its line (``"_"`` is the empty value)."""
    if not isinstance(value, str) or not value:
        raise StructNLPError(f"{what} must be a non-empty str ('_' when empty), got {value!r}")
    if any(c in value for c in "\t\n\r"):
        raise StructNLPError(f"{what} {value!r} holds a tab or line break")


@dataclass
class ConlluToken:
    """One word line of a CoNLL-U sentence (UD v2 columns; ``"_"`` marks an empty value).

    ``id`` is the 1-based word index and ``head`` the index of the head word (0 for the root),
    or None where HEAD is ``_`` (a file with no dependency tree, e.g. a tagger's output).
    FEATS, DEPS and MISC are kept as the raw strings; :attr:`feats_dict` parses FEATS.
    """

    id: int
    form: str
    lemma: str = "_"
    upos: str = "_"
    xpos: str = "_"
    feats: str = "_"
    head: int | None = 0
    deprel: str = "_"
    deps: str = "_"
    misc: str = "_"

    @property
    def feats_dict(self) -> dict[str, str]:
        """FEATS as a dict, e.g. ``{"Number": "Sing"}`` (empty for ``"_"``).

        >>> ConlluToken(1, "dogs", feats="Number=Plur").feats_dict
        {'Number': 'Plur'}
        """
        if self.feats == "_":
            return {}
        out = {}
        for item in self.feats.split("|"):
            name, sep, value = item.partition("=")
            if not (sep and name and value):
                raise StructNLPError(
                    f"CoNLL-U word {self.id}: FEATS {self.feats!r} holds {item!r}, not Name=Value"
                )
            out[name] = value
        return out

    def to_line(self) -> str:
        r"""The token as one tab-separated CoNLL-U line.

        A value that would break the line (empty, or holding a tab or line break) is an error,
        so that a written file always reads back.

        >>> ConlluToken(2, "dogs", lemma="dog", head=0, deprel="root").to_line().split("\t")
        ['2', 'dogs', 'dog', '_', '_', '_', '0', 'root', '_', '_']
        >>> ConlluToken(1, "a\tb").to_line()
        Traceback (most recent call last):
        structnlp.errors.StructNLPError: CoNLL-U word 1: form 'a\tb' holds a tab or line break
        """
        for name in ("form", "lemma", "upos", "xpos", "feats", "deprel", "deps", "misc"):
            _check_cell(getattr(self, name), f"CoNLL-U word {self.id}: {name}")
        return "\t".join(
            (
                str(self.id),
                self.form,
                self.lemma,
                self.upos,
                self.xpos,
                self.feats,
                "_" if self.head is None else str(self.head),
                self.deprel,
                self.deps,
                self.misc,
            )
        )


@dataclass
class ConlluExtra:
    """A multiword-token line (ID ``1-2``) or an empty node (ID ``8.1``), kept verbatim.

    ``after`` is the number of word lines that precede it in the sentence, which is all that
    :meth:`Sentence.to_conllu` needs to put it back in place.
    """

    after: int
    columns: tuple[str, ...]

    @property
    def id(self) -> str:
        """The raw ID, e.g. ``"1-2"`` or ``"8.1"``."""
        return self.columns[0]

    @property
    def form(self) -> str:
        """The surface form, e.g. ``"don't"`` for the multiword token ``do n't``."""
        return self.columns[1]

    def to_line(self) -> str:
        """The line as written, checked like :meth:`ConlluToken.to_line`."""
        for value in self.columns:
            _check_cell(value, f"CoNLL-U line {self.id}")
        return "\t".join(self.columns)

    @property
    def is_multiword(self) -> bool:
        """True for a multiword-token range, False for an empty node."""
        return "-" in self.columns[0]


@dataclass
class Sentence:
    """One CoNLL-U sentence: its word tokens, comment lines and (verbatim) extra lines.

    Multiword-token ranges (``1-2``) and empty nodes (``8.1``) are not words: they are kept in
    :attr:`extras` and written back by :meth:`to_conllu`, so :attr:`words` and :attr:`heads`
    describe the basic dependency tree only. Comments are stored without their leading ``"# "``.
    """

    tokens: list[ConlluToken]
    comments: list[str] = field(default_factory=list)
    extras: list[ConlluExtra] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def words(self) -> list[str]:
        """Word forms, in order."""
        return [t.form for t in self.tokens]

    @property
    def heads(self) -> list[int | None]:
        """Head of each word: a 1-based word index, 0 for the root, None where HEAD is ``_``."""
        return [t.head for t in self.tokens]

    @property
    def deprels(self) -> list[str]:
        """Dependency relation of each word to its head."""
        return [t.deprel for t in self.tokens]

    @property
    def upos(self) -> list[str]:
        """Universal POS tag of each word."""
        return [t.upos for t in self.tokens]

    @property
    def lemmas(self) -> list[str]:
        """Lemma of each word."""
        return [t.lemma for t in self.tokens]

    @property
    def metadata(self) -> dict[str, str]:
        """The ``key = value`` comments as a dict (e.g. ``sent_id``, ``text``, ``newdoc id``)."""
        out = {}
        for comment in self.comments:
            key, sep, value = comment.partition("=")
            if sep:
                out[key.strip()] = value.strip()
        return out

    @property
    def sent_id(self) -> str | None:
        """The ``# sent_id = ...`` comment, or None."""
        return self.metadata.get("sent_id")

    @property
    def text(self) -> str:
        """The ``# text = ...`` comment, or the words joined by spaces when there is none."""
        return self.metadata.get("text", " ".join(self.words))

    def to_conllu(self) -> str:
        """The sentence as a CoNLL-U block, ending with its blank separator line.

        >>> s = Sentence([ConlluToken(1, "Hi", head=0, deprel="root"), ConlluToken(2, "!", head=1)],
        ...              comments=["text = Hi!"])
        >>> print(s.to_conllu(), end="")
        # text = Hi!
        1	Hi	_	_	_	_	0	root	_	_
        2	!	_	_	_	_	1	_	_	_
        <BLANKLINE>
        """
        for comment in self.comments:
            if "\n" in comment or "\r" in comment:
                raise StructNLPError(f"CoNLL-U comment {comment!r} holds a line break")
        # what read_conllu checks, checked here too: a written file must read back
        n = len(self.tokens)
        if n == 0:
            raise StructNLPError("a CoNLL-U sentence needs at least one word")
        for k, token in enumerate(self.tokens, start=1):
            if not isinstance(token.id, int) or isinstance(token.id, bool) or token.id != k:
                raise StructNLPError(f"CoNLL-U word {k} has ID {token.id!r}; word IDs must be 1, 2, 3, ...")
            head = token.head
            if head is None:
                continue
            if not isinstance(head, int) or isinstance(head, bool) or not 0 <= head <= n or head == k:
                raise StructNLPError(
                    f"CoNLL-U word {k}: head {head!r} must be an int in 0..{n} other than {k} (0 is the root)"
                    " or None"
                )
        lines = ["#" if c == "" else f"# {c}" for c in self.comments]
        extras = iter(self.extras)
        pending = next(extras, None)
        for i, token in enumerate(self.tokens):
            while pending is not None and pending.after <= i:
                lines.append(pending.to_line())
                pending = next(extras, None)
            lines.append(token.to_line())
        while pending is not None:
            lines.append(pending.to_line())
            pending = next(extras, None)
        return "\n".join(lines) + "\n\n"


def _int(value: str, file: Path, lineno: int, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CorpusFormatError(file, lineno, f"{what} {value!r} is not an integer") from None


def _check_heads(heads: Sequence[int | None], lines: Sequence[int], file: Path) -> None:
    n = len(heads)
    for i, (head, lineno) in enumerate(zip(heads, lines, strict=True), start=1):
        if head is None:
            continue
        if not 0 <= head <= n:
            raise CorpusFormatError(file, lineno, f"head {head} of word {i} is outside 0..{n}")
        if head == i:
            raise CorpusFormatError(file, lineno, f"word {i} is its own head")


def _conllu_sentences(file: Path) -> Iterator[Sentence]:
    tokens: list[ConlluToken] = []
    comments: list[str] = []
    extras: list[ConlluExtra] = []
    token_lines: list[int] = []
    start = 0

    def finish() -> Sentence:
        if not tokens:
            raise CorpusFormatError(file, start, "sentence has no word lines")
        _check_heads([t.head for t in tokens], token_lines, file)
        return Sentence(tokens, comments, extras)

    for lineno, line in iter_lines(file):
        if not line.strip():
            if tokens or comments or extras:
                yield finish()
                tokens, comments, extras, token_lines = [], [], [], []
            continue
        if not (tokens or comments or extras):
            start = lineno
        if line.startswith("#"):
            if tokens or extras:
                raise CorpusFormatError(
                    file, lineno, "comment line inside a sentence (comments go before its tokens)"
                )
            comments.append(line[2:] if line.startswith("# ") else line[1:])
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            hint = (
                " (columns must be separated by tabs, not spaces)" if len(cols) < 10 and " " in line else ""
            )
            raise CorpusFormatError(
                file, lineno, f"expected 10 tab-separated columns, found {len(cols)}{hint}"
            )
        for name, value in zip(CONLLU_COLUMNS, cols, strict=True):
            if value == "":
                raise CorpusFormatError(file, lineno, f"column {name} is empty (write '_' for no value)")
        raw_id = cols[0]
        if "-" in raw_id or "." in raw_id:
            sep = "-" if "-" in raw_id else "."
            first, _, second = raw_id.partition(sep)
            a, b = _int(first, file, lineno, "ID part"), _int(second, file, lineno, "ID part")
            expected = len(tokens) + 1 if sep == "-" else len(tokens)
            if a != expected or (sep == "-" and b < a):
                raise CorpusFormatError(
                    file, lineno, f"ID {raw_id!r} out of sequence after word {len(tokens)}"
                )
            extras.append(ConlluExtra(len(tokens), tuple(cols)))
            continue
        word_id = _int(raw_id, file, lineno, "ID")
        if word_id != len(tokens) + 1:
            raise CorpusFormatError(
                file, lineno, f"word ID {word_id} out of sequence (expected {len(tokens) + 1})"
            )
        # '_' is CoNLL-U's "unspecified": files without a tree (a tagger's, a constituency parser's)
        head = None if cols[6] == "_" else _int(cols[6], file, lineno, "HEAD")
        tokens.append(ConlluToken(word_id, *cols[1:6], head, *cols[7:]))
        token_lines.append(lineno)
    if tokens or comments or extras:
        yield finish()


def read_conllu(path: PathLike) -> Iterator[Sentence]:
    """Stream the sentences of CoNLL-U files (``*.conllu`` in a folder), validated.

    Checked: 10 tab-separated columns, no empty column, word IDs 1, 2, 3... in order, integer
    heads within ``0..len(sentence)`` and never a word's own index; a HEAD of ``_`` (no tree)
    is read as None. Multiword tokens and empty
    nodes are not words: they are kept verbatim in :attr:`Sentence.extras`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.conllu"
    >>> _ = p.write_text("# sent_id = s1\\n# text = Dogs bark.\\n"
    ...     "1\\tDogs\\tdog\\tNOUN\\tNNS\\tNumber=Plur\\t2\\tnsubj\\t_\\t_\\n"
    ...     "2\\tbark\\tbark\\tVERB\\tVBP\\t_\\t0\\troot\\t_\\tSpaceAfter=No\\n"
    ...     "3\\t.\\t.\\tPUNCT\\t.\\t_\\t2\\tpunct\\t_\\t_\\n\\n", encoding="utf-8")
    >>> [s] = read_conllu(p)
    >>> s.sent_id, s.words, s.heads, s.upos
    ('s1', ['Dogs', 'bark', '.'], [2, 0, 2], ['NOUN', 'VERB', 'PUNCT'])
    >>> s.to_conllu() == p.read_text(encoding="utf-8")
    True
    """
    return _records(path, CONLLU_SUFFIXES, _conllu_sentences, "CoNLL-U sentences")


def write_conllu(path: PathLike, sentences: Iterable[Sentence]) -> int:
    """Write ``sentences`` as a CoNLL-U file (gzip when ``path`` ends with ``.gz``), atomically.

    Returns the number of sentences written; :func:`read_conllu` reads them back unchanged.
    """
    n = 0
    with open_text_write(path) as fh:
        for sentence in sentences:
            fh.write(sentence.to_conllu())
            n += 1
    return n


# --------------------------------------------------------------------------- PTB brackets and .dp

_PTB_TOKEN = re.compile(r"\(|\)|[^()\s]+")


def _ptb_trees(file: Path) -> Iterator[Tree]:
    from nltk.tree import Tree

    stack: list[list] = []  # [label or None, children] of each open bracket
    start = 0
    for lineno, line in iter_lines(file):
        for match in _PTB_TOKEN.finditer(line):
            token = match.group()
            if token == "(":
                if not stack:
                    start = lineno
                stack.append([None, []])
            elif token == ")":
                if not stack:
                    raise CorpusFormatError(file, lineno, "unbalanced brackets: ')' without a matching '('")
                label, children = stack.pop()
                if label is None and not children:  # "()": a tree without a label or a word
                    raise CorpusFormatError(file, lineno, "empty brackets '()'")
                node = Tree(label or "", children)
                if stack:
                    stack[-1][1].append(node)
                    continue
                if node.label() == "" and len(node) == 1 and isinstance(node[0], Tree):
                    node = node[0]
                yield node
            elif not stack:
                raise CorpusFormatError(file, lineno, f"text {token!r} outside any bracketed tree")
            elif stack[-1][0] is None and not stack[-1][1]:
                stack[-1][0] = token
            else:
                stack[-1][1].append(token)
    if stack:
        raise CorpusFormatError(
            file, start, f"unbalanced brackets: the tree starting here misses {len(stack)} closing ')'"
        )


def read_ptb(path: PathLike) -> Iterator[Tree]:
    """Stream Penn-Treebank bracketed trees (``*.mrg`` in a folder) as :class:`nltk.tree.Tree`.

    Trees may span lines and are cut by bracket balance, one at a time. The unlabelled outer
    wrapper of the PTB files, ``( (S ...) )``, is removed, so the root is ``S``; other roots
    (e.g. ``(ROOT ...)``) are kept. Traces (``-NONE-``) and punctuation are kept as in the file.
    Unbalanced brackets raise :class:`CorpusFormatError` naming file and line.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "wsj.mrg"
    >>> _ = p.write_text("( (S (NP (NNP Pierre))\\n  (VP (VBZ smiles)) (. .)) )\\n", encoding="utf-8")
    >>> [tree] = read_ptb(p)
    >>> tree.label(), tree.leaves()
    ('S', ['Pierre', 'smiles', '.'])
    """
    return _records(path, PTB_SUFFIXES, _ptb_trees, "bracketed trees")


@dataclass
class DependencySentence:
    """A sentence of the ``.dp`` format: words, POS tags and heads (1-based, 0 for the root)."""

    words: list[str]
    tags: list[str]
    heads: list[int]

    def __len__(self) -> int:
        return len(self.words)


def _dp_sentences(file: Path) -> Iterator[DependencySentence]:
    words: list[str] = []
    tags: list[str] = []
    heads: list[int] = []
    lines: list[int] = []
    for lineno, line in iter_lines(file):
        cols = line.split()
        if not cols:
            if words:
                _check_heads(heads, lines, file)
                yield DependencySentence(words, tags, heads)
                words, tags, heads, lines = [], [], [], []
            continue
        if len(cols) != 3:
            raise CorpusFormatError(file, lineno, f"expected 3 columns (word, tag, head), found {len(cols)}")
        words.append(cols[0])
        tags.append(cols[1])
        heads.append(_int(cols[2], file, lineno, "head"))
        lines.append(lineno)
    if words:
        _check_heads(heads, lines, file)
        yield DependencySentence(words, tags, heads)


def read_dependency_dp(path: PathLike) -> Iterator[DependencySentence]:
    """Stream dependency trees of the ``.dp`` format (``*.dp`` in a folder).

    One token a line, ``word tag head`` separated by white space, a blank line between
    sentences; heads are 1-based word indices, 0 for the root.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.dp"
    >>> _ = p.write_text("Dogs\\tNNS\\t2\\nbark\\tVBP\\t0\\n\\nHi\\tUH\\t0\\n", encoding="utf-8")
    >>> [(s.words, s.heads) for s in read_dependency_dp(p)]
    [(['Dogs', 'bark'], [2, 0]), (['Hi'], [0])]
    """
    return _records(path, DP_SUFFIXES, _dp_sentences, "dependency sentences")


# --------------------------------------------------------------------------- dispatch

#: format name -> (reader, folder suffixes); ``.tsv`` files are read as CSV with a tab delimiter.
FORMATS: dict[str, tuple[Callable[..., Iterator[Any]], tuple[str, ...]]] = {
    "text": (read_documents, TEXT_SUFFIXES),
    "jsonl": (read_jsonl, JSONL_SUFFIXES),
    "csv": (read_csv, CSV_SUFFIXES),
    "conllu": (read_conllu, CONLLU_SUFFIXES),
    "ptb": (read_ptb, PTB_SUFFIXES),
    "dp": (read_dependency_dp, DP_SUFFIXES),
}


def guess_format(path: PathLike) -> str:
    """The format name of ``path`` from its suffix (ignoring ``.gz``); a folder by its first matching file.

    >>> guess_format("reviews.jsonl.gz"), guess_format("wsj_0001.mrg"), guess_format("a.tsv")
    ('jsonl', 'ptb', 'csv')
    """
    if str(path) == STDIN:
        raise StructNLPError(
            f"standard input has no file name to tell its format by; name it: one of {sorted(FORMATS)}"
        )
    path = Path(path)
    if path.is_dir():
        all_suffixes = tuple(s for _, suffixes in FORMATS.values() for s in suffixes)
        first = next(iter_files(path, all_suffixes), None)
        if first is None:
            raise EmptyCorpusError(f"{path}: no file of a known corpus format ({', '.join(all_suffixes)})")
        return guess_format(first)
    for name, (_, suffixes) in FORMATS.items():
        if _matches(path.name, suffixes):
            return name
    known = ", ".join(s for _, suffixes in FORMATS.values() for s in suffixes)
    raise StructNLPError(
        f"{path}: cannot tell the corpus format from the file name (known: {known}, optionally .gz); "
        f"name the format: one of {sorted(FORMATS)}"
    )


def iter_corpus(path: PathLike, format: str = "auto", **options: Any) -> Iterator[Any]:
    """Stream the records of a corpus file or folder with the reader of its format.

    ``format="auto"`` guesses it with :func:`guess_format`; ``options`` go to the reader
    (e.g. ``text_field=`` for JSON Lines). Records are those of the reader: ``str`` for text,
    ``dict`` for JSON Lines and CSV, :class:`Sentence`, :class:`nltk.tree.Tree` or
    :class:`DependencySentence`.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "q.tsv"
    >>> _ = p.write_text("text\\tlabel\\nWho is it ?\\tHUM\\n", encoding="utf-8")
    >>> list(iter_corpus(p))
    [{'text': 'Who is it ?', 'label': 'HUM'}]
    """
    if format == "auto":
        format = guess_format(path)
    if format not in FORMATS:
        raise StructNLPError(f"unknown corpus format {format!r}; use 'auto' or one of {sorted(FORMATS)}")
    reader, _ = FORMATS[format]
    return reader(path, **options)
