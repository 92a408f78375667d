"""The shared training loop: batching, optimisation, checkpoints and exact resume, early stopping, DDP."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import json
import math
import os
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError  # noqa: E402
from structnlp.modelio import load_model  # noqa: E402
from structnlp.training import (  # noqa: E402
    CHECKPOINT_CLASS,
    TrainConfig,
    TrainResult,
    batches_by_token_budget,
    seed_everything,
    select_device,
    to_device,
    train,
)

SCRIPT = Path(__file__).with_name("training_script.py")
_spec = importlib.util.spec_from_file_location("training_script", SCRIPT)
script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)


def _params(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def _run(model, examples, lengths, collate, loss_fn, config, **kwargs) -> TrainResult:
    return train(model, examples, lengths=lengths, collate=collate, loss_fn=loss_fn, config=config, **kwargs)


def _subprocess_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------- token-budget batches


def test_batches_by_hand():
    lengths = [5, 1, 3, 2, 8]
    # sorted costs 1 (i1), 2 (i3), 3 (i2), 5 (i0), 8 (i4) under a budget of 6 tokens
    assert batches_by_token_budget(lengths, 6, shuffle=False) == [[1, 3], [2], [0], [4]]
    assert batches_by_token_budget(lengths, 10, shuffle=False) == [[1, 3, 2], [0], [4]]
    assert batches_by_token_budget(lengths, 100, shuffle=False, max_batch_size=2) == [[1, 3], [2, 0], [4]]
    assert batches_by_token_budget([0, 0, 0], 2, shuffle=False) == [[0, 1], [2]]  # empty counts as 1
    assert batches_by_token_budget([], 8) == []


def test_shards_are_padded_to_equal_counts():
    # 4 batches over 3 ranks: two are repeated from the start so every rank gets 2
    shards = [
        batches_by_token_budget([5, 1, 3, 2, 8], 6, shuffle=False, rank=r, world_size=3) for r in range(3)
    ]
    assert shards == [[[1, 3], [4]], [[2], [1, 3]], [[0], [2]]]


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 60), max_size=80),
    budget=st.integers(1, 200),
    max_batch_size=st.none() | st.integers(1, 12),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    epoch=st.integers(0, 5),
)
def test_batching_invariants(lengths, budget, max_batch_size, shuffle, seed, epoch):
    args = {"max_batch_size": max_batch_size, "shuffle": shuffle, "seed": seed, "epoch": epoch}
    batches = batches_by_token_budget(lengths, budget, **args)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))  # each example exactly once
    costs = [max(n, 1) for n in lengths]
    for b in batches:
        assert b, "no empty batch"
        assert len(b) * max(costs[i] for i in b) <= budget or len(b) == 1
        assert max_batch_size is None or len(b) <= max_batch_size
    spans = sorted((min(costs[i] for i in b), max(costs[i] for i in b)) for b in batches)
    assert all(
        hi <= next_lo for (_, hi), (next_lo, _) in itertools.pairwise(spans)
    )  # length buckets never overlap
    assert batches_by_token_budget(lengths, budget, **args) == batches  # deterministic
    for world_size in (2, 3):
        shards = [
            batches_by_token_budget(lengths, budget, **args, rank=r, world_size=world_size)
            for r in range(world_size)
        ]
        assert len({len(s) for s in shards}) == 1  # same number of batches on every rank
        flat = [b for s in shards for b in s]
        assert {i for b in flat for i in b} == set(range(len(lengths)))
        assert len(flat) - len(batches) < world_size  # at most world_size - 1 repeated batches
        if len(batches) % world_size == 0:
            assert sorted(map(sorted, flat)) == sorted(map(sorted, batches))  # disjoint shards


def test_shuffle_changes_with_epoch_but_not_batch_count():
    lengths = [i % 7 for i in range(100)]
    e0 = batches_by_token_budget(lengths, 20, seed=3, epoch=0)
    e1 = batches_by_token_budget(lengths, 20, seed=3, epoch=1)
    assert e0 != e1 and len(e0) == len(e1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1, -2], 4), r"non-negative; example 1 has -2"),
        (([1.5, 2.0], 4), r"1-d sequence of ints"),
        (([[1, 2]], 4), r"1-d sequence of ints, got an array of shape \(1, 2\)"),
        (([1, 2], 0), r"batch_tokens must be a positive int, got 0"),
    ],
)
def test_batching_bad_input(args, message):
    with pytest.raises(StructNLPError, match=message):
        batches_by_token_budget(*args)


def test_batching_bad_rank():
    with pytest.raises(StructNLPError, match=r"need 0 <= rank < world_size, got rank=2, world_size=2"):
        batches_by_token_budget([1, 2], 4, rank=2, world_size=2)


# --------------------------------------------------------------------------- helpers


def test_select_device():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(StructNLPError, match=r"unknown device 'gpu'"):
        select_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
@pytest.mark.parametrize("spec", ["cuda", "cuda:1"])
def test_cuda_without_cuda_is_a_clear_error(spec):
    with pytest.raises(
        StructNLPError, match=rf"device '{spec}' requested but CUDA is not available .*device='cpu'"
    ):
        select_device(spec)
    model, examples, lengths, collate, loss_fn, config = script.build(device=spec)
    with pytest.raises(StructNLPError, match="CUDA is not available"):
        _run(model, examples, lengths, collate, loss_fn, config)


def test_seed_everything_seeds_all_generators():
    import random

    seed_everything(11)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(11)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


def test_to_device_keeps_structure():
    Pair = namedtuple("Pair", "a b")

    @dataclasses.dataclass
    class Batch:
        ids: torch.Tensor
        name: str

    batch = {"p": Pair(torch.ones(1), [torch.zeros(2), 3]), "d": Batch(torch.arange(3), "x"), "t": (1, "s")}
    moved = to_device(batch, torch.device("cpu"))
    assert isinstance(moved["p"], Pair) and isinstance(moved["d"], Batch) and moved["t"] == (1, "s")
    assert torch.equal(moved["d"].ids, torch.arange(3)) and moved["d"].name == "x"
    assert moved["p"].b[1] == 3 and torch.equal(moved["p"].b[0], torch.zeros(2))


# --------------------------------------------------------------------------- training


def test_loss_decreases_and_weights_are_learned():
    x, y = script.regression_data(64)
    examples = list(zip(x, y, strict=True))
    model = torch.nn.Linear(3, 1)
    records = []
    config = TrainConfig(max_epochs=40, lr=0.05, batch_tokens=16, device="cpu", log=records.append)

    def collate(batch):
        return torch.stack([b[0] for b in batch]), torch.stack([b[1] for b in batch])

    def loss_fn(m, batch):
        return ((m(batch[0]).squeeze(-1) - batch[1]) ** 2).mean()

    result = _run(model, examples, [1] * 64, collate, loss_fn, config)
    assert (result.epochs, result.steps, result.stopped_early, result.resumed_from_step) == (
        40,
        160,
        False,
        None,
    )
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 40 and losses[-1] < losses[0] / 100
    assert [h["epoch"] for h in result.history] == list(range(1, 41))
    assert [h["step"] for h in result.history] == list(range(4, 161, 4))
    np.testing.assert_allclose(model.weight.detach().numpy()[0], script.WEIGHTS, atol=0.02)
    assert model.bias.item() == pytest.approx(0.3, abs=0.02)
    assert records == result.history  # the log callback sees every record


def test_sequence_batches_with_padding_and_dict_batches():
    # classify whether a token sequence contains token 1: embeddings, masks, varied lengths
    rng = np.random.default_rng(0)
    seqs = [rng.integers(2, 6, size=rng.integers(1, 9)).tolist() for _ in range(60)]
    labels = [i % 2 for i in range(60)]
    for seq, label in zip(seqs, labels, strict=True):
        if label:
            seq[rng.integers(len(seq))] = 1
    examples = list(zip(seqs, labels, strict=True))

    class Bag(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(6, 4, padding_idx=0)
            self.out = torch.nn.Linear(4, 1)

        def forward(self, ids, mask):
            pooled = (self.emb(ids) * mask.unsqueeze(-1)).amax(dim=1)
            return self.out(pooled).squeeze(-1)

    sizes = []

    def collate(batch):
        width = max(len(s) for s, _ in batch)
        ids = torch.tensor([s + [0] * (width - len(s)) for s, _ in batch])
        sizes.append(ids.numel())
        return {"ids": ids, "mask": (ids > 0).float(), "y": torch.tensor([float(y) for _, y in batch])}

    def loss_fn(model, b):
        return torch.nn.functional.binary_cross_entropy_with_logits(model(b["ids"], b["mask"]), b["y"])

    torch.manual_seed(0)
    model = Bag()
    config = TrainConfig(max_epochs=12, lr=0.1, batch_tokens=24, device="cpu")
    result = _run(model, examples, [len(s) for s in seqs], collate, loss_fn, config)
    assert max(sizes) <= 24  # every padded batch (longest example <= budget) stays within the budget
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"] / 5
    with torch.no_grad():
        ids = collate(examples)
        accuracy = ((model(ids["ids"], ids["mask"]) > 0).float() == ids["y"]).float().mean().item()
    assert accuracy == 1.0


def test_gradient_clipping_bounds_the_update():
    def loss_fn(model, batch):
        return 100.0 * model.weight.sum() + 0.0 * model(batch).sum()  # gradient 100 per weight, norm 200

    for clip, expected in ((1.0, -0.5), (None, -100.0)):
        model = torch.nn.Linear(2, 2, bias=False)
        torch.nn.init.zeros_(model.weight)
        config = TrainConfig(
            max_epochs=1, optimizer="sgd", lr=1.0, grad_clip=clip, batch_tokens=4, device="cpu"
        )
        _run(model, [torch.ones(2)], [1], torch.stack, loss_fn, config)
        np.testing.assert_allclose(model.weight.detach().numpy(), np.full((2, 2), expected), rtol=1e-6)


@pytest.mark.parametrize(
    ("schedule", "factors"),
    [
        ("constant", [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
        ("linear", [0.5, 1.0, 1.0, 0.75, 0.5, 0.25]),
        (
            "cosine",
            [0.5, 1.0, 1.0, 0.5 * (1 + math.cos(math.pi / 4)), 0.5, 0.5 * (1 - math.cos(math.pi / 4))],
        ),
    ],
)
def test_learning_rate_schedule_with_warmup(schedule, factors):
    # loss = sum(w) has gradient 1, so plain SGD moves each weight by exactly the learning rate
    seen = []

    def loss_fn(model, batch):
        seen.append(model.weight.item())
        return model.weight.sum() + 0.0 * model(batch).sum()

    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(model.weight)
    config = TrainConfig(
        max_epochs=6,
        optimizer="sgd",
        lr=0.1,
        grad_clip=None,
        schedule=schedule,
        warmup_steps=2,
        batch_tokens=1,
        device="cpu",
    )
    _run(model, [torch.ones(1)], [1], torch.stack, loss_fn, config)
    seen.append(model.weight.item())
    np.testing.assert_allclose(-np.diff(seen), 0.1 * np.array(factors), rtol=1e-5)


def test_max_steps_stops_mid_epoch():
    model, examples, lengths, collate, loss_fn, config = script.build(max_steps=5)
    result = _run(model, examples, lengths, collate, loss_fn, config)
    assert (result.steps, result.epochs) == (5, 0)
    assert [(h["epoch"], h["step"]) for h in result.history] == [(1, 5)]


def test_amp_on_cpu_trains_in_bfloat16():
    model, examples, lengths, collate, loss_fn, config = script.build(amp=True, max_epochs=4)
    dtypes = []

    def loss_and_dtype(model, batch):
        dtypes.append(model(batch["x"]).dtype)
        return loss_fn(model, batch)

    result = _run(model, examples, lengths, collate, loss_and_dtype, config)
    assert set(dtypes) == {torch.bfloat16}
    assert next(model.parameters()).dtype == torch.float32
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"] / 3


def test_progress_bar(capsys):
    model, examples, lengths, collate, loss_fn, config = script.build(progress=True, max_epochs=1)
    _run(model, examples, lengths, collate, loss_fn, config)
    assert "epoch 1/1" in capsys.readouterr().err


# --------------------------------------------------------------------------- checkpoints and resume


def _straight_run(**changes):
    model, examples, lengths, collate, loss_fn, config = script.build(**changes)
    return model, _run(model, examples, lengths, collate, loss_fn, config)


def test_crash_and_resume_matches_an_uninterrupted_run(tmp_path):
    reference, expected = _straight_run()

    model, examples, lengths, collate, loss_fn, config = script.build(
        checkpoint_dir=tmp_path, checkpoint_every=3
    )
    calls = 0

    def crashing(model, batch):
        nonlocal calls
        calls += 1
        if calls == 8:
            raise KeyboardInterrupt
        return loss_fn(model, batch)

    with pytest.raises(KeyboardInterrupt):
        _run(model, examples, lengths, collate, crashing, config)
    saved = load_model(tmp_path / "last", expected_class=CHECKPOINT_CLASS, supported_versions={1})
    assert saved.config["run"]["step"] == 6

    fresh, *_ = script.build(init_seed=99)  # other initial weights: the checkpoint must overwrite them
    result = _run(fresh, examples, lengths, collate, loss_fn, config)
    assert result.resumed_from_step == 6
    assert _same(_params(fresh), _params(reference))
    assert result.history == expected.history
    assert (result.steps, result.epochs) == (expected.steps, expected.epochs)


def test_train_one_epoch_then_resume_for_a_second(tmp_path):
    reference, expected = _straight_run(max_epochs=2)
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    first = _run(model, examples, lengths, collate, loss_fn, config)
    assert first.epochs == 1
    fresh, *_ = script.build(init_seed=7)
    config = dataclasses.replace(config, max_epochs=2)
    result = _run(fresh, examples, lengths, collate, loss_fn, config)
    assert result.resumed_from_step == first.steps
    assert _same(_params(fresh), _params(reference))
    assert result.history == expected.history


@pytest.mark.slow
def test_sigkilled_run_resumes_exactly(tmp_path):
    killed = subprocess.run(
        [sys.executable, str(SCRIPT), "kill", str(tmp_path), "7"],
        env=_subprocess_env(),
        capture_output=True,
        timeout=120,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last"]  # no half-written checkpoint left behind
    reference, expected = _straight_run()
    model, examples, lengths, collate, loss_fn, config = script.build(
        init_seed=3, checkpoint_dir=tmp_path, checkpoint_every=2
    )
    result = _run(model, examples, lengths, collate, loss_fn, config)
    assert result.resumed_from_step == 6
    assert _same(_params(model), _params(reference))
    assert result.history == expected.history


def test_finished_run_returns_at_once_and_resume_false_starts_afresh(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    first = _run(model, examples, lengths, collate, loss_fn, config)
    again = _run(model, examples, lengths, collate, loss_fn, config)
    assert again.resumed_from_step == first.steps and again.history == first.history
    model2, *_ = script.build()
    fresh = _run(model2, examples, lengths, collate, loss_fn, dataclasses.replace(config, resume=False))
    assert fresh.resumed_from_step is None and fresh.history == first.history


def test_resume_refuses_other_data_optimizer_or_model(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    _run(model, examples, lengths, collate, loss_fn, config)
    with pytest.raises(
        StructNLPError, match=r"training examples differ .*resume=False or another checkpoint_dir"
    ):
        _run(model, examples[:-1], lengths[:-1], collate, loss_fn, config)
    with pytest.raises(StructNLPError, match=r"checkpoint uses optimizer 'adam', the config says 'sgd'"):
        _run(model, examples, lengths, collate, loss_fn, dataclasses.replace(config, optimizer="sgd"))
    other = torch.nn.Linear(3, 1)
    with pytest.raises(
        ModelFileError,
        match=r"checkpoint is of another model \(Error\(s\) in loading state_dict for Linear: Missing key",
    ):
        _run(other, examples, lengths, collate, loss_fn, config)


def test_damaged_checkpoint_is_a_model_file_error(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    _run(model, examples, lengths, collate, loss_fn, config)
    arrays = tmp_path / "last" / "arrays.safetensors"
    arrays.write_bytes(arrays.read_bytes()[:-4])
    with pytest.raises(ModelFileError, match=r"arrays.safetensors: truncated"):
        _run(model, examples, lengths, collate, loss_fn, config)


def test_edited_checkpoint_state_is_a_model_file_error(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    _run(model, examples, lengths, collate, loss_fn, config)
    path = tmp_path / "last" / "config.json"
    header = json.loads(path.read_text())
    header["config"]["run"]["steps"] = header["config"]["run"].pop("step")
    path.write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"last/config.json: the training state is damaged \(TypeError"):
        _run(model, examples, lengths, collate, loss_fn, config)
    del header["config"]["rng"]
    path.write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"the training state is damaged \(KeyError\('rng'\)\)"):
        _run(model, examples, lengths, collate, loss_fn, config)


def test_checkpoint_holds_no_pickle(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    _run(model, examples, lengths, collate, loss_fn, config)
    assert sorted(p.name for p in (tmp_path / "last").iterdir()) == ["arrays.safetensors", "config.json"]
    header = json.loads((tmp_path / "last" / "config.json").read_text())
    assert header["metadata"]["train_config"]["optimizer"] == "adam"
    assert any(name.startswith("optimizer.state") for name in header["arrays"])


# --------------------------------------------------------------------------- early stopping


def _scripted_validation(metrics):
    """A validate function returning ``metrics`` in turn and remembering the weights it saw."""
    snapshots = []

    def validate(model):
        snapshots.append([p.detach().clone() for p in model.parameters()])
        assert not model.training and not torch.is_grad_enabled()
        return metrics[len(snapshots) - 1]

    return validate, snapshots


@pytest.mark.parametrize(
    ("mode", "metrics", "best_index"),
    [("max", [0.5, 0.7, 0.6, 0.65, 0.9, 1.0], 1), ("min", [3.0, 2.0, 2.5, 1.0, 1.5, 1.7], 3)],
)
def test_early_stopping_restores_the_best_weights(mode, metrics, best_index):
    validate, snapshots = _scripted_validation(metrics)
    model, examples, lengths, collate, loss_fn, config = script.build(
        max_epochs=10, patience=2, metric_mode=mode
    )
    result = _run(model, examples, lengths, collate, loss_fn, config, validate=validate)
    steps_per_epoch = result.steps // result.epochs
    assert result.stopped_early and result.epochs == best_index + 3
    assert [h["metric"] for h in result.history] == metrics[: best_index + 3]
    assert (
        result.best_metric == metrics[best_index] and result.best_step == (best_index + 1) * steps_per_epoch
    )
    assert _same(_params(model), snapshots[best_index])
    assert not _same(snapshots[-1], snapshots[best_index])


def test_validate_every_steps_and_nan_never_best(tmp_path):
    metrics = [float("nan"), 1.0, 2.0, 0.5, 0.4, 0.3]
    validate, snapshots = _scripted_validation(metrics)
    model, examples, lengths, collate, loss_fn, config = script.build(
        max_epochs=10, validate_every=4, patience=3, checkpoint_dir=tmp_path
    )
    result = _run(model, examples, lengths, collate, loss_fn, config, validate=validate)
    validations = [h for h in result.history if h["metric"] is not None]
    assert [h["step"] for h in validations] == [4, 8, 12, 16, 20, 24]
    assert result.best_metric == 2.0 and result.best_step == 12 and result.stopped_early
    assert _same(_params(model), snapshots[2])
    # resuming the finished run keeps the best weights and the early-stopping verdict
    fresh, *_ = script.build(init_seed=4)
    again = _run(fresh, examples, lengths, collate, loss_fn, config, validate=validate)
    assert again.stopped_early and again.best_step == 12
    assert _same(_params(fresh), snapshots[2])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"optimizer": "lbfgs"},
            r"TrainConfig.optimizer must be one of \('adam', 'adamw', 'sgd'\), got 'lbfgs'",
        ),
        ({"schedule": "step"}, r"TrainConfig.schedule must be one of"),
        ({"metric_mode": "best"}, r"TrainConfig.metric_mode must be one of \('max', 'min'\)"),
        ({"max_epochs": 0}, r"TrainConfig.max_epochs must be a positive int, got 0"),
        ({"batch_tokens": 2.5}, r"TrainConfig.batch_tokens must be a positive int, got 2.5"),
        ({"patience": 0}, r"TrainConfig.patience must be a positive int or None, got 0"),
        ({"lr": 0.0}, r"TrainConfig.lr must be a positive number, got 0.0"),
        ({"lr": float("nan")}, r"TrainConfig.lr must be a positive number, got nan"),
        ({"lr": -1, "owner": "DocNADE"}, r"DocNADE.lr must be a positive number, got -1"),
        ({"momentum": -0.5}, r"TrainConfig.momentum must be a non-negative number, got -0.5"),
        ({"grad_clip": -1.0}, r"TrainConfig.grad_clip must be a positive number or None, got -1.0"),
        ({"seed": -1}, r"TrainConfig.seed must be an int in \[0, 2\*\*32\), got -1"),
        ({"warmup_steps": -1}, r"TrainConfig.warmup_steps must be a non-negative int"),
        ({"device": 0}, r"TrainConfig.device must be a string"),
        # a string is true: these trained with shuffling, resumed, ... whatever the string said
        ({"shuffle": "no"}, r"TrainConfig.shuffle must be True or False, got 'no'"),
        ({"resume": "False"}, r"TrainConfig.resume must be True or False, got 'False'"),
        ({"amp": "false"}, r"TrainConfig.amp must be True or False"),
        ({"restore_best": None}, r"TrainConfig.restore_best must be True or False"),
        ({"lr": True}, r"TrainConfig.lr must be a positive number, got True"),
        ({"grad_clip": True}, r"TrainConfig.grad_clip must be a positive number or None, got True"),
    ],
)
def test_bad_config(changes, message):
    with pytest.raises(StructNLPError, match=message):
        TrainConfig(**changes)


def test_numpy_numbers_and_bools_are_accepted():
    # np.float32 (from a grid of learning rates) was refused as "not a positive number"
    config = TrainConfig(lr=np.float32(0.5), momentum=np.float64(0.9), shuffle=np.bool_(False))
    assert type(config.lr) is float and config.lr == 0.5 and config.momentum == 0.9


def test_examples_must_be_indexable():
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1)
    with pytest.raises(StructNLPError, match=r"examples must be a sequence .*got generator; use list"):
        _run(model, (e for e in examples), lengths, collate, loss_fn, config)
    with pytest.raises(StructNLPError, match=r"lengths must be a 1-d sequence of ints, .* dtype float64"):
        _run(model, examples, [float(n) for n in lengths], collate, loss_fn, config)


def test_bad_training_input():
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1)
    with pytest.raises(EmptyCorpusError, match="no training examples"):
        _run(model, [], [], collate, loss_fn, config)
    with pytest.raises(StructNLPError, match=r"got 40 examples but lengths has shape \(39,\)"):
        _run(model, examples, lengths[:-1], collate, loss_fn, config)
    with pytest.raises(StructNLPError, match="patience and validate_every need a validate function"):
        _run(model, examples, lengths, collate, loss_fn, dataclasses.replace(config, patience=2))
    with pytest.raises(StructNLPError, match=r"loss_fn must return a scalar tensor, got \(\d+,\)"):
        _run(model, examples, lengths, collate, lambda m, b: m(b["x"]).squeeze(-1), config)
    with pytest.raises(StructNLPError, match=r"loss_fn must return a scalar tensor, got tuple"):
        _run(model, examples, lengths, collate, lambda m, b: (loss_fn(m, b), 3), config)
    with pytest.raises(StructNLPError, match="does not depend on any trainable parameter"):
        _run(model, examples, lengths, collate, lambda m, b: b["y"].sum(), config)
    with pytest.raises(
        FloatingPointError, match=r"loss is nan at step 1 \(epoch 1\); lower the learning rate"
    ):
        _run(model, examples, lengths, collate, lambda m, b: loss_fn(m, b) * float("nan"), config)
    with pytest.raises(StructNLPError, match="validate must return a number, got str"):
        _run(model, examples, lengths, collate, loss_fn, config, validate=lambda m: "good")
    frozen = torch.nn.Linear(3, 1).requires_grad_(False)
    with pytest.raises(StructNLPError, match="the model has no trainable parameters"):
        _run(frozen, examples, lengths, collate, loss_fn, config)
    with pytest.raises(StructNLPError, match="config must be a TrainConfig, got dict"):
        train(model, examples, collate=collate, loss_fn=loss_fn, config={"lr": 0.1})


# --------------------------------------------------------------------------- DDP


@pytest.mark.slow
def test_ddp_two_cpu_processes_with_gloo(tmp_path):
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--standalone",
        str(SCRIPT),
        "ddp",
        str(tmp_path),
    ]
    done = subprocess.run(command, env=_subprocess_env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert ranks[0]["params"] == ranks[1]["params"]  # replicas stay identical
    assert ranks[0]["history"] == ranks[1]["history"]  # losses and metrics are averaged over ranks
    assert ranks[0]["steps"] == 6 * 4  # 64 examples, 8 per batch, 8 batches split over 2 ranks
    for epoch in range(6):
        mine, theirs = (set().union(*r["seen"][4 * epoch : 4 * epoch + 4]) for r in ranks)
        assert not mine & theirs and mine | theirs == set(range(64))  # disjoint shards covering the data
    history = ranks[0]["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 10
    x, y = script.regression_data(64)
    weight, bias = (torch.tensor(p) for p in ranks[0]["params"])
    mse = float(((x @ weight.T).squeeze(-1) + bias - y).pow(2).mean())
    assert history[-1]["metric"] == pytest.approx(mse + 0.5, rel=1e-5)  # mean of mse + 0 and mse + 1
    checkpoint = load_model(
        tmp_path / "checkpoints" / "last", expected_class=CHECKPOINT_CLASS, supported_versions={1}
    )
    assert checkpoint.config["world_size"] == 2 and checkpoint.config["run"]["step"] == 24


def test_resume_mid_epoch_refuses_other_batching_settings(tmp_path):
    # the run skips the batches of the epoch already trained on: other batches would skip some
    # examples and repeat others in that epoch, silently
    model, examples, lengths, collate, loss_fn, config = script.build(
        checkpoint_dir=tmp_path, checkpoint_every=3, max_steps=3
    )
    _run(model, examples, lengths, collate, loss_fn, config)
    saved = load_model(tmp_path / "last", expected_class=CHECKPOINT_CLASS, supported_versions={1})
    assert saved.config["run"]["batch_in_epoch"] == 3
    longer = dataclasses.replace(config, max_steps=None)
    for change in ({"batch_tokens": 24}, {"seed": 6}, {"shuffle": False}, {"max_batch_size": 2}):
        with pytest.raises(
            StructNLPError, match=r"stopped inside an epoch .*changed \(.*->.*\); resume with"
        ):
            _run(model, examples, lengths, collate, loss_fn, dataclasses.replace(longer, **change))
    result = _run(model, examples, lengths, collate, loss_fn, longer)
    assert result.resumed_from_step == 3


def test_resume_at_an_epoch_end_may_change_the_batches(tmp_path):
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1, checkpoint_dir=tmp_path)
    first = _run(model, examples, lengths, collate, loss_fn, config)
    config = dataclasses.replace(config, max_epochs=2, batch_tokens=24)
    assert _run(model, examples, lengths, collate, loss_fn, config).resumed_from_step == first.steps


def test_unusable_checkpoint_dir_is_named_before_training(tmp_path):
    # both failed only when the first checkpoint was written, after an epoch of training
    model, examples, lengths, collate, loss_fn, config = script.build(max_epochs=1)
    calls = []

    def counting(model, batch):
        calls.append(1)
        return loss_fn(model, batch)

    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(StructNLPError, match=r"checkpoint_dir .*notes.txt is a file, not a folder"):
        _run(model, examples, lengths, collate, counting, dataclasses.replace(config, checkpoint_dir=a_file))
    (tmp_path / "run" / "last").mkdir(parents=True)
    (tmp_path / "run" / "last" / "thesis.tex").write_text("precious")
    with pytest.raises(ModelFileError, match=r"last: exists and is not a checkpoint"):
        _run(
            model, examples, lengths, collate, counting,
            dataclasses.replace(config, checkpoint_dir=tmp_path / "run", resume=False),
        )  # fmt: skip
    assert calls == [] and (tmp_path / "run" / "last" / "thesis.tex").read_text() == "precious"
