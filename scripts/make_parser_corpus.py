"""Build the raw-sentence corpus the shipped parsers are trained on.

Sentences come from the open corpora of the public data folder (see ``shared/data/README.md``):
UD English EWT train (its own tokenization), BBC News articles, Reuters-21578 (all splits),
20 Newsgroups (message bodies: headers, quoted lines and e-mail/URL lines dropped) and IMDb
reviews. The Penn Treebank sample, the evaluation set of the parsers, is never read; the
PTB language-model text (WSJ text outside the sample) and Wikipedia can be added with
``--sources`` but are not used by default.

Processing: texts are cut into sentences with NLTK's Punkt parameters shipped with structnlp
and tokenized with its Treebank word tokenizer (Penn Treebank conventions: ``isn't`` ->
``is n't``, ``"`` -> ``"``), then lower-cased. **Punctuation is kept** in the file: whether the
parser sees it is the parser's ``punctuation`` setting (the default, ``"attach"``, removes
punctuation tokens before training, as in the unsupervised-parsing literature). Numbers are
kept too (the parser maps them to ``<num>``). Sentences of fewer than ``--min-words`` or more
than ``--max-words`` non-punctuation tokens, sentences with fewer than half alphabetic
tokens, and exact duplicates are dropped. UD EWT, BBC and Reuters (and the PTB LM text when
asked for) are written whole; 20 Newsgroups and IMDb (at most ``--imdb-sentences``) fill up
to ``--max-mb`` of compressed output, in proportion; the result is shuffled with a fixed seed.
Each source's sentences are cached under ``--cache``, so a rerun with other limits is fast.

Output: one sentence a line, tokens separated by single spaces, gzip'd, so that training
needs no tokenizer (the GPU machine has no nltk or spaCy)::

    python scripts/make_parser_corpus.py --out .devdata/parser_corpus.txt.gz
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsing.base import is_punctuation  # noqa: E402
from structnlp.datasets import (  # noqa: E402
    load_bbc_news_summary,
    load_classification,
    load_ptb_lm,
    load_reuters21578,
    load_ud_ewt,
    load_wikipedia,
    run_script,  # noqa: E402
)
from structnlp.files import atomic_write  # noqa: E402
from structnlp.params import count_argument  # noqa: E402

DEFAULT_SOURCES = ("ud_ewt", "bbc", "reuters", "20newsgroups", "imdb")
#: Sources always written whole (news-like text, closest to the evaluation domain); the others fill up.
CORE_SOURCES = ("ud_ewt", "bbc", "reuters", "ptb_lm")
OPTIONAL_SOURCES = ("ptb_lm", "wikipedia")
_SKIP_LINE = re.compile(r"^\s*[>|:]|@|https?://|www\.|writes:|wrote:|^\s*-{2,}\s*$", re.IGNORECASE)
_TAGS = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _paragraphs(text: str) -> Iterator[str]:
    """Paragraphs of a hard-wrapped text, each on one line."""
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(block.split())
        if joined:
            yield joined


def _newsgroup_body(post: str) -> str:
    """A 20 Newsgroups post without its header block, quoted lines and address/URL lines."""
    _, _, body = post.partition("\n\n")
    return "\n".join("" if _SKIP_LINE.search(line) else line for line in body.splitlines())


def _texts(source: str) -> Iterator[str]:
    """Raw texts (or, for already tokenized sources, space-joined token lines) of one source."""
    if source == "bbc":
        for article in load_bbc_news_summary().documents:
            yield from _paragraphs(article)
    elif source == "reuters":
        for text in load_reuters21578().texts:
            yield from _paragraphs(text)
    elif source == "20newsgroups":
        for post in load_classification("20newsgroups").texts:
            yield from _paragraphs(_newsgroup_body(post))
    elif source == "imdb":
        for review in load_classification("imdb").texts:
            yield from _paragraphs(_TAGS.sub("\n\n", review))
    elif source == "wikipedia":
        for article in load_wikipedia():
            yield from (line for line in article["text"].splitlines() if len(line.split()) > 6)
    else:
        raise ValueError(source)


def _pretokenized(source: str) -> Iterator[list[str]]:
    if source == "ud_ewt":
        for sentence in load_ud_ewt("train"):
            yield sentence.words
    elif source == "ptb_lm":  # lower-cased, N for numbers, <unk>: make N read as a number
        for line in load_ptb_lm("train"):
            yield ["0" if w == "N" else w for w in line.split()]
    else:
        raise ValueError(source)


def _sentences(source: str, split: Callable[[str], list[str]], tokenize: Callable[[str], list[str]]):
    if source in ("ud_ewt", "ptb_lm"):
        yield from _pretokenized(source)
        return
    for paragraph in _texts(source):
        for sentence in split(paragraph):
            yield tokenize(sentence)


def keep_sentence(tokens: list[str], min_words: int, max_words: int) -> bool:
    """Whether a tokenized sentence is kept (length in words, mostly alphabetic tokens)."""
    words = [t for t in tokens if not is_punctuation(t)]
    if not min_words <= len(words) <= max_words:
        return False
    alphabetic = sum(any(c.isalpha() for c in w) for w in words)
    return 2 * alphabetic >= len(words)


def _cached_lines(source: str, args: argparse.Namespace, tokenizer) -> list[str]:
    """The kept, lower-cased, tokenized sentences of one source (read from / written to the cache)."""
    cache = Path(args.cache) / f"{source}.txt.gz" if args.cache else None
    if cache is not None and cache.is_file():
        with gzip.open(cache, "rt", encoding="utf-8") as fh:
            return fh.read().splitlines()
    lines = []
    texts = 0
    for tokens in _sentences(source, tokenizer.split_sentences, tokenizer.tokenize):
        lowered = [t.lower() for t in tokens if t.strip()]
        if keep_sentence(lowered, args.min_words, args.max_words):
            lines.append(" ".join(lowered))
        texts += 1
        if source == "imdb" and len(lines) >= args.imdb_sentences:
            break
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(cache, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    positive, non_negative = count_argument(1), count_argument(0)
    parser.add_argument("--out", default=".devdata/parser_corpus.txt.gz", help="gzip'd output file")
    parser.add_argument(
        "--sources",
        default=",".join(DEFAULT_SOURCES),
        help=f"comma-separated, from {', '.join(DEFAULT_SOURCES + OPTIONAL_SOURCES)}",
    )
    parser.add_argument("--max-mb", type=float, default=14.0, help="stop at this compressed size")
    parser.add_argument("--min-words", type=positive, default=3)
    parser.add_argument("--max-words", type=positive, default=60)
    parser.add_argument(
        "--imdb-sentences", type=non_negative, default=150_000, help="read IMDb up to this many"
    )
    parser.add_argument(
        "--cache", default=".devdata/parser_corpus_cache", help="per-source cache ('' for none)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in DEFAULT_SOURCES + OPTIONAL_SOURCES]
    if unknown:
        parser.error(f"unknown sources {unknown}")

    from structnlp.tokenize import get_tokenizer

    tokenizer = get_tokenizer("nltk")
    start = time.perf_counter()
    seen: set[str] = set()
    per_source: dict[str, list[str]] = {}
    rng = random.Random(args.seed)
    for source in sources:
        lines = []
        for line in _cached_lines(source, args, tokenizer):
            if line not in seen:  # exact duplicates, within and across sources
                seen.add(line)
                lines.append(line)
        rng.shuffle(lines)
        per_source[source] = lines
        words = sum(len(line.split()) for line in lines)
        print(f"{source}: {len(lines)} sentences, {words} tokens ({time.perf_counter() - start:.0f} s)")
    # the news-like sources first, whole; then the others interleaved until the size limit
    core = [s for s in sources if s in CORE_SOURCES]
    fill = [s for s in sources if s not in CORE_SOURCES]
    order = [(s, i) for s in core for i in range(len(per_source[s]))]
    fill_order = sorted((i / len(per_source[s]), s, i) for s in fill for i in range(len(per_source[s])))
    order += [(s, i) for _, s, i in fill_order]
    limit = int(args.max_mb * 1_000_000)
    buffer = io.BytesIO()
    chosen = []
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as gz:
        for source, i in order:
            line = per_source[source][i]
            gz.write((line + "\n").encode("utf-8"))
            chosen.append((source, line))
            if buffer.tell() >= limit:
                break
    rng.shuffle(chosen)
    written = {s: 0 for s in sources}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0) as gz:
        for source, line in chosen:
            gz.write((line + "\n").encode("utf-8"))
            written[source] += 1
    tokens = sum(len(line.split()) for _, line in chosen)
    size = out.stat().st_size / 1e6
    print(f"wrote {len(chosen)} sentences, {tokens} tokens to {out} ({size:.1f} MB): {written}")


if __name__ == "__main__":
    run_script(main)
