"""Classification scores as one flat dict (a thin wrapper of scikit-learn).

Every model family reports the same keys, so results tables can be built without caring
which classifier produced them. The numbers are scikit-learn's
(:func:`sklearn.metrics.accuracy_score`, :func:`sklearn.metrics.precision_recall_fscore_support`)
with ``zero_division=0``: a class never predicted has precision 0, not a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from structnlp.errors import StructNLPError

__all__ = ["classification_report_dict"]


def _label_kind(labels: np.ndarray, name: str) -> str | None:
    """'string' or 'number' for the labels of one side; None and other objects are refused."""
    if labels.dtype.kind in "US":
        return "string"
    if labels.dtype.kind in "biuf":
        return "number"
    kinds = set()
    for label in labels.ravel().tolist():
        if isinstance(label, str):
            kinds.add("string")
        elif isinstance(label, (int, float)):
            kinds.add("number")
        else:
            kind = type(label).__name__
            raise StructNLPError(f"{name} holds {label!r} ({kind}); labels are strings or numbers")
    if len(kinds) > 1:
        raise StructNLPError(f"{name} mixes string and number labels; convert them to one type")
    return kinds.pop() if kinds else None


def _check_label_types(true: np.ndarray, pred: np.ndarray) -> None:
    """scikit-learn fails on these with a TypeError on sorting or a 'Mix of label input types'."""
    kinds = (_label_kind(true, "y_true"), _label_kind(pred, "y_pred"))
    if None not in kinds and kinds[0] != kinds[1]:
        raise StructNLPError(
            f"y_true holds {kinds[0]} labels but y_pred holds {kinds[1]} labels (e.g. '1' and 1 never match);"
            " convert one side"
        )


def classification_report_dict(
    y_true: Sequence | np.ndarray, y_pred: Sequence | np.ndarray, labels: Sequence | None = None
) -> dict[str, float]:
    """Accuracy and macro/micro/weighted precision, recall and F1, as fractions in [0, 1].

    ``y_true`` and ``y_pred`` are label sequences (or 2-D label-indicator arrays for multi-label
    tasks, where accuracy is subset accuracy). ``labels`` restricts the averaged classes.
    Keys: ``accuracy``, ``{macro,micro,weighted}_{precision,recall,f1}`` and ``n_samples``.

    >>> scores = classification_report_dict(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> scores["accuracy"], round(scores["macro_f1"], 4), scores["micro_f1"]
    (0.75, 0.7333, 0.75)
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    true, pred = np.asarray(y_true), np.asarray(y_pred)
    if true.ndim == 0 or pred.ndim == 0:
        raise StructNLPError("y_true and y_pred must be sequences of labels, not single values")
    if true.shape[0] != pred.shape[0]:
        raise StructNLPError(f"y_true has {true.shape[0]} samples but y_pred has {pred.shape[0]}")
    if true.shape[0] == 0:
        raise StructNLPError("y_true and y_pred are empty: nothing to score")
    if true.shape != pred.shape:
        raise StructNLPError(f"y_true has shape {true.shape} but y_pred has shape {pred.shape}")
    _check_label_types(true, pred)
    if labels is not None and (isinstance(labels, (str, bytes)) or len(labels) == 0):
        # an empty list made every macro and weighted score NaN
        raise StructNLPError(f"labels must be None or a non-empty sequence of labels, got {labels!r}")
    scores: dict[str, float] = {"accuracy": float(accuracy_score(true, pred))}
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            true, pred, labels=labels, average=average, zero_division=0
        )
        scores[f"{average}_precision"] = float(p)
        scores[f"{average}_recall"] = float(r)
        scores[f"{average}_f1"] = float(f)
    scores["n_samples"] = int(true.shape[0])
    return scores
