"""Helpers inside the benchmarks/ scripts: their examples run and their measures are right
(the scripts themselves need ../shared/data and minutes; the figures are in docs/)."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["summarize_benchmark", "topics_external_npmi"])
def test_the_examples_in_the_scripts_run(name):
    result = doctest.testmod(load_script(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_summarizer_benchmark_measures_how_much_is_copied():
    copying = load_script("summarize_benchmark").copying
    extract = [["Rain fell all day.", "The river rose."]]
    assert copying(extract, extract) == {"novel_bigrams": 0.0, "verbatim_sentences": 100.0}
    assert copying([["Fell rain day."]], extract) == {"novel_bigrams": 100.0, "verbatim_sentences": 0.0}
    assert copying([[]], extract) == {"novel_bigrams": 0.0, "verbatim_sentences": 0.0}


def test_external_npmi_rescoring_reads_every_saved_model():
    rescore = load_script("topics_external_npmi").rescore
    lda = {"npmi": -0.2, "topics": [["x", "y"], ["x", "z"]]}
    report = {
        "datasets": {
            "a": {"models": {"lda": lda, "none": {"npmi": 0.0}}},
            "b": {"models": {"docnade": {"npmi": -0.4, "topics": [["y", "z", "w"]]}}},
        }
    }
    texts = [["x", "y"], ["z"], ["x", "y", "z"]]
    scores = rescore(report, texts)
    assert set(scores) == {"a", "b"} and set(scores["a"]) == {"lda"}  # a model without topics is skipped
    assert scores["b"]["docnade"]["missing"] == 1 and scores["a"]["lda"]["npmi_own"] == -0.2
    assert -1.0 <= scores["a"]["lda"]["npmi"] <= 1.0


def test_the_parsing_benchmark_scores_a_sample_without_short_sentences():
    """``--limit 5`` takes five long PTB sentences: the F1 on sentences <= 10 words is None, not a crash."""
    from structnlp.trees import right_branching_tree

    module = load_script("parsing_benchmark")
    gold = [right_branching_tree([f"w{i}" for i in range(12)])]
    scores = module.f1_scores(gold, gold)
    assert scores["sentence_f1"] == 1.0 and scores["sentence_f1_short"] is None
    assert module.constituency_baselines(gold)["random (mean of 3)"]["sentence_f1_short"] is None
