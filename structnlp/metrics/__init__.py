"""Evaluation metrics shared by every structnlp model family.

* :func:`classification_report_dict`: accuracy and macro/micro/weighted P/R/F1 (scikit-learn);
* :func:`bracket_f1`: unlabeled bracket F1 of induced trees (Kim et al. 2019 protocol);
* :func:`attachment_score`: directed (UAS) and undirected (UUAS) dependency attachment;
* :func:`rouge`: ROUGE-1/2/Lsum of summaries (rouge-score, with stemming);
* :func:`perplexity_from_log_probs`, :func:`document_perplexity`: corpus-level and
  document-averaged (DocNADE) per-word perplexity;
* :func:`npmi_coherence`, :func:`cv_coherence`: topic coherence as gensim's ``c_npmi``/``c_v``;
  :func:`topic_diversity`: the share of distinct top words across topics;
* :func:`retrieval_precision`, :func:`retrieval_precision_curve`: IR precision at retrieval
  fractions (DocNADE papers).

The functions are imported on first use, so ``import structnlp.metrics`` loads neither
scikit-learn, nltk, rouge-score nor scipy.

>>> from structnlp.metrics import perplexity_from_log_probs
>>> perplexity_from_log_probs(0.0, 5)
1.0
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "classification_report_dict": "classification",
    "bracket_f1": "trees",
    "attachment_score": "attachment",
    "rouge": "rouge",
    "split_sentences_simple": "rouge",
    "perplexity_from_log_probs": "perplexity",
    "document_perplexity": "perplexity",
    "cooccurrence_counts": "coherence",
    "npmi_coherence": "coherence",
    "cv_coherence": "coherence",
    "topic_diversity": "coherence",
    "retrieval_precision": "retrieval",
    "retrieval_precision_curve": "retrieval",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'structnlp.metrics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"structnlp.metrics.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
