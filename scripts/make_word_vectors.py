"""Word vectors from the Wikipedia sample, for ctx-DocNADEe (``CtxDocNADE(embeddings=FILE)``).

The paper feeds ctx-DocNADEe GloVe vectors trained on a large general corpus; nothing can be
downloaded here, so this script derives vectors of the same kind from the Wikipedia sample in
``$STRUCTNLP_DATA/raw_text`` (36,183 articles, about 9.3M tokens): lower-cased runs of letters
and digits, the ``--max-words`` most frequent words (other tokens are dropped before the
windows are taken), and :func:`topics.embeddings.ppmi_svd_embeddings` (PPMI of co-occurrence
within ``--window`` words, truncated SVD, unit-length rows). The result is a word2vec text file
(``count dimension`` header, then ``word x1 x2 ...``), written atomically.

Run from the repository root (about two minutes)::

    python scripts/make_word_vectors.py --out .devdata/wiki_vectors.txt.gz
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from structnlp.datasets import (
    load_wikipedia,  # noqa: E402
    run_script,  # noqa: E402
)
from structnlp.files import atomic_write  # noqa: E402
from structnlp.params import count_argument  # noqa: E402
from structnlp.tokenize import RegexTokenizer  # noqa: E402
from topics.embeddings import ppmi_svd_embeddings  # noqa: E402

#: lower-cased runs of letters and digits, the form of the topic sets' words
WORDS = RegexTokenizer(r"[a-z0-9]+", lowercase=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="word2vec text file to write (.gz to compress)")
    parser.add_argument("--dim", type=count_argument(1), default=200)
    parser.add_argument("--max-words", type=count_argument(1), default=30_000)
    parser.add_argument("--window", type=count_argument(1), default=5)
    parser.add_argument("--root", help="data root (default: $STRUCTNLP_DATA, then ../shared/data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-articles", type=count_argument(1), help="read only the first N articles (for a quick check)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    articles = [
        WORDS.tokenize(a["text"])
        for a in itertools.islice(load_wikipedia(root=args.root), args.max_articles)
    ]
    counts = Counter(w for a in articles for w in a)
    words = [w for w, _ in counts.most_common(args.max_words)]
    index = {w: i for i, w in enumerate(words)}
    docs = [np.array([index[w] for w in a if w in index], dtype=np.int64) for a in articles]
    print(f"{len(articles)} articles, {sum(counts.values())} tokens, {len(words)} words kept")
    vectors = ppmi_svd_embeddings(docs, len(words), args.dim, window=args.window, random_state=args.seed)
    mode = "wb" if args.out.endswith(".gz") else "w"
    with atomic_write(args.out, mode=mode, encoding=None if mode == "wb" else "utf-8") as raw:
        lines = [f"{len(words)} {args.dim}"]
        lines += [w + " " + " ".join(f"{x:.5f}" for x in row) for w, row in zip(words, vectors, strict=True)]
        text = "\n".join(lines) + "\n"
        raw.write(gzip.compress(text.encode("utf-8"), mtime=0) if mode == "wb" else text)
    print(f"wrote {args.out}: {len(words)} x {args.dim} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    run_script(main)
