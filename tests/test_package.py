"""Packaging contract: cheap imports, the CLI entry point, the plugin discovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from structnlp import __version__
from structnlp.cli import build_parser, main


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import tsetlin, structnlp",
        "import parsing, summarize, topics",
        "import structnlp.cli, structnlp.files, structnlp.errors, structnlp.tokenize",
        "import structnlp.corpus, structnlp.datasets, structnlp.vocab, structnlp.features",
        "import structnlp.trees, structnlp.metrics, structnlp.modelio",
    ],
)
def test_heavy_libraries_are_imported_lazily(code):
    modules = _imported_after(code)
    for heavy in ("torch", "spacy", "cupy", "thinc"):
        assert heavy not in modules, f"{code!r} imported {heavy}"


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"structnlp {__version__}"


def test_console_script_runs():
    out = subprocess.run(
        [sys.executable, "-m", "structnlp.cli", "--version"], check=True, capture_output=True, text=True
    )
    assert __version__ in out.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_data_info_json(capsys, shared_data):
    assert main(["data", "info", "--root", str(shared_data), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"imdb", "20newsgroups", "ud_english_ewt", "ptb_sample", "bbc_news_summary", "TMN"} <= names
    assert all(r["found"] for r in rows)


def test_data_info_missing_root_is_a_clear_error(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert main(["data", "info", "--root", str(missing)]) == 1
    assert "nowhere" in capsys.readouterr().err


def test_subcommands_listed():
    parser = build_parser()
    help_text = parser.format_help()
    assert "demo" in help_text and "data" in help_text


def _cli(*argv: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "structnlp.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`structnlp ... | head -1`: the closed pipe used to end in a BrokenPipeError traceback."""
    process = _cli("data", "info", "--root", str(tmp_path))
    process.stdout.close()  # before the command writes: its first write meets a closed pipe
    assert process.stderr.read() == b"" and process.wait() == 141


def test_a_standard_output_that_is_not_utf8_gets_escapes_not_a_traceback(tmp_path):
    root = tmp_path / "donnée"
    root.mkdir()
    out, err = _cli("data", "info", "--root", str(root), PYTHONIOENCODING="ascii").communicate()
    assert err == b"" and b"donn\\xe9e" in out


def test_an_unwritable_place_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    def refuse(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.txt"))

    monkeypatch.setattr("structnlp.cli._cmd_data_info", refuse)
    assert main(["data", "info"]) == 1
    expected = f"structnlp: error: [Errno 13] Permission denied: '{tmp_path}/out.txt'\n"
    assert capsys.readouterr().err == expected
