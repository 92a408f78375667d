"""Choosing the compute backend of the Tsetlin Machine.

A backend is a module offering the kernels that :class:`~tsetlin.TsetlinMachineClassifier`
calls, all on the same state layout (documented in :mod:`tsetlin.cpu`): bit-sliced
automaton planes ``(C, n_state_bits, 2W)`` of uint64, signed clause weights ``(C,)`` of
int32 and one uint64 random stream per clause. A backend provides

* ``train_epoch(ta, weights, rng, indptr, indices, y, order, other, clause_active, la, valid,
  pool, T, boost, weighted, budget, n_classes, n_threads)`` -- one epoch, in place;
* ``class_sums_dense(ta, votes, indptr, indices, n_classes, n_threads)`` and
  ``clause_outputs(ta, indptr, indices, n_threads, la=None)`` -- prediction on CSR documents;
* ``build_index(ta, n_features)`` and ``class_sums_index(indptr, indices, index, votes,
  n_classes, n_threads)`` -- the sparse prediction path.

Because the layout is shared, a model trained on one backend is saved, loaded and used
on any other. Modules are imported only when a model is fitted or used, so that
``import tsetlin`` stays cheap (no numba, no CuPy).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from structnlp.errors import StructNLPError

#: Backends available in this version, name -> module implementing the kernels.
BACKENDS = {"cpu": "tsetlin.cpu", "gpu": "tsetlin.gpu"}
#: Values accepted by the ``backend`` parameter.
BACKEND_CHOICES = ("auto", "cpu", "gpu")


def resolve_backend(name: str) -> str:
    """The backend that ``backend=name`` runs on: ``"auto"`` picks the fastest available.

    >>> resolve_backend("cpu")
    'cpu'
    >>> resolve_backend("auto") in ("cpu", "gpu")  # "gpu" when CuPy sees a CUDA device
    True
    >>> resolve_backend("tpu")
    Traceback (most recent call last):
    ...
    structnlp.errors.StructNLPError: backend must be one of 'auto', 'cpu', 'gpu', got 'tpu'
    """
    if not isinstance(name, str) or name not in BACKEND_CHOICES:
        raise StructNLPError(f"backend must be one of {', '.join(map(repr, BACKEND_CHOICES))}, got {name!r}")
    if name == "auto":
        return "gpu" if _cuda_available() else "cpu"
    if name == "gpu" and not _cuda_available():
        if importlib.util.find_spec("cupy") is None:
            raise StructNLPError(
                "backend='gpu' needs CuPy and a CUDA device (pip install 'structnlp[gpu]'); use backend='cpu'"
            )
        raise StructNLPError("backend='gpu': CuPy is installed but sees no CUDA device; use backend='cpu'")
    return name


def load_backend(name: str) -> ModuleType:
    """Import and return the kernel module of a resolved backend name.

    >>> load_backend("cpu").__name__
    'tsetlin.cpu'
    """
    return importlib.import_module(BACKENDS[name])


def _cuda_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    if importlib.util.find_spec("cupy") is None:
        return False
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy raises its own CUDA errors when the driver or device is missing
        return False
