"""Shared fixtures: the public data root (tests skip cleanly without it)."""

from __future__ import annotations

import os
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
