"""The benchmark and data scripts name missing public data and bad counts in one line, not a traceback.

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


BAD_COUNTS = [
    ["benchmarks/features_imdb.py", "--repeats", "0"],  # was UnboundLocalError after loading IMDb
    ["benchmarks/summarize_benchmark.py", "--threads", "0"],  # was torch's RuntimeError
    ["benchmarks/summarize_benchmark.py", "--limit", "-1"],
    ["benchmarks/tsetlin_cpu.py", "--epochs", "0"],  # was a timing of 'nan s/epoch'
    ["benchmarks/tsetlin_cpu.py", "--docs", "-5"],
    ["scripts/make_word_vectors.py", "--out", "{tmp}/v.txt", "--max-articles", "0"],
    ["scripts/make_word_vectors.py", "--out", "{tmp}/v.txt", "--dim", "-1"],
    ["scripts/make_summarizer_data.py", "--out", "{tmp}/s.jsonl.gz", "--limit", "-1"],  # was all but one
    ["scripts/train_parser.py", "--corpus", "{tmp}/c.txt", "--out", "{tmp}/p", "--epochs", "0"],
    ["scripts/train_parser.py", "--corpus", "{tmp}/c.txt", "--out", "{tmp}/p", "--heads", "-2"],
    ["scripts/make_parser_corpus.py", "--out", "{tmp}/c.txt.gz", "--max-words", "0"],
    ["benchmarks/recat_chart_benchmark.py", "--repeats", "0"],
    ["benchmarks/recat_chart_benchmark.py", "--window", "-1"],
]


@pytest.mark.parametrize("command", BAD_COUNTS, ids=lambda c: f"{Path(c[0]).stem}{c[-2]}={c[-1]}")
def test_a_bad_count_is_a_usage_error_before_any_work(command, tmp_path):
    args = [str(REPO / command[0])] + [a.format(tmp=tmp_path) for a in command[1:]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"argument {command[-2]}: expected a whole number >= 1" in run.stderr.strip().splitlines()[-1]


def test_the_parsing_benchmark_refuses_a_negative_limit(tmp_path):
    """``--limit -1`` sliced off the last sentence of each set and ran the whole benchmark."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks/parsing_benchmark.py"), "--limit", "-1"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 2 and "argument --limit: expected a whole number >= 1" in run.stderr


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["scripts/train_parser.py", "--corpus", "{tmp}/none.txt", "--out", "{tmp}/p"], "no such file"),
        (["benchmarks/topics_external_npmi.py", "{tmp}/none.json"], "no such report: "),
    ],
)
def test_a_missing_input_file_is_named_in_one_line(command, message, tmp_path):
    """train_parser's missing --corpus was a FileNotFoundError traceback; the NPMI rescorer read
    all of Wikipedia before failing on a missing report."""
    args = [str(REPO / command[0])] + [a.format(tmp=tmp_path) for a in command[1:]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert message in run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("option", ["--epochs", "--clauses", "--threads"])
def test_the_peer_benchmark_refuses_a_count_below_one(option, tmp_path):
    """``--epochs 0`` was an IndexError after preparing the data; ``--clauses -3`` a traceback
    squeezed into a table cell."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = str(REPO / "benchmarks/tsetlin_vs_peers.py")
    args = [sys.executable, script, "--datasets", "medical_sample", "--methods", "tm", option, "0"]
    run = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and f"argument {option}: expected a whole number >= 1" in run.stderr


@pytest.mark.parametrize("option", ["--epochs", "--n-topics", "--vocab-size"])
def test_the_topics_benchmark_refuses_a_count_below_one(option, tmp_path):
    """``--epochs 0`` was DocNADE's StructNLPError traceback after loading the data."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = str(REPO / "benchmarks/topics_benchmark.py")
    args = [sys.executable, script, "--datasets", "20NSshort", "--models", "docnade", option, "0"]
    run = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and f"argument {option}: expected a whole number >= 1" in run.stderr


def test_train_parser_never_removes_a_folder_that_is_not_its_checkpoint(tmp_path):
    """OUT-checkpoint is removed at the end of training: a user's folder of that name would have gone."""
    (tmp_path / "corpus.txt").write_text("the cat sat .\na dog ran .\n", encoding="utf-8")
    keep = tmp_path / "p-checkpoint" / "notes.txt"
    keep.parent.mkdir()
    keep.write_text("mine")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts/train_parser.py"), "--corpus", "corpus.txt", "--out", "p"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "p-checkpoint: exists and is not a parser checkpoint" in run.stderr
    assert keep.read_text() == "mine" and not (tmp_path / "p").exists()


@pytest.mark.parametrize("script", ["benchmarks/parsing_benchmark.py", "benchmarks/summarize_benchmark.py"])
@pytest.mark.parametrize("model", ["missing", "tampered"])
def test_a_bad_model_is_named_in_one_line(script, model, tmp_path):
    """A benchmark given a missing or modified model directory printed load_parser's traceback."""
    path = tmp_path / "model"
    if model == "tampered":
        path.mkdir()
        (path / "config.json").write_text('{"structnlp_model": true}', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "STRUCTNLP_DATA": str(tmp_path / "nowhere")}  # fails first
    run = subprocess.run(
        [sys.executable, str(REPO / script), "--model", str(path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and str(path) in last
