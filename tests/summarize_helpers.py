"""Shared by the summarizer tests: a three-article toy corpus and a tiny model that memorises it."""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

DOCS = [
    "The storm hit the coast on Monday. Trees fell across roads. Power failed in the town of Dover.",
    "The team won the cup final. Fans cheered in the streets. The coach praised the young players.",
    "Prices rose again in March. Shops blamed the cost of energy. Sales of bread fell sharply.",
]
SUMMARIES = [
    "The storm hit the coast on Monday. Power failed in the town of Dover.",
    "The team won the cup final.",
    "Shops blamed the cost of energy.",
]
#: the sentences of DOCS that SUMMARIES use
USED = [[0, 2], [0], [1]]
#: settings under which 80 epochs memorise the corpus (about 15 s on one CPU thread)
TINY = dict(word_dim=24, lemma_dim=8, pos_dim=8, min_count=1, batch_tokens=1000, tokenizer="nltk", lr=0.01,
            dropout=0.0, min_summary_tokens=0, device="cpu", random_state=0)  # fmt: skip


@functools.lru_cache(maxsize=1)
def tiny_model():
    """A summarizer trained (once per process) until it reproduces :data:`SUMMARIES`."""
    from summarize import HierarchicalNSESummarizer

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return HierarchicalNSESummarizer(max_epochs=80, **TINY).fit(DOCS, SUMMARIES)
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def one_thread():
    """These models are tiny: one thread avoids OpenMP hand-offs that dominate on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
