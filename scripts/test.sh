#!/usr/bin/env bash
# Quick start 2: install structnlp with its dev extras into ./.venv, run the whole test suite
# (unit tests, docstring and docs examples) and build the documentation site with warnings as errors.
source "$(dirname "$0")/_venv.sh"
"$VPY" -m pip install --quiet -e ".[dev]"
"$VPY" -m ruff check .
"$VPY" -m mkdocs build --strict --quiet --site-dir "${TMPDIR:-/tmp}/structnlp-site"
"$VPY" -m pytest -n 2 -q "$@"
