"""The topic-model section of ``structnlp demo``: DocNADE topics on the bundled Lee news corpus."""

from __future__ import annotations

import time

#: Settings of the demo model: small enough to train in seconds on two CPU cores.
DEMO_PARAMS = {
    "n_topics": 20,
    "optimizer": "sgd",  # more coherent topics than Adam (see DocNADE's docstring)
    "lr": 10.0,
    "max_epochs": 15,
    "batch_tokens": 4096,
    "min_count": 10,
    "stop_words": "english",
    "random_state": 0,
    "device": "cpu",
}
N_SHOWN = 8
TOP_N = 8


def run(quiet: bool = False) -> None:
    """Train DocNADE on 270 Lee background documents, print its most coherent topics and perplexity.

    ``quiet`` hides the progress bar. The 30 other documents are held out for the perplexity;
    NPMI (window 10) is measured on all 300.
    """
    from structnlp.datasets import load_demo
    from topics import DocNADE

    docs = load_demo("lee_background")
    train, held_out = docs[:270], docs[270:]
    print(
        f"Bundled data: Lee news corpus, {len(docs)} documents (gensim test data, LGPL-2.1); "
        f"training on {len(train)}, {len(held_out)} held out."
    )
    start = time.perf_counter()
    model = DocNADE(progress=not quiet, **DEMO_PARAMS).fit(train)
    seconds = time.perf_counter() - start
    print(
        f"DocNADE: {model.n_topics} topics over {len(model.vocabulary_)} words (seen >= 10 times, "
        f"no stop words), {model.n_iter_} epochs in {seconds:.1f} s."
    )
    scores = model.coherence(docs, measure="npmi", top_n=TOP_N)
    ranked = sorted(zip(scores["per_topic"], model.topics(TOP_N), strict=True), key=lambda pair: -pair[0])
    print(f"\nThe {N_SHOWN} most coherent topics (NPMI of the top {TOP_N} words, window 10):")
    for npmi, words in ranked[:N_SHOWN]:
        print(f"  {npmi:+.3f}  {' '.join(words)}")
    print(f"Mean NPMI over all {model.n_topics} topics: {scores['coherence']:+.3f}")
    print(
        f"Held-out perplexity: {model.perplexity(held_out):.1f} per word "
        f"(a uniform model would have {len(model.vocabulary_)})."
    )
