"""The topic-model benchmark end to end on one of the papers' sets, tiny settings (skips without the data)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_benchmark_scores_every_kind_of_model_on_trec6(shared_data, tmp_path):
    out = tmp_path / "results.json"
    models = ["docnade_coh_shuffle", "idocnadee", "sklearn_lda"]
    args = [
        sys.executable, "benchmarks/topics_benchmark.py", "--datasets", "TREC6", "--models", *models,
        "--n-topics", "5", "--epochs", "2", "--vocab-size", "300", "--lda-iterations", "2", "--device", "cpu",
        "--root", str(shared_data), "--output", str(out),
    ]  # fmt: skip
    run = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "| paper: DocNADE, 200 topics | 64 | | 0.54 |" in run.stdout
    trec6 = json.loads(out.read_text())["datasets"]["TREC6"]
    assert trec6["vocabulary_size"] == 300 and "500 training documents held out" in trec6["note"]
    rows = trec6["models"]
    assert set(rows) == set(models)
    for row in rows.values():
        assert 0 < row["ir_precision"] <= 1 and 0 < row["accuracy"] <= 1
        assert -1 <= row["npmi"] <= 1 and 0 < row["diversity"] <= 1 and len(row["topics"]) == 5
    assert rows["sklearn_lda"]["perplexity"] is None and rows["idocnadee"]["completion_perplexity"] is None
    settings = rows["docnade_coh_shuffle"]["settings"]
    assert settings["word_order"] == "shuffle" and settings["coherence_weight"] == 1.0
    assert rows["idocnadee"]["settings"]["embeddings"] == "train"
    assert 1 < rows["docnade_coh_shuffle"]["perplexity"] < 300
