"""The one torch training loop shared by the parsers, the summarizer and the topic models.

A model family supplies four things and :func:`train` does the rest:

* a ``torch.nn.Module``;
* a sequence of training examples and their lengths in tokens;
* ``collate(examples) -> batch`` (tensors, or dicts/tuples/dataclasses of tensors);
* ``loss_fn(model, batch) -> loss``, a scalar tensor to minimise, computed by calling
  ``model(...)`` (so that DistributedDataParallel sees the forward pass);

and optionally ``validate(model) -> float`` for early stopping. The loop handles the
device, seeding, batching by token budget (few padded tokens, bounded memory), the
optimiser and learning-rate schedule, gradient clipping, mixed precision, atomic
checkpoints that a killed run resumes from exactly, early stopping that restores the best
weights, a progress bar, and data-parallel training when launched by ``torchrun``.

Scaling out is done with ``torchrun --nproc_per_node=N script.py`` (DDP), nothing
home-made: each process trains on its own shard of the batches, gradients are averaged by
DistributedDataParallel, only rank 0 writes checkpoints and shows progress.

Checkpoints are structnlp model directories (:mod:`structnlp.modelio`): tensors in
safetensors, everything else in JSON, so resuming never unpickles anything.

torch is imported inside the functions: ``import structnlp.training`` stays cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.modelio import can_replace, load_model, save_model
from structnlp.params import is_int, is_number

if TYPE_CHECKING:
    import torch

CHECKPOINT_CLASS = "structnlp.training.Checkpoint"
CHECKPOINT_VERSION = 1
_OPTIMIZERS = ("adam", "adamw", "sgd")
_SCHEDULES = ("constant", "linear", "cosine")
_METRIC_MODES = ("max", "min")
_STATE_KEYS = frozenset({"run", "optimizer_name", "world_size", "data", "optimizer", "scaler", "rng"})


# --------------------------------------------------------------------------- configuration


@dataclass
class TrainConfig:
    """Settings of :func:`train`; the defaults suit small models on one CPU or GPU.

    ``batch_tokens`` bounds ``batch_size * longest_example`` so that memory use does not
    depend on how long the examples happen to be. ``checkpoint_every`` and
    ``validate_every`` count optimiser steps; checkpoints are also written at every epoch
    end, and without ``validate_every`` validation runs at every epoch end. ``patience``
    stops training after that many validations without improvement of the metric
    (``metric_mode`` says whether larger or smaller is better); ``restore_best`` then
    leaves the best weights in the model. Under ``torchrun`` each process uses the GPU
    numbered by its ``LOCAL_RANK`` (or the CPU with ``device="cpu"``). ``owner`` is the name
    errors give the settings: an estimator passes its class name, since its parameters carry
    the same names.

    >>> TrainConfig(lr=0.01, batch_tokens=512).optimizer
    'adam'
    >>> TrainConfig(optimizer="lbfgs")
    Traceback (most recent call last):
    ...
    structnlp.errors.StructNLPError: TrainConfig.optimizer must be one of (...), got 'lbfgs'
    >>> TrainConfig(lr=0, owner="DocNADE")
    Traceback (most recent call last):
    ...
    structnlp.errors.StructNLPError: DocNADE.lr must be a positive number, got 0
    """

    max_epochs: int = 10
    max_steps: int | None = None
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_steps: int = 0
    batch_tokens: int = 4096
    max_batch_size: int | None = None
    shuffle: bool = True
    grad_clip: float | None = 1.0
    amp: bool = False
    device: str = "auto"
    seed: int = 0
    checkpoint_dir: str | os.PathLike | None = None
    checkpoint_every: int | None = None
    resume: bool = True
    validate_every: int | None = None
    metric_mode: str = "max"
    patience: int | None = None
    restore_best: bool = True
    progress: bool = False
    log: Callable[[dict[str, Any]], None] | None = None
    find_unused_parameters: bool = False
    owner: str = "TrainConfig"

    def __post_init__(self) -> None:
        def bad(name: str, wanted: str) -> StructNLPError:
            return StructNLPError(f"{self.owner}.{name} must be {wanted}, got {getattr(self, name)!r}")

        for name, choices in (
            ("optimizer", _OPTIMIZERS),
            ("schedule", _SCHEDULES),
            ("metric_mode", _METRIC_MODES),
        ):
            if getattr(self, name) not in choices:
                raise bad(name, f"one of {choices}")
        for name in ("max_epochs", "batch_tokens"):
            if not is_int(getattr(self, name)) or getattr(self, name) < 1:
                raise bad(name, "a positive int")
        for name in ("max_steps", "max_batch_size", "checkpoint_every", "validate_every", "patience"):
            value = getattr(self, name)
            if value is not None and (not is_int(value) or value < 1):
                raise bad(name, "a positive int or None")
        if not is_int(self.warmup_steps) or self.warmup_steps < 0:
            raise bad("warmup_steps", "a non-negative int")
        if not is_int(self.seed) or not 0 <= self.seed < 2**32:
            raise bad("seed", "an int in [0, 2**32)")
        for name in ("lr", "momentum", "weight_decay"):
            value = getattr(self, name)
            positive = name == "lr"  # a zero step size would train nothing
            if not is_number(value) or not math.isfinite(value) or value < 0 or (positive and value == 0):
                raise bad(name, "a positive number" if positive else "a non-negative number")
            setattr(self, name, float(value))  # numpy scalars would reach torch and the JSON checkpoint
        if self.grad_clip is not None and not (is_number(self.grad_clip) and self.grad_clip > 0):
            raise bad("grad_clip", "a positive number or None")
        # a string is always true: shuffle="no" or resume="False" would silently do the opposite
        for name in ("shuffle", "amp", "resume", "restore_best", "progress", "find_unused_parameters"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise bad(name, "True or False")
        if not isinstance(self.device, str):
            raise bad("device", "a string such as 'auto', 'cpu', 'cuda' or 'cuda:1'")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    ``history`` holds one record per epoch end and per validation: ``epoch`` (1-based),
    ``step``, ``train_loss`` (token-weighted mean since the previous record), ``metric``
    (``None`` when not validated there) and ``lr``.
    """

    epochs: int
    steps: int
    history: list[dict[str, Any]]
    best_metric: float | None
    best_step: int | None
    stopped_early: bool
    resumed_from_step: int | None


# --------------------------------------------------------------------------- public helpers


def select_device(spec: str = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a ``torch.device``, checking it exists.

    ``"auto"`` picks the first GPU when CUDA is available; asking for CUDA where there is
    none is an error rather than a silent fallback to a CPU run that takes days.

    >>> select_device("cpu")
    device(type='cpu')
    >>> select_device("tpu")
    Traceback (most recent call last):
    ...
    structnlp.errors.StructNLPError: unknown device 'tpu'; expected 'auto', 'cpu', 'cuda' or 'cuda:N'
    """
    import torch

    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", spec) if isinstance(spec, str) else None
    if match is None:
        raise StructNLPError(f"unknown device {spec!r}; expected 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if not torch.cuda.is_available():
        built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise StructNLPError(
            f"device {spec!r} requested but CUDA is not available (torch {torch.__version__}, {built});"
            " use device='cpu' or 'auto'"
        )
    index = int(match.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise StructNLPError(
            f"device {spec!r} requested but only {torch.cuda.device_count()} GPU(s) are visible"
        )
    return torch.device("cuda", index)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's (CPU and CUDA) global random generators.

    >>> import torch
    >>> seed_everything(7); a = torch.rand(2)
    >>> seed_everything(7); bool(torch.equal(a, torch.rand(2)))
    True
    """
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def to_device(batch: Any, device: torch.device | str) -> Any:
    """Move every tensor in ``batch``, nested in dicts, lists, tuples or dataclasses, to ``device``.

    >>> import torch
    >>> batch = {"ids": torch.tensor([1, 2]), "meta": ("x", [torch.zeros(1)])}
    >>> to_device(batch, "cpu")["meta"][1][0].device
    device(type='cpu')
    """
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, Mapping):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(value, device) for value in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    if dataclasses.is_dataclass(batch) and not isinstance(batch, type):
        changes = {
            f.name: to_device(getattr(batch, f.name), device) for f in dataclasses.fields(batch) if f.init
        }
        return dataclasses.replace(batch, **changes)
    return batch


def batches_by_token_budget(
    lengths: Sequence[int] | np.ndarray,
    batch_tokens: int,
    *,
    max_batch_size: int | None = None,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    rank: int = 0,
    world_size: int = 1,
) -> list[list[int]]:
    """Group example indices into batches of similar length under a token budget.

    Examples are sorted by length (ties broken at random when ``shuffle``) and cut greedily
    so that ``batch_size * longest_length <= batch_tokens``: padding stays small and memory
    is bounded. An example longer than the budget forms a batch of its own; empty examples
    count as one token. With ``shuffle`` the order of the batches is random, determined by
    ``(seed, epoch)``. Under DDP every rank calls this with the same seed and takes its own
    shard (``rank``, ``world_size``); the batch list is first extended by repeating batches
    from its start so that every rank gets the same number of batches.

    >>> batches_by_token_budget([5, 1, 3, 2, 8], batch_tokens=6, shuffle=False)
    [[1, 3], [2], [0], [4]]
    >>> batches_by_token_budget([5, 1, 3, 2, 8], batch_tokens=6, shuffle=False, rank=1, world_size=3)
    [[2], [1, 3]]
    """
    costs = np.asarray(lengths)
    if costs.ndim != 1 or (costs.size and costs.dtype.kind not in "iu"):
        raise StructNLPError(
            f"lengths must be a 1-d sequence of ints, got an array of shape {costs.shape}"
            f" and dtype {costs.dtype}"
        )
    if costs.size and costs.min() < 0:
        raise StructNLPError(f"lengths must be non-negative; example {int(costs.argmin())} has {costs.min()}")
    if not is_int(batch_tokens) or batch_tokens < 1:
        raise StructNLPError(f"batch_tokens must be a positive int, got {batch_tokens!r}")
    if max_batch_size is not None and (not is_int(max_batch_size) or max_batch_size < 1):
        raise StructNLPError(f"max_batch_size must be a positive int or None, got {max_batch_size!r}")
    if not (is_int(world_size) and world_size >= 1 and is_int(rank) and 0 <= rank < world_size):
        raise StructNLPError(f"need 0 <= rank < world_size, got rank={rank!r}, world_size={world_size!r}")
    costs = np.maximum(costs.astype(np.int64), 1)
    rng = np.random.default_rng([seed, epoch])
    if shuffle:
        order = np.lexsort((rng.permutation(costs.size), costs))
    else:
        order = np.argsort(costs, kind="stable")
    limit = max_batch_size or costs.size
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order.tolist():
        cost = int(costs[index])  # ascending order: the newcomer is the longest of its batch
        if current and ((len(current) + 1) * cost > batch_tokens or len(current) == limit):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    if shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches)).tolist()]
    if world_size > 1 and batches:
        padding = (-len(batches)) % world_size
        batches = batches + [batches[i % len(batches)] for i in range(padding)]
        batches = batches[rank::world_size]
    return batches


# --------------------------------------------------------------------------- distributed runs


@dataclass
class _Distributed:
    rank: int
    world_size: int
    device: Any
    owns_group: bool

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def mean(self, values: list[float]) -> list[float]:
        """Average numbers over the ranks (identity in a single process)."""
        if not self.active:
            return values
        import torch
        import torch.distributed as dist

        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return (tensor / self.world_size).tolist()

    def finish(self) -> None:
        if self.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()


def _start_distributed(device_spec: str) -> _Distributed:
    """Join the process group torchrun describes in the environment (or the one already set up)."""
    import torch
    import torch.distributed as dist

    initialized = dist.is_available() and dist.is_initialized()
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 and not initialized:
        return _Distributed(0, 1, select_device(device_spec), owns_group=False)
    if not dist.is_available():
        raise StructNLPError("WORLD_SIZE > 1 but this torch build has no torch.distributed support")
    use_cuda = device_spec != "cpu" and torch.cuda.is_available()
    if device_spec.startswith("cuda") and not use_cuda:
        select_device(device_spec)  # raises the clear "no CUDA" error
    if use_cuda:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not initialized:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return _Distributed(dist.get_rank(), dist.get_world_size(), device, owns_group=not initialized)


# --------------------------------------------------------------------------- checkpoints


def _pack(obj: Any, arrays: dict[str, Any], key: str) -> Any:
    """Split a state dict into JSON (returned) and tensors (put in ``arrays``), without pickle."""
    import torch

    if isinstance(obj, torch.Tensor):
        arrays[key] = obj
        return {"__tensor__": key, "dtype": str(obj.dtype).removeprefix("torch.")}
    if isinstance(obj, np.ndarray):
        arrays[key] = obj
        return {"__ndarray__": key}
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return _pack(obj.item(), arrays, key)
    if isinstance(obj, tuple):
        return {"__tuple__": [_pack(v, arrays, f"{key}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_pack(v, arrays, f"{key}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _pack(v, arrays, f"{key}.{k}") for k, v in obj.items()}
        items = enumerate(obj.items())  # int keys (optimizer state) must come back as ints
        return {
            "__items__": [
                [_pack(k, arrays, f"{key}.k{i}"), _pack(v, arrays, f"{key}.{i}")] for i, (k, v) in items
            ]
        }
    raise StructNLPError(f"cannot store a {type(obj).__name__} ({key}) in a checkpoint")


def _unpack(tree: Any, arrays: Mapping[str, Any]) -> Any:
    """Inverse of :func:`_pack`; tensors come back on the CPU in their original dtype."""
    import torch

    if isinstance(tree, list):
        return [_unpack(v, arrays) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        dtype = getattr(torch, tree["dtype"])
        if not isinstance(dtype, torch.dtype):
            raise TypeError(f"{tree['dtype']!r} is not a torch dtype")
        return arrays[tree["__tensor__"]].to(dtype)
    if "__ndarray__" in tree:
        return arrays[tree["__ndarray__"]].numpy()
    if "__float__" in tree:
        return float(tree["__float__"])
    if "__tuple__" in tree:
        return tuple(_unpack(v, arrays) for v in tree["__tuple__"])
    if "__items__" in tree:
        return {_unpack(k, arrays): _unpack(v, arrays) for k, v in tree["__items__"]}
    return {k: _unpack(v, arrays) for k, v in tree.items()}


def _rng_states(device: Any) -> dict[str, Any]:
    import torch

    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _set_rng_states(states: Mapping[str, Any], device: Any) -> None:
    import torch

    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], device)


def _cpu_copy(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in state_dict.items()}


@dataclass
class _RunState:
    """Everything besides tensors that a checkpoint must hold to resume exactly."""

    epoch: int = 0
    batch_in_epoch: int = 0
    step: int = 0
    loss_sum: float = 0.0
    token_sum: int = 0
    best_metric: float | None = None
    best_step: int | None = None
    bad_validations: int = 0
    stopped_early: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


def _data_fingerprint(lengths: np.ndarray) -> str:
    return hashlib.sha256(lengths.astype("<i8").tobytes()).hexdigest()[:16]


def _batching(config: TrainConfig) -> dict[str, Any]:
    """The settings that decide an epoch's batches: a run resumed mid-epoch needs the same."""
    return {name: getattr(config, name) for name in ("batch_tokens", "max_batch_size", "shuffle", "seed")}


def _config_summary(config: TrainConfig) -> dict[str, Any]:
    summary = {f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "log"}
    summary["checkpoint_dir"] = None if config.checkpoint_dir is None else str(config.checkpoint_dir)
    return summary


# --------------------------------------------------------------------------- the loop


class _Loop:
    """One training run; :func:`train` is its public face."""

    def __init__(self, model, examples, lengths, collate, loss_fn, validate, config, dist) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.examples = examples
        self.lengths = lengths
        self.collate = collate
        self.loss_fn = loss_fn
        self.validate_fn = validate
        self.config = config
        self.dist = dist
        self.device = dist.device
        self.is_main = dist.rank == 0
        model.to(self.device)
        if dist.active:
            from torch.nn.parallel import DistributedDataParallel

            device_ids = [self.device.index] if self.device.type == "cuda" else None
            self.wrapped = DistributedDataParallel(
                model, device_ids=device_ids, find_unused_parameters=config.find_unused_parameters
            )
        else:
            self.wrapped = model
        self.optimizer = self._make_optimizer()
        self.scaler = torch.amp.GradScaler("cuda") if config.amp and self.device.type == "cuda" else None
        amp_dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        self.autocast = lambda: torch.autocast(self.device.type, dtype=amp_dtype, enabled=config.amp)
        self.state = _RunState()
        self.best_weights: dict[str, Any] | None = None
        epoch_steps = config.max_epochs * len(self._batches(0))  # every epoch has as many batches
        self.total_steps = min(config.max_steps or epoch_steps, epoch_steps)
        self.checkpoint = Path(config.checkpoint_dir) / "last" if config.checkpoint_dir is not None else None

    # -- set-up ---------------------------------------------------------------------------

    def _make_optimizer(self):
        c = self.config
        params = [p for p in self.model.parameters() if p.requires_grad]
        if not params:
            raise StructNLPError("the model has no trainable parameters")
        optim = self.torch.optim
        if c.optimizer == "sgd":
            return optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        cls = optim.Adam if c.optimizer == "adam" else optim.AdamW
        return cls(params, lr=c.lr, weight_decay=c.weight_decay)

    def _batches(self, epoch: int) -> list[list[int]]:
        c = self.config
        return batches_by_token_budget(
            self.lengths,
            c.batch_tokens,
            max_batch_size=c.max_batch_size,
            shuffle=c.shuffle,
            seed=c.seed,
            epoch=epoch,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )

    def _lr_factor(self, step: int) -> float:
        """Learning-rate multiplier for the optimiser step that follows ``step`` completed steps."""
        c = self.config
        if step < c.warmup_steps:
            return (step + 1) / c.warmup_steps
        if c.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - c.warmup_steps) / max(1, self.total_steps - c.warmup_steps))
        if c.schedule == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    # -- checkpoints ----------------------------------------------------------------------

    def save(self) -> None:
        if self.checkpoint is None or not self.is_main:
            return
        arrays: dict[str, Any] = {f"model/{k}": v for k, v in self.model.state_dict().items()}
        if self.best_weights is not None:
            arrays.update({f"best/{k}": v for k, v in self.best_weights.items()})
        state = {
            "run": dataclasses.asdict(self.state),
            "optimizer_name": self.config.optimizer,
            "world_size": self.dist.world_size,
            "data": _data_fingerprint(self.lengths),
            "batching": _batching(self.config),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler else None,
            "rng": _rng_states(self.device),
        }
        config = {key: _pack(value, arrays, key) for key, value in state.items()}
        save_model(
            self.checkpoint,
            model_class=CHECKPOINT_CLASS,
            format_version=CHECKPOINT_VERSION,
            config=config,
            arrays=arrays,
            metadata={"train_config": _config_summary(self.config)},
        )

    def restore(self) -> bool:
        """Load the last checkpoint if there is one and resuming is asked for; True if loaded."""
        if self.checkpoint is None or not self.config.resume or not self.checkpoint.exists():
            return False
        loaded = load_model(
            self.checkpoint,
            expected_class=CHECKPOINT_CLASS,
            supported_versions={CHECKPOINT_VERSION},
            as_torch=True,
        )
        arrays = loaded.arrays
        where = f"{self.checkpoint}"
        try:
            saved = _unpack(loaded.config, arrays)
            missing = _STATE_KEYS - saved.keys()
            if missing:
                raise KeyError(", ".join(sorted(missing)))
            _RunState(**saved["run"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(f"{where}/config.json: the training state is damaged ({exc!r})") from None
        advice = "resume=False or another checkpoint_dir starts afresh"
        if saved["world_size"] != self.dist.world_size:
            raise StructNLPError(
                f"{where}: checkpoint written by {saved['world_size']} process(es), this run has"
                f" {self.dist.world_size}; resume with the same number or use {advice}"
            )
        if saved["data"] != _data_fingerprint(self.lengths):
            raise StructNLPError(
                f"{where}: the training examples differ from those of the checkpointed run; {advice}"
            )
        if saved["optimizer_name"] != self.config.optimizer:
            raise StructNLPError(
                f"{where}: checkpoint uses optimizer {saved['optimizer_name']!r}, the config says"
                f" {self.config.optimizer!r}; {advice}"
            )
        # mid-epoch, the run continues after the batches already trained on: with other batches
        # some examples would be skipped and others seen twice in that epoch
        batching = saved.get("batching")
        now = _batching(self.config)
        if saved["run"]["batch_in_epoch"] and batching is not None and batching != now:
            changed = ", ".join(
                f"{k}: {batching.get(k)!r} -> {v!r}" for k, v in now.items() if batching.get(k) != v
            )
            raise StructNLPError(
                f"{where}: the checkpoint stopped inside an epoch and the settings that make its batches"
                f" changed ({changed}); resume with the old ones or use {advice}"
            )
        model_state = {k.removeprefix("model/"): v for k, v in arrays.items() if k.startswith("model/")}
        try:
            self.model.load_state_dict(model_state)
        except RuntimeError as exc:
            problem = " ".join(str(exc).split())
            raise ModelFileError(f"{where}: checkpoint is of another model ({problem})") from None
        best = {k.removeprefix("best/"): v for k, v in arrays.items() if k.startswith("best/")}
        self.best_weights = best or None
        self.optimizer.load_state_dict(saved["optimizer"])
        if self.scaler is not None and saved["scaler"] is not None:
            self.scaler.load_state_dict(saved["scaler"])
        self.state = _RunState(**saved["run"])
        _set_rng_states(saved["rng"], self.device)
        if self.dist.active:  # ranks would otherwise share rank 0's random stream
            seed_everything((self.config.seed + 1_000_003 * self.state.step + self.dist.rank) % 2**32)
        return True

    # -- training -------------------------------------------------------------------------

    def step(self, indices: list[int]) -> float:
        torch = self.torch
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr * self._lr_factor(self.state.step)
        batch = to_device(self.collate([self.examples[i] for i in indices]), self.device)
        with self.autocast():
            loss = self.loss_fn(self.wrapped, batch)
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise StructNLPError(f"loss_fn must return a scalar tensor, got {shape}")
        if not loss.requires_grad:
            raise StructNLPError(
                "the loss does not depend on any trainable parameter (loss.requires_grad is False)"
            )
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"loss is {value} at step {self.state.step + 1} (epoch {self.state.epoch + 1});"
                " lower the learning rate or set grad_clip"
            )
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.state.step += 1
        return value

    def evaluate(self) -> float:
        torch = self.torch
        self.model.eval()
        try:
            with torch.no_grad():
                metric = self.validate_fn(self.model)
        finally:
            self.model.train()
        try:
            metric = float(metric)
        except (TypeError, ValueError):
            raise StructNLPError(f"validate must return a number, got {type(metric).__name__}") from None
        return self.dist.mean([metric])[0]

    def record(self, metric: float | None) -> None:
        """Append a history record and update the early-stopping state."""
        s = self.state
        loss_sum, token_sum = self.dist.mean([s.loss_sum, float(s.token_sum)])
        entry = {
            "epoch": s.epoch + 1,
            "step": s.step,
            "train_loss": loss_sum / token_sum if token_sum else None,
            "metric": metric,
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        s.history.append(entry)
        s.loss_sum, s.token_sum = 0.0, 0
        if metric is not None:
            if not math.isnan(metric) and (s.best_metric is None or self._better(metric, s.best_metric)):
                s.best_metric, s.best_step, s.bad_validations = metric, s.step, 0
                if self.config.restore_best:
                    self.best_weights = _cpu_copy(self.model.state_dict())
            else:
                s.bad_validations += 1
                s.stopped_early = (
                    self.config.patience is not None and s.bad_validations >= self.config.patience
                )
        if self.is_main and self.config.log is not None:
            self.config.log(dict(entry))

    def _better(self, metric: float, best: float) -> bool:
        return metric > best if self.config.metric_mode == "max" else metric < best

    def finished(self) -> bool:
        s = self.state
        max_steps = self.config.max_steps
        return (
            s.stopped_early
            or s.epoch >= self.config.max_epochs
            or (max_steps is not None and s.step >= max_steps)
        )

    def run(self) -> TrainResult:
        c = self.config
        resumed_from = self.state.step if self.restore() else None
        self.model.train()
        while not self.finished():
            batches = self._batches(self.state.epoch)
            bar = self._progress_bar(len(batches))
            for indices in batches[self.state.batch_in_epoch :]:
                loss = self.step(indices)
                tokens = int(self.lengths[indices].sum())
                self.state.loss_sum += loss * tokens
                self.state.token_sum += tokens
                self.state.batch_in_epoch += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
                if c.validate_every is not None and self.state.step % c.validate_every == 0:
                    self.record(self.evaluate())
                if self.state.stopped_early or (c.max_steps is not None and self.state.step >= c.max_steps):
                    break
                mid_epoch = self.state.batch_in_epoch < len(batches)  # epoch ends are saved below
                if c.checkpoint_every is not None and self.state.step % c.checkpoint_every == 0 and mid_epoch:
                    self.save()
            bar.close()
            if not self.state.history or self.state.history[-1]["step"] != self.state.step:
                validating = c.validate_every is None and self.validate_fn is not None
                self.record(self.evaluate() if validating else None)
            if self.state.batch_in_epoch == len(batches):
                self.state.epoch, self.state.batch_in_epoch = self.state.epoch + 1, 0
            self.save()
        if c.restore_best and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
        s = self.state
        return TrainResult(
            epochs=s.epoch,
            steps=s.step,
            history=[dict(h) for h in s.history],
            best_metric=s.best_metric,
            best_step=s.best_step,
            stopped_early=s.stopped_early,
            resumed_from_step=resumed_from,
        )

    def _progress_bar(self, total: int):
        from tqdm.auto import tqdm

        return tqdm(
            total=total,
            initial=self.state.batch_in_epoch,
            desc=f"epoch {self.state.epoch + 1}/{self.config.max_epochs}",
            disable=not (self.config.progress and self.is_main),
            leave=False,
        )


def train(
    model: torch.nn.Module,
    examples: Sequence[Any],
    *,
    collate: Callable[[list[Any]], Any],
    loss_fn: Callable[[Any, Any], Any],
    config: TrainConfig | None = None,
    lengths: Sequence[int] | np.ndarray | None = None,
    validate: Callable[[Any], float] | None = None,
) -> TrainResult:
    """Train ``model`` in place on ``examples`` and return the history.

    ``lengths[i]`` is the number of tokens of ``examples[i]`` (default ``len(example)``);
    batches of indices under ``config.batch_tokens`` are turned into tensors by ``collate``
    and moved to the device; ``loss_fn(model, batch)`` returns the scalar loss (under DDP
    ``model`` is the DistributedDataParallel wrapper, so call it rather than its
    submodules). ``validate(model)``, called in eval mode without gradients, returns the
    metric for early stopping and best-weight selection. With ``config.checkpoint_dir`` a
    rerun with ``resume=True`` continues where the last checkpoint left off; a run that
    already finished returns at once.

    >>> import torch
    >>> xs = [torch.tensor([float(i)]) for i in range(8)]
    >>> model = torch.nn.Linear(1, 1)
    >>> result = train(model, xs, lengths=[1] * 8, collate=torch.stack,
    ...                loss_fn=lambda m, x: ((m(x) - (2 * x + 1)) ** 2).mean(),
    ...                config=TrainConfig(max_epochs=100, lr=0.1, batch_tokens=4, device="cpu"))
    >>> result.epochs, result.steps, round(model.weight.item(), 2), round(model.bias.item(), 2)
    (100, 200, 2.0, 1.0)
    """
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise StructNLPError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not (hasattr(examples, "__len__") and hasattr(examples, "__getitem__")):
        raise StructNLPError(
            f"examples must be a sequence (len and indexing), got {type(examples).__name__}; use list(...)"
        )
    if len(examples) == 0:
        raise EmptyCorpusError("train() got no training examples")
    if lengths is None:
        lengths = [len(example) for example in examples]
    lengths = np.asarray(lengths)
    if lengths.shape != (len(examples),):
        raise StructNLPError(f"got {len(examples)} examples but lengths has shape {lengths.shape}")
    if (config.patience is not None or config.validate_every is not None) and validate is None:
        raise StructNLPError("patience and validate_every need a validate function")
    if config.checkpoint_dir is not None:  # checked now, not when the first checkpoint is written
        folder = Path(config.checkpoint_dir)
        if folder.exists() and not folder.is_dir():
            raise StructNLPError(f"checkpoint_dir {folder} is a file, not a folder")
        if not can_replace(folder / "last"):
            raise ModelFileError(
                f"{folder / 'last'}: exists and is not a checkpoint; the checkpoints would not be written"
                " (remove it or choose another checkpoint_dir)"
            )
    dist = _start_distributed(config.device)
    try:
        seed_everything(config.seed + dist.rank)
        return _Loop(model, examples, lengths, collate, loss_fn, validate, config, dist).run()
    finally:
        dist.finish()
