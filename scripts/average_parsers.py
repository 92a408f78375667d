"""Average the weights of saved parsers that continue one training run ("model soup").

Runs that branch from one parent (``train_parser.py --init``) stay in one basin of the loss,
so the mean of their weights is a model of its own, often a little better than either
(Wortsman et al. 2022). The parsers must be of one class, with the same settings that size
the network and the same vocabulary; the first one gives the saved settings, loss history
and step counts, and every input's metadata is kept under ``metadata.training.averaged``.
Run from the repository root with ``PYTHONPATH=.``. Example (the shipped default)::

    PYTHONPATH=. python scripts/average_parsers.py --out parsing/models/structformer-default \\
        STAGE3A STAGE3B
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _metadata(path: str) -> dict[str, Any]:
    """The metadata saved beside a parser (a shipped name has no path of its own to read)."""
    from parsing.api import model_path

    config = json.loads((model_path(path) / "config.json").read_text(encoding="utf-8"))
    return dict(config.get("metadata", {}))


def average_parsers(paths: list[str]) -> Any:
    """The first parser of ``paths`` with its weights replaced by the mean of all their weights."""
    import torch

    from parsing import load_parser
    from structnlp.errors import StructNLPError

    if len(paths) < 2:
        raise StructNLPError(f"averaging needs at least two parsers, got {len(paths)}")
    parsers = [load_parser(path, device="cpu") for path in paths]
    first = parsers[0]
    for path, parser in zip(paths[1:], parsers[1:], strict=True):
        if type(parser) is not type(first):
            raise StructNLPError(
                f"{path} is a {type(parser).__name__}, {paths[0]} a {type(first).__name__}: "
                "only parsers of one class can be averaged"
            )
        if parser.vocabulary_ != first.vocabulary_:
            raise StructNLPError(f"{path} has another vocabulary than {paths[0]}: they are not one run")
        shapes = {k: tuple(v.shape) for k, v in parser.module_.state_dict().items()}
        if shapes != {k: tuple(v.shape) for k, v in first.module_.state_dict().items()}:
            raise StructNLPError(f"{path} has another network than {paths[0]} (its sizes differ)")
    states = [parser.module_.state_dict() for parser in parsers]
    mean = {
        name: torch.stack([s[name].double() for s in states]).mean(0).to(tensor.dtype)
        if tensor.is_floating_point()
        else tensor
        for name, tensor in states[0].items()
    }
    first.module_.load_state_dict(mean)
    return first


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parsers", nargs="+", help="saved parser directories (or default / default-recat)")
    parser.add_argument("--out", required=True, help="directory to write the averaged parser to")
    parser.add_argument("--float32", action="store_true", help="save float32 weights (default float16)")
    args = parser.parse_args(argv)
    from structnlp.errors import StructNLPError

    try:
        averaged = average_parsers(args.parsers)
        command = "python scripts/average_parsers.py " + shlex.join(
            [*(["--float32"] if args.float32 else []), "--out", "OUT", *args.parsers]
        )
        metadata = {
            "training": {
                "command": command,
                "averaged": [_metadata(path).get("training", {}) for path in args.parsers],
            }
        }
        out = averaged.save(args.out, half=not args.float32, metadata=metadata)
    except StructNLPError as exc:
        sys.exit(f"error: {exc}")
    print(f"saved the mean of {len(args.parsers)} parsers to {out}")


if __name__ == "__main__":
    main()
