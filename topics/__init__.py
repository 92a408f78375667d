"""topics: neural autoregressive topic models (DocNADE, iDocNADE, ctx-DocNADE, ctx-DocNADEe).

* :class:`DocNADE` — DocNADE (Larochelle & Lauly 2012); ``bidirectional=True`` gives iDocNADE
  (Gupta et al., AAAI 2019);
* :class:`CtxDocNADE` — ctx-DocNADE and, with ``embeddings=``, ctx-DocNADEe (textTOvec, Gupta
  et al., ICLR 2019);
* :func:`load_model` — read any of them back from a directory written by ``save()``.

All are scikit-learn style transformers from documents to topic vectors with built-in
evaluation (``perplexity``, ``coherence``, ``topics``). Importing this package is cheap: torch
is imported when one of the names above is first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CtxDocNADE", "DocNADE", "load_model"]

_EXPORTS = {"DocNADE": "topics.docnade", "CtxDocNADE": "topics.ctx", "load_model": "topics._base"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'topics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
