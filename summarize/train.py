"""Training of the summarization network: maximum likelihood, then optional self-critical RL.

Both phases run through :func:`structnlp.training.train` (token-budget batches, Adam, gradient
clipping, checkpoints, best-weight selection). A phase bounded by wall-clock minutes (the
training script's ``--max-minutes``) is run in chunks of optimiser steps that resume from the
loop's own checkpoint, so the optimiser state and the batch order continue exactly; the chunk
size is set from the measured speed so that the last chunk ends near the deadline. A phase
bounded by epochs or steps only is deterministic for a given seed on the CPU.

The validation metric (larger is better) is the mean of two ROUGE-1 F scores against the
validation targets, computed on word ids by :mod:`summarize.scoring` (no ``rouge-score``
needed): the top-3 sentences of the extractive head ranked by coverage (probability × length,
as the summarizer ranks them), and the greedy abstractive summary of at
most 3 sentences. Both phases keep the weights that scored best; the RL phase is kept only if
it beats the likelihood phase's best.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from structnlp.training import TrainConfig, batches_by_token_budget, to_device, train
from summarize.model import EOS, Constraints, Example, HierNSENet, collate, greedy_decode
from summarize.scoring import rouge_n

__all__ = ["PhaseSettings", "run_phase", "validation_metric"]


@dataclass
class PhaseSettings:
    """Limits and settings of one training phase (``objective`` ``"ml"`` or ``"rl"``)."""

    objective: str = "ml"
    lr: float = 1e-3
    max_epochs: int = 10
    max_steps: int | None = None
    max_minutes: float | None = None
    batch_tokens: int = 8192
    patience: int | None = None
    extract_weight: float = 1.0
    rl_weight: float = 0.9
    max_length: int = 100
    seed: int = 0
    device: str = "auto"
    progress: bool = False
    log: Callable[[dict[str, Any]], None] | None = None


def _extract_words(example: Example, logits: np.ndarray, k: int = 3) -> list[int]:
    """The top-``k`` sentences by coverage (probability × length), as ``rank_by="coverage"`` picks them.

    Lengths here count tokens, punctuation included: ids carry no word/punctuation flag, and
    the difference hardly moves a ranking used only to compare checkpoints.
    """
    lengths = np.asarray(example.sentence_lengths, dtype=np.float64)
    coverage = lengths / (1.0 + np.exp(-logits[: lengths.size].astype(np.float64)))
    order = sorted(np.argsort(-coverage, kind="stable")[:k].tolist())
    starts = np.concatenate([[0], np.cumsum(example.sentence_lengths)])
    return [int(w) for s in order for w in example.ext[starts[s] : starts[s + 1]]]


def validation_metric(
    model: HierNSENet, examples: list[Example], batch_tokens: int, max_length: int = 100
) -> dict[str, float]:
    """Mean ROUGE-1 F (word ids) of the extractive top-3 and the greedy 3-sentence abstract.

    Returns ``{"extractive": ..., "abstractive": ..., "metric": mean of the two}``.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    ext_scores, abs_scores = [], []
    rules = Constraints(max_length=max_length, max_sentences=3)
    try:
        with torch.no_grad():
            lengths = [len(e) for e in examples]
            for indices in batches_by_token_budget(lengths, batch_tokens, shuffle=False):
                group = [examples[i] for i in indices]
                enc = model.encode(to_device(collate(group), device))
                logits = enc.sentence_logits.float().cpu().numpy()
                outputs = greedy_decode(model, enc, rules)
                for row, example in enumerate(group):
                    reference = [int(w) for w in example.target if w != EOS]
                    ext_scores.append(rouge_n(_extract_words(example, logits[row]), reference, 1)["f"])
                    abs_scores.append(rouge_n(outputs[row], reference, 1)["f"])
    finally:
        model.train(was_training)
    extractive, abstractive = float(np.mean(ext_scores)), float(np.mean(abs_scores))
    return {"extractive": extractive, "abstractive": abstractive, "metric": (extractive + abstractive) / 2}


def run_phase(
    model: HierNSENet, examples: list[Example], validation: list[Example] | None, settings: PhaseSettings
) -> list[dict[str, Any]]:
    """Train ``model`` in place for one phase; returns the history records of the phase."""
    s = settings
    lengths = np.array([len(e) for e in examples])

    def loss_fn(net: Any, batch: Any) -> torch.Tensor:
        return net(batch, objective=s.objective, rl_weight=s.rl_weight, extract_weight=s.extract_weight,
                   max_length=s.max_length)  # fmt: skip

    validate = None
    spent = {"validating": 0.0, "validations": 0}
    if validation:

        def validate(net: HierNSENet) -> float:
            started = time.monotonic()
            metric = validation_metric(net, validation, s.batch_tokens, s.max_length)["metric"]
            spent["validating"] += time.monotonic() - started
            spent["validations"] += 1
            return metric

    def config(**changes: Any) -> TrainConfig:
        fields = dict(
            lr=s.lr, max_epochs=s.max_epochs, max_steps=s.max_steps, batch_tokens=s.batch_tokens,
            device=s.device, seed=s.seed, patience=s.patience if validation else None, progress=s.progress,
            log=s.log,
            grad_clip=2.0,
        )  # fmt: skip
        fields.update(changes)
        return TrainConfig(**fields)

    if s.max_minutes is None:
        result = train(model, examples, collate=collate, loss_fn=loss_fn, config=config(), lengths=lengths,
                       validate=validate)  # fmt: skip
        return result.history
    deadline = time.monotonic() + 60 * s.max_minutes
    steps_per_epoch = len(batches_by_token_budget(lengths, s.batch_tokens, seed=s.seed))
    limit = min(s.max_steps or math.inf, s.max_epochs * steps_per_epoch)
    done, chunk, history = 0, 1, []
    with tempfile.TemporaryDirectory(prefix="summarize-train-") as folder:
        while done < limit:
            target = int(min(limit, done + chunk))
            started, validating = time.monotonic(), spent["validating"]
            result = train(model, examples, collate=collate, loss_fn=loss_fn,
                           config=config(max_steps=target, checkpoint_dir=folder, resume=True),
                           lengths=lengths, validate=validate)  # fmt: skip
            history = result.history
            if result.stopped_early or result.steps < target:
                break
            training = time.monotonic() - started - (spent["validating"] - validating)
            per_step = max(training, 1e-3) / max(1, target - done)
            per_validation = spent["validating"] / max(1, spent["validations"])
            done = target
            # chunks of an eighth of the budget (at least a minute), each ending with a validation
            left = deadline - time.monotonic() - per_validation
            if left <= per_step:
                break
            chunk = max(1, int(min(left, max(60.0, 7.5 * s.max_minutes)) / per_step))
    return history
