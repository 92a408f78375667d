"""summarize: the hierarchical Neural Semantic Encoder summarizer ("Read, Highlight and Summarize").

* :class:`HierarchicalNSESummarizer` — fit on documents and reference summaries, then
  ``summarize(document, mode="extractive" | "abstractive")``; the result's ``highlights`` are
  the document sentences the summary rests on, with their scores;
* :func:`load_summarizer` — read a saved model back (``"default"``: the model shipped with
  the package, trained on BBC News Summary);
* :func:`lead_n`, :func:`textrank` — the extractive baselines;
* :class:`Summary` — what all of them return.

Importing this package is cheap: torch is imported when a model is trained or run.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["HierarchicalNSESummarizer", "Summary", "lead_n", "load_summarizer", "textrank"]

_EXPORTS = {
    "HierarchicalNSESummarizer": "summarize.summarizer",
    "Summary": "summarize.summarizer",
    "load_summarizer": "summarize.summarizer",
    "lead_n": "summarize.baselines",
    "textrank": "summarize.baselines",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'summarize' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
