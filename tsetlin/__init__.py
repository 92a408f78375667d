"""Tsetlin Machine text classification with readable rules (Granmo 2018; Berge et al. 2019).

>>> from tsetlin import TsetlinMachineClassifier, Rule, Explanation

Importing the package is cheap: its names are loaded on first use (so ``structnlp --help``
does not pay for scikit-learn), and the numba kernels (:mod:`tsetlin.cpu`) are compiled
and loaded on the first ``fit`` or ``predict``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tsetlin.estimator import TsetlinMachineClassifier
    from tsetlin.explain import Explanation, FiredClause, Rule, explain_pipeline
    from tsetlin.pipeline import load_pipeline, save_pipeline
    from tsetlin.report import feature_spans, render_html

#: Public name -> module that defines it.
_EXPORTS = {
    "TsetlinMachineClassifier": "tsetlin.estimator",
    "Explanation": "tsetlin.explain",
    "FiredClause": "tsetlin.explain",
    "Rule": "tsetlin.explain",
    "explain_pipeline": "tsetlin.explain",
    "load_pipeline": "tsetlin.pipeline",
    "save_pipeline": "tsetlin.pipeline",
    "feature_spans": "tsetlin.report",
    "render_html": "tsetlin.report",
}

__all__ = [
    "Explanation",
    "FiredClause",
    "Rule",
    "TsetlinMachineClassifier",
    "explain_pipeline",
    "feature_spans",
    "load_pipeline",
    "render_html",
    "save_pipeline",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tsetlin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
