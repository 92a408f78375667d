"""Shared fixtures: the public data root (tests skip cleanly without it), standard input as bytes."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parent.parent


def _find_shared_data() -> Path | None:
    env = os.environ.get("STRUCTNLP_DATA")
    for candidate in ([Path(env)] if env else []) + [_REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data (or $STRUCTNLP_DATA); skips the test when it is absent."""
    root = _find_shared_data()
    if root is None:
        pytest.skip("public data not found (set STRUCTNLP_DATA or provide ../shared/data)")
    return root


@pytest.fixture
def stdin_bytes(monkeypatch) -> Callable[[bytes], None]:
    """``stdin_bytes(data)`` makes standard input hold ``data`` (bytes: the command-line tools decode it)."""

    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))

    return feed
