"""Training runs that tests/test_training.py starts in separate processes.

``python tests/training_script.py kill OUT STEP``
    trains the toy problem of :func:`build` with checkpoints in ``OUT`` and kills its own
    process with SIGKILL during step ``STEP`` (a crash, not a clean exit).
``torchrun --nproc_per_node=2 --standalone tests/training_script.py ddp OUT``
    trains a linear regression with DistributedDataParallel (gloo on CPU) and writes each
    rank's final parameters, history and the example indices it saw to ``OUT/rank<r>.json``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np
import torch

from structnlp.training import TrainConfig, train

WEIGHTS = [1.0, -2.0, 0.5]


def regression_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of ``y = x @ WEIGHTS + 0.3`` (noise-free)."""
    x = torch.randn(n, 3, generator=torch.Generator().manual_seed(seed))
    return x, x @ torch.tensor(WEIGHTS) + 0.3


def build(init_seed: int = 0, **config_changes):
    """A small problem exercising every random stream that a resumed run must restore.

    Dropout draws from torch's generator, ``collate`` adds noise from NumPy's global
    generator, Adam carries moment estimates, and the examples have varied lengths so
    that batches vary in size.
    """
    x, y = regression_data(40)
    examples = [(x[i], y[i]) for i in range(40)]
    lengths = [1 + (i * 7) % 5 for i in range(40)]

    def collate(batch):
        inputs = torch.stack([b[0] for b in batch])
        noise = torch.from_numpy(np.random.normal(0.0, 0.01, size=inputs.shape).astype(np.float32))
        return {"x": inputs + noise, "y": torch.stack([b[1] for b in batch])}

    def loss_fn(model, batch):
        return ((model(batch["x"]).squeeze(-1) - batch["y"]) ** 2).mean()

    torch.manual_seed(init_seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.2), torch.nn.Linear(8, 1))
    settings = {"max_epochs": 3, "lr": 0.02, "batch_tokens": 12, "device": "cpu", "seed": 5}
    settings.update(config_changes)
    return model, examples, lengths, collate, loss_fn, TrainConfig(**settings)


def run_and_kill(out: Path, kill_step: int) -> None:
    model, examples, lengths, collate, loss_fn, config = build(checkpoint_dir=out, checkpoint_every=2)
    calls = 0

    def dying_loss(model, batch):
        nonlocal calls
        calls += 1
        if calls == kill_step:
            os.kill(os.getpid(), signal.SIGKILL)
        return loss_fn(model, batch)

    train(model, examples, lengths=lengths, collate=collate, loss_fn=dying_loss, config=config)


def run_ddp(out: Path) -> None:
    rank = int(os.environ["RANK"])
    x, y = regression_data(64)
    examples = [(i, x[i], y[i]) for i in range(64)]
    seen: list[list[int]] = []

    def collate(batch):
        seen.append(sorted(i for i, _, _ in batch))
        return torch.stack([b[1] for b in batch]), torch.stack([b[2] for b in batch])

    def loss_fn(model, batch):
        inputs, targets = batch
        return ((model(inputs).squeeze(-1) - targets) ** 2).mean()

    def validate(model):  # rank-dependent on purpose: the loop must average it over the ranks
        return float(((model(x).squeeze(-1) - y) ** 2).mean()) + rank

    torch.manual_seed(100 + rank)  # different initial weights: DDP must broadcast rank 0's
    model = torch.nn.Linear(3, 1)
    config = TrainConfig(
        max_epochs=6,
        lr=0.1,
        optimizer="sgd",
        grad_clip=5.0,
        batch_tokens=8,
        device="cpu",
        metric_mode="min",
        checkpoint_dir=out / "checkpoints",
    )
    result = train(
        model, examples, lengths=[1] * 64, collate=collate, loss_fn=loss_fn, validate=validate, config=config
    )
    report = {
        "rank": rank,
        "world_size": int(os.environ["WORLD_SIZE"]),
        "params": [p.detach().tolist() for p in model.parameters()],
        "history": result.history,
        "steps": result.steps,
        "seen": seen,
    }
    (out / f"rank{rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    mode, out = sys.argv[1], Path(sys.argv[2])
    if mode == "kill":
        run_and_kill(out, int(sys.argv[3]))
    else:
        run_ddp(out)
