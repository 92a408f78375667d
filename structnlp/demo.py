"""``structnlp demo``: the shared pipeline and every installed model family on bundled data.

The core section shows what every family builds on (the embedded tokenizer with lemmas and
POS tags, the bag-of-words features). Each model package contributes its own section through
an optional ``<package>/demo.py`` module with a ``run(quiet: bool) -> None`` function, so the
demo grows as the families land without the core importing them.
"""

from __future__ import annotations

import importlib
import importlib.util
import time

from structnlp._version import __version__

FAMILIES = {
    "tsetlin": "Tsetlin Machine text classifier with readable rules",
    "parsing": "unsupervised constituency and dependency parsing",
    "summarize": "hierarchical NSE summarizer",
    "topics": "neural autoregressive topic models",
}


def _heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 72 - len(title)))


def _core_section() -> None:
    from structnlp.datasets import load_demo
    from structnlp.features import BooleanBagOfWords
    from structnlp.tokenize import get_tokenizer

    texts, labels = load_demo("medical_abstracts_sample")
    print(
        f"Bundled data: {len(texts)} medical abstracts, {len(set(labels))} classes "
        "(Medical Abstracts TC corpus, CC BY-SA 3.0)."
    )

    nlp = get_tokenizer("spacy", model="embedded")  # the one it names, en_core_web_sm or not
    sentences = nlp.analyze(texts[0])
    first = sentences[0]
    print(
        f"\nTokenizer: {nlp.name} (embedded pipeline trained on UD English EWT) — "
        f"{len(sentences)} sentences in the first abstract; its first sentence:"
    )
    width = max(len(t.text) for t in first)
    lwidth = max(len(t.lemma) for t in first)
    print(f"  {'token':<{width}}  {'lemma':<{lwidth}}  POS")
    for token in first:
        print(f"  {token.text:<{width}}  {token.lemma:<{lwidth}}  {token.pos}")

    bow = BooleanBagOfWords(ngram_range=(1, 2), min_df=2, max_features=5000)
    X = bow.fit_transform(texts)
    print(
        f"\nBoolean bag-of-words (1-2-grams, min_df=2): {X.shape[0]} x {X.shape[1]} sparse 0/1 matrix, "
        f"{X.nnz / X.shape[0]:.0f} features present per document "
        f"({100 * X.nnz / (X.shape[0] * X.shape[1]):.1f}% dense)."
    )


def run_demo(quiet: bool = False) -> None:
    """Run the demo: the core pipeline, then each model family this installation has.

    ``quiet`` hides progress bars (results are always printed).
    """
    print(f"structnlp {__version__} demo — everything below runs offline on the CPU.")
    start = time.perf_counter()
    _heading("Shared pipeline")
    _core_section()
    for package, description in FAMILIES.items():
        _heading(f"{package}: {description}")
        if importlib.util.find_spec(f"{package}.demo") is None:
            print("not in this version yet.")
            continue
        section_start = time.perf_counter()
        importlib.import_module(f"{package}.demo").run(quiet=quiet)
        print(f"({time.perf_counter() - section_start:.1f} s)")
    print(f"\nDemo finished in {time.perf_counter() - start:.1f} s.")
