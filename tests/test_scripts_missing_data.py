"""The benchmark and data scripts name missing public data in one line, not a traceback.

A maintainer reproducing a figure without ../shared/data (or with $STRUCTNLP_DATA wrong) must
learn what is missing and where it comes from; the scripts are run as programs, so each is
started in its own process with the data root pointing nowhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

RUNS = [
    ["benchmarks/baselines_ptb.py"],
    ["benchmarks/features_imdb.py"],
    ["benchmarks/parsing_benchmark.py"],
    ["benchmarks/recat_chart_benchmark.py"],
    ["benchmarks/summarize_benchmark.py"],
    ["benchmarks/topics_benchmark.py"],
    ["benchmarks/topics_external_npmi.py", "{report}"],
    ["benchmarks/tsetlin_cpu.py", "--imdb"],
    ["scripts/make_demo_data.py"],
    ["scripts/make_parser_corpus.py"],
    ["scripts/make_summarizer_data.py"],
    ["scripts/make_word_vectors.py", "--out", "{tmp}/vectors.txt"],
]


@pytest.mark.parametrize("command", RUNS, ids=lambda c: Path(c[0]).stem)
def test_a_missing_data_root_is_named_without_a_traceback(command, tmp_path):
    report = tmp_path / "report.json"
    report.write_text('{"datasets": {}}')
    args = [str(REPO / command[0])] + [a.format(report=report, tmp=tmp_path) for a in command[1:]]
    env = {**os.environ, "STRUCTNLP_DATA": str(tmp_path / "nowhere"), "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "nowhere" in last and "STRUCTNLP_DATA" in last
    assert not any(tmp_path.glob("vectors*"))  # nothing half-written
