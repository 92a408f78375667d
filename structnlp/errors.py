"""Exceptions raised by structnlp.

Every error a user can trigger with bad input derives from :class:`StructNLPError`
(itself a :class:`ValueError`, so scikit-learn style ``except ValueError`` still works)
and names the offending file, line, field or parameter.
"""

from __future__ import annotations

from pathlib import Path


class StructNLPError(ValueError):
    """Base class of every error structnlp raises on bad input."""


class CorpusFormatError(StructNLPError):
    """A corpus file is malformed or not UTF-8; the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, problem: str):
        self.path = str(path)
        self.line = line
        self.problem = problem
        name = "standard input" if self.path == "-" else self.path  # "-": structnlp.files.STDIN
        where = f"{name}, line {line}" if line is not None else name
        super().__init__(f"{where}: {problem}")


class EmptyCorpusError(StructNLPError):
    """A corpus or document collection holds no usable text."""


class ModelFileError(StructNLPError):
    """A model directory is missing, truncated, tampered with, foreign or of another version."""


class DataNotFoundError(StructNLPError, FileNotFoundError):
    """A public data set was not found under the data root."""
