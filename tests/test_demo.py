"""`structnlp demo`, the README's first command, on bundled data only."""

from __future__ import annotations

import pytest

from structnlp.cli import main


@pytest.mark.slow
def test_demo_runs_every_section(capsys):
    assert main(["demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "600 medical abstracts, 5 classes" in out
    # the embedded tagger's analysis of the first bundled abstract
    assert "Obstructive" in out and "NOUN" in out
    assert "Boolean bag-of-words" in out and "600 x 5000" in out
    for family in ("tsetlin", "parsing", "summarize", "topics"):
        assert f"== {family}:" in out
    assert "Demo finished" in out
