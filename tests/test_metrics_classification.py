"""Classification scores: structnlp.metrics.classification."""

from __future__ import annotations

import numpy as np
import pytest

from structnlp.errors import StructNLPError
from structnlp.metrics import classification_report_dict


def test_known_values_three_classes():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    s = classification_report_dict(y_true, y_pred)
    # per class: a P=2/2 R=2/3 F=0.8; b P=1/2 R=1/2 F=0.5; c P=1/2 R=1/1 F=2/3
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["macro_precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert s["macro_recall"] == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    assert s["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert s["micro_f1"] == pytest.approx(4 / 6)
    assert s["weighted_f1"] == pytest.approx((3 * 0.8 + 2 * 0.5 + 1 * 2 / 3) / 6)
    assert s["n_samples"] == 6


def test_never_predicted_class_has_zero_precision_without_warning(recwarn):
    s = classification_report_dict([0, 1, 2], [0, 1, 1])
    assert s["macro_precision"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert not [w for w in recwarn if "zero_division" in str(w.message) or "ill-defined" in str(w.message)]


def test_multilabel_indicator():
    y_true = np.array([[1, 0], [1, 1]])
    y_pred = np.array([[1, 0], [1, 0]])
    s = classification_report_dict(y_true, y_pred)
    assert s["accuracy"] == 0.5  # subset accuracy
    assert s["micro_recall"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("labels", [[], "ab"])
def test_bad_labels(labels):
    # labels=[] made every macro and weighted score NaN
    with pytest.raises(StructNLPError, match="labels must be None or a non-empty sequence"):
        classification_report_dict(["a", "b"], ["a", "b"], labels=labels)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "problem"),
    [
        ([1, 2, 3], [1, 2], "3 samples but y_pred has 2"),
        ([], [], "empty"),
        (1, 1, "not single values"),
        ([[1, 0]], [1], "shape"),
        ([0, 1], ["0", "1"], r"y_true holds number labels but y_pred holds string labels"),
        (np.array(["a", 1], dtype=object), ["a", "b"], "y_true mixes string and number labels"),
        ([None, 1], [0, 1], r"y_true holds None \(NoneType\)"),
    ],
)
def test_bad_inputs(y_true, y_pred, problem):
    with pytest.raises(StructNLPError, match=problem):
        classification_report_dict(y_true, y_pred)
