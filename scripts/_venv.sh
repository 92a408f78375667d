# Sourced by demo.sh and test.sh: create ./.venv and install the CPU torch wheel first.
# Where `pip install torch==2.13.0` finds a local CPU wheel (as on the project's machines) this
# avoids pulling a multi-GB CUDA build; elsewhere pip takes torch from PyPI as usual.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
VPY=.venv/bin/python
"$VPY" -m pip install --quiet --upgrade pip
if ! "$VPY" -c "import torch" 2>/dev/null; then
  "$VPY" -m pip install --quiet "torch==2.13.0" || echo "note: torch 2.13.0 not available here; pip will pick torch from PyPI"
fi
