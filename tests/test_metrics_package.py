"""The structnlp.metrics package: lazy exports."""

from __future__ import annotations

import subprocess
import sys

import pytest

import structnlp.metrics as metrics


def test_import_is_cheap():
    code = (
        "import sys, structnlp.metrics, structnlp.trees; "
        "print(sorted(m for m in ('torch', 'spacy', 'cupy', 'rouge_score', 'gensim') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_export_resolves():
    for name in metrics.__all__:
        assert callable(getattr(metrics, name)), name
    assert set(metrics.__all__) <= set(dir(metrics))


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'bleu'"):
        metrics.bleu  # noqa: B018
