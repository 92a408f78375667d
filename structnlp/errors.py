"""Exceptions raised by structnlp.

Every error a user can trigger with bad input derives from :class:`StructNLPError`
(itself a :class:`ValueError`, so scikit-learn style ``except ValueError`` still works)
and names the offending file, line, field or parameter.
"""

from __future__ import annotations

from pathlib import Path

#: The path that stands for standard input (or output) wherever structnlp takes a file name.
STDIN = "-"


def source_name(path: str | Path) -> str:
    """How messages name where input came from: the path, or "standard input" for ``-``."""
    return "standard input" if str(path) == STDIN else str(path)


class StructNLPError(ValueError):
    """Base class of every error structnlp raises on bad input."""


class CorpusFormatError(StructNLPError):
    """A corpus file is malformed or not UTF-8; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        name = source_name(path)
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(f"{where}: {problem}")


class EmptyCorpusError(StructNLPError):
    """A corpus or document collection holds no usable text."""


class ModelFileError(StructNLPError):
    """A model directory is missing, truncated, tampered with, foreign or of another version."""


class DataNotFoundError(StructNLPError, FileNotFoundError):
    """A public data set was not found under the data root."""
