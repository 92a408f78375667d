"""Shared by the topic-model tests: a two-topic toy corpus, a naive DocNADE, a one-thread fixture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

FRUIT = "apple banana cherry grape lemon".split()
ROADS = "car road wheel engine truck".split()
G = {"sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0)}
#: small-model settings under which 20 epochs on TRAIN reach a held-out perplexity near the ideal 5.6
SETTINGS = {"n_topics": 6, "lr": 0.05, "batch_tokens": 128, "random_state": 0, "device": "cpu"}


def two_topic_corpus(n_docs: int, seed: int, length: int = 6) -> list[str]:
    """Documents drawn from one of two disjoint five-word topics.

    Once the first word shows the topic, five words remain equally likely, so the ideal
    per-word perplexity is ``(10 * 5 ** 5) ** (1 / 6)``, about 5.6; a uniform model has 10.
    """
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(FRUIT if rng.random() < 0.5 else ROADS, size=length)) for _ in range(n_docs)]


TRAIN = two_topic_corpus(60, seed=1)
HELD_OUT = two_topic_corpus(20, seed=2)


def naive_nll(doc: list[int], W, c, U, b, g) -> float:
    """-log p(doc), one position at a time: h_i = g(c + sum_{k<i} W[v_k]), softmax(b + U h_i)."""
    total, before = 0.0, np.zeros(W.shape[1])
    for v in doc:
        logits = b + U @ g(c + before)
        top = logits.max()
        total -= logits[v] - top - np.log(np.exp(logits - top).sum())
        before = before + W[v]
    return total


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """These models are tiny: one thread avoids OpenMP hand-offs that dominate on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
