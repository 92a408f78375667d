#!/usr/bin/env bash
# Quick start 1: install structnlp into ./.venv and run `structnlp demo` (CPU, bundled data).
source "$(dirname "$0")/_venv.sh"
"$VPY" -m pip install --quiet .
.venv/bin/structnlp demo "$@"
