"""parsing: unsupervised constituency and dependency parsing.

* :class:`StructFormerParser` — StructFormer (Shen et al. 2021): a transformer trained by
  masked language modelling whose attention is constrained by an induced dependency
  structure, giving constituency trees and dependency heads;
* :class:`ReCATParser` — ReCAT (Hu et al. 2024), recursive composition in a transformer;
* :func:`load_parser` — any saved parser, or the one shipped with the package
  (``load_parser("default")``);
* :func:`evaluate_trees` — bracket F1 (Kim et al. 2019 protocol) and attachment scores;
* :class:`ParseResult` — a parsed sentence (tokens, binary ``nltk.Tree``, heads; brackets,
  CoNLL-U and JSON output).

Importing this package is cheap: torch is imported when a parser class is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ParseResult", "ReCATParser", "StructFormerParser", "evaluate_trees", "load_parser"]

_EXPORTS = {
    "StructFormerParser": "parsing.structformer",
    "ReCATParser": "parsing.recat",
    "load_parser": "parsing.api",
    "evaluate_trees": "parsing.api",
    "ParseResult": "parsing.api",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'parsing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
